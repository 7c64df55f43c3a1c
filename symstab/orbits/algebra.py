"""Beyond the threshold, shared algebra: orbits given by a primitive element, their Floquet multipliers, stability.

A 2-cycle ``{theta_1, theta_2}`` of the GD map (docs/theory.md, O1) is stored as a
real root ``z_0`` of an irreducible polynomial ``f in Q[z]`` (isolated exactly by
its index among the real roots, as sympy's ``CRootOf``) and the coordinates of
both points as polynomials ``q_i(z)`` with rational coefficients. From that:

* the points as exact algebraic numbers (radicals when ``deg f <= 2``, else
  polynomials in a ``CRootOf``) and as 50-digit values;
* the Floquet matrix ``M = DG(theta_2) DG(theta_1)`` with entries in ``Q[z]/(f)``,
  its characteristic polynomial, and the exact multipliers as roots of the
  irreducible factors of ``Res_z(f(z), det(lam I - M(z)))`` (a polynomial over Q);
* stability: every multiplier strictly inside the unit circle, decided on
  python-flint's certified root balls (a multiplier exactly ``+-1`` is found from
  its minimal polynomial ``lam -+ 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import flint
import mpmath
import sympy

from ..exact.poly import Ring


__all__ = ["Z", "LAM", "AlgebraicCycle", "discriminant", "floquet_data", "point_strings", "point_values", "resultant"]

Z = sympy.Symbol("z")
LAM = sympy.Symbol("lam")
_DPS = 50


@dataclass(frozen=True, eq=False)
class AlgebraicCycle:
    """Two points ``x(z_0), y(z_0)`` with ``z_0`` the ``index``-th real root of the irreducible ``f``."""

    f: sympy.Poly
    index: int
    x: tuple  # sympy Polys in Z (reduced mod f)
    y: tuple

    @property
    def root(self):
        return sympy.CRootOf(self.f.as_expr(), self.index)

    def root_value(self, dps: int = _DPS):
        return mpmath.mpf(str(sympy.N(self.root, dps + 10)))


def _flint_pair(exprs, var):
    symbols = sorted(set().union(*(sympy.sympify(e).free_symbols for e in exprs)) | {var}, key=str)
    ring = Ring(tuple(str(v) for v in symbols))
    plain = {v: sympy.Symbol(str(v)) for v in symbols}
    return ring, [ring.from_sympy(sympy.sympify(e).subs(plain, simultaneous=True)) for e in exprs], plain


def resultant(p, q, var):
    """``Res_var(p, q)`` of sympy polynomials with rational coefficients (python-flint), as a sympy expression."""
    ring, (fp, fq), plain = _flint_pair([p, q], var)
    back = {sympy.Symbol(str(v)): v for v in plain}
    return ring.to_sympy(fp.resultant(fq, str(var))).subs(back, simultaneous=True)


def discriminant(p, var):
    """``Disc_var(p)`` (python-flint), as a sympy expression."""
    ring, (fp,), plain = _flint_pair([p], var)
    back = {sympy.Symbol(str(v)): v for v in plain}
    return ring.to_sympy(fp.discriminant(str(var))).subs(back, simultaneous=True)


def _reduce(p: sympy.Poly, f: sympy.Poly) -> sympy.Poly:
    return p.rem(f) if f.degree() > 0 else p


def point_values(cycle: AlgebraicCycle, dps: int = _DPS) -> tuple:
    """Both points as mpmath numbers at ``dps`` digits."""
    with mpmath.workdps(dps + 10):
        z0 = cycle.root_value(dps)
        return tuple(tuple(mpmath.polyval([mpmath.mpf(str(c)) if c.is_Integer else
                                           mpmath.mpf(int(c.p)) / int(c.q) for c in q.all_coeffs()], z0)
                           for q in pt) for pt in (cycle.x, cycle.y))


def point_strings(cycle: AlgebraicCycle) -> tuple:
    """Both points as exact strings: rationals, radicals (``deg f <= 2``) or polynomials in a ``CRootOf``."""
    if cycle.f.degree() == 1:
        root = sympy.roots(cycle.f, multiple=True)[0]
    elif cycle.f.degree() == 2:
        root = sorted(sympy.roots(cycle.f, multiple=True), key=lambda r: float(r))[cycle.index]
    else:
        root = cycle.root
    out = []
    for pt in (cycle.x, cycle.y):
        vals = []
        for q in pt:
            v = q.as_expr().subs(Z, root)
            vals.append(sympy.sstr(sympy.radsimp(sympy.expand(v)) if cycle.f.degree() <= 2 else v))
        out.append(tuple(vals))
    return tuple(out)


def _floquet_matrix(net, eta, cycle: AlgebraicCycle) -> sympy.Matrix:
    """``DG(y) DG(x)`` with entries in ``Q[z]/(f)`` (sympy Polys)."""
    f = cycle.f
    eta = sympy.Rational(eta.numerator, eta.denominator)
    D = net.num_params
    mats = []
    for pt in (cycle.x, cycle.y):
        weights = [sympy.Matrix(W.tolist()) for W in net.split([q.as_expr() for q in pt])]
        Hs = net.hessian_at_weights(weights)
        mats.append([[_reduce(sympy.Poly(sympy.expand((1 if i == j else 0) - eta * Hs[i, j]), Z, domain="QQ"), f)
                      for j in range(D)] for i in range(D)])
    A, B = mats  # DG(x), DG(y)
    M = [[_reduce(sum((B[i][k] * A[k][j] for k in range(D)), sympy.Poly(0, Z, domain="QQ")), f)
          for j in range(D)] for i in range(D)]
    return M


def _charpoly(M, f: sympy.Poly) -> sympy.Poly:
    """``det(lam I - M)`` as a Poly in ``(lam, z)``, coefficients reduced mod ``f`` (Berkowitz via sympy)."""
    D = len(M)
    mat = sympy.Matrix(D, D, lambda i, j: M[i][j].as_expr())
    cp = mat.charpoly(LAM)
    coeffs = [_reduce(sympy.Poly(sympy.expand(c), Z, domain="QQ"), f) for c in cp.all_coeffs()]
    return sympy.Poly(sum(c.as_expr() * LAM ** (D - k) for k, c in enumerate(coeffs)), LAM, Z, domain="QQ")


def _numeric_matrix(M, z0):
    D = len(M)
    return mpmath.matrix([[mpmath.polyval([mpmath.mpf(int(c.p)) / int(c.q) for c in M[i][j].all_coeffs()], z0)
                           for j in range(D)] for i in range(D)])


def _charpoly_roots(cp: sympy.Poly, z0) -> list:
    """The roots of ``cp(lam, z0)`` (mpmath, Durand-Kerner with a generous step budget), with multiplicity."""
    lam_poly = sympy.Poly(cp.as_expr(), LAM)
    coeffs = [mpmath.polyval([mpmath.mpf(int(c.p)) / int(c.q) for c in sympy.Poly(a, Z, domain="QQ").all_coeffs()], z0)
              for a in lam_poly.all_coeffs()]
    return list(mpmath.polyroots(coeffs, maxsteps=2000, extraprec=4 * mpmath.mp.prec))


def _certified_roots(factor: sympy.Poly):
    """Certified complex root balls (python-flint) of an irreducible Poly over Q, with sympy's root objects."""
    den = sympy.ilcm(*[c.q for c in factor.all_coeffs()])
    ints = flint.fmpz_poly([int(c * den) for c in reversed(factor.all_coeffs())])
    with flint.ctx.workprec(200):
        balls = [r for r, _ in ints.complex_roots()]
    return balls


