"""Property tests over random exact networks (symstab.strategies)."""

from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab.strategies import linear_networks, rational_points


@settings(max_examples=25)
@given(linear_networks(max_params=6), st.data())
def test_hessian_at_point_equals_sympy_hessian(net, data):
    theta = data.draw(rational_points(net))
    ref = sympy.hessian(net.loss_expr(), net.parameter_symbols)
    subs = {s: sympy.Rational(t.numerator, t.denominator) for s, t in zip(net.parameter_symbols, theta)}
    exact = net.hessian_at(theta)
    D = net.num_params
    assert all(Fraction(str(exact[i, j])) == Fraction(str(ref[i, j].subs(subs))) for i in range(D) for j in range(D))


@settings(max_examples=25)
@given(linear_networks(max_params=5), st.data())
def test_jacobian_det_equals_det_at_point(net, data):
    """p(theta, eta) = det(I - eta H(theta)) with H(theta) exact (flint) and det by sympy."""
    theta = data.draw(rational_points(net))
    eta = data.draw(st.fractions(min_value=-3, max_value=3, max_denominator=5))
    H = net.hessian_at(theta)
    D = net.num_params
    M = sympy.Matrix(D, D, lambda i, j: (1 if i == j else 0) - sympy.Rational(str(eta)) * sympy.Rational(str(H[i, j])))
    assert net.gd_jacobian_det().evaluate(theta, eta) == Fraction(str(M.det()))


@settings(max_examples=15)
@given(linear_networks(max_params=6))
def test_certificate_exceptional_steps_are_exactly_the_constant_eigenvalues(net):
    """Depth 1 (constant Hessian): E = {1/lambda : lambda > 0 eigenvalue of H}; deeper: E is empty."""
    cert = net.nonsingularity_certificate(seed=0)
    if net.depth == 1:
        H = net.hessian_at([0] * net.num_params)
        lam = sympy.Symbol("lam")
        cp = sympy.Matrix(net.num_params, net.num_params, lambda i, j: sympy.Rational(str(H[i, j]))).charpoly(lam)
        positive = {r for r in sympy.Poly(cp, lam).real_roots() if r.is_positive}
        assert {1 / e for e in cert.exceptional_etas} == positive
    else:
        assert cert.exceptional_etas == []


# --- the strategies generate only valid objects ------------------------------------------------

import numpy as np  # noqa: E402
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

from symstab.minima import minima  # noqa: E402
from symstab.exact.numberfield import AlgebraicPoint  # noqa: E402
from symstab.network import hessian_from_weights  # noqa: E402
from symstab.strategies import (datasets, lines_in_minima, networks, points_on_minima,  # noqa: E402
                                psd_hessian_families, step_sizes, trajectories, widths)

from symstab import LinearNetwork  # noqa: E402

FEW = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
_NET = LinearNetwork.whitened((1, 1, 2), [[3], [4]])     # eta_C = 1/5


@FEW
@given(widths().flatmap(lambda w: st.tuples(st.just(w), datasets(w))))
def test_datasets_have_invertible_covariance_and_right_shapes(case):
    w, (X, Y) = case
    Xm = sympy.Matrix(X)
    assert Xm.rows == w[0] and (Xm * Xm.T).det() != 0
    assert sympy.Matrix(Y).shape == (w[-1], Xm.cols)


@FEW
@given(st.sampled_from(["general", "whitened", "filling", "non_filling", "non_filling_algebraic"]).flatmap(
    lambda kind: st.tuples(st.just(kind), networks(kind, max_params=6))))
def test_networks_of_each_kind_are_what_they_say(case):
    kind, net = case
    M = minima(net)
    assert net.num_params <= 6 or kind.startswith("non_filling")
    if kind == "whitened":
        assert net.X == sympy.eye(net.widths[0])
    if kind == "filling":
        assert M.filling and M.target_field == "rational"
    if kind == "non_filling":
        assert not M.filling and M.target_field == "rational"
    if kind == "non_filling_algebraic":
        assert not M.filling and M.target_field == "algebraic" and net.X == sympy.eye(net.widths[0])


@FEW
@given(st.sampled_from(["filling", "non_filling"]).flatmap(lambda kind: networks(kind, max_params=6)).flatmap(
    lambda net: st.tuples(st.just(net), points_on_minima(net))))
