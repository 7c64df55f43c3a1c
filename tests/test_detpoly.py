"""The fast exact methods for det(I - eta H) (symstab.detpoly) and the dispatcher in symstab.gdmap.

Reference: Berkowitz on the full Hessian over flint polynomials (``method="berkowitz"``),
itself checked against sympy in tests/test_gdmap.py. Every fast method must give the
identical polynomial (exact equality of flint polynomials) wherever both run.
"""

from fractions import Fraction

import flint
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab import detpoly
from symstab.errors import InvalidInputError, SymstabError, TooLargeError
from symstab.gdmap import choose_method, det_polynomial, estimate_cost

CASES = [
    # (widths, X, Y, loss)
    ((1, 2, 1), [[1]], [[3]], "half"),
    ((1, 3, 1), [[2]], [[5]], "sum"),
    ((2, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]], "half"),
    ((2, 1, 2), [[2, 0], [0, 2]], [[1, 2], [3, 4]], "mean"),  # Sigma = 4 I
    ((2, 2, 1), [[1, 0], [0, 1]], [[1, -2]], "half_mean"),
    ((1, 3, 2), [[1]], [[1], [2]], "half"),
    pytest.param(((2, 3, 1), [[1, 0], [0, 1]], [["1/2", 2]], "sum"), marks=pytest.mark.slow),
    pytest.param(((2, 2, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]], "half"), marks=pytest.mark.slow),
    pytest.param(((1, 2, 2, 1), [[1]], [[3]], "half"), marks=pytest.mark.slow),
    ((1, 1, 2, 1), [[1, 2]], [[3, -1]], "mean"),
    ((2, 1, 2, 1), [[1, 0], [0, 1]], [[1, 2]], "half"),
    ((2, 1, 1), [[1, 2, 0], [0, 1, 1]], [[1, 0, 2]], "half"),  # Sigma not scalar: invariant does not apply
    ((2, 2, 1), [[1, 1], [0, 1]], [["1/2", 2]], "sum"),
    ((1, 1, 2, 2), [[1]], [[1], [2]], "half"),
    ((1, 2, 1, 2), [[2]], [[1], [-1]], "mean"),
    ((1, 1, 1, 1, 2), [[1]], [[1], [2]], "half"),
    # the layer Schur complement: m = d0 dH >= 3 beyond the invariant formula, and depth >= 3
    ((2, 1, 3), [[1, 0], [0, 1]], [[1, 2], [3, 4], [5, 6]], "half"),
    ((3, 1, 2), [[1, 0, 1], [0, 2, 0], [1, 1, 0]], [[1, 0, 2], ["1/2", 1, 1]], "sum"),  # Sigma not scalar
    ((3, 1, 1, 1), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 2, 3]], "half"),
    ((2, 1, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]], "mean"),
    ((2, 1, 1, 1, 2), [[2, 0], [0, 2]], [[1, -2], [0, 3]], "half"),
    pytest.param(((2, 2, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]], "half"), marks=pytest.mark.slow),
    pytest.param(((1, 1, 2, 3), [[1]], [[1], [2], [3]], "half"), marks=pytest.mark.slow),
]


_REFERENCE = {}


def _reference(case):
    """Berkowitz on the full Hessian, once per case."""
    key = repr(case)
    if key not in _REFERENCE:
        _REFERENCE[key] = det_polynomial(_net(case), method="berkowitz")[0]
    return _REFERENCE[key]


def _net(case):
    widths, X, Y, loss = case
    return LinearNetwork(widths, X, Y, loss=loss)


def _methods(net):
    out = ["residual"]
    if detpoly.lowrank_applies(net):
        out.append("lowrank")
    if detpoly.invariant_applies(net):
        out.append("invariant")
    if net.widths[0] == net.widths[-1] == 1:
        out += ["scalar", "scalar-residual"]
    if detpoly.schur_applies(net) and detpoly.schur_size(net) <= 6 and detpoly.schur_exponent(net) >= -3:
        out.append("schur")
    return out


