"""Result A3: exact spectra at rational points (against sympy's eigenvalues of the same exact matrix),
spectra along M, escape and bounded-sharpness curves, and the properness dichotomy."""

import time
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.errors import TooLargeError
from symstab.exact.matrices import object_array
from symstab.network import hessian_from_weights
from symstab.spectrum import escape_curve, spectrum_along, spectrum_at
from symstab.strategies import linear_networks, rational_matrices, rational_points


def sympy_hessian(net, theta):
    H = net.hessian_at(theta)
    D = net.num_params
    return sympy.Matrix(D, D, lambda i, j: sympy.Rational(str(H[i, j])))


@settings(max_examples=20)
@given(linear_networks(max_params=6), st.data())
def test_spectrum_matches_sympy_eigenvalues(net, data):
    theta = data.draw(rational_points(net))
    s = net.spectrum_at(theta)
    ref = sympy_hessian(net, theta).eigenvals()
    assert s.zero_multiplicity == ref.get(0, 0)
    assert sum(e.multiplicity for e in s.eigenvalues) + s.zero_multiplicity == net.num_params
    for e in s.eigenvalues:
        lo, hi = e.enclosure
        assert lo <= hi and (lo > 0 or hi < 0)  # separated from zero
        # exact comparisons of algebraic numbers with the rational endpoints
        assert bool(e.value >= sympy.Rational(lo.numerator, lo.denominator))
        assert bool(e.value <= sympy.Rational(hi.numerator, hi.denominator))
        assert sympy.Poly(e.minimal_polynomial, sympy.Symbol("lam")).is_irreducible
        assert e.value in ref and ref[e.value] == e.multiplicity or not e.value.is_Rational


def test_worked_example_112_on_M():
    """(1,1,2) whitened, w* = (3,4): on M the non-zero spectrum is {a^2, a^2 + ||w*||^2/a^2} (docs/theory.md, A5)."""
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    a = Fraction(2)
    s = net.spectrum_at([a, Fraction(3) / a, Fraction(4) / a])
    assert s.zero_multiplicity == 1
    assert s.nonzero == [4, 4 + sympy.Rational(25, 4)]
    assert s.lambda_max == sympy.Rational(41, 4) and s.lambda_min_plus == 4


def test_irrational_and_crootof_eigenvalues():
    net = LinearNetwork.whitened((2, 2, 2), [[3, 0], [0, 1]])
    s = net.spectrum_at([1, 2, 0, 1, 1, 0, 2, 1])
    assert any(isinstance(v, sympy.CRootOf) or not v.is_Rational for v in s.nonzero)
    float_eigs = sorted(float(x) for x in sympy.Matrix(sympy_hessian(net, [1, 2, 0, 1, 1, 0, 2, 1])).evalf().eigenvals(multiple=True))
    ours = sorted([float(sympy.N(e.value)) for e in s.eigenvalues for _ in range(e.multiplicity)] + [0.0] * s.zero_multiplicity)
    assert all(abs(x - y) < 1e-9 for x, y in zip(ours, float_eigs))
    assert "spec" in s.latex() and s.to_dict()["evidence"].startswith("exact")


def test_spectrum_d12_is_fast():
    net = LinearNetwork.whitened((2, 3, 2), [[1, 2], [3, 4]])
    t0 = time.perf_counter()
    s = net.spectrum_at([1, -1, 2, 0, 1, 3, 2, 1, -2, 1, 0, 1])
    assert sum(e.multiplicity for e in s.eigenvalues) + s.zero_multiplicity == 12
    assert time.perf_counter() - t0 < 30  # generous: guards against pathological slowness only


def test_negative_spectrum_sharpness_is_zero_when_kernel_exists():
    net = LinearNetwork.whitened((1, 1, 1), [[2]])
    s = net.spectrum_at([0, 0])  # H = [[0, -2], [-2, 0]]: eigenvalues +-2
    assert s.nonzero == [-2, 2] and s.lambda_max == 2 and s.lambda_min_plus == 2


