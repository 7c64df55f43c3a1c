"""eta_C / eta_E (A5), escape curves and properness (A3), M_SS / M_WS (A4), z3 proofs.

References are the closed forms of MATH.md 1.4 (sympy, exact), an independent
50-digit minimisation along an explicit parametrisation of M (mpmath, on the full
Hessian), and exact spectra at random exact points of M.
"""

import json
import shutil
import subprocess
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.proofs.solver import z3_critical_proof
from symstab.cli import main
from symstab.exact.algebraic import enclose_algebraic
from symstab.errors import InvalidInputError, SymbolicDataError
from symstab.exact.matrices import object_array
from symstab.network import hessian_from_weights
from symstab.spectrum import TAU, escape_curve, properness, spectrum_along
from symstab.strategies import rational_matrices


def _svals2(T):
    """s_max(T)^2, exact (sympy eigenvalues of T T^T)."""
    return max((sympy.Matrix(T) * sympy.Matrix(T).T).eigenvals(), key=lambda v: sympy.N(v, 30))


def _same(a, b):
    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


def _lambda_ge(theta_net, theta, lam_star):
    """Exact: lambda_max(Hess L(theta)) >= lam_star."""
    top = theta_net.spectrum_at(theta).eigenvalues[-1]
    lo, hi = enclose_algebraic(lam_star, Fraction(1, 10**40))
    if top.enclosure[0] > hi:
        return True
    if top.enclosure[1] < lo:
        return False
    return bool(sympy.simplify(top.value - lam_star) >= 0)


# --- the closed forms of MATH.md 1.4 ---------------------------------------------------------

@pytest.mark.parametrize("widths, target", [
    ((2, 2, 2), [[1, 2], [3, 4]]), ((2, 3, 2), [[3, 0], [0, 1]]), ((1, 2, 3), [[1], [2], [2]]),
    ((2, 2, 2, 2), [[3, 0], [0, 1]]), ((2, 2, 2, 2), [[1, 1], [0, 2]]), ((1, 1, 1, 1, 1), [[5]]),
    ((2, 2, 2, 2, 2), [[2, 1], [1, 2]]), ((1, 1, 2), [[3], [4]]), ((3, 1, 1), [[1, 2, 2]]),
])
def test_whitened_depth_H_closed_form(widths, target):
    H = len(widths) - 1
    s_max = sympy.sqrt(_svals2(target))
    expected_lam = H * s_max ** (2 - sympy.Rational(2, H))
    cs = LinearNetwork.whitened(widths, target).critical_step_sizes(prove=False)
    assert _same(cs.lambda_star, expected_lam)
    assert _same(cs.eta_C, 2 / expected_lam)
    if H == 2:
        assert _same(cs.eta_C, 1 / s_max)  # two layers, whitened: eta_C = 1 / s_max
    lo, hi = cs.eta_C_interval
    assert lo <= hi and hi - lo <= Fraction(1, 10**30)
    assert lo <= Fraction(str(sympy.N(cs.eta_C, 50))) <= hi or lo == hi
    assert cs.evidence == "exact" and cs.numerical_check["agrees"]


def test_depth_three_diag_3_1_worked_check():
    cs = LinearNetwork.whitened((2, 2, 2, 2), [[3, 0], [0, 1]]).critical_step_sizes(prove=False)
    assert _same(cs.lambda_star, 3 * sympy.Integer(3) ** sympy.Rational(4, 3))
    assert cs.witness_exact


@pytest.mark.parametrize("widths, X, Y", [
    ((1, 1, 1), [[1, 2]], [[3, 1]]), ((1, 1, 1, 1), [[1, 2, 1]], [[2, -1, 3]]),
    ((1, 2, 2, 1), [[2, 1]], [[1, 1]]), ((1, 1, 1, 1, 1), [[1, -1]], [[2, 3]]),
])
def test_scalar_network_closed_form(widths, X, Y):
    H = len(widths) - 1
    s = sum(sympy.Integer(x) ** 2 for x in X[0])
    w = sum(sympy.Integer(x) * y for x, y in zip(X[0], Y[0])) / s
    cs = LinearNetwork(widths, X, Y).critical_step_sizes(prove=False)
    assert _same(cs.eta_C, 2 / (H * s * abs(w) ** (2 - sympy.Rational(2, H))))
    assert _same(cs.eta_E, cs.eta_C)  # scalar input and output: eta_E = eta_C


