"""The "sparse" method (symstab.detsparse): equal to Berkowitz on the full Hessian wherever both run.

Reference: ``det_polynomial(net, method="berkowitz")`` (itself checked against sympy in
tests/test_gdmap.py); equality is exact equality of flint polynomials.
"""

from fractions import Fraction

import flint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork, detsparse
from symstab.errors import SymstabError
from symstab.exact import sparse
from symstab.gdmap import det_polynomial, estimate_cost

CASES = [
    ((1, 2, 1), [[1]], [[3]], "half"),
    ((2, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]], "half"),
    ((2, 2, 1), [[1, 1], [0, 1]], [["1/2", 2]], "sum"),  # Sigma not scalar
    ((1, 1, 2, 1), [[1, 2]], [[3, -1]], "mean"),
    ((2, 1, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]], "half"),  # d0 dH = 4, depth 3: no structured method
    ((1, 2, 1, 2), [[2]], [[1], [-1]], "mean"),
    ((1, 1, 1, 1, 2), [[1]], [[1], [2]], "half"),
    pytest.param(((1, 2, 2, 1), [[1]], [[3]], "half"), marks=pytest.mark.slow),
    pytest.param(((2, 1, 2, 1), [[1, 0], [0, 1]], [[1, 2]], "half_mean"), marks=pytest.mark.slow),
]


def _net(case):
    widths, X, Y, loss = case
    return LinearNetwork(widths, X, Y, loss=loss)


@pytest.mark.parametrize("case", CASES)
def test_sparse_equals_berkowitz_exactly(case):
    reference, _ = det_polynomial(_net(case), method="berkowitz")
    net = _net(case)
    poly, method = det_polynomial(net, method="sparse")
    assert method == "sparse" and poly == reference
    info = net.__dict__["_sparse_info"]
    assert len(info["primes"]) >= 2 and info["residual_terms"] == 1 + sum(info["terms"])


def test_all_three_determinants_by_the_sparse_method():
    net = _net(CASES[3])
    ref = _net(CASES[3])
    assert net.gd_jacobian_det(method="sparse").poly == ref.gd_jacobian_det(method="berkowitz").poly
    assert net.stability_det(method="sparse").poly == ref.stability_det(method="berkowitz").poly
    assert net.hessian_charpoly(method="sparse").method == "sparse"


rationals = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@settings(max_examples=6, deadline=None)
@given(widths=st.sampled_from([(1, 2, 1), (2, 1, 2), (1, 1, 2, 1), (1, 1, 1, 2)]), seed=st.integers(0, 2**20),
       data=st.data())
def test_sparse_on_random_rational_data_equals_berkowitz(widths, seed, data):
    d0, dH = widths[0], widths[-1]
    sigma = data.draw(st.fractions(min_value=Fraction(1, 3), max_value=3, max_denominator=3))
    X = [[sigma if i == j else 0 for j in range(d0)] for i in range(d0)]
    Y = [[data.draw(rationals) for _ in range(d0)] for _ in range(dH)]
    loss = data.draw(st.sampled_from(["half", "sum", "mean", "half_mean"]))
    case = (widths, X, Y, loss)
    reference, _ = det_polynomial(_net(case), method="berkowitz")
    assert detsparse.sparse_det_poly(_net(case), seed=seed) == reference


def test_the_black_box_is_the_charpoly_of_the_residual_hessian():
    """c_k(H_Z) modulo p from the probe equals the exact Berkowitz coefficients reduced modulo p."""
    net = _net(CASES[1])
    entries, denominator, names = detsparse.residual_hessian(net)
    D, n = net.num_params, len(names)
    p = sparse.primes_below(1)[0]
    point = [3, 5, 7, 2, 11, 13, 4, 6, 1, 8, 9, 10][:n]
    got = detsparse.charpoly_probe(entries, D, n)(p, point, [1] * n, 1, 1)[0]
    H = flint.fmpz_mat(D, D, [_exact_value(f, point) for f in entries])
    coeffs = H.charpoly().coeffs()
    assert got == [int(coeffs[D - k]) % p for k in range(1, D + 1)]
    assert denominator == 1


def _exact_value(f, point):
    total = 0
    for exps, c in f.items():
        term = c
        for x, e in zip(point, exps):
            term *= x**e
        total += term
    return total


def test_check_modulo_a_fresh_prime_catches_a_wrong_coefficient():
    net = _net(CASES[1])
    entries, _, names = detsparse.residual_hessian(net)
    D, n = net.num_params, len(names)
    probe = detsparse.charpoly_probe(entries, D, n)
    polys, _ = sparse.interpolate(probe, n, D, 2 * D, seed=0)
    detsparse.check_mod_fresh_prime(probe, polys, n, seed=0)
    polys[2][next(iter(polys[2]))] += 1
    with pytest.raises(SymstabError, match="fresh prime"):
        detsparse.check_mod_fresh_prime(probe, polys, n, seed=0)


