"""Tests for symstab.minima (result A2): exact references on small cases."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from symstab.errors import InvalidInputError, SymbolicDataError
from symstab.exact.numberfield import AlgebraicPoint
from symstab.minima import minima, product_jacobian
from symstab.network import LinearNetwork

# (widths, X, Y): filling, full-rank targets, whitened and not, depths 2-4
FILLING = [
    ((1, 1, 2), [[1]], [[3], [4]]),
    ((2, 2, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]]),
    ((2, 3, 2, 2), [[1, 2, 0], [0, 1, 3]], [[1, 0, 2], [3, 1, 1]]),
    ((1, 2, 2, 1, 1), [[1, 2, -1]], [[2, 1, 1]]),
    ((2, 2, 1), [[1, 1, 0], [0, 2, 1]], [[1, 3, 2]]),
    ((3, 2, 2), [[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 2, 1]], [[1, 0, 1, 2], [0, 1, 1, 1]]),
]


def net_of(case, loss="half"):
    widths, X, Y = case
    return LinearNetwork(widths, X, Y, loss=loss)


def product(net, theta):
    weights = [sympy.Matrix(W.tolist()) for W in net.split([sympy.Rational(t.numerator, t.denominator)
                                                          for t in theta])]
    mu = weights[0]
    for W in weights[1:]:
        mu = W * mu
    return mu


@pytest.mark.parametrize("case", FILLING)
def test_w_star_is_the_least_squares_solution(case):
    net = net_of(case)
    M = minima(net)
    X, Y = net.X, net.Y
    # normal equations (W* X - Y) X^T = 0
    assert (M.W_star * X - Y) * X.T == sympy.zeros(Y.rows, X.rows)
    assert M.filling and M.target == M.W_star and M.rank == M.rank_W_star
    assert M.min_loss == sympy.Rational(1, 2) * sum(v**2 for v in M.W_star * X - Y)


@pytest.mark.parametrize("case", FILLING)
def test_points_on_M_are_exact_minima(case):
    net = net_of(case)
    M = minima(net)
    for seed in (0, 1):
        theta = M.point(seed=seed)
        assert all(isinstance(t, Fraction) for t in theta)
        assert product(net, theta) == M.target
        assert net.gradient_at(theta) == [0] * net.num_params
        assert net.loss_at(theta) == Fraction(str(M.min_loss))
        assert M.check_on_manifold(theta)


@pytest.mark.parametrize("case", FILLING)
def test_smoothness_and_morse_bott_at_points(case):
    net = net_of(case)
    M = minima(net)
    r, d0, dH = min(net.widths), net.widths[0], net.widths[-1]
    assert M.is_smooth and M.dimension == net.num_params - r * (d0 + dH - r)
    theta = M.point(seed=2)
    check = M.rank_check(theta)
    assert check.value == r * (d0 + dH - r) and check.holds
    assert product_jacobian(net, theta).rank() == r * (d0 + dH - r)
    mb = M.morse_bott(theta)
    assert mb.value == M.dimension and mb.holds


def test_seed_reproducibility_and_variety():
    M = minima(net_of(FILLING[2]))
    assert M.point(seed=5) == M.point(seed=5)
    assert M.point(seed=5) != M.point(seed=6)


@pytest.mark.parametrize("widths, expected", [
    ((1, 1, 2), 1), ((2, 2, 2), 4), ((2, 3, 2), 8), ((3, 2, 3), 4), ((2, 2, 2, 2), 8),
    ((1, 3, 1), 5), ((1, 1, 1, 1), 2),
])
def test_dimension_formula_full_rank_whitened(widths, expected):
    d0, dH = widths[0], widths[-1]
    target = [[(i + 1) * (j + 2) + (i == j) for j in range(d0)] for i in range(dH)]
    if widths == (3, 2, 3):  # non-filling, K = diag(9, 4, 1): rational top-2 projector
        target = [[3, 0, 0], [0, 2, 0], [0, 0, 1]]
    net = LinearNetwork.whitened(widths, target)
    M = minima(net)
    r = min(widths)
    assert M.dimension == expected == net.num_params - r * (d0 + dH - r)
    if M.rank_W_star == min(d0, dH) and M.filling:
        assert M.dimension == net.num_params - d0 * dH
    theta = M.point()
    assert M.morse_bott(theta).value == expected


def test_non_filling_diag_3_1():
    net = LinearNetwork.whitened(widths=(2, 1, 2), target=[[3, 0], [0, 1]])
    M = minima(net)
    assert not M.filling and M.rank_W_star == 2 and M.rank == 1
    assert M.target == sympy.Matrix([[3, 0], [0, 0]])
    assert M.min_loss == sympy.Rational(1, 2)
    assert M.squared_singular_values == (9, 1)
    theta = M.point(seed=3)
    assert product(net, theta) == M.target
    assert net.gradient_at(theta) == [0] * 4
    assert net.loss_at(theta) == Fraction(1, 2)
    assert M.morse_bott(theta).holds  # residual term present, kernel still = dim M
    assert M.rank_check(theta).holds


def test_non_filling_general_sigma_rational_target():
    # W* = Y X^T Sigma^{-1} with non-identity Sigma; K = W* Sigma W*^T has rational eigenvalues
    net = LinearNetwork(widths=(2, 1, 2), X=[[1, 0, 1], [0, 1, 1]], Y=[[2, 0, 1], [0, 1, 3]])
    M = minima(net)
    assert not M.filling
    # independent reference: Eckart-Young in floats on W* Sigma^{1/2}
    ref = _best_rank_r_numeric(net, 1)
    assert np.allclose(np.array(M.target.evalf(), dtype=float), ref, atol=1e-12)
    assert float(M.min_loss) == pytest.approx(_loss_numeric(net, ref), abs=1e-12)
    if M.points_exact:
        theta = M.point()
        assert net.gradient_at(theta) == [0] * net.num_params


def _best_rank_r_numeric(net, r):
    Sigma = np.array(net.Sigma.evalf(), dtype=float)
    W = np.array((net.Y * net.X.T * net.Sigma.inv()).evalf(), dtype=float)
    w, Q = np.linalg.eigh(Sigma)
    half, inv_half = Q @ np.diag(np.sqrt(w)) @ Q.T, Q @ np.diag(1 / np.sqrt(w)) @ Q.T
    u, s, vt = np.linalg.svd(W @ half)
    return (u[:, :r] * s[:r]) @ vt[:r] @ inv_half


def _loss_numeric(net, mu):
    R = mu @ np.array(net.X.evalf(), dtype=float) - np.array(net.Y.evalf(), dtype=float)
    return 0.5 * float((R * R).sum())


def test_non_filling_algebraic_target_and_exact_algebraic_point():
    net = LinearNetwork.whitened(widths=(3, 1, 3), target=[[2, 1, 0], [1, 3, 1], [0, 1, 4]])
    M = minima(net)
    assert M.target_exact and M.target_field == "algebraic"
    assert sympy.simplify(M.target.trace() - (3 + sympy.sqrt(3))) == 0
    assert sympy.simplify(M.min_loss - (sympy.Rational(21, 2) - 3 * sympy.sqrt(3))) == 0
    assert np.allclose(np.array(M.target.evalf(), dtype=float), _best_rank_r_numeric(net, 1), atol=1e-12)
    theta = M.point(seed=1)
    assert not M.points_exact and isinstance(theta, AlgebraicPoint) and theta.field.degree == 2
    # slow reference: sympy's own arithmetic on the closed forms
    syms = [sympy.Matrix(W.tolist()) for W in net.split(theta.to_sympy())]
    assert all(sympy.simplify(v) == 0 for v in syms[1] * syms[0] - M.target)
    assert all(g == 0 for g in net.gradient_at(theta))
    assert sympy.simplify(net.loss_at(theta).to_sympy() - M.min_loss) == 0
    assert M.point(seed=1) == theta and M.check_on_manifold(theta)
    with pytest.raises(InvalidInputError, match="not on M"):
        M.check_on_manifold([1] * 6)
    with pytest.raises(InvalidInputError, match="not on M"):
        M.check_on_manifold([theta[0] + 1] + list(theta[1:]))


def test_high_precision_fallback_agrees_with_exact_target():
    net = LinearNetwork.whitened(widths=(3, 1, 3), target=[[2, 1, 0], [1, 3, 1], [0, 1, 4]])
    exact = minima(net).target
    numeric = minima(net, dps=40, max_algebraic_degree=1)
    assert not numeric.target_exact and numeric.target_field == "numeric"
    assert all(abs(sympy.N(a - b, 50)) < sympy.Float("1e-35") for a, b in zip(exact, numeric.target))


def test_non_filling_cubic_eigenvalues_use_crootof():
    target = [[4, 1, 0], [1, 2, 1], [0, 1, 1]]  # K = W*^2 has an irreducible cubic charpoly
    net = LinearNetwork.whitened(widths=(3, 2, 3), target=target)
    M = minima(net)
    assert M.target_field == "algebraic" and M.rank == 2
    assert np.allclose(np.array(M.target.evalf(30), dtype=float), _best_rank_r_numeric(net, 2), atol=1e-12)
    assert float(M.min_loss) == pytest.approx(_loss_numeric(net, _best_rank_r_numeric(net, 2)), abs=1e-12)


def test_tied_singular_values_refused():
    net = LinearNetwork.whitened(widths=(2, 1, 2), target=[[1, 0], [0, 1]])
    with pytest.raises(InvalidInputError, match="not unique.*tied singular values"):
        minima(net)


@pytest.mark.parametrize("widths", [(1, 1, 1), (2, 2, 2), (1, 1, 1, 1), (2, 2, 2, 2)])
def test_zero_target_has_a_singular_point(widths):
    d0, dH = widths[0], widths[-1]
    net = LinearNetwork.whitened(widths, [[0] * d0 for _ in range(dH)])
    M = minima(net)
    assert M.filling and M.rank == 0 and not M.is_smooth and M.dimension is None
    theta = M.singular_point()
    assert theta == [0] * net.num_params
    cert = M.singularity_certificate()
    assert cert.rank_at_point < M.smooth_rank
    assert cert.proved and cert.tangent_span > cert.kernel_at_witness
    assert product_jacobian(net, theta).rank() == 0


def test_rank_deficient_target_singular_point_nonzero():
    net = LinearNetwork.whitened(widths=(2, 2, 2), target=[[1, 2], [2, 4]])
    M = minima(net)
    assert M.rank == 1 < M.bottleneck and not M.is_smooth
    theta = M.singular_point()
    assert product(net, theta) == M.target and net.gradient_at(theta) == [0] * 8
    cert = M.singularity_certificate()
    assert cert.proved and cert.rank_at_point < M.smooth_rank


def test_smooth_case_has_no_singular_point():
    M = minima(net_of(FILLING[1]))
    assert M.singular_point() is None and M.singularity_certificate() is None


def test_point_not_on_manifold_reports_residual():
    M = minima(LinearNetwork.whitened(widths=(1, 1, 2), target=[[3], [4]]))
    with pytest.raises(InvalidInputError, match=r"\|\|mu\(theta\) - target\|\|_F = 5"):
        M.check_on_manifold([0, 0, 0])
    with pytest.raises(InvalidInputError):
        M.morse_bott([1, 1, 1])


def test_loss_normalisation_scales_min_loss():
    half = minima(net_of(FILLING[4], loss="half"))
    total = minima(net_of(FILLING[4], loss="sum"))
    mean = minima(net_of(FILLING[4], loss="mean"))
    assert total.min_loss == 2 * half.min_loss != 0
    assert mean.min_loss == total.min_loss / 3


def test_depth_one_is_a_single_point():
    net = LinearNetwork.whitened(widths=(2, 1), target=[[1, 2]])
    M = minima(net)
    assert M.is_smooth and M.dimension == 0
    assert M.point() == [1, 2]
    assert M.morse_bott(M.point()).holds


def test_symbolic_family():
    a, b = sympy.symbols("a b")
    net = LinearNetwork.whitened(widths=(2, 2, 2), target=[[a, 0], [0, b]])
    M = minima(net)
    assert M.W_star == sympy.Matrix([[a, 0], [0, b]]) and M.dimension == 4 and M.target_field == "symbolic"
    with pytest.raises(SymbolicDataError):
        M.point()
    fam = minima(LinearNetwork(widths=(1, 1, 1), X=[[a, 1]], Y=[[1, 2]]))
    assert sympy.simplify(fam.W_star[0, 0] - (a + 2) / (a**2 + 1)) == 0
    assert sympy.simplify(fam.min_loss - (2 * a - 1) ** 2 / (2 * (a**2 + 1))) == 0
    non = minima(LinearNetwork.whitened(widths=(2, 1, 2), target=[[a, 0], [0, b]]))
    assert not non.filling and non.target is None


def test_rendering():
    import json

    M = minima(LinearNetwork.whitened(widths=(2, 1, 2), target=[[3, 0], [0, 1]]))
    d = json.loads(json.dumps(M.to_dict()))
    assert d["filling"] is False and d["target"] == [["3", "0"], ["0", "0"]] and d["min_loss"] == "1/2"
    assert d["dimension"] == 1
    assert r"\bar W" in M.latex() and "non-filling" in str(M)
    assert M.morse_bott(M.point()).to_dict()["holds"] is True


@pytest.mark.parametrize("widths, X, Y", [
    ((2, 1, 2), [[1, 0, 1], [0, 1, 1]], [[2, 0, 2], [0, 1, 0]]),  # non-whitened, K eigenvalues 8, 2/3
    ((3, 2, 1, 2, 3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[3, 0, 0], [0, 2, 0], [0, 0, 1]]),  # depth 4
])
def test_non_filling_rational_targets_give_exact_minima(widths, X, Y):
    net = LinearNetwork(widths, X, Y)
    M = minima(net)
    assert not M.filling and M.points_exact and M.is_smooth
    ref = _best_rank_r_numeric(net, min(widths))
    assert np.allclose(np.array(M.target.evalf(), dtype=float), ref, atol=1e-12)
    theta = M.point(seed=7)
    assert product(net, theta) == M.target
    assert net.gradient_at(theta) == [0] * net.num_params
    assert net.loss_at(theta) == Fraction(str(M.min_loss))
    assert M.rank_check(theta).holds and M.morse_bott(theta).holds


def test_min_loss_with_awkward_rationals_is_exact():
    """Regression: the minimal loss was once passed through nsimplify (3795/268 came back wrong)."""
    M = LinearNetwork((1, 1, 1), [[7, 2, 9]], [[2, 5, -1]]).minima()
    assert M.min_loss == sympy.Rational(3795, 268)


def test_non_filling_with_a_zero_eigenvalue_next_to_a_small_one():
    """Regression: the root 0 and the root ~0.21 of x^2 (x^2 - 86x + 18) share an isolating-interval endpoint."""
    M = LinearNetwork.whitened((3, 1, 4), [[1, 2, 3], [0, 1, 1], [2, 4, 6], [1, 2, 3]]).minima()
    assert not M.filling and M.rank == 1
    T = sympy.Matrix(M.target)
    top = 43 + sympy.sqrt(1831)  # the largest eigenvalue of W* W*^T
    assert sympy.simplify((T * T.T).trace() - top) == 0