def test_bad_theta():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    with pytest.raises(Exception, match="D = 3"):
        net.spectrum_at([1, 2])


@pytest.mark.parametrize("widths, target", [
    ((2, 2, 2), [[1, 2], [3, 4]]), ((1, 1, 2), [[3], [4]]), ((2, 3, 2), [[3, 0], [0, 1]]),
    ((2, 2, 2, 2), [[1, 1], [0, 2]]), ((3, 2, 2), [[1, 0, 2], [0, 1, 1]]), ((4, 5, 5, 3), [[1, 0, 2, 1], [0, 1, 1, 0], [1, 1, 0, 2]]),
])
def test_normal_operator_path_equals_full_hessian(widths, target):
    """Fast path (n x n normal operator) against the reference (D x D Hessian charpoly)."""
    net = LinearNetwork.whitened(widths, target)
    for seed in range(3):
        theta = net.minima().point(seed=seed)
        fast, slow = net.spectrum_at(theta, method="normal"), net.spectrum_at(theta, method="full")
        assert fast.method.startswith("normal") and slow.method == "full Hessian"
        assert fast.charpoly == slow.charpoly and fast.nonzero == slow.nonzero
    off = [1] * net.num_params  # off M: the normal path declines and falls back
    assert net.spectrum_at(off, method="normal").method == "full Hessian"


@pytest.mark.parametrize("widths, target, theta_seed", [((1, 1, 2), [[3], [4]], 0), ((2, 2, 2), [[1, 2], [3, 4]], 2),
                                                        ((2, 3, 2), [[3, 0], [0, 1]], 1)])
def test_sharpness_enclosure_contains_the_exact_sharpness(widths, target, theta_seed):
    from symstab.exact.algebraic import enclose_algebraic
    from symstab.spectrum import sharpness_enclosure

    net = LinearNetwork.whitened(widths, target)
    rng = np.random.default_rng(theta_seed)
    for theta in (net.minima().point(seed=theta_seed), [Fraction(int(v), 3) for v in rng.integers(-4, 5, net.num_params)]):
        lo, hi = sharpness_enclosure(net, theta)
        exact = net.spectrum_at(theta).eigenvalues[-1].value
        e_lo, e_hi = enclose_algebraic(exact, Fraction(1, 10**30))
        assert e_hi <= hi and hi - lo < Fraction(1, 10**4) * max(1, abs(hi))
        # lo is a Rayleigh quotient, so it may agree with lambda_max to 1e-32: compare exactly
        assert lo <= e_lo or bool(sympy.Rational(lo.numerator, lo.denominator) <= exact)


def test_too_large_spectrum_is_refused_and_classify_falls_back(monkeypatch):
    import symstab.spectrum.pointwise as spectrum

    net = LinearNetwork.whitened((2, 1, 2), [[3, 0], [0, 1]])  # non-filling: no normal-operator path
    theta = net.minima().point(seed=0)
    monkeypatch.setattr(spectrum, "EXACT_SPECTRUM_SECONDS", -1.0)
    with pytest.raises(TooLargeError, match="sharpness_enclosure"):
        net.spectrum_at(theta)
    assert net.spectrum_at(theta, force=True).lambda_max == sympy.Rational(265, 16)  # exact when forced
    c = net.classify(theta, Fraction(1, 10))  # lambda_max = 265/16 < 2/eta = 20
    assert c.verdict == "stable" and c.evidence.startswith("rigorous enclosure")
    assert net.classify(theta, Fraction(1, 2)).verdict == "unstable"


# --- the sharpness is NOT proper on M for depth >= 3 with wide middle layers ------------------------

def _float_spectrum(net, theta):
    """Reference: eigenvalues of the full Hessian (numpy, float64, the network's own formula)."""
    from symstab.network import hessian_from_weights

    Sigma = np.array(net.Sigma.tolist(), dtype=float)
    YXt = np.array((net.Y * net.X.T).tolist(), dtype=float)
    weights = net.split([float(v) for v in theta], dtype=float)
    return np.linalg.eigvalsh(hessian_from_weights(weights, Sigma, YXt, float(net.loss_scale)))


