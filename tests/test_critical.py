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
    assert cs.evidence == "rigorous enclosure" and lo <= Fraction(0.04838602553) * (1 + Fraction(1, 10**9)) < hi
    assert lo >= Fraction(0.04838602553) * (1 - Fraction(1, 10**5))
    assert net.minima().check_on_manifold(list(cs.witness))


def test_non_filling_irrational_target_gets_rigorous_bounds_at_an_exact_algebraic_point():
    """General Sigma (not s I), non-filling, irrational target: the bounds method, at an exact algebraic point."""
    import numpy as np

    X, Y = [[1, 0, 1], [0, 1, 1]], [[3, 0, 3], [0, 1, 1]]  # Sigma = [[2,1],[1,2]]; K = W* Sigma W*^T irrational
    net = LinearNetwork((2, 1, 2), X, Y)
    M = net.minima()
    assert not M.filling and M.target_field == "algebraic"
    # independent reference: M = {W_1 = t b^T, W_2 = a / t} for target = a b^T, a 1-D scan of the float Hessian
    T = np.array([[float(sympy.N(v, 30)) for v in row] for row in sympy.Matrix(M.target).tolist()])
    U, S, Vt = np.linalg.svd(T)
    a, b = S[0] * U[:, 0], Vt[0]

    def scan(ts):
        values = [float_lambda_max(net, list(t * b) + list(a / t)) for t in ts]
        return ts[int(np.argmin(values))], min(values)

    t0, _ = scan(np.geomspace(0.1, 10.0, 20001))
    _, best = scan(np.linspace(t0 * (1 - 1e-3), t0 * (1 + 1e-3), 20001))
    ref = 2 / best
    cs = net.critical_step_sizes()
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "rigorous enclosure" and cs.eta_C is None and cs.witness_exact
    assert lo <= ref * (1 + 1e-9) < hi and lo >= ref * (1 - 1e-7)
    W1, W2 = (sympy.Matrix(W.tolist()) for W in net.split(list(cs.witness)))
    assert (W2 * W1 - sympy.Matrix(M.target)).applyfunc(sympy.simplify) == sympy.zeros(2, 2)
    assert abs(float_lambda_max(net, cs.witness) - 2 / float(lo)) < 1e-9 * 2 / float(lo)


def test_whitened_non_filling_irrational_target_is_exact():
    """The same shape whitened, target [[1,1],[1,2]]: eta_C = 2 / s_1 exactly (s_1 = (3 + sqrt 5)/2), matching a
    1-D scan of the float Hessian along M = {W_1 = t v^T, W_2 = s u / t} (docs/theory.md)."""
    import numpy as np

    net = LinearNetwork.whitened((2, 1, 2), [[1, 1], [1, 2]])
    w, vecs = np.linalg.eigh(np.array([[1.0, 1.0], [1.0, 2.0]]))
    s, u = w[-1], vecs[:, -1]
    ts = np.linspace(0.3, 3.0, 20001)
    ref = 2 / min(float_lambda_max(net, list(t * u) + list(s * u / t)) for t in ts)
    assert abs(ref - 2 / (3 + 5 ** 0.5)) < 1e-7
    cs = net.critical_step_sizes()
    assert cs.evidence == "exact" and _same(cs.eta_C, 2 / (3 + sympy.sqrt(5))) and cs.witness_exact
    lo, hi = cs.eta_C_interval
    assert lo <= hi < lo + Fraction(1, 10**30) and abs(float(lo) * (3 + 5 ** 0.5) / 2 - 1) < 1e-15
    assert ref <= float(hi) * (1 + 1e-12)
    assert abs(float_lambda_max(net, cs.witness) - float(cs.lambda_star)) < 1e-12 * float(cs.lambda_star)