def test_family_closed_form_with_assumptions():
    y = sympy.Symbol("y", positive=True)
    cs = LinearNetwork.whitened((1, 1, 1, 1), [[y]]).critical_step_sizes()
    assert _same(cs.eta_C, 2 / (3 * y ** sympy.Rational(4, 3)))
    assert cs.eta_E == cs.eta_C and any("y real, > 0" in a for a in cs.assumptions)
    a, b = sympy.symbols("a b", positive=True)
    cs = LinearNetwork.whitened((1, 1, 2), [[a], [b]]).critical_step_sizes()
    assert _same(cs.eta_C, 1 / sympy.sqrt(a**2 + b**2)) and cs.eta_E == sympy.oo


def test_family_results_come_back_simplified():
    x1, x2 = sympy.symbols("x1 x2")  # no assumptions: simplified as real data, stated
    cs = LinearNetwork((1, 1, 1), [[x1, x2]], [[1, 2]]).critical_step_sizes()
    assert cs.eta_C == 1 / sympy.Abs(x1 + 2 * x2)  # s |w*| = |x1 + 2 x2|, structurally
    assert any("Sigma = (x1**2 + x2**2) I != 0" in a for a in cs.assumptions)
    assert any(a == "x1 real" for a in cs.assumptions)
    cs = LinearNetwork((1, 1, 1, 1), [[x1, x2]], [[1, 2]]).critical_step_sizes()
    real = {x1: sympy.Rational(3, 2), x2: sympy.Rational(-5, 7)}  # reference: MATH.md 1.4, scalar row
    s_val, w_val = real[x1] ** 2 + real[x2] ** 2, (real[x1] + 2 * real[x2]) / (real[x1] ** 2 + real[x2] ** 2)
    assert _same(cs.eta_C.subs(real), 2 / (3 * s_val * abs(w_val) ** sympy.Rational(4, 3)))


def test_family_without_closed_form_is_refused():
    a = sympy.Symbol("a")
    with pytest.raises(SymbolicDataError):
        LinearNetwork.whitened((2, 2, 2), [[a, 1], [0, 1]]).critical_step_sizes()


@pytest.mark.parametrize("loss, factor", [("half", 1), ("sum", sympy.Rational(1, 2)), ("half_mean", 2), ("mean", 1)])
@pytest.mark.parametrize("widths", [(1, 1, 1), (1, 2, 1, 1)])
def test_loss_normalisation_scales_eta_C(widths, loss, factor):
    # n = 2 samples: the Hessian scale 2c is 1, 2, 1/2, 1 for half, sum, half_mean, mean
    X, Y = [[1, 1]], [[2, 3]]
    base = LinearNetwork(widths, X, Y).critical_step_sizes(prove=False).eta_C
    other = LinearNetwork(widths, X, Y, loss=loss).critical_step_sizes(prove=False).eta_C
    assert _same(other, base * factor)


def test_sum_loss_halves_eta_C_on_general_sigma():
    X, Y = [[1, 0, 1], [0, 1, 1]], [[1, 2, 2]]
    half = LinearNetwork((2, 1, 1), X, Y).critical_step_sizes(prove=False)
    full = LinearNetwork((2, 1, 1), X, Y, loss="sum").critical_step_sizes(prove=False)
    assert _same(half.eta_C, 2 * full.eta_C)


# --- (2,1,1) with a general Sigma: exact algebraic vs 50-digit minimisation ------------------------