@pytest.mark.parametrize("net", [
    LinearNetwork.whitened((1, 2, 2, 1), [[3]]),
    LinearNetwork((2, 2, 2, 2), [[1, 0, 1], [0, 1, 1]], [[1, 2, 2], [0, 1, 3]]),  # W* of rank 1
    LinearNetwork.whitened((2, 3, 3, 2), [[1, 2], [3, 4]]),
    LinearNetwork((1, 3, 2, 2, 1), [[1, 2]], [[3, 1]]),
    LinearNetwork.whitened((3, 1, 2, 2, 3), [[3, 0, 0], [0, 2, 0], [0, 0, 1]]),  # non-filling (residual term)
    LinearNetwork.whitened((2, 2, 2, 2), [[0, 0], [0, 0]]),  # W* = 0: Hess L = 0 along the curve
])
def test_bounded_sharpness_curve_disproves_properness(net):
    from symstab.spectrum import TAU, bounded_sharpness_curve, properness

    curve = bounded_sharpness_curve(net)
    assert curve is not None and curve.proved
    proof = properness(net)
    assert proof.disproved and not proof.proved and proof.radius(100) is None
    top = float(sympy.N(curve.lambda_max, 20))
    for t in (sympy.Rational(1, 2), sympy.Rational(1, 50), sympy.Rational(1, 3000)):
        theta = [sympy.Rational(v.subs(TAU, t)) for v in curve.theta]
        assert net.minima().check_on_manifold([str(v) for v in theta])
        spectrum = _float_spectrum(net, theta)  # independent of the exact layer's normal operator
        assert abs(spectrum[-1] - top) <= 1e-7 * top
        assert sum(v * v for v in theta) >= 1 / t**2
    eta = Fraction(1) / (Fraction(top).limit_denominator(1000) + 1)  # 2/eta > lambda on the curve
    assert net.M_SS(eta).radius_bound == sympy.oo


@pytest.mark.parametrize("net", [
    LinearNetwork.whitened((2, 2, 2), [[1, 2], [3, 4]]),  # depth 2: proper (exact bound)
    LinearNetwork.whitened((1, 1, 1, 1), [[2]]),  # scalar chain: proper
    LinearNetwork.whitened((2, 2, 2, 2), [[1, 2], [3, 4]]),  # full-rank target: every layer invertible
    LinearNetwork.whitened((1, 1, 2, 1), [[2]]),  # the middle layer's input has width 1 = rank W*
])
def test_no_bounded_sharpness_curve_where_the_construction_does_not_apply(net):
    from symstab.spectrum import bounded_sharpness_curve, properness

    assert bounded_sharpness_curve(net) is None
    assert not properness(net).disproved


# --- properness: lambda_max >= b(||theta||^2) on M ------------------------------------------------

def _bound_at(proof, theta):
    r2 = sum(sympy.Rational(str(v)) ** 2 for v in theta)
    return proof.bound.subs(sympy.Symbol("R2", positive=True), r2)


@st.composite
def _narrow_filling_cases(draw):
    """Filling nets of depth >= 3 whose middle layers each have a side of width rank T (A3 provable)."""
    widths, rank = draw(st.sampled_from([
        ((1, 1, 1, 2), 1), ((2, 1, 1, 2), 1), ((1, 1, 2, 1), 1), ((2, 2, 2, 2), 2), ((2, 2, 3, 2), 2),
        ((1, 1, 1, 1, 2), 1), ((2, 1, 2, 1, 2), 1), ((3, 2, 3, 2), 2)]))
    g = draw(rational_matrices(widths[-1], rank, max_abs=3, max_denominator=2))
    h = draw(rational_matrices(rank, widths[0], max_abs=3, max_denominator=2))
    T = sympy.Matrix(g) * sympy.Matrix(h)
    assume(T.rank() == rank)
    return widths, T.tolist()


