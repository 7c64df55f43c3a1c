"""Result A5 for widths ``(d, k, 1)`` with a general Sigma: an exact algebraic ``eta_C``.

The minimisation over M reduces to one parameter, ``min_t lambda_max(2c (t I + w w^T / t) Sigma)``
(docs/theory.md, A5 table). The minimum is a root of resultants of the
critical-point equations; which root is decided exactly by an exact
one-dimensional cell decomposition (:func:`~symstab.exact.algebraic.positive_cell_samples`).
"""

from __future__ import annotations

import mpmath
import sympy

from ..exact.algebraic import enclose_algebraic, positive_cell_samples, root_closed_form
from ..exact.numbers import as_rational

__all__ = ["one_parameter"]


def one_parameter(net, M, eps, dps) -> dict:
    """``min_t lambda_max(2c (t I + w w^T / t) Sigma)`` exactly, for widths ``(d, k, 1)`` (docs/theory.md, A5).

    Reduction: ``t = ||W_2||^2`` and ``W_1^T W_1 >= w w^T / t`` (Cauchy-Schwarz,
    ``w = W_1^T W_2^T``) with equality for rank-one ``W_1``, so the minimum over
    M is a minimum over ``t > 0``.
    """
    lam, t = sympy.symbols("lam t")
    kappa = net.kappa
    d = net.widths[0]
    w = sympy.Matrix(M.target).T
    Sigma, eye = net.Sigma, sympy.eye(d)
    F = sympy.Poly((t * lam * eye - kappa * (t**2 * eye + w * w.T) * Sigma).det(method="berkowitz"), lam, t)
    factors = [f for f, _ in F.factor_list()[1] if f.degree(lam) > 0]
    candidates = []
    for f in factors:
        ft = f.diff(t)
        if ft.is_zero:
            candidates.append(sympy.Poly(f.as_expr(), lam))
            continue
        candidates.append(sympy.Poly(sympy.resultant(f.as_expr(), ft.as_expr(), t), lam))
        if f.degree(lam) > 1:
            candidates.append(sympy.Poly(sympy.resultant(f.as_expr(), f.diff(lam).as_expr(), t), lam))
    for i in range(len(factors)):
        for j in range(i + 1, len(factors)):
            candidates.append(sympy.Poly(sympy.resultant(factors[i].as_expr(), factors[j].as_expr(), t), lam))
    irreducible = []
    for c in candidates:
        if c.is_zero or c.degree() == 0:
            continue
        for g, _ in c.factor_list()[1]:
            g = g.monic()
            if g.degree() > 0 and g not in irreducible:
                irreducible.append(g)
    step = sympy.Rational(1, 10**6)
    while True:
        roots = sorted(((a, b, k) for (a, b), idx in sympy.intervals(irreducible, eps=step, inf=0)
                        for k in idx if b > 0), key=lambda r: r[0])
        if all(r1[1] < r2[0] for r1, r2 in zip(roots, roots[1:])) and all(r[0] > 0 for r in roots):
            break
        step /= 1000

    Sinv = Sigma.inv()

    def below(ell) -> bool:
        """Exactly: is there t > 0 with lambda_max < ell, i.e. ell t Sigma^-1 - 2c (t^2 I + w w^T) > 0?"""
        S = ell * t * Sinv - kappa * (t**2 * eye + w * w.T)
        minors = [sympy.Poly(S[:k, :k].det(method="berkowitz"), t) for k in range(1, d + 1)]
        return any(all(m.eval(p) > 0 for m in minors) for p in positive_cell_samples(minors, t))

    chosen = None
    for j, (a, b, k) in enumerate(roots):
        u = (b + roots[j + 1][0]) / 2 if j + 1 < len(roots) else b + 1
        if below(u):
            chosen = (a, b, k)
            break
    if chosen is None:
        raise RuntimeError("internal error: no candidate root is the minimum of lambda_max")
    g = irreducible[chosen[2]]
    index = sum(1 for a, b, k in roots if k == chosen[2] and b < chosen[0])
    negatives = len([r for r in sympy.real_roots(g) if r <= 0])
    lam_star = root_closed_form(g, negatives + index)
    lo_l, hi_l = enclose_algebraic(lam_star, eps / 100)
    eta = sympy.radsimp(2 / lam_star) if not isinstance(lam_star, sympy.CRootOf) else 2 / lam_star
    witness, check = _one_parameter_witness(net, w, kappa, lam_star, dps)
    return dict(eta_C=eta, eta_C_interval=(2 / hi_l, 2 / lo_l), lambda_star=lam_star, witness=witness,
                witness_exact=False, numerical_check=check,
                method="(d, k, 1) reduction to min over t > 0; exact root of the critical-point resultants, "
                       "identified (and the minimum proved) by an exact cell decomposition",
                evidence="exact")


def _one_parameter_witness(net, w, kappa, lam_star, dps):
    """Golden-section minimisation of the convex ``t -> lambda_max`` at ``2 dps`` digits; witness from ``t*``."""
    d, k = net.widths[0], net.widths[1]
    with mpmath.workdps(2 * dps + 20):
        Sigma = mpmath.matrix([[mpmath.mpf(as_rational(v).p) / as_rational(v).q for v in row]
                               for row in net.Sigma.tolist()])
        L = mpmath.cholesky(Sigma)
        wv = mpmath.matrix([mpmath.mpf(as_rational(v).p) / as_rational(v).q for v in w])
        kap = mpmath.mpf(kappa.p) / kappa.q

        def f(u):
            tt = mpmath.exp(u)
            A = tt * mpmath.eye(d) + (wv * wv.T) / tt
            return kap * max(mpmath.eigsy(L.T * A * L, eigvals_only=True))

        scale = mpmath.log(mpmath.norm(wv))
        a, b = scale - 30, scale + 30
        g = (mpmath.sqrt(5) - 1) / 2
        c, e = b - g * (b - a), a + g * (b - a)
        fc, fe = f(c), f(e)
        tol = mpmath.mpf(10) ** (-(dps + 5))
        while b - a > tol:
            if fc < fe:
                b, e, fe = e, c, fc
                c = b - g * (b - a)
                fc = f(c)
            else:
                a, c, fc = c, e, fe
                e = a + g * (b - a)
                fe = f(e)
        u = (a + b) / 2
        value = f(u)
        root = mpmath.sqrt(mpmath.exp(u))
        W1 = [[wv[j] / root if i == 0 else mpmath.mpf(0) for j in range(d)] for i in range(k)]
        W2 = [root if i == 0 else mpmath.mpf(0) for i in range(k)]
        witness = tuple(mpmath.nstr(v, dps) for v in [x for row in W1 for x in row] + W2)
        target = mpmath.mpf(sympy.N(lam_star, 2 * dps + 20))
        err = abs(value - target)
        check = {"kind": "numerical (golden-section minimisation)", "digits": dps,
                 "numerical_minimum": mpmath.nstr(value, dps), "abs_error": mpmath.nstr(err, 5),
                 "agrees": bool(err <= mpmath.mpf(10) ** (-dps) * max(1, abs(target)))}
    return witness, check


