"""Tests of symstab.orbits.flip for networks: the centre-manifold flip coefficient and the drift along M.

Each quantity is checked against a derivation made here, independently of the package:
the drift from one exact GD step written out with sympy, the transverse coefficient
from the amplitude of a 2-cycle found numerically (mpmath Newton) for GD projected onto
the normal space of M, and the algebraic-point path against floats.
"""

import mpmath
import numpy as np
import pytest
import sympy

from symstab import LinearNetwork
from symstab.orbits import period_two
from symstab.orbits.flip import flip_coefficient


def _sympy_data(net, theta):
    """Loss, gradient, Hessian at ``theta`` (sympy, written from the network's own loss expression)."""
    syms = list(net.parameter_symbols)
    L = net.loss_expr()
    grad = [sympy.diff(L, s) for s in syms]
    point = dict(zip(syms, [sympy.nsimplify(t) for t in theta]))
    H = sympy.hessian(L, syms).subs(point)
    return syms, L, grad, point, H


def test_the_drift_is_the_second_order_motion_along_M_of_one_exact_gd_step():
    """P_ker(G(theta_0 + x v) - theta_0) = -(eta/2) x^2 |v|^2 drift + O(x^3), with G written out here."""
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    theta = [2, sympy.Rational(3, 2), 2]
    syms, _, grad, point, H = _sympy_data(net, theta)
    lam, _, vecs = max(H.eigenvects(), key=lambda t: t[0])
    v = vecs[0]
    eta = 2 / lam
    x = sympy.Symbol("x")
    moved = {s: point[s] + x * v[i] for i, s in enumerate(syms)}
    step = sympy.Matrix([moved[s] - eta * g.subs(moved, simultaneous=True) for s, g in zip(syms, grad)])
    K = sympy.Matrix.hstack(*H.nullspace())
    P = K * (K.T * K).inv() * K.T
    tangent = (P * (step - sympy.Matrix([point[s] for s in syms]))).applyfunc(sympy.expand)
    second = tangent.applyfunc(lambda c: c.coeff(x, 2))
    assert tangent.applyfunc(lambda c: c.coeff(x, 1)) == sympy.zeros(len(syms), 1)
    r = flip_coefficient(net, theta)
    expected = -(eta / 2) * v.dot(v) * sympy.Matrix(r.drift)
    assert (second - expected).applyfunc(sympy.simplify) == sympy.zeros(len(syms), 1)
    assert not r.drift_vanishes and r.verdict.startswith("drift along M")


def test_a_point_with_drift_has_no_two_cycle_nearby_and_the_balanced_point_has_one():
    """(1,1,1), target 1: at (2, 1/2) the drift is (60/17, -15/17) and the exact solver finds no 2-cycle near it."""
    net = LinearNetwork.whitened((1, 1, 1), [[1]])
    r = flip_coefficient(net, [2, "1/2"])
    assert r.eta == sympy.Rational(8, 17) and list(r.drift) == [sympy.Rational(60, 17), sympy.Rational(-15, 17)]
    for eta in ("808/1700", "792/1700"):
        for o in period_two(net, eta).orbits:
            assert min(np.hypot(p[0] - 2, p[1] - 0.5) for p in o.points) > 0.5
    balanced = flip_coefficient(net, [1, 1])
    assert balanced.drift_vanishes and balanced.coefficient == 48 and balanced.line_coefficient == 48
    assert balanced.verdict.startswith("supercritical")
    assert any(o.stable for o in period_two(net, "101/100").orbits)