def test_non_filling_crootof_target_gets_an_enclosed_witness():
    """General Sigma, non-filling (3,2,3) with a cubic K: the bounds method with an enclosed (not exact) witness."""
    import mpmath

    X = [[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]]
    net = LinearNetwork((3, 2, 3), X, [[1, 2, 0, 1], [0, 1, 1, 0], [1, 0, 3, 2]])
    M = net.minima()
    assert not M.filling and M.target_field == "algebraic"
    cs = net.critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "rigorous enclosure" and not cs.witness_exact and "witness (enclosed)" in str(cs)
    assert lo < hi and abs(float_lambda_max(net, cs.witness) - 2 / float(lo)) < 1e-9 * 2 / float(lo)
    with mpmath.workdps(40):
        W1, W2 = (mpmath.matrix([[mpmath.mpf(str(v)) for v in row] for row in W])
                  for W in net.split(list(cs.witness)))
        target = mpmath.matrix([[mpmath.mpf(str(sympy.N(v, 40))) for v in row]
                                for row in sympy.Matrix(M.target).tolist()])
        assert mpmath.mnorm(W2 * W1 - target, 1) < mpmath.mpf(10) ** -25


def test_whitened_non_filling_crootof_target_is_exact():
    """(3,2,3) whitened, rank-3 target with cubic singular values: exact eta_C = 2 / (2 s_1), s_1^2 a CRootOf,
    and a 50-digit witness (balanced factorisation of the algebraic truncated target) on M."""
    import mpmath

    target = [[1, 2, 0], [0, 1, 1], [1, 0, 3]]
    net = LinearNetwork.whitened((3, 2, 3), target)
    cs = net.critical_step_sizes(prove=False)
    assert cs.evidence == "exact" and not cs.witness_exact and cs.numerical_check["agrees"]
    top = max(sympy.Poly((sympy.Matrix(target) * sympy.Matrix(target).T).charpoly().as_expr()).real_roots())
    assert abs(sympy.N(cs.lambda_star - 2 * sympy.sqrt(top), 50)) < sympy.Rational(1, 10**40)  # 2 s_1, s_1^2 a CRootOf
    with mpmath.workdps(40):
        W1, W2 = (mpmath.matrix([[mpmath.mpf(str(v)) for v in row] for row in W])
                  for W in net.split(list(cs.witness)))
        T = mpmath.matrix([[mpmath.mpf(str(sympy.N(v, 40))) for v in row]
                           for row in sympy.Matrix(net.minima().target).tolist()])
        assert mpmath.mnorm(W2 * W1 - T, 1) < mpmath.mpf(10) ** -25


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
    assert cs.proof.unsat  # z3: unsat (a solver verdict, no certificate)
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
    assert cs.eta_C is None and cs.evidence == "rigorous enclosure" and lo < hi
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
    """lambda_max scales like s at depth 2: the interval for s Y is the interval for Y divided by s, at any scale.
    (Absolute tolerances once lost the interval below 1e-10 and printed a midpoint as eta_C above 1e12.)
    General Sigma, non-filling (whitened non-filling nets are exact, below)."""
    s = Fraction(10) ** exponent
    X, Y = [[1, 1], [0, 1]], [[1, 2], [3, 4]]
    unit = LinearNetwork((2, 1, 2), X, Y).critical_step_sizes(prove=False)
    net = LinearNetwork((2, 1, 2), X, [[s * v for v in row] for row in Y])
    cs = net.critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    lo1, hi1 = unit.eta_C_interval
    assert cs.evidence == unit.evidence == "rigorous enclosure" and not net.minima().filling
    assert abs(float(lo * s / lo1) - 1) < 1e-9 and abs(float(hi * s / hi1) - 1) < 1e-9 and float(hi) > 2.9 * float(lo)
    assert cs.eta_C_float is None  # a wide interval has no midpoint "value"
    assert abs(cs.eta_C_numerical * float(s) / unit.eta_C_numerical - 1) < 1e-9
    # whitened, the same scales: exact, eta_C = 2 / (2 s_1(s W*)) = 1 / (s s_1(W*))
    whitened = LinearNetwork.whitened((2, 1, 2), [[s * v for v in row] for row in Y]).critical_step_sizes(prove=False)
    assert whitened.evidence == "exact" and _same(whitened.eta_C, 1 / (s * sympy.sqrt(_svals2(Y))))
    assert abs(whitened.eta_C_float * float(s) - 0.18298309531312892) < 1e-15  # 1 / s_1([[1,2],[3,4]])