def test_count_terms_is_exact_when_the_sequence_terminates_and_a_lower_bound_otherwise():
    net = LinearNetwork.whitened((1, 2, 1), [[3]])
    poly, _ = det_polynomial(LinearNetwork.whitened((1, 2, 1), [[3]]), method="berkowitz")
    assert detsparse.count_terms(net, seconds=5.0) == (len(poly), True)
    big = LinearNetwork.whitened((2, 2, 2), [[1, 2], [3, 4]])
    terms, exact = detsparse.count_terms(big, seconds=0.0)
    assert not exact and 0 < terms < 21006


def test_the_count_corrects_a_fit_that_overestimates_a_small_output():
    """(1,1,...,1) with 11 widths: the fit says ~10^7.9 terms (minutes), the count says 6,134 (exact). The guard's
    own count (0.2 s) only reaches a lower bound there, so it still refuses without --force."""
    chain = (1,) * 11
    fitted = estimate_cost(LinearNetwork.whitened(chain, [[1]]))
    assert fitted["counted"] is None and fitted["seconds"] > 60
    counted = estimate_cost(LinearNetwork.whitened(chain, [[1]]), count=10.0)
    assert counted["counted"] == "exact" and counted["count"] == 6134 and counted["seconds"] < 60
    p = LinearNetwork.whitened(chain, [[1]]).gd_jacobian_det(force=True)
    assert p.nterms == 6134
    # a lower bound never lowers the fitted estimate
    lower = estimate_cost(LinearNetwork.whitened((2, 2, 2, 2), [[1, 0], [0, 1]]), count=0.01)
    assert lower["counted"] == "lower bound" and lower["log10_terms"] >= 6


def test_cli_det_method_sparse(capsys):
    import json

    from symstab.cli import main

    assert main(["det", "--widths", "1,1,2,1", "--whitened", "--target", "3", "--method", "sparse", "--json",
                 "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    reference, _ = det_polynomial(LinearNetwork.whitened((1, 1, 2, 1), [[3]]), method="berkowitz")
    assert out["method"] == "sparse" and out["nterms"] == len(reference)


def test_the_dispatcher_leaves_sparse_to_be_asked_for():
    """The rank-one paths beat "sparse" on every scalar net measured ((1,3,3,1): 53 s against 79 s), so "sparse"
    runs only when asked for; the guard's estimate of (1,3,3,1) stays within reach of the machine."""
    from symstab.gdmap import choose_method

    assert choose_method(LinearNetwork.whitened((1, 2, 2, 2, 1), [[3]])) == "scalar-residual"
    assert choose_method(LinearNetwork.whitened((1, 3, 3, 1), [[3]])) == "scalar-residual"
    est = estimate_cost(LinearNetwork.whitened((1, 3, 3, 1), [[3]]))
    assert est["bytes"] < 12e9 and 30 < est["seconds"] < 1000
    assert estimate_cost(LinearNetwork.whitened((1, 3, 3, 1), [[3]]), "sparse")["seconds"] > est["seconds"]


@pytest.mark.slow
@pytest.mark.parametrize("widths, target", [((1, 2, 2, 2), [[1], [2]]), ((2, 1, 2, 2), [[1, 2], [3, 4]])])
def test_sparse_equals_the_dispatcher_on_larger_cases(widths, target):
    """(1,2,2,2): 454,181 terms, against lowrank; (2,1,2,2): 34,086 terms, against schur (~15 s each)."""
    poly, method = det_polynomial(LinearNetwork.whitened(widths, target))
    assert method in ("lowrank", "schur")
    assert det_polynomial(LinearNetwork.whitened(widths, target), method="sparse")[0] == poly


def test_a_sparse_result_says_what_backs_it_in_text_json_and_latex():
    """The reconstruction is probabilistic (checked, not proved): "sparse" results never claim plain "exact"."""
    from symstab.detsparse import EVIDENCE

    net = LinearNetwork.whitened((1, 2, 1, 1), [[2]])
    p = net.gd_jacobian_det(method="sparse")
    assert p.evidence == EVIDENCE and "not a proof" in p.evidence and "probabilistic" in p.evidence
    assert "probabilistic reconstruction" in p.latex()
    assert net.gd_jacobian_det(method="berkowitz").evidence == "exact"
    assert all(f.evidence == EVIDENCE for f, _ in p.factor().factors)


def test_the_det_command_prints_the_evidence_of_a_sparse_result(capsys):
    import json

    from symstab.cli import main

    args = ["det", "--widths", "1,2,1,1", "--whitened", "--target", "2", "--method", "sparse"]
    assert main(args + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "sparse" and "not a proof" in out["evidence"]
    assert main(args) == 0
    assert "probabilistic reconstruction" in capsys.readouterr().out