def _id(case):
    return str(case[0]) + case[3]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_every_method_equals_berkowitz_exactly(case):
    reference = _reference(case)
    for method in _methods(_net(case)):
        poly, used = det_polynomial(_net(case), method=method)  # a fresh network: nothing cached
        assert used == method
        assert poly == reference, method


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_dispatcher_records_its_method_and_all_three_determinants_agree_with_berkowitz(case):
    net = _net(case)
    chosen = choose_method(net)
    reference = _reference(case)
    D = net.num_params
    p, q, c = net.gd_jacobian_det(), net.stability_det(), net.hessian_charpoly()
    assert p.method == q.method == c.method == chosen
    assert p.poly == reference
    eta = reference.context().gens()[-1]
    # det(2I - eta H) = 2^D P(theta, eta/2); det(lam I - H) = lam^D P(theta, 1/lam), checked term by term
    assert q.poly == reference.compose(*reference.context().gens()[:-1], eta / 2) * 2**D
    assert c.ring.names[-1] == "lam" and c.nterms == p.nterms
    assert {e[:-1] + (D - e[-1],): v for e, v in c.poly.to_dict().items()} == reference.to_dict()


def test_dispatcher_choices():
    whitened = LinearNetwork.whitened
    assert choose_method(whitened((2, 3, 2), [[1, 2], [3, 4]])) == "invariant"
    assert choose_method(whitened((1, 3, 2), [[1], [2]])) == "invariant"
    assert choose_method(whitened((2, 2, 2), [[1, 2], [3, 4]])) == "lowrank"  # d1 < m - 1: invariant needs (theta, R, e)
    assert choose_method(LinearNetwork((2, 2, 2), [[1, 1], [0, 1]], [[1, 2], [3, 4]])) == "lowrank"  # Sigma not scalar
    assert choose_method(whitened((1, 2, 2, 1), [[3]])) == "scalar-residual"
    assert choose_method(whitened((1, 2, 2, 2), [[1], [2]])) == "lowrank"
    assert choose_method(LinearNetwork((2, 2, 1), [[1, 1], [0, 1]], [[1, 2]])) == "lowrank"  # Sigma not scalar
    assert choose_method(whitened((2, 2, 3), [[1, 2], [3, 4], [5, 6]])) == "schur"
    assert choose_method(whitened((3, 2, 2), [[1, 2, 3], [4, 5, 6]])) == "schur"  # the first layer's block
    assert choose_method(whitened((2, 1, 2), [[1, 2], [3, 4]])) == "schur"  # k = n: no division at all
    assert choose_method(whitened((2, 1, 2, 2), [[1, 2], [3, 4]])) == "schur"
    assert choose_method(whitened((2, 2, 2, 2), [[1, 2], [3, 4]])) == "lowrank"  # a 12 x 12 Schur determinant
    assert choose_method(whitened((3, 3, 3), [[1, 2, 0], [0, 1, 2], [2, 0, 1]])) == "lowrank"  # m = 9, 9 x 9 Schur
    assert choose_method(whitened((1, 2, 2, 2, 1), [[2]])) == "scalar-residual"
    assert choose_method(whitened((4, 1, 4), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])) == "schur"
    assert choose_method(whitened((2, 2), [[1, 2], [3, 4]])) == "single-layer"
    assert choose_method(LinearNetwork((1, 2, 1), [[1]], [[sympy.Symbol("y")]])) == "scalar"
    assert choose_method(LinearNetwork((2, 1, 2), [[1, 0], [0, 1]], [[1, sympy.Symbol("y")], [3, 4]])) == "berkowitz"


