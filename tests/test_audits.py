"""The audit (symstab.audits): verdicts of the catalogue's claims with their default settings, the engine's contract."""

import json
from fractions import Fraction

import pytest
import sympy
from hypothesis import strategies as st

import symstab
from symstab.audits import VERDICTS, Check, audit, catalogue, compare
from symstab.errors import InvalidInputError
from symstab.strategies import networks, points_on_minima

CLAIMS = catalogue()
TRUE = sorted(n for n, c in CLAIMS.items() if c.expected == "none found")
FALSE = sorted(n for n, c in CLAIMS.items() if c.expected == "counterexample")
# shrinking re-draws networks and points many times: 20-130 s per claim on the shared 2-core machine
SLOW_TO_SHRINK = {"every-eigenvalue-proper", "gd-converges-above-eta-C", "sharpness-proper-every-architecture"}


def test_catalogue_has_statement_source_and_expected_verdict():
    assert len(TRUE) >= 6 and len(FALSE) >= 5
    for name, claim in CLAIMS.items():
        assert claim.name == name and claim.statement and claim.source and claim.summary
        assert claim.expected in VERDICTS
        assert "\n" not in claim.summary and "\t" not in claim.summary


@pytest.mark.parametrize("name", TRUE)
def test_true_claims_report_no_counterexample_with_default_settings(name):
    r = audit(name)
    assert r.verdict == "none found", r
    assert r.examples_tried == CLAIMS[name].max_examples and r.counterexample is None
    assert "not a proof" in r.summary_line()


@pytest.mark.parametrize("name", FALSE)
def test_false_claims_are_refuted_by_the_default_search(name):
    """The default search (same seed, same examples) finds a counterexample; shrinking only simplifies it."""
    r = audit(name, shrink=False)
    assert r.verdict == "counterexample", r
    assert r.examples_tried <= CLAIMS[name].max_examples
    assert not CLAIMS[name].check(r.counterexample).holds


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_TO_SHRINK else n
                                  for n in FALSE])
def test_false_claims_are_refuted_and_shrunk_with_default_settings(name):
    r = audit(name)
    assert r.verdict == "counterexample" and r.as_expected
    assert not CLAIMS[name].check(r.counterexample).holds
    assert r.reproduction and r.evaluations >= r.examples_tried
    if name == "coherence-uniform-sampling":
        _is_the_known_uniform_counterexample(r)


def _is_the_known_uniform_counterexample(r):
    hs = r.counterexample["hessians"]
    assert sorted(sympy.Matrix(h).trace() for h in hs) == [1, 4] and r.counterexample["batch"] == 1
    assert r.data["eta* (without_replacement)"] == sympy.Rational(10, 17)
    assert r.data["condition holds for eta above"] == sympy.Rational(1, 2)


@pytest.mark.slow
def test_bounded_sharpness_counterexample_is_the_1221_family():
    r = audit("sharpness-proper-every-architecture")
    assert r.counterexample["network"].widths == (1, 2, 2, 1)
    assert r.data["Hessian along the line"] == "constant in t"


def test_audits_are_reproducible_from_the_seed():
    a = audit("coherence-condition-exact", seed=3)
    b = audit("coherence-condition-exact", seed=3)
    assert a.to_dict() == b.to_dict()
    over = networks("filling", max_params=4).flatmap(points_on_minima)
    runs = [audit(lambda theta: len(theta) < 3, over=over, seed=7, max_examples=20, shrink=False) for _ in range(2)]
    assert runs[0].to_dict() == runs[1].to_dict() and runs[0].verdict == "counterexample"


def test_user_predicate_is_shrunk_and_rendered():
    def small_square(n):
        """n^2 < 50"""
        return Check(n * n < 50, {"square": n * n})

    r = symstab.audit(small_square, over=st.integers(0, 1000), seed=0)
    assert (r.verdict, r.counterexample, r.data) == ("counterexample", 8, {"square": 64})
    assert r.statement == "n^2 < 50"
    assert "8" in r.latex() and "64" in r.latex()
    json.dumps(r.to_dict())


def test_pair_claim_is_exact_where_it_can_be_and_numerical_otherwise():
    r = audit((lambda q: q * q, lambda q: 2), over=st.fractions(0, 3, max_denominator=4), seed=0)
    assert r.verdict == "counterexample" and r.data["comparison"] == "exact"
    assert r.counterexample * r.counterexample > 2
    assert compare(sympy.sqrt(2), Fraction(141421, 100000)).holds is False
    assert compare(1.0 + 1e-12, 1.0).holds and not compare(1.001, 1.0).holds
    assert "numerical" in compare(1.0, 1.0).data["comparison"]


def test_predicate_that_raises_is_that_examples_error_not_a_crash():
    def picky(n):
        if n > 5:
            raise ValueError("too big")
        return True

    r = audit(picky, over=st.integers(0, 100), seed=0)
    assert r.verdict == "error" and r.counterexample == 6 and "ValueError: too big" in r.error


def test_bad_input_is_refused_in_one_line():
    with pytest.raises(InvalidInputError, match="unknown claim"):
        audit("no-such-claim")
    with pytest.raises(InvalidInputError, match="over="):
        audit(lambda x: True)
    with pytest.raises(InvalidInputError, match="max_examples"):
        audit("A1-nonsingular", max_examples=0)
    with pytest.raises(InvalidInputError, match="hypothesis strategy"):
        audit(lambda x: True, over=[1, 2])


def test_no_output_ever_says_proved():
    results = [audit("sgd-coherence-bernoulli", max_examples=5), audit("coherence-condition-exact")]
    for r in results:
        text = (str(r) + r.latex() + json.dumps(r.to_dict())).lower()
        assert "proved" not in text and "proof" not in text.replace("not a proof", "")


def test_prove_hint_where_the_claim_has_a_certificate_kind():
    """'then try `symstab prove KIND` on this case' in text, JSON and LaTeX; only where a certificate kind exists."""
    from symstab.proofs.catalogue import RESULTS

    with_kind = {n for n, c in CLAIMS.items() if c.prove is not None}
    assert {"A1-nonsingular", "eta-C-closed-form-filling", "coherence-uniform-sampling"} <= with_kind
    assert all(CLAIMS[n].prove in RESULTS for n in with_kind)
    assert CLAIMS["imbalance-drift-exact"].prove is None and CLAIMS["gd-converges-above-eta-C"].prove is None
    r = audit("eta-C-closed-form-filling", max_examples=3)
    hint = "then try `symstab prove A5` on this case"
    assert r.to_dict()["prove_hint"].startswith(hint) and hint in str(r)
    assert r"Then try \texttt{symstab prove A5} on this case" in r.latex()
    plain = audit("imbalance-drift-exact", max_examples=2)
    assert plain.to_dict()["prove_hint"] is None and "symstab prove" not in str(plain) + plain.latex()


def test_imbalance_drift_claim_detects_a_wrong_drift():
    """The catalogue's drift check is not vacuous: the same search refutes a drift off by a factor 2."""
    from symstab.orbits.invariants import imbalance_at

    entry = CLAIMS["imbalance-drift-exact"]

    def doubled(x):
        rows = imbalance_at(x["network"], x["theta"], x["eta"])
        return all((r["after"] - r["before"] - 2 * r["drift"]).applyfunc(sympy.expand).is_zero_matrix for r in rows)

    r = audit(doubled, over=entry.strategy(), max_examples=entry.max_examples, seed=0, shrink=False)
    assert r.verdict == "counterexample"
