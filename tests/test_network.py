import random
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy

from symstab import LinearNetwork
from symstab.errors import InvalidInputError, ShapeError, SingularDataError, SymbolicDataError
from symstab.network import hessian_from_weights

CASES = [
    ((1, 1, 2), [[1]], [[3], [4]]),
    ((2, 3, 2), [[1, 2, 0], [0, 1, 5]], [[1, 0, 2], [3, 4, -1]]),
    ((2, 2, 1, 3), [[1, 2], [0, 1]], [[1, 0], [3, 4], [5, 6]]),
    ((1, 2, 2, 2, 1), [[2]], [[3]]),
    ((2, 1), [[1, 0], [0, 2]], [[1, 1]]),
]


@pytest.mark.parametrize("widths,X,Y", CASES)
@pytest.mark.parametrize("loss", ["half", "sum", "mean", "half_mean"])
def test_formulas_match_differentiation(widths, X, Y, loss):
    """The closed-form gradient/Hessian equal flint's derivatives of the loss polynomial."""
    net = LinearNetwork(widths, X, Y, loss=loss)
    L = net.loss_poly
    grad = [L.derivative(i) for i in range(net.num_params)]
    assert tuple(grad) == net.gradient_polys
    hess = tuple(tuple(g.derivative(j) for j in range(net.num_params)) for g in grad)
    assert hess == net.hessian_polys


@pytest.mark.parametrize("widths,X,Y", CASES[:3])
def test_loss_poly_matches_sympy_loss(widths, X, Y):
    net = LinearNetwork(widths, X, Y)
    assert sympy.expand(net.loss_expr() - net.ring.to_sympy(net.loss_poly)) == 0
    H = net.hessian_matrix()
    ref = sympy.hessian(net.loss_expr(), net.parameter_symbols)
    assert (H - ref.applyfunc(sympy.expand)).is_zero_matrix


@pytest.mark.parametrize("widths,X,Y", CASES)
def test_exact_point_hessian_and_gradient(widths, X, Y):
    net = LinearNetwork(widths, X, Y, loss="mean")
    rng = random.Random(1)
    theta = [Fraction(rng.randint(-5, 5), rng.randint(1, 3)) for _ in range(net.num_params)]
    point = [flint.fmpq(t.numerator, t.denominator) for t in theta]
    Hp = net.hessian_at(theta)
    for i, row in enumerate(net.hessian_polys):
        for j, h in enumerate(row):
            assert Hp[i, j] == h(*point)
    assert net.gradient_at(theta) == [Fraction(str(g(*point))) for g in net.gradient_polys]


def test_float_formula_is_the_same_definition():
    net = LinearNetwork(*CASES[1][:3])
    rng = np.random.default_rng(0)
    theta = rng.integers(-3, 4, net.num_params)
    Hf = hessian_from_weights(net.split(theta.astype(float), dtype=float),
                              np.array(net.Sigma.tolist(), dtype=float),
                              np.array((net.Y * net.X.T).tolist(), dtype=float), 0.5)
    exact = net.hessian_at([int(t) for t in theta])
    assert np.array_equal(Hf, np.array([[float(exact[i, j]) for j in range(net.num_params)]
                                        for i in range(net.num_params)]))


def test_whitened_and_basic_facts():
    net = LinearNetwork.whitened(widths=(2, 2, 2), target=[[3, 0], [0, 1]])
    assert net.num_params == 8 and net.depth == 2 and net.n == 2
    assert net.Sigma == sympy.eye(2)
    assert net.param_names[0] == "W1_0_0" and net.param_names[-1] == "W2_1_1"
    assert net.loss_scale == Fraction(1, 2)
    assert LinearNetwork.whitened((1, 1), [[1]], loss="half_mean").loss_scale == Fraction(1, 2)


def test_loss_normalisations_scale_the_hessian():
    """L = c ||mu X - Y||^2 with c = 1/2, 1, 1/n, 1/(2n); here n = 3."""
    widths, X, Y = CASES[1]
    theta = list(range(1, 13))
    half = LinearNetwork(widths, X, Y, loss="half").hessian_at(theta)
    assert LinearNetwork(widths, X, Y, loss="sum").hessian_at(theta) == 2 * half
    assert LinearNetwork(widths, X, Y, loss="mean").hessian_at(theta) * 3 == 2 * half
    assert LinearNetwork(widths, X, Y, loss="half_mean").hessian_at(theta) * 3 == half


