"""Beyond the threshold (O1): the exact period-2 orbits of the GD map at a rational step, :func:`period_two`.

A 2-cycle is a pair ``x != y`` with ``y = G(x)``, ``x = G(y)``,
``G(theta) = theta - eta grad L(theta)`` (docs/theory.md, O1). Two solvers:

* **scalar networks** (every width 1): every 2-cycle is sign-balanced,
  ``x = eps a``, ``y = eps b`` with ``eps_l = +-1`` (docs/theory.md, O1, with the
  proof), so the cycles are those of the one-dimensional maps
  ``h_s(a) = a - eta s g(s a^H) a^(H-1)``, ``s = prod eps_l``, ``g = dL/dmu``: the roots
  of ``(h(h(a)) - a) / (h(a) - a)``, factored over Q;
* **any small network**: a lex Groebner basis (sympy) of ``y - G(x), x - G(y)``,
  saturated by ``x_i - y_i`` for each ``i`` in turn (``t (x_i - y_i) = 1``), in the
  variables ``x, y`` and a random separating linear form ``z`` (shape lemma). The
  orthogonal symmetry of each hidden layer (``W_l -> Q W_l``,
  ``W_(l+1) -> W_(l+1) Q^T`` commutes with G) is fixed by a slice: ``x``'s ``W_l``
  has zeros below its diagonal (every orbit meets it, by QR). A positive-dimensional
  remainder is refused. Too large a system is refused up front with an estimate
  (``force=True`` overrides).

Each orbit is returned with its points (exact and as floats), its exact Floquet
multipliers (:mod:`~symstab.orbits.algebra`), its stability, and for scalar
networks (every depth) the exact eta-interval of the branch's stability
(:mod:`~symstab.orbits.families`, :mod:`~symstab.orbits.intervals`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from ..errors import InvalidInputError, TooLargeError
from ..exact.latex import LatexDisplay, align_rows, to_latex, tuple_terms
from ..exact.latex import text as latex_text
from ..exact.numbers import as_rational, to_exact
from .algebra import Z, AlgebraicCycle, floquet_data, point_strings, point_values
from .families import NOT_ALIGNED, aligned_interval, cycle_map, is_scalar_network, stability_interval

__all__ = ["PeriodTwoOrbit", "PeriodTwoOrbits", "estimate_cost", "period_two"]

_MAX_SECONDS = 60.0


@dataclass(frozen=True, eq=False)
class PeriodTwoOrbit:
    """One 2-cycle ``{theta_1, theta_2}`` of ``G_eta``.

    ``points`` (floats) and ``points_exact`` (strings), ``multipliers`` (floats, or
    ``[re, im]`` for a complex pair) and ``multipliers_exact`` (strings), ``stable``
    (every multiplier strictly inside the unit circle, apart from the ``neutral`` ones
    forced by a continuous symmetry), ``stable_eta_interval`` ``[lo, hi]`` (floats,
    ``None`` for an unknown end) with ``stable_eta_interval_exact`` (strings), ``exists_eta_interval``
    and ``interval_note`` (why an end is unknown, when it is).
    """

    points: tuple
    points_exact: tuple
    multipliers: tuple
    multipliers_exact: tuple
    stable: bool
    stable_eta_interval: tuple
    stable_eta_interval_exact: tuple
    exists_eta_interval: tuple
    neutral: int
    family: str
    minimal_polynomial: str
    interval_note: str = ""

    def to_dict(self) -> dict:
        return {"points": [list(p) for p in self.points], "points_exact": [list(p) for p in self.points_exact],
                "multipliers": list(self.multipliers), "multipliers_exact": list(self.multipliers_exact),
                "stable": self.stable, "stable_eta_interval": list(self.stable_eta_interval),
                "stable_eta_interval_exact": list(self.stable_eta_interval_exact),
                "exists_eta_interval": list(self.exists_eta_interval),
                "neutral_multipliers": self.neutral, "family": self.family,
                "minimal_polynomial": self.minimal_polynomial, "interval_note": self.interval_note}


@dataclass(frozen=True, eq=False)
class PeriodTwoOrbits(LatexDisplay):
    """Every real 2-cycle of ``G_eta`` found by :func:`period_two` (exact), with the method used."""

    widths: tuple
    eta: Fraction
    orbits: tuple
    method: str
    note: str
    evidence: str = "exact"

    def to_dict(self) -> dict:
        return {"widths": list(self.widths), "eta": str(self.eta), "eta_float": float(self.eta),
                "method": self.method, "note": self.note, "evidence": self.evidence,
                "orbits": [o.to_dict() for o in self.orbits]}

    def __str__(self) -> str:
        lines = [f"period-2 orbits of G_eta, widths {self.widths}, eta = {self.eta} [{self.evidence}; {self.method}]"]
        if self.note:
            lines.append(f"  {self.note}")
        if not self.orbits:
            lines.append("  no real 2-cycle")
        for k, o in enumerate(self.orbits):
            lo, hi = o.stable_eta_interval_exact
            lines.append(f"  orbit {k + 1} ({o.family}): {'stable' if o.stable else 'unstable'}")
            for p, pe in zip(o.points, o.points_exact):
                lines.append(f"    point  {', '.join(pe)}  ~ ({', '.join(f'{v:.10g}' for v in p)})")
            lines.append(f"    multipliers  {', '.join(o.multipliers_exact)}")
            if o.stable and (lo, hi) != (None, None):
                lines.append(f"    stable for eta in ({lo}, {hi if hi is not None else 'oo'})")
            elif o.stable:
                lines.append(f"    eta-interval of stability: not known ({o.interval_note or 'not computed'})")
        return "\n".join(lines)

    def latex_formula(self) -> str:
        """Math mode: the 2-cycles as point pairs with their multipliers."""
        if not self.orbits:
            return rf"\text{{no real 2-cycle of }} G_\eta,\ \eta = {to_latex(as_rational(self.eta))}"
        rows = [r"\{" + ", ".join("(" + ", ".join(_tex(v) for v in p) + ")" for p in o.points_exact) + r"\}"
                + r"\quad \text{multipliers } " + ", ".join(_tex(m) for m in o.multipliers_exact) for o in self.orbits]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def latex(self) -> str:
        """A text-mode fragment: one item per orbit with its points and multipliers."""
        out = [rf"\paragraph{{Period-2 orbits of $G_\eta$, widths $({','.join(map(str, self.widths))})$, "
               rf"$\eta = {to_latex(as_rational(self.eta))}$ ({latex_text(self.evidence)}).}} "
               + (latex_text(self.note) if self.note else ""), r"\begin{itemize}"]
        for o in self.orbits:
            rows = [row for k, p in enumerate(o.points_exact, 1) for row in align_rows(
                rf"\theta_{{{k}}}", tuple_terms([sympy.sympify(v, rational=True) for v in p]))]
            rows.append(r"\text{multipliers} &\quad " + ", ".join(_tex(m) for m in o.multipliers_exact))
            out.append(rf"\item {latex_text(o.family)}, " + ("stable" if o.stable else "unstable") + ":\n"
                       + "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
        if not self.orbits:
            out.append(r"\item no real 2-cycle.")
        out.append(r"\end{itemize}")
        return "\n".join(out)


def _tex(value: str) -> str:
    """LaTeX of an exact number given as sympy text (produced by this module, never user text)."""
    return to_latex(sympy.sympify(value, rational=True))


# --------------------------------------------------------------------------- size guard


def _slice_zeros(widths) -> set:
    """Indices of the parameters fixed to 0 by the hidden-layer gauge slice (``W_l`` upper triangular)."""
    zeros, k = set(), 0
    H = len(widths) - 1
    for l in range(1, H + 1):
        rows, cols = widths[l], widths[l - 1]
        for i in range(rows):
            for j in range(cols):
                if l < H and i > j:
                    zeros.add(k)
                k += 1
    return zeros


def _transposed(net):
    """The whitened network with reversed widths and target ``Y^T`` when ``d_0 > d_H`` (else None).

    With ``X = I`` and the loss ``1/2 ||mu - Y||_F^2``, ``theta -> (W_H^T, ..., W_1^T)`` maps
    the loss, so also ``G_eta``, onto the transposed network's; its 2-cycles and their
    multipliers correspond one to one. The general solver measured far faster with
    ``d_0 <= d_H`` ((1,1,2), target (1,1), eta = 3/5: 4.6 s; (2,1,1), target (1,1):
    over 120 s), so the transposed system is the one solved.
    """
    d0, dH = net.widths[0], net.widths[-1]
    if d0 <= dH or net.loss != "half" or is_scalar_network(net) or net.X != sympy.eye(d0):
        return None
    return type(net).whitened(tuple(reversed(net.widths)), net.Y.T.tolist(), loss=net.loss)


def _transpose_permutation(widths) -> list:
    """``perm`` with ``theta[k] = phi[perm[k]]``: ``W_l[r][c]`` of ``theta`` is ``V_(H+1-l)[c][r]`` of ``phi``."""
    H = len(widths) - 1
    rev = tuple(reversed(widths))
    off_phi, k = [0] * (H + 2), 0
    for layer in range(1, H + 1):
        off_phi[layer] = k
        k += rev[layer] * rev[layer - 1]
    perm = []
    for layer in range(1, H + 1):
        rows, cols = widths[layer], widths[layer - 1]
        for r in range(rows):
            for c in range(cols):
                perm.append(off_phi[H + 1 - layer] + c * rows + r)
    return perm


def estimate_cost(net) -> dict:
    """A-priori cost of :func:`period_two`: the Bezout number and a time estimate (seconds, 2 cores).

    The general solver's time grows like ``B^1.5`` with ``B = (2H - 1)^(2 D')`` (``D'`` the
    free parameters after the slice), times the ``D`` saturations; fitted on (1,1,1) 0.05 s,
    (1,1,2) 1.5 s, (1,1,1,1) 150 s per saturation (benchmarks/README.md). Scalar networks
    take the one-dimensional path and cost next to nothing.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> estimate_cost(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))["bezout"]
    729
    """
    D = net.num_params
    H = net.depth
    if is_scalar_network(net):
        return {"method": "scalar", "bezout": (2 * H - 1) ** 2, "seconds": 0.01 * H * H}
    free = D - len(_slice_zeros(net.widths))
    log_b = 2 * free * math.log(2 * H - 1)
    seconds = D * 0.05 * math.exp(1.5 * (log_b - math.log(81)))
    return {"method": "groebner", "bezout": int(round(math.exp(log_b))), "seconds": seconds}


# --------------------------------------------------------------------------- the solvers


def _scalar_cycles(net, eta: Fraction) -> list:
    """``(AlgebraicCycle, family label, sign s, factor index data)`` for a scalar network."""
    H = net.depth
    out = []
    for s in (1, -1):
        h, C = cycle_map(net, s, as_rational(eta))
        if C.degree() <= 0:
            continue
        for g, _ in C.factor_list()[1]:
            g = sympy.Poly(g.as_expr(), Z, domain="QQ")
            nreal = len(g.real_roots(multiple=True)) if g.degree() <= 4 else sympy.Poly(g).count_roots()
            hz = sympy.Poly(h.as_expr(), Z, domain="QQ").rem(g)
            for k in range(nreal):
                for eps in _sign_patterns(H, s):
                    x = tuple(sympy.Poly(e * Z, Z, domain="QQ") for e in eps)
                    y = tuple(sympy.Poly(e * hz.as_expr(), Z, domain="QQ") for e in eps)
                    label = f"sign-balanced, signs {''.join('+' if e > 0 else '-' for e in eps)}"
                    out.append((AlgebraicCycle(g, k, x, y), label, s))
    return out


def _sign_patterns(H: int, s: int) -> list:
    """Sign vectors with first entry +1 and product ``s`` (the others are hidden-layer symmetric copies)."""
    pats = []
    for bits in range(2 ** (H - 1)):
        eps = [1] + [(-1 if bits >> i & 1 else 1) for i in range(H - 1)]
        if math.prod(eps) == s:
            pats.append(tuple(eps))
    return pats


def _general_cycles(net, eta: Fraction, seed: int) -> list:
    D = net.num_params
    zeros = _slice_zeros(net.widths)
    xs = sympy.symbols(f"x0:{D}")
    ys = sympy.symbols(f"y0:{D}")
    t = sympy.Symbol("t")
    params = net.parameter_symbols
    e = as_rational(eta)
    grads = net.gradient_exprs()
    xsub = {params[i]: (0 if i in zeros else xs[i]) for i in range(D)}
    ysub = dict(zip(params, ys))
    base = [sympy.expand(ys[i] - xsub[params[i]] + e * grads[i].subs(xsub, simultaneous=True)) for i in range(D)]
    base += [sympy.expand(xsub[params[i]] - ys[i] + e * grads[i].subs(ysub, simultaneous=True)) for i in range(D)]
    free_x = [xs[i] for i in range(D) if i not in zeros]
    xfull = [sympy.Integer(0) if i in zeros else xs[i] for i in range(D)]
    rng = random.Random(seed)
    out = []
    for i in range(D):
        sat = sympy.expand(t * (xfull[i] - ys[i]) - 1)
        last = free_x[-1]
        # first try the last coordinate as the primitive element (fast, plain lex); else a random linear form
        attempts = [(base + [sat], [t, *ys, *free_x], last)]
        for _ in range(3):
            form = sum(rng.randint(-9, 9) * v for v in free_x + list(ys))
            attempts.append((base + [sat, Z - form], [t, *ys, *free_x, Z], Z))
        for eqs, gens, prim in attempts:
            G = sympy.groebner(eqs, *gens, order="lex") if prim is not Z else None
            if G is None:
                G = sympy.groebner(eqs, *gens, order="grevlex")
                if G.exprs != [1] and G.is_zero_dimensional:
                    G = G.fglm("lex")
            if G.exprs == [1]:
                break
            if not G.is_zero_dimensional:
                raise InvalidInputError(
                    f"the 2-cycles of widths {net.widths} at eta = {eta} form a positive-dimensional family "
                    "(beyond the hidden-layer symmetry); not supported")
            shape = _shape(G.exprs, gens, prim)
            if shape is None:
                continue
            F, values = shape
            values[prim] = prim
            for g, _ in F.factor_list()[1]:
                g = sympy.Poly(g.as_expr(), Z, domain="QQ")
                nreal = g.count_roots()
                def at(v):
                    return sympy.Poly(sympy.sympify(values[v]).subs(prim, Z), Z, domain="QQ").rem(g)
                x = tuple(at(v) if v in values else sympy.Poly(0, Z, domain="QQ") for v in xfull)
                y = tuple(at(v) for v in ys)
                for k in range(nreal):
                    out.append((AlgebraicCycle(g, k, x, y), "general", None))
            break
        else:
            raise InvalidInputError(f"no separating linear form found for widths {net.widths} at eta = {eta} "
                                    "(a multiple 2-cycle: eta is a bifurcation value?)")
    return out


def _shape(exprs, gens, prim):
    """``(F(prim), {var: q(prim)})`` when the lex basis is ``[v - q_v(prim) ..., F(prim)]``, else None."""
    F = None
    values = {}
    for ex in exprs:
        p = sympy.Poly(ex, *gens)
        used = [g for g in gens if p.degree(g) > 0]
        if used == [prim]:
            F = sympy.Poly(sympy.sympify(ex).subs(prim, Z), Z, domain="QQ")
            continue
        lead = [g for g in used if g != prim]
        if len(lead) != 1 or p.degree(lead[0]) != 1:
            return None
        v = lead[0]
        coeff = p.coeff_monomial(v)
        rest = sympy.expand(ex - coeff * v)
        if not sympy.sympify(coeff).is_Rational or rest.free_symbols - {prim}:
            return None
        values[v] = sympy.expand(-rest / coeff)
    if F is None:
        return None
    values = {v: q for v, q in values.items()}
    return F.monic(), values


# --------------------------------------------------------------------------- period_two


def _check_eta(eta) -> Fraction:
    if isinstance(eta, float):
        raise InvalidInputError("eta must be exact (an integer, a/b or a decimal string), not a float")
    value = to_exact(eta, where="eta")
    if not isinstance(value, Fraction):
        raise InvalidInputError(f"eta must be an exact number, got {eta!r}")
    if value <= 0:
        raise InvalidInputError(f"eta must be positive, got {eta}")
    return value


def period_two(net, eta, *, force: bool = False, seed: int = 0, intervals: bool = True) -> PeriodTwoOrbits:
    """The real 2-cycles of ``G_eta(theta) = theta - eta grad L(theta)``, exactly (docs/theory.md, O1).

    Parameters
    ----------
    net : LinearNetwork
        Numeric data.
    eta : exact positive number (int, Fraction, ``"11/10"``)
    force : bool
        Run even when :func:`estimate_cost` predicts more than a minute.
    seed : int
        Seed of the random separating linear forms (general solver).
    intervals : bool
        Compute the eta-interval of stability (scalar networks).

    Returns
    -------
    PeriodTwoOrbits

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> res = period_two(LinearNetwork.whitened((1, 1, 1), [[1]]), "11/10")
    >>> [o.stable for o in res.orbits]
    [False, True, True, False]
    >>> res.orbits[1].multipliers_exact, res.orbits[1].stable_eta_interval_exact
    (('9/50', '4/5'), ('1', '-1 + sqrt(5)'))
    """
    net.require_numeric("period_two")
    eta = _check_eta(eta)
    est = estimate_cost(net)
    if est["seconds"] > _MAX_SECONDS and not force:
        raise TooLargeError(
            f"the 2-cycle system of widths {net.widths} has Bezout number {est['bezout']}; estimated "
            f"{est['seconds']:.3g} s (limit {_MAX_SECONDS:.0f} s); pass force=True (CLI: --force) to run it anyway")
    flipped = _transposed(net)
    if flipped is not None:  # the same GD map up to a permutation of coordinates (docs/theory.md, O1)
        res = period_two(flipped, eta, force=force, seed=seed, intervals=intervals)
        perm = _transpose_permutation(net.widths)
        orbits = sorted((replace(o, points=tuple(tuple(p[j] for j in perm) for p in o.points),
                                 points_exact=tuple(tuple(p[j] for j in perm) for p in o.points_exact))
                         for o in res.orbits), key=lambda o: (o.family, o.points))
        return PeriodTwoOrbits(widths=net.widths, eta=eta, orbits=tuple(orbits), note=res.note,
                               method=res.method + f"; solved on the transposed network (widths "
                                      f"{flipped.widths}, target Y^T) and mapped back")
    if is_scalar_network(net):
        found = _scalar_cycles(net, eta)
        method = "scalar network: sign-balanced reduction to one-dimensional maps, factored over Q"
        note = ("all 2-cycles; sign patterns with first sign + (the others are copies under the hidden sign "
                "symmetry)") if net.depth > 1 else "all 2-cycles"
    else:
        found = _general_cycles(net, eta, seed)
        method = "lex Groebner basis (sympy), saturated by x_i - y_i, shape lemma"
        note = ("one representative per orbit of the hidden-layer orthogonal symmetry meeting the slice "
                "(W_l upper triangular at the first point)") if _slice_zeros(net.widths) else "all 2-cycles"
    orbits, seen, cache = [], set(), {}
    for cycle, label, s in found:
        vals = point_values(cycle, 30)
        key = frozenset(tuple(mpmath.nstr(v, 20) for v in p) for p in vals)
        if key in seen:
            continue
        seen.add(key)
        orbits.append(_orbit(net, eta, cycle, label, s, vals, intervals, cache))
    orbits.sort(key=lambda o: (o.family, o.points))
    return PeriodTwoOrbits(widths=net.widths, eta=eta, orbits=tuple(orbits), method=method, note=note)


def _orbit_dimension(net, point) -> int:
    """Numerical rank of the hidden-layer ``so(d_l)`` generators at ``point`` (the neutral multipliers)."""
    W = net.split([float(v) for v in point], dtype=float)
    cols = []
    H = len(W)
    for l in range(H - 1):
        d = W[l].shape[0]
        for a in range(d):
            for b in range(a + 1, d):
                A = np.zeros((d, d))
                A[a, b], A[b, a] = 1.0, -1.0
                vec = [np.zeros(w.shape) for w in W]
                vec[l] = A @ W[l]
                vec[l + 1] = -W[l + 1] @ A
                cols.append(np.concatenate([v.ravel() for v in vec]))
    if not cols:
        return 0
    return int(np.linalg.matrix_rank(np.array(cols).T, tol=1e-8))


def _orbit(net, eta, cycle, label, s, vals, intervals, cache) -> PeriodTwoOrbit:
    fl = floquet_data(net, eta, cycle)
    points = tuple(tuple(float(v) for v in p) for p in vals)
    neutral_dim = _orbit_dimension(net, points[0])
    ones = [k for k, m in enumerate(fl["exact"]) if m == 1]
    neutral = min(len(ones), neutral_dim)
    skip = set(ones[:neutral])
    stable = all(fl["inside"][k] is True for k in range(len(fl["exact"])) if k not in skip)
    mults = []
    for m in fl["values"]:
        mc = complex(m)
        mults.append(mc.real if abs(mc.imag) < 1e-30 else [mc.real, mc.imag])
    interval, interval_exact, exists, inote = (None, None), (None, None), (None, None), ""
    if intervals and s is not None:  # every scalar depth (python-flint resultants, certified continuation)
        key = (s, str(cycle.f.as_expr()), cycle.index, stable)  # the sign copies share z, hence the branch
        if key not in cache:
            cache[key] = stability_interval(net, eta, s, cycle, stable)
        interval, interval_exact, exists, inote = cache[key]
    elif intervals and net.depth == 2 and net.widths[0] == 1:  # an aligned cycle of (1, n, 1) or (1, 1, n)
        interval, interval_exact, exists, inote = aligned_interval(net, eta, cycle, stable)
    elif intervals:
        inote = NOT_ALIGNED
    return PeriodTwoOrbit(points=points, points_exact=point_strings(cycle), multipliers=tuple(mults),
                          multipliers_exact=tuple(sympy.sstr(m) for m in fl["exact"]), stable=stable,
                          stable_eta_interval=interval, stable_eta_interval_exact=interval_exact,
                          exists_eta_interval=exists, neutral=neutral, family=label, interval_note=inote,
                          minimal_polynomial=sympy.sstr(cycle.f.as_expr()))
