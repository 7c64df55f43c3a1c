"""Result A5: eta_C / eta_E by every method (closed forms, the (d,k,1) reduction, rigorous bounds).

References are the closed forms of docs/theory.md, A5 (sympy, exact), an independent
50-digit minimisation along an explicit parametrisation of M (mpmath, on the full
Hessian), and exact spectra at random exact points of M.
"""

from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.exact.algebraic import enclose_algebraic
from symstab.errors import InvalidInputError, SymbolicDataError
from symstab.exact.matrices import object_array
from symstab.network import hessian_from_weights
from symstab.spectrum import properness, spectrum_along
from symstab.strategies import rational_matrices

from reference import float_lambda_max


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


# --- the closed forms of docs/theory.md, A5 ---------------------------------------------------------

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
    real = {x1: sympy.Rational(3, 2), x2: sympy.Rational(-5, 7)}  # reference: docs/theory.md, A5, scalar row
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


def test_non_filling_irrational_target_gets_rigorous_bounds_at_an_exact_algebraic_point():
    import numpy as np

    net = LinearNetwork.whitened((2, 1, 2), [[1, 1], [1, 2]])  # best rank-1 part has s = (3 + sqrt 5)/2
    # independent reference: M = {W_1 = t v^T, W_2 = s u / t}, a 1-D scan of the float Hessian
    w, vecs = np.linalg.eigh(np.array([[1.0, 1.0], [1.0, 2.0]]))
    s, u = w[-1], vecs[:, -1]
    ts = np.linspace(0.3, 3.0, 20001)
    ref = 2 / min(float_lambda_max(net, list(t * u) + list(s * u / t)) for t in ts)
    assert abs(ref - 2 / (3 + 5 ** 0.5)) < 1e-7
    cs = net.critical_step_sizes()
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and cs.eta_C is None and cs.witness_exact
    assert lo <= 2 / (3 + 5 ** 0.5) < hi and lo >= ref * (1 - 1e-7)
    W1, W2 = (sympy.Matrix(W.tolist()) for W in net.split(list(cs.witness)))
    assert (W2 * W1 - sympy.Matrix(net.minima().target)).applyfunc(sympy.simplify) == sympy.zeros(2, 2)
    assert abs(float_lambda_max(net, cs.witness) - 2 / float(lo)) < 1e-9 * 2 / float(lo)


def test_non_filling_crootof_target_gets_an_enclosed_witness():
    import mpmath

    net = LinearNetwork.whitened((3, 2, 3), [[1, 2, 0], [0, 1, 1], [1, 0, 3]])  # cubic singular values
    cs = net.critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and not cs.witness_exact and "witness (enclosed)" in str(cs)
    assert lo < hi and abs(float_lambda_max(net, cs.witness) - 2 / float(lo)) < 1e-9 * 2 / float(lo)
    with mpmath.workdps(40):
        W1, W2 = (mpmath.matrix([[mpmath.mpf(str(v)) for v in row] for row in W])
                  for W in net.split(list(cs.witness)))
        target = mpmath.matrix([[mpmath.mpf(str(sympy.N(v, 40))) for v in row]
                                for row in sympy.Matrix(net.minima().target).tolist()])
        assert mpmath.mnorm(W2 * W1 - target, 1) < mpmath.mpf(10) ** -25


# --- (1,1,2): the counterexample of docs/theory.md, A3 --------------------------------------------

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






# --- non-filling: the upper end of eta_C from the trace ----------------------------------------------



@pytest.mark.parametrize("widths, target", [((2, 1, 2), [[3, 0], [0, 1]]), ((2, 1, 1, 2), [[3, 0], [0, 1]])])
def test_non_filling_bounds_are_finite_and_enclose_the_search(widths, target):
    cs = LinearNetwork.whitened(widths, target).critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "bounds" and hi is not None and lo <= Fraction(cs.eta_C_numerical) * (1 + Fraction(1, 10**9))
    assert Fraction(cs.eta_C_numerical) <= hi
    assert cs.eta_E == sympy.oo