def _exactly_at_least(net, theta, value):
    """Exact: lambda_max(Hess L(theta)) >= value (rational enclosures of both sides, then sympy)."""
    from symstab.exact.algebraic import enclose_algebraic

    top = net.spectrum_at(theta).eigenvalues[-1]
    lo, hi = enclose_algebraic(value, Fraction(1, 10**30))
    if top.enclosure[0] >= hi:
        return True
    if top.enclosure[1] < lo:
        return False
    return bool(sympy.simplify(top.value - value) >= 0)


@settings(max_examples=20, deadline=None)
@given(_narrow_filling_cases(), st.integers(0, 40), st.sampled_from(["half", "sum"]))
def test_properness_bound_holds_exactly_at_random_points(case, seed, loss):
    """Exact: lambda_max at random rational points of M is >= the proved bound b(||theta||^2)."""
    from symstab.spectrum import properness

    widths, T = case
    net = LinearNetwork.whitened(widths, T, loss=loss)
    proof = properness(net)
    assert proof.proved and not proof.disproved
    theta = net.minima().point(seed=seed)
    assert _exactly_at_least(net, theta, _bound_at(proof, theta))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=4, max_size=5), st.data())
def test_properness_dichotomy_for_filling_targets(widths, data):
    """Depth >= 3, filling rational target: A3 is either proved or disproved by an exact curve, never open."""
    from symstab.spectrum import properness

    widths = tuple(widths)
    assume(sum(a * b for a, b in zip(widths, widths[1:])) <= 16)
    r = data.draw(st.integers(1, min(widths)))
    g = data.draw(rational_matrices(widths[-1], r, max_abs=2, max_denominator=1))
    h = data.draw(rational_matrices(r, widths[0], max_abs=2, max_denominator=1))
    T = sympy.Matrix(g) * sympy.Matrix(h)
    assume(T.rank() == r)
    net = LinearNetwork.whitened(widths, T.tolist())
    proof = properness(net)
    narrow = all(min(widths[l - 1], widths[l]) == r for l in range(2, len(widths) - 1))
    assert proof.proved == narrow and proof.disproved == (not narrow), proof.argument


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=4, max_size=5), st.data())
def test_properness_dichotomy_for_non_filling_diagonal_targets(widths, data):
    """Diagonal targets with distinct entries (a rational best rank-r part, filling or not): proved or disproved."""
    from symstab.spectrum import properness

    widths = tuple(widths)
    assume(sum(a * b for a, b in zip(widths, widths[1:])) <= 16)
    k = min(widths[0], widths[-1])
    entries = data.draw(st.lists(st.integers(1, 9), min_size=k, max_size=k, unique=True))
    T = [[entries[i] if i == j and i < k else 0 for j in range(widths[0])] for i in range(widths[-1])]
    net = LinearNetwork.whitened(widths, T)
    r = min(k, min(widths[1:-1]))
    proof = properness(net)
    narrow = all(min(widths[l - 1], widths[l]) == r for l in range(2, len(widths) - 1))
    assert proof.proved == narrow and proof.disproved == (not narrow), proof.argument


def test_jacobian_frobenius_norm_is_the_sum_of_layer_products():
    """||D mu||_F^2 = sum_l ||W_(>l)||_F^2 ||W_(<l)||_F^2, the identity the properness bound starts from."""
    from symstab.spectrum import jacobian_frobenius_squared

    for widths in [(2, 2, 2, 2), (1, 2, 3, 1), (2, 1, 2, 1, 2)]:
        net = LinearNetwork.whitened(widths, [[0] * widths[0] for _ in range(widths[-1])])
        weights = [sympy.Matrix(W.tolist()) for W in net.split(list(sympy.symbols(" ".join(net.param_names))))]
        H = len(weights)

        def chain(ws, size):
            out = sympy.eye(size)
            for W in ws:
                out = W * out
            return out

        claim = 0
        for l in range(H):
            A = chain(weights[l + 1:], weights[l].shape[0])
            B = chain(weights[:l], widths[0])
            claim += sum(v**2 for v in A) * sum(v**2 for v in B)
        assert sympy.expand(jacobian_frobenius_squared(net, weights) - claim) == 0