def test_points_on_minima_are_exact_global_minima(case):
    net, theta = case
    M = minima(net)
    assert all(isinstance(t, Fraction) for t in theta)
    assert net.product_at(theta) == sympy.Matrix(M.target) and not any(net.gradient_at(theta))
    assert net.loss_at(theta) == M.min_loss
    net.spectrum_at(theta)                      # accepted by every API that takes a point
    assert net.classify(theta, "1/1000").verdict in ("stable", "marginal", "unstable")


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks("non_filling_algebraic", max_params=8).flatmap(
    lambda net: st.tuples(st.just(net), points_on_minima(net))))
def test_points_on_irrational_minima_are_exact_algebraic_points(case):
    """Irrational minimal products: exact points in a number field, accepted by every point API."""
    net, theta = case
    M = minima(net)
    assert isinstance(theta, AlgebraicPoint) and theta.field.degree > 1
    assert M.check_on_manifold(theta)                               # product = target, exactly in the field
    assert all(g == 0 for g in net.gradient_at(theta))
    # min_loss may be written in conjugate roots (not atoms of theta's field): compare at 50 digits
    assert abs(sympy.N(net.loss_at(theta).to_sympy() - M.min_loss, 50)) < sympy.Float(10) ** -40
    spectrum = net.spectrum_at(theta)
    assert spectrum.zero_multiplicity == M.dimension                # Morse-Bott: ker Hess L = T M
    # numerical reference: float64 eigenvalues of the float Hessian at the float point
    weights = net.split(theta.floats(), dtype=float)
    Hf = hessian_from_weights(weights, np.array(net.Sigma.tolist(), dtype=float),
                              np.array((net.Y * net.X.T).tolist(), dtype=float), float(net.loss_scale))
    values = np.linalg.eigvalsh(Hf)
    listed = sorted(float(e.enclosure[0]) for e in spectrum.eigenvalues for _ in range(e.multiplicity))
    assert np.allclose(sorted(v for v in values if abs(v) > 1e-9), listed, rtol=1e-8, atol=1e-9)
    top = max(values)
    for eta, verdict in ((Fraction(1, 2) * Fraction(2) / Fraction(top), "stable"),
                         (Fraction(3, 2) * Fraction(2) / Fraction(top), "unstable")):
        assert net.classify(theta, eta).verdict == verdict


def test_points_on_minima_go_beyond_the_seeded_points():
    net = _NET
    seeded = {tuple(minima(net).point(seed=s)) for s in range(20)}
    seen = set()

    @hypothesis_seed(0)
    @settings(max_examples=60, deadline=None, database=None)
    @given(points_on_minima(net))
    def collect(theta):
        seen.add(tuple(theta))

    collect()
    assert len(seeded) == 5 and len(seen - seeded) >= len(seeded)


@FEW
@given(networks("filling", max_params=8, min_rank=1).flatmap(
    lambda net: st.tuples(st.just(net), lines_in_minima(net))))
def test_lines_in_minima_stay_in_M(case):
    net, (theta, v) = case
    assert any(v)
    target = sympy.Matrix(minima(net).target)
    for t in (1, -2, Fraction(7, 3)):
        assert net.product_at([a + t * b for a, b in zip(theta, v)]) == target


@FEW
@given(st.sampled_from(["below", "above"]).flatmap(lambda side: st.tuples(st.just(side), step_sizes(
    _NET, side=side))))
def test_step_sizes_fall_on_the_requested_side_of_eta_C(case):
    side, eta = case
    assert isinstance(eta, Fraction) and eta > 0
    assert (eta < Fraction(1, 5)) if side == "below" else (eta > Fraction(1, 5))


@FEW
@given(psd_hessian_families())
def test_psd_families_are_symmetric_psd_and_not_all_zero(hs):
    assert any(x for h in hs for row in h for x in row)
    for h in hs:
        m = sympy.Matrix(h)
        assert m == m.T and m.is_positive_semidefinite


@FEW
@given(st.integers(2, 4).flatmap(lambda n: psd_hessian_families(n=n, d=3, kind="incoherent")))
def test_incoherent_families_are_mutually_orthogonal(hs):
    for i, a in enumerate(hs):
        for b in hs[i + 1:]:
            assert (sympy.Matrix(a) * sympy.Matrix(b)).is_zero_matrix


@FEW
@given(psd_hessian_families(kind="coherent"))
def test_coherent_families_share_one_direction(hs):
    assert sympy.Matrix.hstack(*[sympy.Matrix(h) for h in hs]).rank() <= 1


@FEW
@given(trajectories(_NET, steps=2))
def test_trajectories_are_exact_gd(case):
    eta, path = case
    net = _NET
    assert all(path[k + 1] == net.gd_step(path[k], eta) for k in range(len(path) - 1))
