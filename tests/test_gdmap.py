"""det(I - eta H), det(2I - eta H), charpoly(H) and the A1 certificate.

References are independent: the Hessian from sympy's differentiation of the
loss expression, evaluated at the point and its determinant taken by sympy.
"""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.errors import InvalidInputError, SymbolicDataError, TooLargeError
from symstab import strategies
from symstab.gdmap import estimate_cost, nonsingularity_certificate

NETS = {
    "112": LinearNetwork.whitened((1, 1, 2), [[3], [4]]),
    "212": LinearNetwork((2, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]]),
    "121": LinearNetwork((1, 2, 1), [[1, 2]], [["1/2", -1]], loss="sum"),
    "1111": LinearNetwork((1, 1, 1, 1), [[2, 1]], [[1, 3]], loss="mean"),
    "221": LinearNetwork((2, 2, 1), [[1, 0, 1], [0, 1, 1]], [[1, -2, 0]], loss="half_mean"),
}
_REFERENCE = {}


def reference_hessian(net):
    if net not in _REFERENCE:
        _REFERENCE[net] = sympy.hessian(net.loss_expr(), net.parameter_symbols)
    return _REFERENCE[net]


rationals = strategies.rationals(max_abs=4, max_denominator=5)


@pytest.mark.parametrize("name", sorted(NETS))
@given(data=st.data())
def test_determinants_equal_exact_determinant_at_random_points(name, data):
    net = NETS[name]
    theta = data.draw(strategies.rational_points(net, max_abs=4, max_denominator=5))
    eta = data.draw(rationals)
    subs = {s: sympy.Rational(t.numerator, t.denominator) for s, t in zip(net.parameter_symbols, theta)}
    Hp = reference_hessian(net).subs(subs)
    e = sympy.Rational(eta.numerator, eta.denominator)
    I = sympy.eye(net.num_params)
    assert net.gd_jacobian_det().evaluate(theta, eta) == Fraction(str((I - e * Hp).det()))
    assert net.stability_det().evaluate(theta, eta) == Fraction(str((2 * I - e * Hp).det()))
    assert net.hessian_charpoly().evaluate(theta, lam=eta) == Fraction(str((e * I - Hp).det()))


def test_result_object():
    p = NETS["112"].gd_jacobian_det()
    assert p.kind == "jacobian" and p.variable == "eta"
    assert p.nterms == len(sympy.Add.make_args(p.as_expr()))
    assert p.degree == sympy.Poly(p.as_expr()).total_degree()
    assert p.degrees["eta"] == 3
    assert sympy.expand(p.factor().as_expr() - p.as_expr()) == 0
    assert r"W_{1}(1,1)" in p.latex() and r"\eta" in p.latex()
    assert NETS["112"].hessian_charpoly().variable == "lam"


def test_jacobian_det_at_eta_zero_is_one():
    p = NETS["212"].gd_jacobian_det()
    eta = sympy.Symbol("eta")
    assert p.as_expr().subs(eta, 0) == 1


def test_half_loss_on_the_hyperbola():
    """L = 1/2 (1 - xy)^2: on xy = 1, det(I - eta H) = 1 - eta(x^2 + y^2), det(2I - eta H) = 2(2 - eta(x^2+y^2))."""
    net = LinearNetwork.whitened((1, 1, 1), [[1]])
    x, y = net.parameter_symbols
    eta = sympy.Symbol("eta")
    on_curve = {y: 1 / x}
    p = net.gd_jacobian_det().as_expr().subs(on_curve)
    q = net.stability_det().as_expr().subs(on_curve)
    assert sympy.simplify(p - (1 - eta * (x**2 + 1 / x**2))) == 0
    assert sympy.simplify(q - 2 * (2 - eta * (x**2 + 1 / x**2))) == 0


@pytest.mark.parametrize("widths,X,Y", [
    ((1, 2, 2, 1), [[1]], [[3]]),
    ((2, 1, 1, 2), [[1, 0], [0, 1]], [[1, 2], [3, 4]]),
    ((1, 1, 1, 1, 1), [[2]], [[5]]),
])
def test_depth_at_least_three_origin_fact(widths, X, Y):
    """docs/theory.md, A1: for H >= 3, Hess L(0) = 0, so p(0, eta) = 1."""
    net = LinearNetwork(widths, X, Y)
    zero = [0] * net.num_params
    assert all(net.hessian_at(zero)[i, j] == 0 for i in range(net.num_params) for j in range(net.num_params))
    p = net.gd_jacobian_det().as_expr()
    assert p.subs({s: 0 for s in net.parameter_symbols}) == 1