@pytest.mark.parametrize("net", [
    LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]]),  # non-filling, depth 2
    LinearNetwork.whitened((2, 2, 2, 2), [[1, 2], [3, 4]]),  # full-rank target: every layer invertible
    LinearNetwork.whitened((3, 2, 2, 3), [[1, 2, 0], [0, 1, 1], [1, 0, 2]]),  # non-filling, depth 3
    LinearNetwork.whitened((3, 1, 2), [[1, 0, 2], [0, 1, 1]]),
    LinearNetwork.whitened((2, 1, 1, 2), [[1, 2], [3, 4]]),  # non-filling, hidden widths 1
    LinearNetwork((2, 1, 1), [[1, 0, 1], [0, 1, 2]], [[3, 1, 2]]),  # general Sigma
    LinearNetwork((2, 1, 1, 2), [[1, 0, 1], [0, 1, 2]], [[3, 1, 2], [1, 1, 0]]),  # non-filling, general Sigma
])
def test_properness_bound_new_cases_numerical_check(net):
    """Numerical check (float64 full Hessian, independent of the proof) at points of M far and near."""
    from symstab.spectrum import properness

    proof = properness(net)
    assert proof.proved, proof.argument
    M = net.minima()
    for seed in range(6):
        theta = [sympy.Rational(str(v)) if M.points_exact else sympy.N(v.to_sympy(), 30) for v in M.point(seed=seed)]
        top = _float_spectrum(net, theta)[-1]
        bound = float(sympy.N(_bound_at(proof, [float(v) for v in theta]), 20))
        assert top >= bound * (1 - 1e-9), (seed, top, bound)
        assert bound > 0
    # the bound grows without limit in ||theta||^2
    assert sympy.limit(proof.bound, sympy.Symbol("R2", positive=True), sympy.oo) == sympy.oo


# --- escape curves, spectra along M, the traceless residual term -------------------------------

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


def test_scalar_network_spectrum_along_M_matches_exact_points():
    net = LinearNetwork((1, 2, 2, 1), [[1, 2]], [[3, 1]])
    along = spectrum_along(net)
    (expr, mult), = along.eigenvalues
    M = net.minima()
    for seed in range(4):
        theta = M.point(seed=seed)
        value = expr.subs({p: sympy.Rational(t.numerator, t.denominator) for p, t in zip(along.parameters, theta)})
        assert net.spectrum_at(theta).nonzero == [value] and mult == 1


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


# --- the figure ----------------------------------------------------------------------------------

def test_plot_spectrum_curves_shows_the_A3_dichotomy(tmp_path):
    """(1,1,2): along the escape curve (tau, 3/tau, 4/tau) the spectrum is {tau^2, tau^2 + 25/tau^2} and
    ||theta||^2 = tau^2 + 25/tau^2, so lambda_max = ||theta||^2 and lambda_min^+ lambda_max = lambda_min^+^2 + 25;
    (1,2,2,1): lambda_max = 19 at every point of the bounded-sharpness curve."""
    from symstab.spectrum import plot_spectrum_curves

    nets = [LinearNetwork.whitened((1, 1, 2), [[3], [4]]), LinearNetwork.whitened((1, 2, 2, 1), [[3]])]
    fig = plot_spectrum_curves(nets, tmp_path / "curves.pdf", points=30)
    assert (tmp_path / "curves.pdf").stat().st_size > 5000 and len(fig.axes) == 2
    small, top = fig.axes[0].get_lines()
    norms, lam_max = top.get_data()
    assert np.allclose(lam_max, norms ** 2, rtol=1e-12)
    assert np.allclose(small.get_ydata() * lam_max, small.get_ydata() ** 2 + 25, rtol=1e-6)  # float64 eigenvalues
    assert small.get_ydata()[-1] < 1e-3 and norms[-1] > 100
    (flat,) = fig.axes[1].get_lines()
    assert np.allclose(flat.get_ydata(), 19, rtol=1e-12) and flat.get_xdata()[-1] > 50