def floquet_data(net, eta, cycle: AlgebraicCycle) -> dict:
    """Multipliers of the cycle: exact (roots of irreducible factors over Q), 50-digit values, and ``|m| < 1`` verdicts.

    Returns a dict with ``exact`` (sympy numbers: rationals, radicals or ``CRootOf``),
    ``values`` (mpmath numbers, possibly complex), ``inside`` (per multiplier True /
    False, or None when ``|m| = 1``) and ``minpolys`` (the factor each multiplier is a root of).
    """
    f = cycle.f
    M = _floquet_matrix(net, eta, cycle)
    cp = _charpoly(M, f)
    if f.degree() > 1:
        N = sympy.Poly(resultant(f.as_expr(), cp.as_expr(), Z), LAM, domain="QQ")
    else:
        N = sympy.Poly(cp.as_expr().subs(Z, sympy.roots(f, multiple=True)[0]), LAM, domain="QQ")
    factors = [g for g, _ in N.factor_list()[1]]
    with mpmath.workdps(_DPS + 10):
        z0 = cycle.root_value()
        try:
            numeric = mpmath.eig(_numeric_matrix(M, z0), left=False, right=False)
        except RuntimeError:  # mpmath's QR can stall (repeated multipliers): roots of the exact charpoly instead
            numeric = _charpoly_roots(cp, z0)
    candidates = []  # (factor, ball index, ball)
    for g in factors:
        for k, ball in enumerate(_certified_roots(g)):
            candidates.append((g, k, ball))
    exact, values, inside, minpolys = [], [], [], []
    for m in numeric:
        best, dist = None, None
        for j, (g, k, ball) in enumerate(candidates):
            d = abs(complex(m) - complex(float(ball.real.mid()), float(ball.imag.mid())))
            if dist is None or d < dist:
                best, dist = j, d
        g, k, ball = candidates[best]
        minpolys.append(g)
        values.append(m)
        exact.append(_root_object(g, ball))
        if g.degree() == 1 and (g.eval(1) == 0 or g.eval(-1) == 0):
            inside.append(None)
            continue
        mod2 = ball.real * ball.real + ball.imag * ball.imag
        one = flint.arb(1)
        if mod2 < one:
            inside.append(True)
        elif mod2 > one:
            inside.append(False)
        else:
            inside.append(None)
    return {"exact": exact, "values": values, "inside": inside, "minpolys": minpolys}


def _root_object(g: sympy.Poly, ball):
    """The root of irreducible ``g`` inside the certified ``ball``: rational, radical (degree 2), a real ``CRootOf``
    (its index found from the certified balls), or for a non-real root of degree > 2 the text
    ``"root of g near value"``."""
    if g.degree() == 1:
        return sympy.roots(g, multiple=True)[0]
    target = complex(float(ball.real.mid()), float(ball.imag.mid()))
    if g.degree() == 2:
        roots = sympy.roots(g, multiple=True)
        return min(roots, key=lambda r: abs(complex(sympy.N(r, 30)) - target))
    balls = _certified_roots(g)
    nreal = g.count_roots()
    real = sorted((b for b in balls if b.imag.contains(0)), key=lambda b: float(b.real.mid()))
    if len(real) == nreal and ball.imag.contains(0):
        k = next(i for i, b in enumerate(real) if b.real.overlaps(ball.real))
        return sympy.CRootOf(g.as_expr(), k)
    return sympy.Symbol(f"root of {sympy.sstr(g.as_expr())} near {target.real:.15g}{target.imag:+.15g}*I")
