"""Beyond the threshold (O1): the exact eta-interval over which a 2-cycle branch exists and is stable (python-flint).

A *scalar branch problem* is a scalar network's data ``(s_x, w, c)``, its depth ``H``, a
sign ``s`` and a step variable ``t``: the branch is a real root ``z(t)`` of the cycle
polynomial ``C_s(z, t) = (h(h(z)) - z) / (h(z) - z)``, ``h(z) = z - t s g(s z^H) z^(H-1)``,
``g(mu) = 2c (s_x mu - w)`` (docs/theory.md, O1), and its multipliers are polynomials
``m_j(z, t)`` (``h'(z) h'(h(z))`` along the balanced line, ``(2 - h(z)/z)(2 - z/h(z))``
across it, and for an embedded scalar cycle of a larger network the transverse ones).
Scalar networks (``t = eta``), the aligned cycles of ``(1, n, 1)`` (``t = eta``) and of
``(1, 1, n)`` (``t = eta |Y X^T|``) are such problems.

Existence and stability can change only at the positive real roots of the univariate
integer polynomials ``lc_z B``, ``Disc_z B`` and ``Res_z(B, m_j -+ 1)`` (``B`` the irreducible
factor of ``C_s`` carrying the branch), computed with python-flint's multivariate
resultants. Between two consecutive roots ("cells") nothing changes. The walk goes out
from the given step cell by cell: the root ``z(t)`` is carried from one cell's rational
test step to the next by certified continuation (Krawczyk's test on arb boxes: a unique
root of ``B(., t)`` in the box for every ``t`` of the segment), and at each test step the
multipliers are evaluated on the certified box; ``|m| < 1`` is decided on arb balls.
It stops at the first root where the continuation cannot pass and that root is a root of
an end polynomial (``lc``, ``Disc``: the branch collides or escapes), or where the branch
loses stability. Every end is an exact real algebraic number (its integer minimal
polynomial and its index among the real roots), or ``None`` when undecided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy

from ..errors import PrecisionLimitError
from ..exact.algebraic import ball_endpoints, real_root_balls, root_closed_form, univariate
from ..exact.numbers import as_fmpq, simplest_between

__all__ = ["EtaRoot", "ScalarBranch", "branch_interval", "root_ball", "scaled_root"]

_PREC = 128
_MAX_PREC = 2048
_MAX_STEPS = 6000
_ETA = sympy.Symbol("eta")


@dataclass(frozen=True, eq=False)
class EtaRoot:
    """The ``index``-th real root (ascending) of the irreducible integer polynomial ``poly``, with an arb ``ball``."""

    poly: flint.fmpz_poly
    index: int
    ball: flint.arb

    def __float__(self) -> float:
        return float(self.ball.mid())

    def refine(self, prec: int) -> "EtaRoot":
        return EtaRoot(self.poly, self.index, real_root_balls(self.poly, prec)[self.index])

    def exact(self) -> str:
        """The number as sympy text in ``eta``: a rational, a square root expression, or ``CRootOf(p, k)``."""
        return sympy.sstr(root_closed_form(univariate(self.poly, _ETA), self.index))


def root_ball(f, index: int, prec: int = _PREC) -> flint.arb:
    """The ``index``-th real root of a sympy Poly over Q (irreducible) as an arb ball."""
    den = sympy.ilcm(*[c.q for c in f.all_coeffs()])
    ints = flint.fmpz_poly([int(c * den) for c in reversed(f.all_coeffs())])
    return real_root_balls(ints, prec)[index]


def _univariate(poly, var_index: int) -> flint.fmpz_poly:
    """An fmpq_mpoly depending on one generator only, as a primitive fmpz_poly (zero stays zero)."""
    terms = poly.to_dict()
    if not terms:
        return flint.fmpz_poly([])
    deg = max(e[var_index] for e in terms)
    coeffs = [flint.fmpq(0)] * (deg + 1)
    for e, c in terms.items():
        coeffs[e[var_index]] = c
    den = math.lcm(*(int(c.q) for c in coeffs))
    return flint.fmpz_poly([int(c * den) for c in coeffs])


def _positive_roots(polys, max_prec: int = _MAX_PREC) -> tuple:
    """Distinct positive real roots of the integer polynomials, ascending, pairwise separated; and the factor set.

    The precision starts at ``_PREC`` bits and doubles while the balls overlap or one
    straddles 0; :class:`~symstab.errors.PrecisionLimitError` (never unseparated roots)
    when doubling once more would pass ``max_prec``.
    """
    factors = []
    for p in polys:
        if p.degree() <= 0:
            continue
        for f, _ in p.factor()[1]:
            f = f if f.coeffs()[-1] > 0 else -f
            if f.degree() > 0 and f not in factors:
                factors.append(f)
    factors = [f for f in factors if f != flint.fmpz_poly([0, 1])]  # the root t = 0 is no step
    prec, doublings = _PREC, 0
    while True:
        every = [EtaRoot(f, k, b) for f in factors for k, b in enumerate(real_root_balls(f, prec))]
        signed = all(r.ball > 0 or r.ball < 0 for r in every)
        roots = sorted((r for r in every if r.ball > 0), key=lambda r: float(r.ball.mid()))
        if signed and all(a.ball < b.ball for a, b in zip(roots, roots[1:])):
            return roots, factors
        if 2 * prec > max_prec:
            raise PrecisionLimitError(f"the candidate ends could not be separated from each other and from 0 after "
                                      f"{doublings} precision doublings ({_PREC} to {prec} bits); no end is reported")
        prec *= 2
        doublings += 1


# --------------------------------------------------------------------------- the scalar branch problem


class ScalarBranch:
    """The cycle polynomial of a scalar branch problem and its multipliers, as flint polynomials in ``(z, t)``.

    ``extra`` maps ``(ctx, z, t, h)`` to more multiplier polynomials (transverse ones of an
    embedding network).
    """

    def __init__(self, s_x, w, c, H: int, s: int, extra=None):
        self.ctx = flint.fmpq_mpoly_ctx.get(("z", "t"), "lex")
        z, t = self.ctx.gens()
        q = lambda v: flint.fmpq(int(Fraction(v).numerator), int(Fraction(v).denominator))
        self.H, self.s = H, s

        def g(mu):
            return 2 * q(c) * (q(s_x) * mu - q(w))

        h = z - t * s * g(s * z ** H) * z ** (H - 1)
        self.h = h
        hh = h.compose(h, t)
        den = h - z
        self.C = (hh - z) / den if not den.is_zero() else self.ctx.from_dict({})
        hp = h.derivative("z")
        mults = [hp * hp.compose(h, t)]
        if H >= 2:  # across the balanced line: 1 + t s g(s z^H) z^(H-2) at both points (docs/theory.md, O1)
            beta = 1 + t * s * g(s * z ** H) * z ** (H - 2)
            mults.append(beta * beta.compose(h, t))
        if extra is not None:
            mults += extra(self.ctx, z, t, h, g)
        self.mults = mults

    def factor_at(self, z0: flint.arb, t0: flint.arb):
        """The irreducible factor of ``C_s`` that vanishes at ``(z0, t0)`` (balls), or None if not unique."""
        hits = [f for f, _ in self.C.factor()[1] if f.degrees()[0] > 0 and _Biv(f)(z0, t0).contains(0)]
        return hits[0] if len(hits) == 1 else None


class _Biv:
    """Fast arb evaluation of a polynomial in ``(z, t)``: coefficient polynomials in ``t``, then Horner in ``z``."""

    def __init__(self, poly):
        terms = poly.to_dict()
        deg = max((e[0] for e in terms), default=0)
        dt = max((e[1] for e in terms), default=0)
        self.rows = [[flint.fmpq(0)] * (dt + 1) for _ in range(deg + 1)]
        for (i, j), c in terms.items():
            self.rows[i][j] = c
        self._cache = {}

    def _polys(self):
        prec = flint.ctx.prec
        if prec not in self._cache:
            self._cache[prec] = [flint.arb_poly(r) for r in self.rows]
        return self._cache[prec]

    def at_t(self, t) -> flint.arb_poly:
        return flint.arb_poly([p(t) for p in self._polys()])

    def __call__(self, z, t):
        return self.at_t(t)(z)


def _eval(poly, z, t):
    """``poly(z, t)`` in arb arithmetic."""
    return _Biv(poly)(z, t)


def _krawczyk(B, dB, z: flint.arb, T: flint.arb, Bt=None):
    """A box inside ``z`` holding the unique root of ``B(., t)`` for every ``t`` in ``T``, or None.

    With ``Bt`` (the t-derivative) ``B(m, T)`` is enclosed by the mean-value form
    ``B(m, t_m) + B_t(m, T) (T - t_m)``, much tighter on a segment.
    """
    m = flint.arb(z.mid())
    tm = flint.arb(T.mid())
    d = dB(m, tm)
    if d.contains(0):
        return None
    dinv = 1 / flint.arb(d.mid())
    Bm = B(m, T) if Bt is None or T.rad() == 0 else B(m, tm) + Bt(m, T) * (T - tm)
    K = m - Bm * dinv + (1 - dB(z, T) * dinv) * (z - m)
    if K.lower() > z.lower() and K.upper() < z.upper():
        return K
    return None


def _newton_box(B, dB, z: flint.arb, t: flint.arb, prec: int):
    """A certified small box around the root of ``B(., t)`` near ``z`` (Newton, then Krawczyk), or None."""
    with flint.ctx.workprec(prec):
        Bt, dBt = B.at_t(t), dB.at_t(t)
        x = flint.arb(z.mid())
        for _ in range(prec // 8 + 20):
            d = dBt(x)
            if d.contains(0):
                return None
            nxt = flint.arb((x - Bt(x) / d).mid())
            if nxt.mid() == x.mid():
                break
            x = nxt
        for r in (flint.arb(2) ** (-(prec * 3 // 4)), flint.arb(2) ** (-(prec // 2)), flint.arb(2) ** (-(prec // 4))):
            box = flint.arb(x.mid(), r.mid())
            K = _krawczyk(B, dB, box, t)
            if K is not None and z.overlaps(K):
                return K
    return None


def _q(x: Fraction) -> flint.arb:
    return flint.arb(as_fmpq(x))


def _follow(B, dB, Bt, z: flint.arb, t_from: Fraction, t_to: Fraction):
    """Carry the root in box ``z`` at ``t_from`` to a certified box at ``t_to`` (certified continuation), or None.

    Predictor ``dz/dt = -B_t / B_z``; each segment is accepted when Krawczyk's test holds on
    ``box x [t_a, t_b]`` (a unique root for every step of the segment, inside the box).
    """
    with flint.ctx.workprec(_PREC):
        a, cur = t_from, z
        step = t_to - t_from
        for _ in range(_MAX_STEPS):
            if a == t_to:
                return cur
            b = t_to if abs(step) >= abs(t_to - a) else a + step
            m = flint.arb(cur.mid())
            d = dB(m, _q(a))
            if d.contains(0):
                return None
            v = -Bt(m, _q(a)) / d
            delta = _q(b - a)
            centre = flint.arb((m + v * delta / 2).mid())
            base = float(abs(v * delta)) / 2 + float(cur.rad()) + 1e-25 * (1 + abs(float(m)))
            T = _q(min(a, b)).union(_q(max(a, b)))
            K = None
            span = float(abs(delta))
            for radius in (base * 1.5, base * 4, base * 16, base + span * 1e-3, base + span * 1e-2, base + span * 0.1):
                K = _krawczyk(B, dB, flint.arb(centre.mid(), radius), T, Bt)
                if K is not None:
                    break
            if K is None:
                step = Fraction(step) / 4
                if abs(step) < Fraction(1, 10 ** 30):
                    return None
                continue
            # K holds the root at every t of the segment; tighten it at t = b
            tight = _newton_box(B, dB, K, _q(b), _PREC)
            cur, a = (tight if tight is not None else K), b
            step = step * 2
        return None


def _decide(mults, B, dB, z: flint.arb, t: Fraction):
    """Every multiplier strictly inside (-1, 1) at the root in box ``z`` (certified), None if undecided."""
    tq = flint.fmpq(t.numerator, t.denominator)
    prec = _PREC
    while prec <= _MAX_PREC:
        with flint.ctx.workprec(prec):
            box = _newton_box(B, dB, z, flint.arb(tq), prec)
            if box is None:
                return None
            verdicts = []
            for m in mults:
                v = m(box, flint.arb(tq))
                if v.lower() > -1 and v.upper() < 1:
                    verdicts.append(True)
                elif v.lower() > 1 or v.upper() < -1:
                    verdicts.append(False)
                else:
                    verdicts.append(None)
            if None not in verdicts:
                return all(verdicts)
        prec *= 2
    return None


def branch_interval(problem: ScalarBranch, t0, z0: flint.arb, *, rational_t0: bool = True) -> dict:
    """Existence and stability interval in ``t`` of the branch through ``(z0, t0)``.

    ``t0`` is a Fraction (or, with ``rational_t0=False``, an arb ball of an irrational step
    that is a root of none of the candidate polynomials: the caller checks). Returns a dict
    with ``exists`` and ``stable`` pairs of :class:`EtaRoot` / ``0`` (no lower end) / ``None``
    (no upper end, or undecided: see ``undecided``), ``stable_at_t0`` and ``note``.
    """
    t0_ball = _q(t0) if rational_t0 else t0
    B = problem.factor_at(z0, t0_ball)
    if B is None:
        return {"note": "the branch's factor of the cycle polynomial is not unique at this step"}
    Bf, dB, Bt = _Biv(B), _Biv(B.derivative("z")), _Biv(B.derivative("t"))
    mults = [_Biv(m) for m in problem.mults]
    ends = [_univariate(B.discriminant("z"), 1), _univariate(_lc(B), 1)]
    conds = []
    for m in problem.mults:
        for sign in (1, -1):
            r = B.resultant(m - sign, "z")
            if r.is_zero():
                return {"note": "a multiplier is identically +-1 along the branch"}
            conds.append(_univariate(r, 1))
    try:
        roots, _ = _positive_roots(ends + conds)
    except PrecisionLimitError as err:  # an unseparated root is never an end: the caller reports null ends and why
        return {"note": str(err)}
    end_factors = [f for p in ends if p.degree() > 0 for f, _ in p.factor()[1]]
    end_factors += [-f for f in end_factors]
    if rational_t0:
        tq = flint.fmpq(t0.numerator, t0.denominator)
        if any(r.poly(tq) == 0 for r in roots):
            return {"note": "the step is itself a bifurcation value of the branch"}
    below = [r for r in roots if r.ball < t0_ball]
    above = [r for r in roots if r.ball > t0_ball]
    if len(below) + len(above) != len(roots):
        return {"note": "the step could not be separated from a candidate end"}
    t0_lo = ball_endpoints(t0_ball)[0]
    start_t = t0 if rational_t0 else t0_lo
    with flint.ctx.workprec(_PREC):
        start = _newton_box(Bf, dB, z0, _q(t0) if rational_t0 else t0_ball, _PREC)
    if start is None:
        return {"note": "the cycle's root could not be certified on its branch"}
    lo_cell = ball_endpoints(below[-1].ball)[1] if below else Fraction(0)
    if not rational_t0:  # move to a rational step of the same cell first
        start_t = simplest_between(max(lo_cell, t0_lo - Fraction(1, 10 ** 6)), t0_lo)
        start = _follow(Bf, dB, Bt, start, t0_lo, start_t) if start_t != t0_lo else start
        if start is None:
            return {"note": "continuation to a rational step failed"}
    stable0 = _decide(mults, Bf, dB, start, start_t)

    def walk(side):
        """``(existence end, stability end)`` on one side, each ``(root or 0 or None, why)``, from one walk: the
        stability walk would stop at the first cell where the branch is not stable, so it is a prefix of this one."""
        cur, t_cur = start, start_t
        unstable = None
        seq = above if side > 0 else below[::-1]
        for k, r in enumerate(seq):
            nxt = seq[k + 1] if k + 1 < len(seq) else None
            if side > 0:
                lo = ball_endpoints(r.ball)[1]
                hi = ball_endpoints(nxt.ball)[0] if nxt is not None else lo + max(1, lo)
            else:
                hi = ball_endpoints(r.ball)[0]
                lo = ball_endpoints(nxt.ball)[1] if nxt is not None else Fraction(0)
            test = simplest_between(lo + (hi - lo) / 4, hi - (hi - lo) / 4) if lo > 0 else hi / 2
            moved = _follow(Bf, dB, Bt, cur, t_cur, test)
            if moved is None:
                stop = (r, "end") if r.poly in end_factors else (None, "undecided")
                return stop, unstable or stop
            ok = _decide(mults, Bf, dB, moved, test)
            if ok is None:
                return (None, "undecided"), unstable or (None, "undecided")
            if not ok and unstable is None:
                unstable = (r, "stability")
            cur, t_cur = moved, test
        stop = (None if side > 0 else 0), "none"
        return stop, unstable or stop

    out = {"stable_at_t0": stable0, "candidates": len(roots), "note": ""}
    (exists_lo, stable_lo), (exists_hi, stable_hi) = walk(-1), walk(1)
    ends = [exists_lo, exists_hi]
    out["exists"] = (exists_lo[0], exists_hi[0])
    notes = []
    if stable0:
        (lo, why_lo), (hi, why_hi) = stable_lo, stable_hi
        ends += [stable_lo, stable_hi]
        out["stable"] = (lo, hi)
        if "undecided" in (why_lo, why_hi):
            notes.append("an end could not be decided by certified continuation")
    else:
        out["stable"] = (None, None)
    out["note"] = "; ".join(notes)
    if any(why == "end" for _, why in ends):
        # the value is exact, but only continuation failure says the branch ends there (a root of the
        # discriminant can also be a node or a pitchfork that the branch passes through)
        out["caveat"] = ("an end at a root of the discriminant or leading coefficient is where certified "
                         "continuation stops; that the branch ends there is not proved")
    return out


def _lc(B):
    """The leading coefficient of ``B`` in ``z`` (a polynomial in ``t``)."""
    terms = B.to_dict()
    deg = max(e[0] for e in terms)
    return B.context().from_dict({(0, e[1]): c for e, c in terms.items() if e[0] == deg})


def scaled_root(root: EtaRoot, sigma2: Fraction) -> EtaRoot:
    """The root ``r / sigma`` (``sigma = sqrt(sigma2) > 0``) of ``p(sigma x) = 0``, with its own minimal polynomial."""
    p = root.poly
    coeffs = [int(c) for c in p.coeffs()]
    s2 = flint.fmpq(sigma2.numerator, sigma2.denominator)
    x = flint.fmpq_poly([0, 1])
    even = sum((flint.fmpq_poly([c]) * (s2 * x * x) ** (k // 2) for k, c in enumerate(coeffs) if k % 2 == 0),
               flint.fmpq_poly([]))
    odd = sum((flint.fmpq_poly([c]) * (s2 * x * x) ** (k // 2) for k, c in enumerate(coeffs) if k % 2 == 1),
              flint.fmpq_poly([]))
    q = even * even - s2 * x * x * odd * odd  # p(sigma x) p(-sigma x)
    den = q.denom()
    qz = flint.fmpz_poly([int(c * den) for c in q.coeffs()])
    prec = _PREC
    while prec <= _MAX_PREC:
        with flint.ctx.workprec(prec):
            target = root.refine(prec).ball / flint.arb(flint.fmpq(sigma2.numerator, sigma2.denominator)).sqrt()
            hits = []
            for f, _ in qz.factor()[1]:
                for k, b in enumerate(real_root_balls(f, prec)):
                    if b.overlaps(target):
                        hits.append(EtaRoot(f if f.coeffs()[-1] > 0 else -f, k, b))
            if len(hits) == 1:
                return hits[0]
        prec *= 2
    raise ArithmeticError("could not isolate a scaled root")
