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