def _reference_minimum(net, dps=50):
    """min over a != 0 of lambda_max of the full Hessian at W_1 = w^T / a, W_2 = a (golden section, mpmath)."""
    with mpmath.workdps(dps + 20):
        w = [mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in net.minima().target]
        Sigma = object_array([[mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in row]
                              for row in net.Sigma.tolist()])
        YXt = object_array([[mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in row]
                            for row in (net.Y * net.X.T).tolist()])
        c = mpmath.mpf(net.loss_scale.numerator) / net.loss_scale.denominator

        def f(u):
            a = mpmath.exp(u)
            weights = [object_array([[x / a for x in w]]), object_array([[a]])]
            Hs = hessian_from_weights(weights, Sigma, YXt, c)
            return max(mpmath.eigsy(mpmath.matrix(Hs.tolist()), eigvals_only=True))

        lo, hi = mpmath.mpf(-10), mpmath.mpf(10)
        g = (mpmath.sqrt(5) - 1) / 2
        for _ in range(400):
            m1, m2 = hi - g * (hi - lo), lo + g * (hi - lo)
            if f(m1) < f(m2):
                hi = m2
            else:
                lo = m1
        return f((lo + hi) / 2)


@pytest.mark.parametrize("X, Y", [([[1, 0, 1], [0, 1, 1]], [[1, 2, 2]]), ([[2, 1, 0], [1, 3, 1]], [[1, -1, 2]])])
def test_two_one_one_general_sigma_exact_matches_50_digits(X, Y):
    net = LinearNetwork((2, 1, 1), X, Y)
    cs = net.critical_step_sizes(prove=False)
    assert cs.eta_C is not None and cs.evidence == "exact"
    lo, hi = cs.eta_C_interval
    assert hi - lo <= Fraction(1, 10**30)
    reference = _reference_minimum(net)
    with mpmath.workdps(60):
        eta_ref = 2 / reference
        assert mpmath.mpf(lo.numerator) / lo.denominator - mpmath.mpf(10) ** -45 <= eta_ref
        assert eta_ref <= mpmath.mpf(hi.numerator) / hi.denominator + mpmath.mpf(10) ** -45
    assert cs.numerical_check["agrees"]
    assert cs.eta_E == sympy.oo and cs.escape_curve.proved


@pytest.mark.parametrize("X, Y, expected", [
    ([[1, 0], [0, 2]], [[0, 2]], sympy.Rational(1, 4)),  # lambda* = 8 is rational: the root index must not shift
    ([[1, 0], [0, 3]], [[2, 3]], None),
    ([[2, 0], [0, 1]], [[1, 1]], None),
])
def test_two_one_one_diagonal_sigma(X, Y, expected):
    net = LinearNetwork((2, 1, 1), X, Y)
    cs = net.critical_step_sizes(prove=False)
    assert cs.evidence == "exact"
    if expected is not None:
        assert cs.eta_C == expected
    reference = _reference_minimum(net)
    lo, hi = cs.eta_C_interval
    with mpmath.workdps(60):
        eta_ref = 2 / reference
        assert mpmath.mpf(lo.numerator) / lo.denominator - mpmath.mpf(10) ** -40 <= eta_ref
        assert eta_ref <= mpmath.mpf(hi.numerator) / hi.denominator + mpmath.mpf(10) ** -40


@pytest.mark.parametrize("widths, target, eta", [
    ((1, 1, 1), [[sympy.Rational(1013, 977)]], sympy.Rational(977, 1013)),
    ((1, 1, 1, 1), [[sympy.Rational(1000003, 999983)]], None),
])
def test_awkward_rationals_stay_exact(widths, target, eta):
    """Regression: rationals with large coprime parts were once passed through nsimplify."""
    cs = LinearNetwork.whitened(widths, target).critical_step_sizes(prove=False)
    y = target[0][0]
    H = len(widths) - 1
    expected = eta if eta is not None else 2 / (H * y ** (2 - sympy.Rational(2, H)))
    assert _same(cs.eta_C, expected)
    net = LinearNetwork((1, 1, 1), [[sympy.Rational(1, 6), sympy.Rational(10, 7)]],
                        [[sympy.Rational(1, 6), sympy.Rational(10, 7)]])
    assert net.critical_step_sizes(prove=False).eta_C == sympy.Rational(1764, 3649)