@pytest.mark.parametrize("widths,X,Y,loss", [
    ((2, 2, 2), [[1, 0], [0, 1]], [[3, 0], [0, 1]], "half"),
    ((2, 3, 2), [[1, 2, 0], [0, 1, 1]], [[1, 0, 2], [3, 4, -1]], "half"),
    ((1, 2, 2), [[1, 2]], [[1, 1], [0, 3]], "sum"),
    ((2, 1, 3), [[1, 0], [1, 1]], [[1, 2], [0, 1], [2, 2]], "mean"),
])
def test_depth_two_origin_fact(widths, X, Y, loss):
    """docs/theory.md, A1: for H = 2, p(0, eta) = prod_i (1 - eta^2 s_i^2)^{d_1} with s_i the singular
    values of 2c Y X^T (c the loss constant; 2c = 1 for the default loss), i.e.
    det(I - eta^2 M M^T)^{d_1}, M = 2c Y X^T, as an exact identity in eta."""
    net = LinearNetwork(widths, X, Y, loss=loss)
    eta = sympy.Symbol("eta")
    c = sympy.Rational(net.loss_scale.numerator, net.loss_scale.denominator)
    M = 2 * c * net.Y * net.X.T
    expected = (sympy.eye(M.rows) - eta**2 * M * M.T).det() ** widths[1]
    zero = {s: 0 for s in net.parameter_symbols}
    if net.num_params <= 8:
        p0 = net.gd_jacobian_det().as_expr().subs(zero)
    else:  # D = 12 is beyond the full polynomial's budget: H(0) is exact, so take det(I - eta H(0))
        H0 = sympy.Matrix(net.num_params, net.num_params,
                          lambda i, j: sympy.Rational(str(net.hessian_at([0] * net.num_params)[i, j])))
        p0 = (sympy.eye(net.num_params) - eta * H0).det()
    assert sympy.expand(p0 - expected) == 0


def test_certificate_depth_two_origin_is_exceptional_then_cleared():
    """At theta = 0 the depth-2 Hessian has eigenvalues +-s_i; another point clears them."""
    net = LinearNetwork.whitened((2, 2, 2), [[3, 0], [0, 1]])
    cert = nonsingularity_certificate(net, points=[[0] * 8], seed=0)
    assert len(cert.points) >= 2 and cert.points[0] == [0] * 8
    assert cert.exceptional_etas == [] and cert.holds and cert.exceptional_set_is_empty
    one_point = nonsingularity_certificate(net, points=[[0] * 8], max_points=1)
    assert sorted(c.value for c in one_point.candidates) == [sympy.Rational(1, 3), 1]


def test_certificate_confirms_a_truly_exceptional_step():
    """Depth 1: H = 2c Sigma (x) I is constant, so eta = 1/lambda(Sigma) is exceptional."""
    net = LinearNetwork((2, 1), [[1, 0], [0, 2]], [[1, 1]])
    cert = nonsingularity_certificate(net)
    assert sorted(cert.exceptional_etas) == [sympy.Rational(1, 4), 1]
    assert all(c.confirmed for c in cert.candidates)
    d = cert.to_dict()
    assert d["exceptional_etas"] == ["1/4", "1"] or sorted(d["exceptional_etas"]) == ["1", "1/4"]


def test_certificate_irrational_exceptional_steps():
    net = LinearNetwork((2, 1), [[1, 1], [0, 1]], [[1, 1]])  # Sigma = [[2,1],[1,1]]
    cert = nonsingularity_certificate(net)
    values = sorted(cert.exceptional_etas, key=lambda v: float(v))
    assert len(values) == 2 and all(c.confirmed for c in cert.candidates)
    for v in values:  # eta = 1/lambda with lambda an eigenvalue of Sigma: lambda^2 - 3 lambda + 1 = 0
        assert sympy.simplify((1 / v) ** 2 - 3 / v + 1) == 0
    assert "lam**2 - 3*lam + 1" == str(cert.gcd)