# --- non-filling: the upper end of eta_C from the trace ----------------------------------------------



@pytest.mark.parametrize("widths, target", [((2, 1, 2), [[3, 0], [0, 1]]), ((2, 1, 1, 2), [[3, 0], [0, 1]])])
def test_non_filling_bounds_are_finite_and_enclose_the_search(widths, target):
    """General Sigma = X X^T (X = [[1,1],[0,1]], Y = target), non-filling: finite bounds around the search.
    Whitened with the same target, eta_C is exact: 2 / (H s_1^(2-2/H)), s_1 = 3."""
    cs = LinearNetwork(widths, [[1, 1], [0, 1]], target).critical_step_sizes(prove=False)
    lo, hi = cs.eta_C_interval
    assert cs.evidence == "rigorous enclosure" and hi is not None and lo <= Fraction(cs.eta_C_numerical) * (1 + Fraction(1, 10**9))
    assert Fraction(cs.eta_C_numerical) <= hi
    assert cs.eta_E == sympy.oo
    H = len(widths) - 1
    exact = LinearNetwork.whitened(widths, target).critical_step_sizes(prove=False)
    assert exact.evidence == "exact" and _same(exact.eta_C, 2 / (H * sympy.Integer(3) ** (2 - sympy.Rational(2, H))))
    lo_x, hi_x = exact.eta_C_interval
    assert lo_x <= hi_x < lo_x + Fraction(1, 10**30) and abs(exact.eta_C_float - float(lo_x)) < 1e-15
    assert exact.eta_E == sympy.oo
    assert exact.numerical_check["agrees"] and exact.witness_exact


# --- whitened non-filling: eta_C exactly, against an independent 50-digit minimisation over M -------
#
# docs/theory.md, "eta_C for whitened non-filling networks": for Sigma = s I,
# min_M lambda_max = 2c s H s_1^(2-2/H), s_1 the largest singular value of W*. The reference below
# shares nothing with symstab: its own Hessian (the bilinear formula, in mpmath), its own target
# (mpmath SVD of W*, truncated), its own points of M (gauge transformations G_l of the balanced
# factorisation plus directions in the kernel of the product above each layer), and its own local
# minimiser (Nelder-Mead, every evaluation at 50 digits), from several seeded starts.

_DPS = 50


def _mp_hessian(Ws, X, Y, c):
    """Hess L for L = c ||W_H ... W_1 X - Y||_F^2 at the layers ``Ws`` (mpmath matrices), any point.

    H_pq = 2c [ <d_p mu X, d_q mu X> + <mu X - Y, d_pq mu X> ], d_p mu = A_l E_ij C_l with
    A_l = W_H..W_(l+1), C_l = W_(l-1)..W_1; d_pq mu = A_m E_kn W_(m-1)..W_(l+1) E_ij C_l for l < m.
    """
    H = len(Ws)
    eye = lambda n: mpmath.eye(n)  # noqa: E731
    A = [None] * (H + 1)
    C = [None] * (H + 1)
    A[H] = eye(Ws[-1].rows)
    for l in range(H - 1, 0, -1):
        A[l] = A[l + 1] * Ws[l]  # Ws[l] is W_(l+1)
    C[1] = eye(Ws[0].cols)
    for l in range(2, H + 1):
        C[l] = Ws[l - 2] * C[l - 1]
    Sigma = X * X.T
    F = (A[1] * Ws[0]) * Sigma - Y * X.T  # (mu X - Y) X^T
    index = [(l, i, j) for l in range(1, H + 1) for i in range(Ws[l - 1].rows) for j in range(Ws[l - 1].cols)]
    D = len(index)
    Hs = mpmath.zeros(D, D)
    blocks = {}
    for l in range(1, H + 1):
        for m in range(l, H + 1):
            between = eye(Ws[l - 1].rows)
            for k in range(l + 1, m):
                between = Ws[k - 1] * between  # W_(m-1) .. W_(l+1)
            blocks[l, m] = (A[l].T * A[m], C[l] * Sigma * C[m].T, between, A[m].T * F * C[l].T)
    for p, (l, i, j) in enumerate(index):
        for q in range(p, D):
            m, k, n = index[q]
            AA, CC, B, R = blocks[l, m]
            value = AA[i, k] * CC[j, n]
            if l < m:
                value += B[n, i] * R[k, j]
            Hs[p, q] = Hs[q, p] = 2 * c * value
    return Hs


