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

from fractions import Fraction

import mpmath
import sympy

from ..exact.numbers import as_fraction, as_rational, simplest_between
from .algebra import Z, discriminant, resultant
from .intervals import EtaRoot, ScalarBranch, branch_interval, root_ball

__all__ = ["ETA", "cycle_families", "cycle_map", "is_scalar_network", "interval_output", "stability_interval",
           "stability_interval_sympy"]

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
    """Real roots of a univariate polynomial in ``z``, exact (``CRootOf``), ascending, with multiplicity."""
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
    """``(stable floats, stable strings, exists floats)`` from :func:`~symstab.orbits.intervals.branch_interval`.

    ``scale(EtaRoot) -> EtaRoot`` maps an end in ``t`` to one in eta.
    """
    def conv(v):
        if isinstance(v, EtaRoot):
            v = scale(v) if scale is not None else v
            return float(v), v.exact()
        if v == 0:
            return 0.0, "0"
        return None, None
    if "exists" not in res:
        return (None, None), (None, None), (None, None)
    exists = tuple(conv(v)[0] for v in res["exists"])
    if not stable or not res.get("stable_at_t0"):
        return (None, None), (None, None), exists
    pair = [conv(v) for v in res["stable"]]
    return (pair[0][0], pair[1][0]), (pair[0][1], pair[1][1]), exists


def stability_interval(net, eta0: Fraction, s: int, cycle, stable: bool) -> tuple:
    """``((lo, hi) floats, (lo, hi) exact strings, (lo, hi) existence floats)`` for the branch through ``cycle``.

    Any depth (python-flint; :mod:`~symstab.orbits.intervals`). ``None`` marks an unknown
    end (or, for ``hi``, none: stable for every larger eta); ``lo = 0``: stable for every
    smaller positive eta. The verdict at ``eta0`` comes from the caller's exact multipliers;
    the walk recomputes it on certified balls and an end is reported only if both agree.
    """
    s_x, w, c = _data(net)
    if not (sympy.sympify(w).is_Rational):
        return (None, None), (None, None), (None, None)
    problem = ScalarBranch(Fraction(str(s_x)), Fraction(str(w)), Fraction(str(c)), net.depth, s)
    res = branch_interval(problem, as_fraction(eta0), root_ball(cycle.f, cycle.index))
    return interval_output(res, stable)