def test_certificate_scales_to_large_architectures():
    target = [[1, 2, 3, 4], [0, 1, 0, 1], [2, 0, 1, 1], [1, 1, 1, 0]]
    cert = LinearNetwork.whitened((4, 8, 8, 4), target).nonsingularity_certificate(seed=0)
    assert cert.num_params == 128 and cert.exceptional_etas == [] and cert.holds
    assert "non-singular for every eta > 0" in str(cert)
    assert cert.to_dict()["evidence"] == "exact"


def test_certificate_is_reproducible():
    net = NETS["212"]
    assert nonsingularity_certificate(net, seed=5).points == nonsingularity_certificate(net, seed=5).points


def test_symbolic_family_polynomial_and_refusals():
    y = sympy.Symbol("y")
    net = LinearNetwork.whitened((1, 1, 1), [[y]])
    p = net.gd_jacobian_det()
    a, b = net.parameter_symbols
    eta = sympy.Symbol("eta")
    H = sympy.Matrix([[b**2, 2 * a * b - y], [2 * a * b - y, a**2]])
    assert sympy.expand(p.as_expr() - (sympy.eye(2) - eta * H).det()) == 0
    with pytest.raises(SymbolicDataError, match="data="):
        p.evaluate([1, 2], 3)
    assert p.evaluate([1, 2], 3, data={"y": 1}) == Fraction(str((sympy.eye(2) - 3 * H).subs({a: 1, b: 2, y: 1}).det()))
    with pytest.raises(SymbolicDataError):
        nonsingularity_certificate(net)


def test_too_large_is_refused_with_an_estimate():
    net = LinearNetwork.whitened((2, 2, 2, 2), [[1, 0], [0, 1]])
    with pytest.raises(TooLargeError, match=r"estimated at ~10\^.* terms \(10\^.*\), ~.* and ~.* of memory \(limit .*\); pass force=True"):
        net.gd_jacobian_det()
    assert estimate_cost(net)["num_params"] == 12


@pytest.mark.parametrize("widths,X,Y,loss", [
    ((1, 2, 2, 1), [[1]], [[3]], "half"),
    ((1, 2, 1), [[1, 2]], [[3, -1]], "mean"),
    ((1, 3, 1), [[2]], [[5]], "sum"),
    ((1, 1, 1, 1), [[2, 1]], [["1/2", 3]], "half_mean"),
    ((1, 2, 1, 2, 1), [[1]], [[2]], "half"),
    ((1, 1, 1, 1), [[1]], [[sympy.Symbol("y")]], "half"),
])
def test_scalar_network_fast_path_matches_berkowitz(widths, X, Y, loss):
    """The structured path for d_0 = d_H = 1 equals Berkowitz on the full Hessian."""
    from symstab.gdmap import _berkowitz_coefficients, charpoly_coefficients, is_scalar_net

    net = LinearNetwork(widths, X, Y, loss=loss)
    assert is_scalar_net(net)
    assert charpoly_coefficients(net) == _berkowitz_coefficients(net, None)


def test_gd_map_step_and_loss_at_agree_with_sympy():
    net = NETS["212"]
    theta = [1, Fraction(1, 2), -2, 3]
    eta = Fraction(1, 7)
    subs = {s: sympy.Rational(str(t)) for s, t in zip(net.parameter_symbols, theta)}
    subs[sympy.Symbol("eta")] = sympy.Rational(1, 7)
    expected = [Fraction(str(e.subs(subs))) for e in net.gd_map()]
    assert net.gd_step(theta, eta) == expected
    assert net.loss_at(theta) == Fraction(str(net.loss_expr().subs(subs)))


def test_certificate_reports_a_proved_empty_set_after_deciding_candidates():
    """One point (theta = 0) leaves candidates; deciding them exactly proves E empty."""
    net = LinearNetwork.whitened((2, 1, 2), [[3, 0], [0, 1]])
    cert = nonsingularity_certificate(net, points=[[0] * 4], max_points=1)
    assert cert.candidates and all(c.confirmed is False for c in cert.candidates)
    assert cert.exceptional_set_is_empty and cert.exceptional_set_is_known
    assert "non-singular for every eta > 0" in cert.conclusion and r"E = \emptyset" in cert.latex()


