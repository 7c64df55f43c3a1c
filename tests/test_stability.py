"""Result A4: classify(theta, eta) and M_SS / M_WS, exact, against direct spectra."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import float_lambda_max

from symstab import LinearNetwork
from symstab.errors import InvalidInputError
from symstab.exact.algebraic import enclose_algebraic
from symstab.spectrum import TAU, spectrum_at
from symstab.stability import classify


def test_worked_example_verdicts():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    theta = [1, 3, 4]  # a = 1: non-zero spectrum {1, 26}
    assert net.classify(theta, Fraction(1, 13)).verdict == "marginal"
    assert net.classify(theta, Fraction(1, 20)).verdict == "stable"
    c = net.classify(theta, Fraction(1, 10))
    assert c.verdict == "unstable"
    assert sorted(c.dg_eigenvalues) == sorted([sympy.Rational(9, 10), sympy.Rational(-8, 5), 1])
    assert c.to_dict()["evidence"] == "exact" and "unstable" in c.latex()


def test_irrational_sharpness_near_the_boundary():
    net = LinearNetwork.whitened((2, 2, 2), [[3, 0], [0, 1]])
    theta = net.minima().point(seed=3)
    s = net.spectrum_at(theta)
    lo, hi = s.eigenvalues[-1].enclosure
    eta_below = Fraction(2) / hi - Fraction(1, 10**12)  # 2/eta > lambda_max: stable
    eta_above = Fraction(2) / lo + Fraction(1, 10**12)
    assert net.classify(theta, eta_below).verdict == "stable"
    assert net.classify(theta, eta_above).verdict == "unstable"


@pytest.mark.parametrize("eta", [0, -1, "x"])
def test_bad_eta(eta):
    with pytest.raises(InvalidInputError):
        LinearNetwork.whitened((1, 1, 2), [[3], [4]]).classify([1, 3, 4], eta)


def test_point_off_the_manifold_is_refused_with_residual():
    with pytest.raises(InvalidInputError, match="not on M"):
        LinearNetwork.whitened((1, 1, 2), [[3], [4]]).classify([1, 1, 1], "1/10")


@settings(max_examples=20)
@given(st.sampled_from([((1, 1, 2), [[3], [4]]), ((2, 2, 2), [[3, 0], [0, 1]]), ((1, 2, 1), [[2]]),
                        ((2, 1, 1, 2), [[1, 2], [2, 4]])]),
       st.integers(0, 50), st.fractions(min_value=Fraction(1, 1000), max_value=1, max_denominator=1000))
def test_classify_agrees_with_direct_spectrum(case, seed, eta):
    widths, target = case
    net = LinearNetwork.whitened(widths, target)
    theta = net.minima().point(seed=seed)
    verdict = net.classify(theta, eta).verdict
    H = net.hessian_at(theta)
    D = net.num_params
    lam_max = max(np.linalg.eigvalsh(np.array([[float(H[i, j]) for j in range(D)] for i in range(D)])))
    if abs(lam_max - 2 / float(eta)) > 1e-6 * max(1.0, lam_max):
        assert verdict == ("stable" if lam_max < 2 / float(eta) else "unstable")


# --- M_SS(eta) and M_WS(eta) -------------------------------------------------------------------

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
        assert abs(float_lambda_max(net, theta) - float(ss.curve.lambda_max)) < 1e-7 * float(ss.curve.lambda_max)


# --- the figure ----------------------------------------------------------------------------------

def test_plot_stable_set_colours_by_the_sharpness_and_marks_exactly_M_SS(tmp_path):
    """(1,1,2), w* = (3, 4): M = {(a, 3/a, 4/a)} is drawn at (a, 5/a); the colour is the float64 lambda_max
    of the full Hessian there, and the marked interval of a agrees with exact membership in M_SS(1/6)."""
    from symstab.stability import plot_stable_set

    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    fig = plot_stable_set(net, "1/6", tmp_path / "M.png", points=400)
    assert (tmp_path / "M.png").stat().st_size > 5000
    ax_m, ax_s = fig.axes[0], fig.axes[1]
    for lines in ax_m.collections:  # one LineCollection per branch of M
        for (x0, y0), (x1, y1), colour in list(zip(*zip(*lines.get_segments()), lines.get_array()))[::40]:
            ends = [float_lambda_max(net, [x, 3 * y / 5, 4 * y / 5]) for x, y in ((x0, y0), (x1, y1))]
            assert abs(colour - sum(ends) / 2) < 1e-9 * colour
            assert abs(x0 * y0 - 5) < 1e-9  # on M
    (lo, hi), = [(p.get_bbox().x0, p.get_bbox().x1) for p in ax_s.patches]
    ss = net.M_SS("1/6", decide_empty=False)
    exact_lo, exact_hi = (6 - 11 ** 0.5) ** 0.5, (6 + 11 ** 0.5) ** 0.5  # a^2 + 25/a^2 = 12
    assert abs(lo - exact_lo) < 0.01 * exact_lo and abs(hi - exact_hi) < 0.01 * exact_hi
    for a, inside in ((Fraction(lo).limit_denominator(10**6) * Fraction(101, 100), True),
                      (Fraction(hi).limit_denominator(10**6) * Fraction(99, 100), True),
                      (Fraction(lo).limit_denominator(10**6) * Fraction(97, 100), False),
                      (Fraction(hi).limit_denominator(10**6) * Fraction(103, 100), False)):
        assert ss.contains([a, 3 / a, 4 / a]) is inside


def test_plot_stable_set_refuses_a_manifold_that_is_not_a_curve():
    from symstab.stability import plot_stable_set

    with pytest.raises(InvalidInputError, match="hidden width 1"):
        plot_stable_set(LinearNetwork.whitened((1, 2, 1), [[3]]))
    with pytest.raises(InvalidInputError, match="eta"):
        plot_stable_set(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), "-1/2")


def test_classify_at_an_algebraic_point_is_exact_next_to_the_threshold():
    """lambda_max is irrational at an algebraic point of M; etas 10^-30 either side of 2/lambda_max are told apart."""
    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    theta = net.minima().point(seed=0)
    top = spectrum_at(net, theta).eigenvalues[-1]
    lo, hi = enclose_algebraic(top.value, Fraction(1, 10**40))
    below, above = 2 / hi - Fraction(1, 10**30), 2 / lo + Fraction(1, 10**30)
    assert classify(net, theta, below).verdict == "stable"
    assert classify(net, theta, above).verdict == "unstable"
    assert net.classify(theta, below).lambda_max == top.value


# --- M_SS / M_WS membership at exact algebraic points ---------------------------------------------

def _etas_around(eigs, gap=Fraction(1, 10**30)):
    """Rational steps with 2/eta just below and just above each exact eigenvalue (enclosed to 10^-40)."""
    etas = []
    for e in eigs:
        lo, hi = enclose_algebraic(e.value, Fraction(1, 10**40))
        etas += [2 / (lo - gap), 2 / (hi + gap)]
    return etas


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_stable_sets_at_algebraic_points_of_an_irrational_target(seed):
    """Non-filling, irrational target, theta in Q(sqrt 221): membership is exact 10^-30 either side of each
    eigenvalue, agrees with classify, and with a 80-digit mpmath spectrum of sympy's Hessian at the radicals."""
    import mpmath
    from reference import mp_eigenvalues

    from symstab.exact.numberfield import AlgebraicPoint

    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    M = net.minima()
    theta = M.point(seed=seed)
    assert isinstance(theta, AlgebraicPoint) and not M.filling and not M.points_exact
    eigs = spectrum_at(net, theta).eigenvalues
    ref = [v for v in mp_eigenvalues(net, theta.to_sympy(), dps=80) if v > mpmath.mpf(10) ** -40]
    assert len(ref) == sum(e.multiplicity for e in eigs) == 3
    for eta in _etas_around(eigs):
        ss = net.M_SS(eta, symbolic_limit=0, decide_empty=False)
        ws = net.M_WS(eta, symbolic_limit=0, decide_empty=False)
        with mpmath.workdps(80):
            level = mpmath.mpf(2 * eta.denominator) / eta.numerator
            below = sum(1 for v in ref if v < level)
        assert ss.contains(theta) == (below == len(ref)) == (classify(net, theta, eta).verdict == "stable")
        assert ws.contains(theta) == (below > 0)