def test_bounds_search_finds_the_minimum_on_a_deep_wide_case():
    """(2,3,3,2), general Sigma. An independent projected search (10 starts x 2000 steps,
    full Hessian) found min lambda_max = 41.33424843566 (eta = 0.04838602553); the
    old orbit-only search stopped at eta 0.03596 (26% off)."""
    net = LinearNetwork((2, 3, 3, 2), [[1, 2, 0], [0, 1, 3]], [[1, 2, 3], [0, 1, 1]])
    cs = net.critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and lo <= Fraction(0.04838602553) * (1 + Fraction(1, 10**9)) < hi
    assert lo >= Fraction(0.04838602553) * (1 - Fraction(1, 10**5))
    assert net.minima().check_on_manifold(list(cs.witness))


def _float_lambda_max(net, theta):
    import numpy as np

    from symstab.network import hessian_from_weights

    weights = net.split([float(v) for v in theta], dtype=float)
    Hess = hessian_from_weights(weights, np.array(net.Sigma.tolist(), dtype=float),
                                np.array((net.Y * net.X.T).tolist(), dtype=float), float(net.loss_scale))
    return np.linalg.eigvalsh(Hess)[-1]


def test_non_filling_irrational_target_gets_rigorous_bounds_at_an_exact_algebraic_point():
    import numpy as np

    net = LinearNetwork.whitened((2, 1, 2), [[1, 1], [1, 2]])  # best rank-1 part has s = (3 + sqrt 5)/2
    # independent reference: M = {W_1 = t v^T, W_2 = s u / t}, a 1-D scan of the float Hessian
    w, vecs = np.linalg.eigh(np.array([[1.0, 1.0], [1.0, 2.0]]))
    s, u = w[-1], vecs[:, -1]
    ts = np.linspace(0.3, 3.0, 20001)
    ref = 2 / min(_float_lambda_max(net, list(t * u) + list(s * u / t)) for t in ts)
    assert abs(ref - 2 / (3 + 5 ** 0.5)) < 1e-7
    cs = net.critical_step_sizes()
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and cs.eta_C is None and cs.witness_exact
    assert lo <= 2 / (3 + 5 ** 0.5) < hi and lo >= ref * (1 - 1e-7)
    W1, W2 = (sympy.Matrix(W.tolist()) for W in net.split(list(cs.witness)))
    assert (W2 * W1 - sympy.Matrix(net.minima().target)).applyfunc(sympy.simplify) == sympy.zeros(2, 2)
    assert abs(_float_lambda_max(net, cs.witness) - 2 / float(lo)) < 1e-9 * 2 / float(lo)


def test_non_filling_crootof_target_gets_an_enclosed_witness():
    import mpmath

    net = LinearNetwork.whitened((3, 2, 3), [[1, 2, 0], [0, 1, 1], [1, 0, 3]])  # cubic singular values
    cs = net.critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and not cs.witness_exact and "witness (enclosed)" in str(cs)
    assert lo < hi and abs(_float_lambda_max(net, cs.witness) - 2 / float(lo)) < 1e-9 * 2 / float(lo)
    with mpmath.workdps(40):
        W1, W2 = (mpmath.matrix([[mpmath.mpf(str(v)) for v in row] for row in W])
                  for W in net.split(list(cs.witness)))
        target = mpmath.matrix([[mpmath.mpf(str(sympy.N(v, 40))) for v in row]
                                for row in sympy.Matrix(net.minima().target).tolist()])
        assert mpmath.mnorm(W2 * W1 - target, 1) < mpmath.mpf(10) ** -25


# --- (1,1,2): the counterexample of MATH.md section 3 --------------------------------------------

def test_one_one_two_counterexample_exactly():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    along = spectrum_along(net)
    a = along.parameters[0]
    assert {e for e, _ in along.eigenvalues} == {a**2, a**2 + 25 / a**2}
    cs = net.critical_step_sizes()
    assert cs.eta_C == sympy.Rational(1, 5) and cs.eta_E == sympy.oo
    curve = cs.escape_curve
    assert curve.proved and curve.bound_limit == 0 and curve.norm_limit == sympy.oo
    tau = sympy.Symbol("tau", positive=True)
    assert set(curve.eigenvalues) == {tau**2, tau**2 + 25 / tau**2}
    assert cs.proof.proved  # z3: unsat
    assert cs.witness == (sympy.sqrt(5), 3 * sympy.sqrt(5) / 5, 4 * sympy.sqrt(5) / 5)