def test_certificate_states_a_known_nonempty_set_exactly():
    cert = nonsingularity_certificate(LinearNetwork((2, 1), [[1, 0], [0, 2]], [[1, 1]]))
    assert cert.exceptional_set_is_known and not cert.exceptional_set_is_empty
    assert "except E = {1/4, 1}" in cert.conclusion or "except E = {1, 1/4}" in cert.conclusion
    assert r"E = \left\{" in cert.latex()


@pytest.mark.parametrize("kwargs,match", [
    (dict(max_points=0), "max_points"),
    (dict(entry_range=-1), "entry_range"),
    (dict(points=[5]), "sequence of D = 4"),
    (dict(points=[[1, 2]]), "sequence of D = 4"),
])
def test_certificate_bad_arguments(kwargs, match):
    from symstab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=match):
        nonsingularity_certificate(NETS["212"], **kwargs)


def test_single_layer_closed_form_and_guard():
    """Depth 1: charpoly(H) = charpoly(2c Sigma)^{d_1}; large single layers are not refused."""
    from symstab.gdmap import _berkowitz_coefficients, _single_layer_coefficients

    net = LinearNetwork((2, 3), [[1, 2, 0], [0, 1, 1]], [[1, 0, 1], [2, 2, 2], [0, 1, 0]], loss="mean")
    assert _single_layer_coefficients(net) == _berkowitz_coefficients(net, None)
    big = LinearNetwork.whitened((12, 12), [[1] * 12] * 12)
    p = big.gd_jacobian_det()
    eta = sympy.Symbol("eta")
    assert sympy.expand(p.as_expr() - (1 - eta) ** 144) == 0


def test_huge_architectures_are_refused_cleanly():
    from symstab.errors import InvalidInputError

    with pytest.raises(TooLargeError, match=r"10\^"):
        LinearNetwork.whitened((3, 300, 3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]).gd_jacobian_det()
    with pytest.raises(InvalidInputError, match="at most"):
        LinearNetwork.whitened((1000, 1000), [[1] * 1000] * 1000)


def test_evaluate_rejects_symbols_and_unknown_data():
    from symstab.errors import InvalidInputError

    y = sympy.Symbol("y")
    p = LinearNetwork.whitened((1, 1, 1), [[y]]).gd_jacobian_det()
    with pytest.raises(InvalidInputError, match="exact numbers"):
        p.evaluate([y, 2], 1, data={"y": 1})
    with pytest.raises(InvalidInputError, match="not data symbols"):
        p.evaluate([1, 2], 1, data={"y": 1, "z": 2})
    with pytest.raises(InvalidInputError, match="sequence"):
        p.evaluate(None, 1)


def test_certificate_reports_progress_and_refuses_huge_networks_up_front():
    from symstab.errors import TooLargeError
    from symstab.gdmap import certificate_cost, nonsingularity_certificate

    calls = []
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    cert = nonsingularity_certificate(net, progress=lambda done, total: calls.append((done, total)))
    assert cert.holds and calls and calls[-1] == (6, 6) and all(d <= t for d, t in calls)
    big = LinearNetwork.whitened((1, 300, 300, 1), [[1]])
    assert certificate_cost(big).seconds > certificate_cost(LinearNetwork.whitened((1, 60, 60, 1), [[1]])).seconds
    with pytest.raises(TooLargeError, match=r"estimated at .* pass force=True"):
        nonsingularity_certificate(big)


# --- the figure ----------------------------------------------------------------------------------

def test_plot_singular_set_traces_the_zero_set_of_det_DG(tmp_path):
    """(1,1,1), w* = 2, eta = 1/4: the drawn zero set is where float64 det(I - eta H) vanishes; M is ab = 2."""
    from symstab.gdmap_figure import plot_singular_set
    from symstab.network import hessian_from_weights

    net = LinearNetwork.whitened((1, 1, 1), [[2]])
    fig = plot_singular_set(net, "1/4", tmp_path / "s.png", points=201)
    assert (tmp_path / "s.png").stat().st_size > 5000
    ax = fig.axes[0]
    zero_set, m_curve = [c for c in ax.collections if len(c.get_paths()) and c.get_linewidths()[0] > 1][-2:]

    def det_dg(a, b):
        Hess = hessian_from_weights([np.array([[a]]), np.array([[b]])], np.eye(1), np.array([[2.0]]), 0.5)
        return np.linalg.det(np.eye(2) - Hess / 4)

    vertices = np.concatenate([p.vertices for p in zero_set.get_paths()])
    assert len(vertices) > 50 and max(abs(det_dg(a, b)) for a, b in vertices) < 0.05
    m_vertices = np.concatenate([p.vertices for p in m_curve.get_paths()])
    assert np.allclose(m_vertices[:, 0] * m_vertices[:, 1], 2, atol=0.05)