def test_methods_that_do_not_apply_are_refused():
    family = LinearNetwork((1, 2, 1), [[1]], [[sympy.Symbol("y")]])
    with pytest.raises(InvalidInputError, match="does not apply.*symbolic"):
        det_polynomial(family, method="residual")
    with pytest.raises(InvalidInputError, match="does not apply"):
        det_polynomial(LinearNetwork.whitened((2, 1, 2, 1), [[1, 2]]), method="invariant")
    with pytest.raises(InvalidInputError, match="unknown method"):
        LinearNetwork.whitened((1, 1, 1), [[2]]).gd_jacobian_det(method="fast")


rationals = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@settings(max_examples=8)
@given(widths=st.sampled_from([(1, 2, 2), (2, 2, 1), (1, 3, 1), (2, 1, 2), (1, 1, 2, 1), (1, 1, 1, 2), (2, 1, 3),
                               (3, 1, 2), (2, 1, 1, 2)]),
       data=st.data())
def test_fast_methods_on_random_rational_data_equal_berkowitz(widths, data):
    d0, dH = widths[0], widths[-1]
    sigma = data.draw(st.fractions(min_value=Fraction(1, 3), max_value=3, max_denominator=3))
    X = [[sigma if i == j else 0 for j in range(d0)] for i in range(d0)]  # Sigma = sigma^2 I
    Y = [[data.draw(rationals) for _ in range(d0)] for _ in range(dH)]
    loss = data.draw(st.sampled_from(["half", "sum", "mean", "half_mean"]))
    case = (widths, X, Y, loss)
    reference, _ = det_polynomial(_net(case), method="berkowitz")
    for method in _methods(_net(case)):
        assert det_polynomial(_net(case), method=method)[0] == reference


def test_spot_check_catches_a_wrong_polynomial():
    net = LinearNetwork.whitened((1, 2, 1), [[3]])
    poly, _ = det_polynomial(net, method="residual")
    detpoly.spot_check(net, poly, seed=3)
    eta = poly.context().gens()[-1]
    with pytest.raises(SymstabError, match="spot check"):
        detpoly.spot_check(net, poly + eta**5, seed=3)


def test_invariant_divides_by_delta_in_theta_r_where_the_free_ring_does_not():
    """(2,1,2): d1 = 1 < m - 1 = 3, so part of the division by delta happens in (theta, R, e), with R free."""
    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    poly = detpoly.invariant_det_poly(net)
    assert poly == det_polynomial(LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]]), method="berkowitz")[0]
    assert poly.context() is detpoly.target_context(net)
    assert isinstance(poly, flint.fmpq_mpoly)


@pytest.mark.parametrize("sigma", [1, 2, "1/2"])
def test_invariant_cache_is_per_family_not_per_data(sigma):
    """The universal polynomial is cached per (d0, d2, sigma) and the (theta, R, e) stage per widths:
    different data, sigma and losses on the same widths all equal Berkowitz."""
    s = Fraction(sigma)
    for Y, loss in [([[1, 2], [3, 4]], "half"), ([["1/2", 0], [-1, 3]], "sum"), ([[0, 1], [1, 0]], "mean")]:
        case = ((2, 1, 2), [[s, 0], [0, s]], Y, loss)
        assert det_polynomial(_net(case), method="invariant")[0] == _reference(case)


def test_schur_agrees_on_both_layer_choices():
    """(3,1,2) eliminates the first layer (Sigma scalar) and (2,1,3) the last; both equal Berkowitz."""
    for widths, Y in [((3, 1, 2), [[1, 0, 2], [0, 1, 1]]), ((2, 1, 3), [[1, 0], [2, 1], [0, 3]])]:
        net = LinearNetwork.whitened(widths, Y)
        assert detpoly.schur_exponent(net) == 1 and detpoly.schur_size(net) == 2
        assert detpoly.schur_det_poly(net) == det_polynomial(LinearNetwork.whitened(widths, Y), method="berkowitz")[0]