@pytest.mark.parametrize("a", [sympy.sqrt(2), sympy.root(2, 4), 1 + sympy.sqrt(3)])
def test_stable_sets_at_algebraic_points_of_a_rational_target(a):
    """Filling (1,1,2): theta = (a, 3/a, 4/a) with a algebraic; non-zero eigenvalues a^2, a^2 + 25/a^2
    (docs/theory.md, A5). For a = sqrt 2 lambda_max = 29/2 is rational: eta = 4/29 is exactly marginal."""
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    theta = net.exact_point([a, 3 / a, 4 / a])
    small, top = a**2, a**2 + 25 / a**2
    spectrum = spectrum_at(net, theta)
    etas = _etas_around(spectrum.eigenvalues)
    if a == sympy.sqrt(2):
        etas.append(Fraction(4, 29))
    for eta in etas:
        level = sympy.Rational(2 * eta.denominator, eta.numerator)
        ss, ws = net.M_SS(eta, decide_empty=False), net.M_WS(eta, decide_empty=False)
        verdict = classify(net, theta, eta).verdict
        assert ss.contains(theta) == bool(top < level) == (verdict == "stable")
        assert ws.contains(theta) == bool(small < level)
        if top == level:
            assert verdict == "marginal" and not ss.contains(theta)


def test_stable_set_refuses_a_rational_point_of_an_irrational_target_and_points_off_M():
    from symstab.exact.numberfield import algebraic_point

    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    ss = net.M_SS(Fraction(1, 30), symbolic_limit=0, decide_empty=False)
    with pytest.raises(InvalidInputError, match="algebraic point"):
        ss.contains([1, 2, 3, 4])
    theta = net.minima().point(seed=0)
    off = algebraic_point([theta[0] + 1] + list(theta[1:]))
    with pytest.raises(InvalidInputError, match="not on M"):
        ss.contains(off)