def test_symbolic_family():
    y = sympy.Symbol("y")
    net = LinearNetwork.whitened(widths=(1, 1, 1, 1), target=[[y]])
    assert net.is_family and net.symbols == (y,)
    assert "y" in net.ring.names
    L = net.ring.to_sympy(net.loss_poly)
    a, b, c = net.parameter_symbols
    assert sympy.expand(L - (a * b * c - y) ** 2 / 2) == 0
    with pytest.raises(SymbolicDataError, match="family in y"):
        net.hessian_at([1, 1, 1])
    member = net.substitute({"y": 2})
    assert not member.is_family and member.Y == sympy.Matrix([[2]])


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(widths=(2, 1), X=[[1, 0]], Y=[[1]]), ShapeError, "X has 1 rows"),
    (dict(widths=(1, 2), X=[[1, 2]], Y=[[1], [2], [3]]), ShapeError, "Y has 3 rows"),
    (dict(widths=(1, 1), X=[[1, 2]], Y=[[1]]), ShapeError, "columns"),
    (dict(widths=(1, 0, 1), X=[[1]], Y=[[1]]), InvalidInputError, "at least 1"),
    (dict(widths=(1,), X=[[1]], Y=[[1]]), InvalidInputError, "two widths"),
    (dict(widths=(2, 1), X=[[1, 2], [2, 4]], Y=[[1, 1]]), SingularDataError, "singular"),
    (dict(widths=(1, 1), X=[["a"]], Y=[[1]]), InvalidInputError, "not an exact number"),
    (dict(widths=(1, 1), X=[[float("nan")]], Y=[[1]]), InvalidInputError, "finite"),
    (dict(widths=(1, 1), X=[[1]], Y=[[float("inf")]]), InvalidInputError, "finite"),
    (dict(widths=(1, 1), X=[[1]], Y=[[1]], loss="l1"), InvalidInputError, "unknown loss"),
    (dict(widths=(1, 1), X=[[1]], Y=[[sympy.Symbol("eta")]]), InvalidInputError, "clash"),
    (dict(widths=("a", 1), X=[[1]], Y=[[1]]), InvalidInputError, "integers"),
])
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        LinearNetwork(**kwargs)


def test_bad_theta():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    with pytest.raises(ShapeError, match="D = 3"):
        net.hessian_at([1, 2])
    with pytest.raises(InvalidInputError):
        net.hessian_at([1, 2, "x"])


@pytest.mark.parametrize("widths", [(2.7, 2), "22", (True, 1), 5, None, (1, -1)])
def test_widths_are_strict(widths):
    with pytest.raises(InvalidInputError):
        LinearNetwork(widths, [[1, 0], [0, 1]], [[1, 0], [0, 1]])


def test_whitened_checks_target_shape_and_loss_type():
    with pytest.raises(ShapeError, match="target has 3 rows but d_H = 2"):
        LinearNetwork.whitened((2, 1, 2), [[1, 0], [0, 1], [1, 1]])
    with pytest.raises(InvalidInputError, match="unknown loss"):
        LinearNetwork.whitened((1, 1), [[1]], loss=["half"])


def test_substitute_rejects_unknown_or_symbolic_values():
    y = sympy.Symbol("y")
    net = LinearNetwork.whitened((1, 1), [[y]])
    with pytest.raises(InvalidInputError, match="not data symbols"):
        net.substitute({"w": 2})
    with pytest.raises(InvalidInputError, match="exact number"):
        net.substitute({"y": sympy.Symbol("z")})


def test_sympy_float_is_converted_like_a_python_float():
    from symstab.errors import InexactInputWarning

    with pytest.warns(InexactInputWarning):
        net = LinearNetwork.whitened((1, 1), [[sympy.Float(0.1)]])
    assert net.Y[0, 0] == sympy.Rational(Fraction(0.1).numerator, Fraction(0.1).denominator)


def test_point_functions_at_algebraic_points_match_sympy():
    """gradient_at, loss_at, product_at, hessian_at at points with coordinates in Q(sqrt 2, sqrt 3)."""
    from symstab.exact.numberfield import algebraic_point

    net = LinearNetwork((2, 1, 2), [[1, 0, 2], [0, 1, 1]], [[1, 2, 0], [3, 4, 1]])
    r2, r3 = sympy.sqrt(2), sympy.sqrt(3)
    values = [r2, 1 - r3, sympy.Rational(1, 2), r2 * r3]
    theta = algebraic_point(values)
    assert theta.field.degree == 4
    syms = [sympy.Symbol(n) for n in net.param_names]
    L = net.loss_expr()
    at = dict(zip(syms, values))
    assert sympy.simplify(net.loss_at(theta).to_sympy() - L.subs(at)) == 0
    for g, s in zip(net.gradient_at(theta), syms):
        assert sympy.simplify(g.to_sympy() - sympy.diff(L, s).subs(at)) == 0
    H = net.hessian_at(theta)
    for i, a in enumerate(syms):
        for j, b in enumerate(syms):
            assert sympy.simplify(H[i][j].to_sympy() - sympy.diff(L, a, b).subs(at)) == 0
    assert (net.product_at(values) - net.product_at(theta)).applyfunc(sympy.simplify).is_zero_matrix