def test_plot_spectrum_curves_refuses_a_net_without_curves():
    from symstab.errors import InvalidInputError
    from symstab.spectrum import plot_spectrum_curves

    with pytest.raises(InvalidInputError, match="no escape or bounded-sharpness curve"):
        plot_spectrum_curves(LinearNetwork.whitened((1, 1, 1), [[2]]))


def test_spectrum_at_an_algebraic_point_of_M_matches_sympy():
    """The issue's case: (2,1,2), target [[1,2],[3,4]], irrational minimal product; sympy is the slow reference."""
    from symstab.exact.numberfield import AlgebraicPoint

    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    theta = net.minima().point(seed=0)
    assert isinstance(theta, AlgebraicPoint)
    s = spectrum_at(net, theta)
    lam = sympy.Symbol("lam")
    weights = [sympy.Matrix(W.tolist()) for W in net.split(theta.to_sympy())]
    H = net.hessian_at_weights(weights)                      # sympy, entries in sqrt(221)
    ref = sympy.Poly(sympy.expand(H.charpoly(lam).as_expr()), lam)
    assert sympy.simplify(sympy.expand(s.charpoly) - ref.as_expr()) == 0
    assert s.zero_multiplicity == 1 and sum(e.multiplicity for e in s.eigenvalues) == 3
    for e in s.eigenvalues:   # each exact eigenvalue is a root of sympy's charpoly over Q(sqrt 221)
        value = sympy.N(ref.as_expr().subs(lam, e.value), 60)
        assert abs(value) < sympy.Float(10) ** -40
        assert e.enclosure[0] <= sympy.N(e.value, 40) <= e.enclosure[1]
    # the same point given as sympy radicals is accepted too, with the same spectrum
    assert spectrum_at(net, theta.to_sympy()).nonzero == s.nonzero


@pytest.mark.parametrize("case", ["irrational target, on M", "rational target, on M", "off M, degree 4"])
def test_sharpness_enclosure_at_algebraic_points_contains_the_exact_sharpness(case):
    """At an AlgebraicPoint: the enclosure contains the exact lambda_max of the spectrum over Q(alpha) (decided
    by a Sturm count of its minimal polynomial) and the 60-digit mpmath eigenvalue of sympy's Hessian at radicals."""
    import mpmath
    from reference import mp_eigenvalues

    from symstab.exact.numberfield import algebraic_point
    from symstab.spectrum import sharpness_enclosure
    from symstab.spectrum.pointwise import LAM

    if case == "irrational target, on M":
        net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
        theta = net.minima().point(seed=1)
    elif case == "rational target, on M":
        net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
        a = sympy.root(3, 4)
        theta = net.exact_point([a, 3 / a, 4 / a])
    else:
        net = LinearNetwork((2, 1, 2), [[1, 0, 2], [0, 1, 1]], [[1, 2, 0], [3, 4, 1]])
        theta = algebraic_point([sympy.sqrt(2), 1 - sympy.sqrt(3), sympy.Rational(1, 2), sympy.sqrt(6)])
    lo, hi = sharpness_enclosure(net, theta)
    assert lo < hi and hi - lo < Fraction(1, 10**5) * max(1, abs(hi))
    top = spectrum_at(net, theta).eigenvalues[-1]
    b_lo, b_hi = top.enclosure  # isolates lambda_max among the roots of its minimal polynomial
    g = sympy.Poly(top.minimal_polynomial, LAM)
    assert max(lo, b_lo) <= min(hi, b_hi)
    rat = [sympy.Rational(v.numerator, v.denominator) for v in (max(lo, b_lo), min(hi, b_hi))]
    assert g.count_roots(*rat) == 1
    with mpmath.workdps(60):
        assert mpmath.mpf(lo.numerator) / lo.denominator <= mp_eigenvalues(net, theta.to_sympy())[-1] \
            <= mpmath.mpf(hi.numerator) / hi.denominator