def test_plot_singular_set_bad_input():
    from symstab.errors import InvalidInputError
    from symstab.gdmap_figure import plot_singular_set

    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    for kwargs, message in (({"eta": "0"}, "eta"), ({"eta": "1/4", "params": (0, 0)}, "two different"),
                            ({"eta": "1/4", "base": [1, 2]}, "base needs 3")):
        with pytest.raises(InvalidInputError, match=message):
            plot_singular_set(net, **kwargs)


# --- gd_step at exact algebraic points -------------------------------------------------------------

def test_gd_step_fixes_algebraic_points_of_M():
    """theta in M is a critical point: one exact step from an algebraic point of M (Q(sqrt 221)) returns it."""
    from symstab.exact.numberfield import AlgebraicPoint

    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    M = net.minima()
    for seed in range(4):
        theta = M.point(seed=seed)
        after = net.gd_step(theta, Fraction(1, 7))
        assert isinstance(after, AlgebraicPoint) and after.field.same_as(theta.field) and after == theta


@pytest.mark.parametrize("eta", [Fraction(1, 3), Fraction(-2, 5), Fraction(7)])
def test_gd_step_at_an_algebraic_point_matches_sympy_radicals(eta):
    """Off M, coordinates in Q(sqrt 2, sqrt 3): two exact steps against sympy's GD map substituted at radicals
    (zero test of the difference by its minimal polynomial), and the field is kept."""
    from symstab.exact.numberfield import AlgebraicPoint, algebraic_point

    net = LinearNetwork((2, 1, 2), [[1, 0, 2], [0, 1, 1]], [[1, 2, 0], [3, 4, 1]])
    r2, r3 = sympy.sqrt(2), sympy.sqrt(3)
    values = [r2, 1 - r3, sympy.Rational(1, 2), r2 * r3]
    theta = algebraic_point(values)
    G = net.gd_map()
    syms = list(net.parameter_symbols) + [sympy.Symbol("eta")]
    x = sympy.Symbol("x")
    point, ref = theta, values
    for _ in range(2):
        point = net.gd_step(point, eta)
        ref = [g.subs(dict(zip(syms, ref + [sympy.Rational(eta.numerator, eta.denominator)]))) for g in G]
        assert isinstance(point, AlgebraicPoint) and point.field.same_as(theta.field)
        for mine, theirs in zip(point, ref):
            assert sympy.minimal_polynomial(mine.to_sympy() - theirs, x) == x
    rational = net.gd_step([1, 0, "1/2", 2], eta)  # a rational point still gives Fractions
    assert all(isinstance(v, Fraction) for v in rational)


def test_the_determinant_evaluates_exactly_at_an_algebraic_point_of_M():
    """Irrational target: M.point() lies in Q(sqrt 221); p(theta, eta) there equals sympy's det(I - eta H) at
    the radicals (the slow reference), exactly."""
    import sympy

    from symstab.exact.numberfield import AlgebraicPoint

    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    theta = net.minima().point(seed=0)
    assert isinstance(theta, AlgebraicPoint)
    value = net.gd_jacobian_det().evaluate(theta, "1/7")
    weights = [sympy.Matrix(W.tolist()) for W in net.split(theta.to_sympy())]
    H = net.hessian_at_weights(weights)
    reference = (sympy.eye(net.num_params) - sympy.Rational(1, 7) * H).det()
    assert sympy.minimal_polynomial(sympy.expand(value.to_sympy() - reference), sympy.Symbol("x")) == \
        sympy.Symbol("x")
    with pytest.raises(InvalidInputError, match="rational"):
        net.gd_jacobian_det().evaluate(theta, sympy.sqrt(2))
