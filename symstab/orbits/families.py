"""Beyond the threshold (O1): the 2-cycle families of scalar networks in closed form in eta, and their stability intervals.

For a scalar network (every width 1) with ``L = f(mu)``, ``g = f' = 2c (s_x mu - w)``
(``s_x = sum x^2``, ``w = sum x y``), every 2-cycle is sign-balanced (docs/theory.md,
O1), so it is a 2-cycle of ``h_s(a) = a - eta s g(s a^H) a^(H-1)``, ``s = +-1``: a root
of the *cycle polynomial* ``C_s(a, eta) = (h_s(h_s(a)) - a) / (h_s(a) - a)``, exact in
``(a, eta)`` with eta a symbol. Its irreducible factors over ``Q(eta)[a]`` are the
families; for depth 2 the products ``P = s a^2`` are given in radicals.

The eta-interval over which a branch exists and is stable is bounded by roots of
exact polynomials in eta: the discriminant and leading coefficient of the branch's
factor in ``a`` (birth, collision, escape) and the resultants in ``a`` of that factor
with ``det(I - M)``, ``det(I + M)`` and ``det(C_2(M) - I)`` (a multiplier crosses
``1``, ``-1``, or a complex pair crosses the unit circle; ``C_2`` the second compound),
``M = DG(y) DG(x)`` along the branch. Between two consecutive candidate roots
nothing changes; :func:`stability_interval` walks outwards from eta, testing one
rational step inside each next cell (multipliers at 50 digits, away from the unit
circle there), and stops at the first candidate where the branch ends or loses stability.
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint
import mpmath
import sympy

from ..exact.numbers import as_fraction, as_rational, simplest_between
from .algebra import Z, discriminant, resultant
from .intervals import EtaRoot, ScalarBranch, branch_interval, root_ball, scaled_root

__all__ = ["ETA", "cycle_families", "cycle_map", "is_scalar_network", "interval_output", "stability_interval",
           "stability_interval_sympy", "aligned_interval", "NOT_ALIGNED"]

ETA = sympy.Symbol("eta", positive=True)
_DPS = 50


def is_scalar_network(net) -> bool:
    """Every width is 1."""
    return all(w == 1 for w in net.widths)


def _data(net):
    s_x = as_rational(net.Sigma[0, 0])
    w = sympy.nsimplify((net.Y * net.X.T)[0, 0])
    c = as_rational(net.loss_scale)
    return s_x, w, c


def cycle_map(net, s: int, eta=ETA) -> tuple:
    """``(h_s, C_s)`` as sympy Polys in ``z`` (and ``eta`` when it is the symbol): the map along a sign pattern and its cycle polynomial.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> h, C = cycle_map(LinearNetwork.whitened((1, 1, 1), [[1]]), 1, sympy.Rational(3, 2))
    >>> h.as_expr()
    -3*z**3/2 + 5*z/2
    """
    s_x, w, c = _data(net)
    H = net.depth
    gens = (Z, ETA) if eta is ETA else (Z,)
    g = 2 * c * (s_x * s * Z ** H - w)
    h = sympy.Poly(sympy.expand(Z - eta * s * g * Z ** (H - 1)), *gens, domain="QQ")
    hh = sympy.Poly(sympy.expand(h.as_expr().subs(Z, h.as_expr())), *gens, domain="QQ")
    num = hh - sympy.Poly(Z, *gens, domain="QQ")
    den = h - sympy.Poly(Z, *gens, domain="QQ")
    if den.is_zero:
        return h, sympy.Poly(0, *gens, domain="QQ")
    return h, num.exquo(den)


def cycle_families(net) -> list:
    """The 2-cycle families of a scalar network, exact in eta (docs/theory.md, O1).

    Returns one dict per irreducible factor ``B(a, eta)`` of each cycle polynomial:
    ``sign`` (the product of the layer signs), ``polynomial`` (sympy expression in
    ``a = z`` and ``eta``) and, for depth 2, ``products``: the products ``P = s a^2`` of
    the cycle points in radicals.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> fams = cycle_families(LinearNetwork.whitened((1, 1, 1), [[1]]))
    >>> [f["products"] for f in fams if f["sign"] == 1]  # doctest: +NORMALIZE_WHITESPACE
    [[(eta + 2)/eta], [(eta - sqrt(eta**2 + 2*eta - 3) + 1)/(2*eta), (eta + sqrt(eta**2 + 2*eta - 3) + 1)/(2*eta)]]
    """
    out = []
    u = sympy.Symbol("u")
    for s in (1, -1):
        _, C = cycle_map(net, s)
        if C.is_zero:
            continue
        for B, _ in C.factor_list()[1]:
            if B.degree(Z) == 0:
                continue
            entry = {"sign": s, "polynomial": B.as_expr()}
            if net.depth == 2:
                expr = B.as_expr()
                if sympy.expand(expr - expr.subs(Z, -Z)) == 0:
                    even = sympy.Poly(sympy.expand(expr).subs(Z, sympy.sqrt(u)), u)
                    entry["products"] = sorted((sympy.simplify(s * r) for r in sympy.roots(even, u, multiple=True)),
                                               key=sympy.default_sort_key)
            out.append(entry)
    return out


# --------------------------------------------------------------------------- stability interval


def _signs(cycle) -> list:
    return [int(p.LC()) if not p.is_zero else 1 for p in cycle.x]


def _branch_matrix(net, signs, h):
    """``M(a, eta) = DG(y) DG(x)`` with ``x = eps a``, ``y = eps h(a)`` (sympy Matrix in ``z, eta``)."""
    ha = h.as_expr()
    mats = []
    for val in (Z, ha):
        weights = [sympy.Matrix([[e * val]]) for e in signs]
        Hs = net.hessian_at_weights(weights)
        mats.append(sympy.eye(len(signs)) - ETA * Hs)
    return (mats[1] * mats[0]).applyfunc(sympy.expand)


def _second_compound(M: sympy.Matrix) -> sympy.Matrix:
    n = M.shape[0]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return sympy.Matrix(len(pairs), len(pairs),
                        lambda r, c: M[pairs[r][0], pairs[c][0]] * M[pairs[r][1], pairs[c][1]]
                        - M[pairs[r][0], pairs[c][1]] * M[pairs[r][1], pairs[c][0]])


def _eta_roots(poly_expr) -> list:
    """Positive real roots (exact, ascending, distinct) of a polynomial in eta."""
    p = sympy.Poly(poly_expr, ETA, domain="QQ")
    if p.is_zero or p.degree() <= 0:
        return []
    roots = []
    for f, _ in p.factor_list()[1]:
        for r in sympy.Poly(f, ETA).real_roots(radicals=True):
            if sympy.N(r, 40) > 0:
                roots.append(r)
    uniq = {}
    for r in roots:
        uniq[sympy.N(r, 40)] = r
    return [uniq[k] for k in sorted(uniq)]


def _real_roots(expr) -> list:
    """Real roots of a univariate polynomial in ``z``, exact (``CRootOf``), ascending, with multiplicity.

    The sympy reference's own isolation, kept apart from the arb balls of
    :func:`~symstab.exact.algebraic.real_root_balls` that the flint path uses, so that the
    reference stays independent of what it checks.
    """
    return sympy.Poly(expr, Z, domain="QQ").real_roots(radicals=False)


def _stable_at(net, signs, B, h, index, eta1) -> bool | None:
    """Stability of the ``index``-th real root branch of ``B`` at the rational ``eta1`` (50 digits), or None if absent."""
    e = as_rational(eta1)
    real = _real_roots(B.as_expr().subs(ETA, e))
    if index >= len(real):
        return None
    a1 = sympy.N(real[index], _DPS)
    M = _branch_matrix(net, signs, h).subs({ETA: e, Z: a1})
    with mpmath.workdps(_DPS):
        ev = mpmath.eig(mpmath.matrix(M.evalf(_DPS).tolist()), left=False, right=False)
    return all(abs(v) < 1 - mpmath.mpf(10) ** (-20) for v in ev)


def stability_interval_sympy(net, eta0: Fraction, s: int, cycle, stable: bool) -> tuple:
    """The slow reference (sympy, depth 2; the tests compare :func:`stability_interval` with it): same output.

    A candidate root of ``Disc_z B`` ends the walk even when the branch is not involved there.

    ``None`` marks an unknown end; ``lo = 0`` means the branch is stable for every smaller
    positive eta, ``hi = None`` with a finite ``lo`` also when it stays stable for every larger eta.
    """
    h, C = cycle_map(net, s)
    signs = _signs(cycle)
    e0 = as_rational(eta0)
    a0 = sympy.N(cycle.root, _DPS)
    branch = None
    for B, _ in C.factor_list()[1]:
        if B.degree(Z) > 0 and sympy.Poly(B.as_expr().subs(ETA, e0), Z).rem(cycle.f).is_zero:
            branch = sympy.Poly(B.as_expr(), Z, ETA, domain="QQ")
            break
    if branch is None:
        return (None, None), (None, None), (None, None)
    real = [sympy.N(r, _DPS) for r in _real_roots(branch.as_expr().subs(ETA, e0))]
    index = min(range(len(real)), key=lambda k: abs(real[k] - a0))
    Bz = sympy.Poly(branch.as_expr(), Z)
    ends = [discriminant(Bz.as_expr(), Z) if Bz.degree() > 1 else sympy.Integer(1), Bz.LC()]
    M = _branch_matrix(net, signs, h)
    n = M.shape[0]
    conditions = [(sympy.eye(n) - M).det(method="berkowitz"), (sympy.eye(n) + M).det(method="berkowitz")]
    if n >= 2:
        C2 = _second_compound(M)
        conditions.append((C2 - sympy.eye(C2.shape[0])).det(method="berkowitz"))
    end_roots = set()
    for p in ends:
        end_roots |= {sympy.N(r, 40) for r in _eta_roots(sympy.expand(p))}
    cands = {}
    for p in ends + [resultant(Bz.as_expr(), sympy.expand(c), Z) for c in conditions]:
        for r in _eta_roots(sympy.expand(p)):
            cands[sympy.N(r, 40)] = r
    keys = sorted(cands)
    e0n = sympy.N(e0, 40)
    if e0n in cands:
        return (None, None), (None, None), (None, None)

    def walk(direction, check_stability):
        side = [k for k in keys if (k > e0n if direction > 0 else k < e0n)]
        side = side if direction > 0 else side[::-1]
        for pos, k in enumerate(side):
            if k in end_roots:
                return cands[k]
            nxt = side[pos + 1] if pos + 1 < len(side) else None
            if direction > 0:
                test = simplest_between(Fraction(str(k)) , Fraction(str(nxt)) if nxt is not None else Fraction(str(k)) + 1)
            else:
                test = simplest_between(Fraction(str(nxt)) if nxt is not None else Fraction(0), Fraction(str(k)))
            ok = _stable_at(net, signs, branch, h, index, test)
            if ok is None or (check_stability and not ok):
                return cands[k]
        return None if direction > 0 else sympy.Integer(0)

    exists = (walk(-1, False), walk(1, False))
    exists_f = tuple(None if v is None else float(v) for v in exists)
    if not stable:
        return (None, None), (None, None), exists_f
    lo, hi = walk(-1, True), walk(1, True)
    return ((None if lo is None else float(lo), None if hi is None else float(hi)),
            (None if lo is None else sympy.sstr(lo), None if hi is None else sympy.sstr(hi)), exists_f)


def interval_output(res: dict, stable: bool, scale=None) -> tuple:
    """``(stable floats, stable strings, exists floats, note)`` from :func:`~symstab.orbits.intervals.branch_interval`.

    ``scale(EtaRoot) -> EtaRoot`` maps an end in ``t`` to one in eta.
    """
    def conv(v):
        if isinstance(v, EtaRoot):
            v = scale(v) if scale is not None else v
            return float(v), v.exact()
        if v == 0:
            return 0.0, "0"
        return None, None
    note = "; ".join(n for n in (res.get("note", ""), res.get("caveat", "")) if n)
    if "exists" not in res:
        return (None, None), (None, None), (None, None), note
    exists = tuple(conv(v)[0] for v in res["exists"])
    if stable and res.get("stable_at_t0") is False:  # the ball verdict contradicts the exact one: report nothing
        return (None, None), (None, None), exists, "the certified re-check of stability disagreed; interval not reported"
    if not stable:
        return (None, None), (None, None), exists, note
    pair = [conv(v) for v in res["stable"]]
    return (pair[0][0], pair[1][0]), (pair[0][1], pair[1][1]), exists, note


def stability_interval(net, eta0: Fraction, s: int, cycle, stable: bool) -> tuple:
    """``((lo, hi) floats, (lo, hi) exact strings, (lo, hi) existence floats, note)`` for the branch through ``cycle``.

    Any depth (python-flint; :mod:`~symstab.orbits.intervals`). ``None`` marks an unknown
    end (or, for ``hi``, none: stable for every larger eta); ``lo = 0``: stable for every
    smaller positive eta. The verdict at ``eta0`` comes from the caller's exact multipliers;
    the walk recomputes it on certified balls and an end is reported only if both agree.
    """
    s_x, w, c = _data(net)
    if not (sympy.sympify(w).is_Rational):
        return (None, None), (None, None), (None, None), "irrational data: no exact interval"
    problem = ScalarBranch(Fraction(str(s_x)), Fraction(str(w)), Fraction(str(c)), net.depth, s)
    res = branch_interval(problem, as_fraction(eta0), root_ball(cycle.f, cycle.index))
    if res.get("note"):  # the same branch through the cycle's other point (x = eps z, y = eps h(z))
        other = branch_interval(problem, as_fraction(eta0), _coordinate_ball(cycle, cycle.y[0]))
        if not other.get("note"):
            res = other
    return interval_output(res, stable)


# --------------------------------------------------------------------------- aligned cycles of (1, n, 1) and (1, 1, n)


NOT_ALIGNED = ("no exact eta-interval: computed for scalar networks and for the aligned cycles of (1, n, 1) and "
               "(1, 1, n) (and, transposed, (n, 1, 1)) with rational data only")


def _coordinate_ball(cycle, q, prec: int = 128):
    """``q(z_0)`` (a sympy Poly in ``z`` over Q) as an arb ball."""
    with flint.ctx.workprec(prec):
        z0 = root_ball(cycle.f, cycle.index, prec)
        coeffs = [flint.fmpq(int(c.p), int(c.q)) for c in reversed(q.all_coeffs())] if not q.is_zero else [0]
        return flint.arb_poly(coeffs)(z0)


def _vanishes(cycle, q) -> bool:
    return q.is_zero or q.rem(cycle.f).is_zero


def aligned_interval(net, eta0: Fraction, cycle, stable: bool) -> tuple:
    """The stable-eta interval of a 2-cycle of a ``(1, n, 1)`` or ``(1, 1, n)`` network lying on its aligned scalar subnetwork.

    ``(1, n, 1)`` (``d_0 = d_2 = 1``): the cycle has ``W_1 = a e``, ``W_2 = b e^T``; it is a
    cycle of the scalar network with the same ``(s_x, w, c)``, and each of the ``n - 1``
    directions orthogonal to ``e`` adds a neutral multiplier and ``(1 - eta^2 g_1^2)(1 - eta^2 g_2^2)``.
    ``(1, 1, n)`` (``d_0 = 1``): ``W_2 = u y / |y|`` with ``y = Y X^T``; with
    ``sigma = |y|`` and ``z = W_1 / sqrt(sigma)`` it is a cycle of the scalar network
    ``(s_x, 1, c)`` at the step ``t = eta sigma``, and each direction orthogonal to ``y`` adds
    ``(1 - 2c s_x t z_1^2)(1 - 2c s_x t z_2^2)`` (docs/theory.md, O1). Returns the same
    tuple as :func:`stability_interval`; ``None`` ends (and a note) when the cycle is not aligned.
    """
    none = (None, None), (None, None), (None, None), NOT_ALIGNED
    widths = net.widths
    c = as_fraction(net.loss_scale)
    s_x = as_fraction(net.Sigma[0, 0]) if widths[0] == 1 else None
    if net.depth != 2 or widths[0] != 1 or s_x is None:
        return none
    n = widths[1]
    if widths == (1, n, 1) and n > 1:
        w = (net.Y * net.X.T)[0, 0]
        if not sympy.sympify(w).is_Rational:
            return none
        a_idx, b_idx = 0, n
        if not all(_vanishes(cycle, pt[k]) for pt in (cycle.x, cycle.y) for k in list(range(1, n)) + list(range(n + 1, 2 * n))):
            return none
        a, b = _coordinate_ball(cycle, cycle.x[a_idx]), _coordinate_ball(cycle, cycle.x[b_idx])
        s = 1 if a * b > 0 else -1

        def extra(ctx, z, t, h, g):
            T = 1 - t * t * g(s * z * z) ** 2
            return [T * T.compose(h, t)]

        problem = ScalarBranch(s_x, Fraction(str(w)), c, 2, s, extra)
        res = branch_interval(problem, eta0, a)
        return interval_output(res, stable)
    n = widths[2]
    if widths != (1, 1, n) or n < 2:
        return none
    y = [sympy.nsimplify(v) for v in (net.Y * net.X.T)[:, 0]]
    if not all(v.is_Rational for v in y):
        return none
    sigma2 = Fraction(str(sum(v * v for v in y)))
    if sigma2 == 0:
        return none
    b = [1 + k for k in range(n)]
    for pt in (cycle.x, cycle.y):  # W_2 parallel to y: y_j b_i - y_i b_j = 0
        for i in range(n):
            for j in range(i + 1, n):
                q = pt[b[i]] * sympy.Rational(y[j]) - pt[b[j]] * sympy.Rational(y[i])
                if not _vanishes(cycle, q):
                    return none
    with flint.ctx.workprec(128):
        sig = flint.arb(flint.fmpq(sigma2.numerator, sigma2.denominator)).sqrt()
        a = _coordinate_ball(cycle, cycle.x[0])
        proj = sum((_coordinate_ball(cycle, cycle.x[b[i]]) * flint.arb(flint.fmpq(int(y[i].p), int(y[i].q)))
                    for i in range(n)), flint.arb(0))
        s = 1 if a * proj > 0 else -1
        z0 = a / sig.sqrt()
        t0 = flint.arb(flint.fmpq(eta0.numerator, eta0.denominator)) * sig

    def extra(ctx, z, t, h, g):
        k = 1 - 2 * flint.fmpq(c.numerator, c.denominator) * flint.fmpq(s_x.numerator, s_x.denominator) * t * z * z
        return [k * k.compose(h, t)]

    problem = ScalarBranch(s_x, 1, c, 2, s, extra)
    root = _rational_sqrt(sigma2)
    if root is not None:  # t0 = eta0 sigma is rational
        res = branch_interval(problem, eta0 * root, z0)
    else:
        res = branch_interval(problem, t0, z0, rational_t0=False)
    return interval_output(res, stable, scale=lambda r: scaled_root(r, sigma2))


def _rational_sqrt(q: Fraction):
    p, d = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(p, d) if p * p == q.numerator and d * d == q.denominator else None