@pytest.mark.parametrize("widths, target", [
    ((2, 1, 1), [[3, 4]]), ((2, 2, 2), [[1, 2], [3, 4]]), ((1, 2, 2), [[1], [2]]), ((2, 3, 2), [[1, 2], [3, 4]]),
    ((2, 2, 2, 2), [[1, 2], [3, 4]]), ((1, 2, 2, 2), [[1], [2]]), ((3, 2, 3), [[1, 0, 0], [0, 2, 0], [0, 0, 0]]),
    ((2, 2, 2, 2), [[1, 2], [2, 4]]),  # rank 1 < r = 2: M is not a manifold, the curve still escapes
    ((3, 1, 4), [[1, 2, 3], [2, 4, 6], [2, 4, 6], [1, 2, 3]]),  # d_0 d_H = 12
    ((2, 1, 2), [[3, 0], [0, 1]]), ((3, 2, 3), [[3, 0, 0], [0, 2, 0], [0, 0, 1]]),  # non-filling: full Hessian
    ((2, 1, 1, 2), [[3, 0], [0, 1]]),
])
def test_escape_curves_exist_whenever_d0_dH_at_least_2(widths, target):
    net = LinearNetwork.whitened(widths, target)
    curve = escape_curve(net)
    assert curve is not None and curve.proved
    tau = sympy.Symbol("tau", positive=True)
    # the curve stays on M: mu(theta(tau)) = target identically, checked at a rational tau
    theta = [Fraction(str(sympy.Rational(v.subs(tau, sympy.Rational(1, 3))))) for v in curve.theta]
    assert net.minima().check_on_manifold(theta)
    # and at tau = 1/1000 the smallest non-zero eigenvalue is below the exact bound
    theta = [Fraction(str(sympy.Rational(v.subs(tau, sympy.Rational(1, 1000))))) for v in curve.theta]
    spec = net.spectrum_at(theta)
    bound = curve.bound.subs(tau, sympy.Rational(1, 1000))
    assert spec.eigenvalues[0].enclosure[0] <= Fraction(str(sympy.Rational(bound)))


# --- property tests: random small rational cases ------------------------------------------------

@st.composite
def _small_cases(draw):
    widths = draw(st.sampled_from([(1, 1, 2), (2, 1, 1), (1, 2, 1), (2, 2, 2), (1, 1, 1, 1), (2, 1, 2), (1, 2, 2)]))
    T = draw(rational_matrices(widths[-1], widths[0], max_abs=3, max_denominator=2))
    assume(any(v != 0 for row in T for v in row))
    assume(sympy.Matrix(T).rank() <= min(widths))
    return widths, T


@given(_small_cases(), st.integers(0, 50))
@settings(max_examples=25)
def test_lambda_max_on_M_is_at_least_lambda_star(case, seed):
    widths, T = case
    net = LinearNetwork.whitened(widths, T)
    cs = net.critical_step_sizes(prove=False)
    theta = net.minima().point(seed=seed)
    assert _lambda_ge(net, theta, cs.lambda_star)
    assert cs.numerical_check["agrees"]  # the witness attains lambda* (numerical re-evaluation)
    bound = properness(net)
    if bound.proved:  # lambda_max >= b(||theta||^2) at this exact point
        r2 = sum(v * v for v in theta)
        value = bound.bound.subs(sympy.Symbol("R2", positive=True), sympy.Rational(r2.numerator, r2.denominator))
        assert _lambda_ge(net, theta, value)


@given(rational_matrices(2, 3, max_abs=3, max_denominator=1), rational_matrices(1, 3, max_abs=3, max_denominator=2),
       st.integers(0, 30))
@settings(max_examples=10)
def test_general_sigma_lambda_max_at_random_points(X, Y, seed):
    assume(sympy.Matrix(X).rank() == 2)
    net = LinearNetwork((2, 1, 1), X, Y)
    M = net.minima()
    assume(any(v != 0 for v in M.target))
    cs = net.critical_step_sizes(prove=False)
    assert _lambda_ge(net, M.point(seed=seed), cs.lambda_star)


# --- z3, M_SS / M_WS, bounds -----------------------------------------------------------------------