def _mp_lambda_max(Ws, X, Y, c):
    E = mpmath.eigsy(_mp_hessian(Ws, X, Y, c), eigvals_only=True)
    return max(E[i] for i in range(len(E)))


def _mp_kernel(Mat):
    """Orthonormal basis (columns) of ker Mat, from the eigenvectors of Mat^T Mat."""
    E, Q = mpmath.eigsy(Mat.T * Mat)
    cols = [i for i in range(len(E)) if abs(E[i]) < mpmath.mpf(10) ** (-_DPS // 2)]
    K = mpmath.zeros(Mat.cols, len(cols))
    for a, i in enumerate(cols):
        for row in range(Mat.cols):
            K[row, a] = Q[row, i]
    return K


def _points_of_M(widths, balanced):
    """p -> a point of M: gauge G_l = I + P_l of the balanced factorisation, then W_l += K_l Z_l with K_l a
    basis of ker(W_H .. W_(l+1)) at the gauged point (all of them at once keep the product)."""
    H = len(widths) - 1
    n_gauge = sum(d * d for d in widths[1:-1])
    kernel_layers = set(range(H - 1))  # narrowed below to the layers whose kernel is not {0}

    def point(p):
        p = list(p)
        G = [mpmath.eye(widths[0])]
        at = 0
        for d in widths[1:-1]:
            G.append(mpmath.eye(d) + mpmath.matrix([[p[at + d * i + j] for j in range(d)] for i in range(d)]))
            at += d * d
        G.append(mpmath.eye(widths[-1]))
        Ws = [G[l + 1] * balanced[l] * mpmath.inverse(G[l]) for l in range(H)]
        above = [None] * H
        prod = mpmath.eye(widths[-1])
        for l in range(H - 1, -1, -1):
            above[l] = prod
            prod = prod * Ws[l]
        for l in sorted(kernel_layers):
            K = _mp_kernel(above[l])
            if K.cols:
                Z = mpmath.matrix([[p[at + K.cols * j + a] for j in range(widths[l])] for a in range(K.cols)])
                at += K.cols * widths[l]
                Ws[l] = Ws[l] + K * Z
        return Ws

    # count the kernel parameters at p = 0 (their number is the same at every gauged point)
    counted = point([mpmath.mpf(0)] * (n_gauge + sum(widths[l] * widths[l + 1] for l in range(H))))
    above, prod = [], mpmath.eye(widths[-1])
    for l in range(H - 1, -1, -1):
        above.insert(0, prod)
        prod = prod * counted[l]
    dims = {l: _mp_kernel(above[l]).cols for l in range(H - 1)}
    kernel_layers.intersection_update(l for l in dims if dims[l])
    return point, n_gauge + sum(dims[l] * widths[l] for l in kernel_layers)


def _nelder_mead(f, x0, step, iterations):
    """Plain Nelder-Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2), in mpmath."""
    n = len(x0)
    simplex = [list(x0)] + [[x0[j] + (step if j == i else 0) for j in range(n)] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(iterations):
        order = sorted(range(n + 1), key=lambda i: values[i])
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centre = [sum(x[j] for x in simplex[:-1]) / n for j in range(n)]
        along = lambda t: [centre[j] + t * (simplex[-1][j] - centre[j]) for j in range(n)]  # noqa: E731
        xr = along(-1)
        fr = f(xr)
        if fr < values[0]:
            xe = along(-2)
            fe = f(xe)
            simplex[-1], values[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = xr, fr
        else:
            xc = along(mpmath.mpf(1) / 2 if fr >= values[-1] else -mpmath.mpf(1) / 2)
            fc = f(xc)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = xc, fc
            else:
                for i in range(1, n + 1):
                    simplex[i] = [(simplex[0][j] + simplex[i][j]) / 2 for j in range(n)]
                    values[i] = f(simplex[i])
    best = min(range(n + 1), key=lambda i: values[i])
    return simplex[best], values[best]


def _independent_min_on_M(widths, X, Y, c, seeds, iterations):
    """(best lambda_max found, every value evaluated, the formula 2c s H s_1^(2-2/H) from mpmath's SVD)."""
    H = len(widths) - 1
    r = min(widths)
    with mpmath.workdps(_DPS + 10):
        X = mpmath.matrix([[mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in row] for row in X])
        Y = mpmath.matrix([[mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in row] for row in Y])
        Sigma = X * X.T
        s = Sigma[0, 0]
        assert mpmath.mnorm(Sigma - s * mpmath.eye(Sigma.rows), 1) == 0  # whitened: Sigma = s I
        W_star = Y * X.T / s
        U, S, Vt = mpmath.svd_r(W_star)
        assert S[r] > 0 and S[r - 1] - S[r] > mpmath.mpf(10) ** -10  # non-filling, unique target
        root = [S[i] ** (mpmath.mpf(1) / H) for i in range(r)]
        E = lambda d: mpmath.matrix([[1 if i == j else 0 for j in range(r)] for i in range(d)])  # noqa: E731
        Sr = mpmath.diag(root)
        Vr = mpmath.matrix([[Vt[i, j] for j in range(Vt.cols)] for i in range(r)])
        Ur = mpmath.matrix([[U[i, j] for j in range(r)] for i in range(U.rows)])
        balanced = [E(widths[1]) * Sr * Vr] + [E(widths[l + 1]) * Sr * E(widths[l]).T for l in range(1, H - 1)]
        balanced.append(Ur * Sr * E(widths[H - 1]).T)
        W_bar = Ur * mpmath.diag([S[i] for i in range(r)]) * Vr
        formula = 2 * c * s * H * S[0] ** (2 - mpmath.mpf(2) / H)
        point, n = _points_of_M(widths, balanced)
        seen = []

        def f(p):
            Ws = point(p)
            prod = Ws[0]
            for W in Ws[1:]:
                prod = W * prod
            assert mpmath.mnorm(prod - W_bar, 1) < mpmath.mpf(10) ** -(_DPS - 5)  # the point is on M
            value = _mp_lambda_max(Ws, X, Y, c)
            seen.append(value)
            return value

        rng = __import__("random").Random
        best = min(_nelder_mead(f, [mpmath.mpf(rng(seed).uniform(-0.4, 0.4)) for _ in range(n)],
                                mpmath.mpf(1) / 4, iterations)[1] for seed in seeds)
        return best, seen, formula


@pytest.mark.parametrize("widths, X, Y", [
    pytest.param((2, 1, 2), [[1, 0], [0, 1]], [[3, 0], [0, 1]], id="212-diag31"),
    pytest.param((2, 1, 2), [[2, 0], [0, 2]], [[1, 2], [3, 4]], id="212-irrational-s4", marks=pytest.mark.slow),
    pytest.param((3, 1, 2), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[2, 0, 1], [0, 1, 1]], id="312",
                 marks=pytest.mark.slow),
    pytest.param((2, 1, 1, 2), [[1, 0], [0, 1]], [[3, 0], [0, 1]], id="2112", marks=pytest.mark.slow),
    pytest.param((2, 2, 1, 2), [[1, 0], [0, 1]], [[3, 0], [0, 1]], id="2212-kernel", marks=pytest.mark.slow),
    pytest.param((3, 2, 3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 2, 0], [0, 1, 1], [1, 0, 3]], id="323-rank3",
                 marks=pytest.mark.slow),
    pytest.param((2, 1, 1, 1, 2), [[1, 0], [0, 1]], [[2, 1], [1, 3]], id="21112", marks=pytest.mark.slow),
    pytest.param((3, 1, 3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[2, 1, 0], [0, 1, 1], [1, 0, 1]], id="313",
                 marks=pytest.mark.slow),
])
def test_whitened_non_filling_eta_C_against_an_independent_minimisation(widths, X, Y):
    """The exact eta_C agrees with a 50-digit minimisation of lambda_max over M written from scratch:
    every evaluated point has lambda_max >= lambda* (to 1e-30 relative), and the best comes within 1e-12."""
    net = LinearNetwork(widths, X, Y)
    assert not net.minima().filling
    cs = net.critical_step_sizes(prove=False)
    assert cs.evidence == "exact" and cs.eta_C_interval is not None and _same(cs.eta_C, 2 / cs.lambda_star)
    best, seen, formula = _independent_min_on_M(widths, X, Y, sympy.Rational(1, 2), seeds=(0, 1, 2),
                                                iterations=60 * len(widths))
    with mpmath.workdps(_DPS):
        lam = mpmath.mpf(str(sympy.N(cs.lambda_star, _DPS + 10)))
        assert abs(lam - formula) < mpmath.mpf(10) ** -40 * formula
        assert all(v >= lam * (1 - mpmath.mpf(10) ** -30) for v in seen) and len(seen) > 50
        assert best <= lam * (1 + mpmath.mpf(10) ** -12), (best, lam)


def test_critical_cost_refuses_up_front_with_the_estimate_and_the_force_hint():
    """Above the limit the job is refused before any work; (1,300,300,1) is estimated (and runs) in seconds."""
    from symstab.critical import critical_step_sizes
    from symstab.critical.cost import critical_cost
    from symstab.errors import TooLargeError

    wide = LinearNetwork.whitened((4, 150, 150, 4), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    est = critical_cost(wide)
    assert est.seconds > 600 and f"(D = {wide.num_params})" in est.what
    with pytest.raises(TooLargeError, match=r"estimated at .* pass force=True \(CLI: --force\)"):
        critical_step_sizes(wide, prove=False)
    # the model grows with D and with d_0 d_H, and is flat in memory per parameter
    small = [critical_cost(LinearNetwork.whitened((2, k, k, 2), [[1, 2], [3, 4]])) for k in (4, 8, 16)]
    assert small[0].seconds < small[1].seconds < small[2].seconds < 60
    assert critical_cost(LinearNetwork.whitened((1, 300, 300, 1), [[1]])).seconds < 10


def test_critical_on_a_very_wide_scalar_network_answers_exactly():
    """(1,300,300,1), D = 90,600: the closed form with its exact balanced witness (used to run for minutes)."""
    net = LinearNetwork.whitened((1, 300, 300, 1), [[1]])
    cs = net.critical_step_sizes(prove=False)
    assert cs.eta_C == sympy.Rational(2, 3) and cs.witness_exact and len(cs.witness) == net.num_params
    assert sum(1 for v in cs.witness if v != 0) == 3 and cs.numerical_check["agrees"]


def test_a_long_witness_is_cut_in_the_text_report_and_kept_whole_in_json():
    """(1,300,300,1) has a 90,600-entry witness: the text shows the first entries and says where the rest is."""
    import dataclasses

    from symstab.critical.result import CriticalStepSizes

    cs = LinearNetwork.whitened((1, 1, 2), [[3], [4]]).critical_step_sizes(prove=False)
    long = dataclasses.replace(cs, witness=tuple(range(1000)), witness_exact=True)
    text = str(long)
    assert "976 more entries (all of them in the JSON output)" in text and len(text) < len(str(cs)) + 400
    assert len(long.to_dict()["witness"]) == 1000
    assert isinstance(long, CriticalStepSizes)