def _projected_cycle_amplitude(net, theta, eps, dps=40):
    """x^2 (a quarter of the squared distance between its two points) of the 2-cycle of
    z -> z - eta P grad L(theta + z) on the range of H, eta = (2/lambda)(1 + eps)."""
    syms, _, grad, point, H = _sympy_data(net, theta)
    with mpmath.workdps(dps):
        Hm = mpmath.matrix([[mpmath.mpf(sympy.Rational(h).p) / sympy.Rational(h).q for h in row] for row in H.tolist()])
        E, Q = mpmath.eigsy(Hm)
        order = sorted(range(len(E)), key=lambda i: -E[i])
        rank = sum(1 for i in order if E[i] > mpmath.mpf(10) ** (-dps // 2))
        basis = [Q[:, i] for i in order[:rank]]                      # orthonormal basis of the range of H
        lam = E[order[0]]
        eta = 2 / lam * (1 + eps)
        f = sympy.lambdify(syms, grad, modules="mpmath")
        base = [mpmath.mpf(point[s].p) / point[s].q for s in syms]

        def F(z):
            th = [base[j] + sum(z[k] * basis[k][j] for k in range(rank)) for j in range(len(syms))]
            g = f(*th)
            return [z[k] - eta * sum(basis[k][j] * g[j] for j in range(len(syms))) for k in range(rank)]

        def F2(*z):  # deflated: the fixed point z = 0 is not a root
            w = F(list(z))
            norm2 = sum(c ** 2 for c in z)
            return [(a - b) / norm2 for a, b in zip(F(w), z)]

        guess = [5 * mpmath.sqrt(abs(eps)) if k == 0 else mpmath.mpf(0) for k in range(rank)]
        z = list(mpmath.findroot(F2, guess))
        half = [(a - b) / 2 for a, b in zip(z, F(z))]                # the two points are m +- x q + O(x^2)
        return float(sum(c ** 2 for c in half)), float(lam)


def test_the_transverse_coefficient_predicts_the_cycle_amplitude_where_the_line_restriction_does_not():
    """For a flip x -> -(1 + a) x + c x^3 the 2-cycle has x^2 ~ a / c, a = eta lambda - 2; with the reported
    scaling c = coefficient / (3 lambda^2). (2,2,2): 91.62 (transverse) against 56.16 (line)."""
    net = LinearNetwork.whitened((2, 2, 2), [[1, 2], [3, 4]])
    theta = [2, 2, -2, 3, sympy.Rational(7, 10), sympy.Rational(1, 5), sympy.Rational(17, 10), sympy.Rational(1, 5)]
    r = flip_coefficient(net, theta)
    kappa, line = float(r.coefficient), float(r.line_coefficient)
    assert abs(kappa - line) / kappa > 0.3
    eps = 1e-4 if kappa > 0 else -1e-4
    amp, lam = _projected_cycle_amplitude(net, theta, eps)
    a = 2 * eps
    predicted = a * 3 * lam ** 2 / kappa
    assert amp == pytest.approx(predicted, rel=2e-3)
    assert abs(amp - a * 3 * lam ** 2 / line) / amp > 0.3


def test_an_exact_algebraic_point_of_M_gives_the_same_values_as_floats():
    """(2,1,2), irrational target: everything in Q(sqrt 221)(lambda); compared with a numpy computation."""
    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    point = net.minima().point(seed=0)
    r = flip_coefficient(net, point)
    assert "exact" in r.evidence
    x = np.array(point.floats())
    syms, L, grad, _, _ = _sympy_data(net, [0] * len(x))
    hess = sympy.lambdify(syms, sympy.hessian(L, syms))
    d3 = sympy.lambdify(syms, [[[sympy.diff(g, s, t) for t in syms] for s in syms] for g in grad])
    d4 = sympy.lambdify(syms, [[[[sympy.diff(g, s, t, u) for u in syms] for t in syms] for s in syms] for g in grad])
    H = np.array(hess(*x), dtype=float)
    w, V = np.linalg.eigh(H)
    q, lam = V[:, -1], w[-1]
    T = np.einsum("ijk,j,k->i", np.array(d3(*x), dtype=float), q, q)
    L4 = np.einsum("ijkl,i,j,k,l->", np.array(d4(*x), dtype=float), q, q, q, q)
    kernel = V[:, np.abs(w) < 1e-9]
    drift = kernel @ (kernel.T @ T)
    Tr = T - drift
    kappa = lam * (3 * Tr @ np.linalg.pinv(H) @ Tr - L4)
    assert float(r.eta) == pytest.approx(2 / lam, rel=1e-12)
    assert float(r.coefficient) == pytest.approx(kappa, rel=1e-9)
    assert np.allclose([float(d) for d in r.drift], drift, atol=1e-9)
    assert r.to_dict()["drift_vanishes"] is False


def test_a_point_that_is_not_a_minimum_or_has_a_multiple_top_eigenvalue_is_refused():
    from symstab.errors import InvalidInputError

    net = LinearNetwork.whitened((1, 1, 1), [[1]])
    with pytest.raises(InvalidInputError, match="not a critical point"):
        flip_coefficient(net, [1, 2])
    identity = LinearNetwork.whitened((2, 2, 2), [[1, 0], [0, 1]])
    with pytest.raises(InvalidInputError, match="not simple"):
        flip_coefficient(identity, [1, 0, 0, 1, 1, 0, 0, 1])


def test_a_saddle_or_a_critical_point_off_M_is_refused():
    """The reduction takes M as the parameters: theta must be a point of M with ker H its tangent space."""
    from symstab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="saddle"):
        flip_coefficient(LinearNetwork.whitened((1, 1, 1), [[-1]]), [0, 0])   # L = 1/2 (ab + 1)^2: H = [[0,-1],[-1,0]]
    with pytest.raises(InvalidInputError, match="Hessian is zero"):
        flip_coefficient(LinearNetwork.whitened((1, 1, 1, 1), [[1]]), [0, 0, 0])