def test_guard_refuses_the_largest_architectures_quickly_with_terms_memory_and_time():
    import time

    for widths in [(2, 2, 2, 2), (3, 3, 3)]:
        net = LinearNetwork.whitened(widths, [[int(i == j) for j in range(widths[0])] for i in range(widths[-1])])
        start = time.process_time()  # CPU seconds: the machine is shared, wall time measures the load
        with pytest.raises(TooLargeError, match=r"estimated at ~10\^.* terms \(10\^.*\), ~.* and ~.* of memory \(limit .*\); pass force"):
            net.gd_jacobian_det()
        assert time.process_time() - start < 1.0
    est = estimate_cost(LinearNetwork.whitened((2, 2, 2, 2), [[1, 0], [0, 1]]))
    lo, hi = est["log10_terms_range"]
    assert lo < est["log10_terms"] < hi and est["bytes"] > est["terms"]


def test_guard_admits_what_the_fast_methods_finish():
    assert estimate_cost(LinearNetwork.whitened((2, 3, 2), [[1, 2], [3, 4]]))["seconds"] < 60
    assert estimate_cost(LinearNetwork.whitened((2, 3, 2), [[1, 2], [3, 4]]), "berkowitz")["seconds"] > 60


def test_cli_det_method_flag_and_json_key(capsys):
    import json

    from symstab.cli import main

    assert main(["det", "--widths", "1,3,2", "--whitened", "--target", "1;2", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "invariant" and out["nterms"] == 7960
    assert main(["det", "--widths", "1,2,1", "--whitened", "--target", "3", "--method", "berkowitz", "--quiet"]) == 0
    assert "method berkowitz" in capsys.readouterr().out
    assert main(["det", "--widths", "2,1,2,1", "--whitened", "--target", "1,2", "--method", "invariant"]) == 2
    assert "does not apply" in capsys.readouterr().err
    assert main(["det", "--widths", "2,2,2,2", "--whitened", "--target", "1,0;0,1"]) == 2
    err = capsys.readouterr().err
    assert "terms" in err and "memory" in err and "--force" in err


@settings(max_examples=10, deadline=None)
@given(widths=st.sampled_from([(2, 1, 2), (2, 2, 1), (3, 1, 1), (2, 1, 1, 2), (3, 1, 2)]), data=st.data())
def test_lowrank_with_a_general_covariance_equals_berkowitz(widths, data):
    """Sigma = X X^T, not a multiple of I: the rank-one updates (LDL^T of Sigma) against Berkowitz."""
    d0, dH = widths[0], widths[-1]
    n = data.draw(st.integers(d0, d0 + 1))
    X = [[data.draw(st.integers(-2, 2)) for _ in range(n)] for _ in range(d0)]
    assume(sympy.Matrix(X).rank() == d0)
    Y = [[data.draw(rationals) for _ in range(n)] for _ in range(dH)]
    case = (widths, X, Y, data.draw(st.sampled_from(["half", "mean"])))
    assert det_polynomial(_net(case), method="lowrank")[0] == det_polynomial(_net(case), method="berkowitz")[0]


@pytest.mark.parametrize("method, widths, target", [("lowrank", (2, 2, 2), [[1, 2], [3, 4]]),
                                                    ("scalar-residual", (1, 2, 2, 1), [[3]]),
                                                    ("invariant", (1, 3, 2), [[1], [2]]),
                                                    ("schur", (2, 1, 3), [[1, 2], [3, 4], [5, 6]])])
def test_the_structured_paths_report_progress_through_every_phase(method, widths, target):
    """Every phase reports: for the rank-one paths the composition slice by slice (most of the time of the
    largest cases), and for every structured method the exact spot check as the last step."""
    calls = []
    net = LinearNetwork.whitened(widths, target)
    det_polynomial(net, method=method, progress=lambda done, total: calls.append((done, total)))
    total = calls[-1][1]
    assert calls[-1] == (total, total) and len(calls) == total
    assert [d for d, _ in calls] == list(range(1, total + 1)) and {t for _, t in calls} == {total}