def test_z3_proves_tiny_cases_and_refutes_a_wrong_bound():
    net = LinearNetwork.whitened((1, 1, 1, 1), [[2]])
    cs = net.critical_step_sizes()
    assert cs.proof.proved and "unsat" == cs.proof.result
    wrong = z3_critical_proof(net, net.minima(), cs.lambda_star + 1)  # lambda* + 1 is not a lower bound
    assert wrong.result == "sat" and not wrong.proved


def test_stable_sets_agree_with_classify():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    M = net.minima()
    eta = Fraction(1, 6)
    ss, ws = net.M_SS(eta), net.M_WS(eta)
    radius2 = sympy.Rational(ss.radius_bound**2)
    for seed in range(8):
        theta = M.point(seed=seed)
        stable = net.classify(theta, eta).verdict == "stable"
        assert ss.contains(theta) == stable
        lam_min = net.spectrum_at(theta).eigenvalues[0]
        assert ws.contains(theta) == (lam_min.enclosure[1] < 2 / eta)
        if stable:
            assert sum(v * v for v in theta) < radius2
    empty = net.M_SS(Fraction(1, 4))  # eta > eta_C = 1/5
    assert empty.radius_bound == 0 and not any(empty.contains(M.point(seed=k)) for k in range(8))
    with pytest.raises(InvalidInputError):
        net.M_SS(0)
    with pytest.raises(InvalidInputError):
        net.M_WS("-1")


@given(st.sampled_from([((2, 1, 2), [[3, 0], [0, 1]]), ((3, 1, 2), [[2, 0, 0], [0, 1, 0]]),
                         ((2, 1, 1, 2), [[3, 0], [0, 1]]), ((2, 1, 2), [[0, 2], [1, 0]])]),
       st.integers(0, 30), st.fractions(min_value=Fraction(1, 40), max_value=Fraction(1, 2), max_denominator=60))
@settings(max_examples=20, deadline=None)
def test_non_filling_stable_sets_agree_with_direct_spectra(case, seed, eta):
    """Non-filling (residual term): exact membership of M_SS / M_WS against the exact spectrum and classify."""
    widths, target = case
    net = LinearNetwork.whitened(widths, target)
    M = net.minima()
    assert not M.filling and M.points_exact
    theta = M.point(seed=seed)
    ss, ws = net.M_SS(eta, symbolic_limit=0, decide_empty=False), net.M_WS(eta, symbolic_limit=0)
    eigs = net.spectrum_at(theta).eigenvalues  # non-zero, ascending, exact
    below = [e for e in eigs if bool(e.value < 2 / sympy.Rational(eta.numerator, eta.denominator))]
    assert ss.contains(theta) == (len(below) == len(eigs))
    assert ss.contains(theta) == (net.classify(theta, eta).verdict == "stable")
    assert ws.contains(theta) == (len(below) > 0)
    if ss.contains(theta) and ss.radius_bound is not None:
        assert sum(v * v for v in theta) < sympy.Rational(sympy.N(ss.radius_bound**2, 30))


def test_bounds_method_on_general_sigma_two_by_two():
    net = LinearNetwork((2, 2, 2), [[1, 0, 1], [0, 1, 1]], [[1, 2, 2], [0, 1, 3]])
    cs = net.critical_step_sizes()
    lo, hi = cs.eta_C_interval
    assert cs.eta_C is None and cs.evidence == "bounds" and lo < hi
    assert lo <= Fraction(cs.eta_C_numerical) * (1 + Fraction(1, 10**6))
    theta = list(cs.witness)  # exact point of M whose lambda_max gives the lower end
    assert net.minima().check_on_manifold(theta)
    assert 2 / net.spectrum_at(theta).eigenvalues[-1].enclosure[1] >= lo
    assert cs.eta_C_float is None


def test_depth_one_and_zero_target():
    cs = LinearNetwork((2, 2), [[1, 0, 1], [0, 1, 1]], [[1, 2, 2], [0, 1, 3]]).critical_step_sizes()
    assert cs.eta_C == sympy.Rational(2, 3) and cs.eta_E == 2  # Sigma has eigenvalues 1 and 3
    zero = LinearNetwork.whitened((1, 1, 1, 1), [[0]]).critical_step_sizes()
    assert zero.eta_C == sympy.oo and zero.eta_C_float is None


def test_bad_arguments():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    with pytest.raises(InvalidInputError, match="dps"):
        net.critical_step_sizes(dps=5)


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_critical_json_keys(capsys):
    assert main(["critical", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("eta_C", "eta_C_float", "eta_C_interval", "eta_E", "eta_E_float", "method", "witness",
                "dimension", "filling"):
        assert key in out
    assert out["eta_C"] == "1/5" and out["eta_C_float"] == 0.2 and out["eta_E"] == "oo"
    assert out["eta_E_float"] is None and out["eta_C_interval"] == ["0.2", "0.2"]
    assert out["dimension"] == 1 and out["filling"] is True and len(out["witness"]) == 3


def test_cli_critical_bad_input(capsys):
    assert main(["critical", "--widths", "2,1,1", "--whitened", "--target", "3;4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d_H" in err


def test_cli_critical_and_analyze_reject_bad_paths_and_precision(tmp_path, capsys):
    base = ["--widths", "1,1,2", "--whitened", "--target", "3;4", "--no-z3"]
    assert main(["analyze", *base, "--latex", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["critical", *base, "--dps", "100000"]) == 2
    assert "--dps must be between" in capsys.readouterr().err
    assert main(["critical", "--widths", "2,1,2", "--whitened", "--target", "1,1;1,2", "--latex"]) == 0
    assert "numerical, not certified" in capsys.readouterr().out


def test_cli_analyze_report_json_and_latex(tmp_path, capsys):
    tex = tmp_path / "report.tex"
    assert main(["analyze", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--latex", str(tex)]) == 0
    out = capsys.readouterr().out
    for title in ("A1", "A2", "A3", "A4", "A5"):
        assert title in out
    assert "marginal" in out and "eta_C = 1/5" in out
    assert main(["analyze", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--json", "--no-z3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["critical"]["eta_C"] == "1/5" and data["minima"]["dimension"] == 1
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed: LaTeX compile check skipped")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def test_analyze_with_a_tiny_eta_C_and_a_negative_seed(capsys):
    """eta_C = 1/2000: the example steps are the simplest rationals 10-20% below / above it (not 0 or 1/1000)."""
    assert main(["analyze", "--widths", "1,1,1", "--whitened", "--target", "2000", "--json", "--no-z3"]) == 0
    data = json.loads(capsys.readouterr().out)
    steps = [Fraction(c["eta"]) for c in data["classification"] if "eta" in c]
    assert steps and all(0 < e < Fraction(1, 2000) or e > Fraction(1, 2000) for e in steps)
    near = [c for c in data["classification"] if "point" in c]
    assert near and near[0]["verdict"] == "stable" and Fraction(near[0]["eta"]) < Fraction(1, 2000)
    for command in ("analyze", "critical"):
        assert main([command, "--widths", "2,1,2", "--whitened", "--target", "3,0;0,1", "--seed", "-1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "seed must be a non-negative integer" in err


@pytest.mark.parametrize("exponent", [-12, 11])
def test_bounds_are_scale_invariant(exponent):
    """lambda_max scales like s at depth 2: the interval for s W* is the interval for W* divided by s, at any scale.
    (Absolute tolerances once lost the interval below 1e-10 and printed a midpoint as eta_C above 1e12.)"""
    s = Fraction(10) ** exponent
    net = LinearNetwork.whitened((2, 1, 2), [[s, 2 * s], [3 * s, 4 * s]])
    cs = net.critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    ref = 0.18298309531312892 / float(s)  # 1 / s_max(W*) for the unit-scale target (whitened closed form, observed)
    assert cs.evidence == "bounds" and abs(float(lo) / ref - 1) < 1e-9 and float(hi) > 2.9 * ref
    assert cs.eta_C_float is None  # a wide interval has no midpoint "value"
    assert abs(cs.eta_C_numerical / ref - 1) < 1e-9


def test_M_SS_is_unbounded_just_below_eta_C_when_A3_fails():
    """(1,2,2,1): a bounded-sharpness curve through a point next to the eta_C witness has lambda_max within
    1e-12 of the minimum, so M_SS(eta) is unbounded for eta slightly below eta_C, not only below 2/19."""
    from symstab.spectrum import bounded_sharpness_curve

    net = LinearNetwork.whitened((1, 2, 2, 1), [[3]])
    cs = net.critical_step_sizes(prove=False)
    assert cs.eta_C == 2 / (9 * sympy.cbrt(3))
    eta = Fraction(cs.eta_C_interval[0]) * (1 - Fraction(1, 10**9))
    ss = net.M_SS(eta)
    assert ss.radius_bound == sympy.oo and ss.curve is not None and "UNBOUNDED" in str(ss)
    assert ss.curve.lambda_max < 2 / sympy.Rational(eta.numerator, eta.denominator)
    assert bounded_sharpness_curve(net).lambda_max == 19  # the default curve alone would not show it
    above = net.M_SS(Fraction(cs.eta_C_interval[1]) * (1 + Fraction(1, 10**9)))
    assert above.radius_bound == 0 and "EMPTY" in str(above)  # eta > eta_C: no point of M is stable
    for t in (sympy.Rational(1, 10), sympy.Rational(1, 10**4)):  # float64 check along the curve
        theta = [sympy.Rational(v.subs(TAU, t)) for v in ss.curve.theta]
        assert net.minima().check_on_manifold(theta)
        assert abs(_float_lambda_max(net, theta) - float(ss.curve.lambda_max)) < 1e-7 * float(ss.curve.lambda_max)


def test_scalar_network_spectrum_along_M_matches_exact_points():
    net = LinearNetwork((1, 2, 2, 1), [[1, 2]], [[3, 1]])
    along = spectrum_along(net)
    (expr, mult), = along.eigenvalues
    M = net.minima()
    for seed in range(4):
        theta = M.point(seed=seed)
        value = expr.subs({p: sympy.Rational(t.numerator, t.denominator) for p, t in zip(along.parameters, theta)})
        assert net.spectrum_at(theta).nonzero == [value] and mult == 1


# --- non-filling: the upper end of eta_C from the trace ----------------------------------------------

@given(st.lists(st.fractions(min_value=-3, max_value=3, max_denominator=5), min_size=8, max_size=8))
@settings(max_examples=25)
def test_residual_term_of_the_hessian_is_traceless(values):
    """tr Hess L = tr(Gauss-Newton part) at every theta: mu is linear in each single entry."""
    net = LinearNetwork((2, 1, 2, 2), [[1, 2, 0], [0, 1, 3]], [[1, 2, 3], [0, 1, 1]])
    weights = net.split([sympy.Rational(v.numerator, v.denominator) for v in values])
    Sigma = object_array(net.Sigma.tolist())
    product = weights[2].dot(weights[1]).dot(weights[0])
    full = hessian_from_weights(weights, Sigma, object_array((net.Y * net.X.T).tolist()), sympy.Rational(1, 2))
    gauss_newton = hessian_from_weights(weights, Sigma, product.dot(Sigma), sympy.Rational(1, 2))  # residual 0
    assert sum(full[i, i] for i in range(8)) == sum(gauss_newton[i, i] for i in range(8))
    if any(v != 0 for v in values):  # the identity is not vacuous: the residual term itself is non-zero
        residual = product.dot(Sigma) - object_array((net.Y * net.X.T).tolist())
        if any(v != 0 for v in residual.flat) and sum(1 for v in values if v != 0) == 8:
            assert any(full[i, j] != gauss_newton[i, j] for i in range(8) for j in range(8))


@pytest.mark.parametrize("widths, target", [((2, 1, 2), [[3, 0], [0, 1]]), ((2, 1, 1, 2), [[3, 0], [0, 1]])])
def test_non_filling_bounds_are_finite_and_enclose_the_search(widths, target):
    cs = LinearNetwork.whitened(widths, target).critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and hi is not None and lo <= Fraction(cs.eta_C_numerical) * (1 + Fraction(1, 10**9))
    assert Fraction(cs.eta_C_numerical) <= hi
    assert cs.eta_E == sympy.oo
