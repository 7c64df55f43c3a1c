"""Sparse interpolation modulo word-size primes (Ben-Or/Tiwari) with multimodular (CRT) reconstruction.

A black box gives the values of ``K`` integer polynomials ``f_k(x_1..x_n)`` modulo a prime ``p``
along a geometric sequence of points ``x_j = s_j b_j^i`` (``i = start, start+1, ...``). For each
``f_k = sum_t c_t x^(e_t)`` the values ``a_i = sum_t c_t s^(e_t) v_t^i`` with ``v_t = b^(e_t)``
form a linearly recurrent sequence whose minimal polynomial is ``prod_t (z - v_t)``:

1. Berlekamp-Massey (``fmpz_mod_poly_ctx.minpoly``) on ``2T + margin`` values (early termination:
   the degree is read once the sequence is at least ``2 deg + margin`` long);
2. its roots ``v_t`` (equal-degree splitting with 16th-power characters over ``nmod_poly.pow_mod``
   and ``gcd``, the primes being ``1 mod 1024``: the polynomial splits into distinct linear factors,
   and this is 10-20x faster than ``nmod_poly.roots``, which factors);
3. the coefficients ``c_t`` by a transposed Vandermonde solve (``N = G Q mod y^T`` with
   ``Q = prod (1 - v_t y)``, ``c_t = -v_t N(1/v_t) / Q'(1/v_t)``, multipoint evaluation in C);
4. the exponents without discrete logarithms: one more sequence per group of ``g`` variables,
   shifted by random multipliers ``s_j``; the ratio of its coefficients to ``c_t`` is
   ``prod_(j in group) s_j^(e_tj)``, looked up in a table that is checked to be injective.

Further primes reuse the support: ``v_t = b^(e_t)`` is computed, and one transposed Vandermonde
solve gives the coefficients, checked against extra probes. The integer coefficients are lifted by
CRT (symmetric residues) and accepted only when the lift is stable under one more prime.

What is certain and what is not: every step is exact modular arithmetic, but the support
(Berlekamp-Massey early termination, distinct ``v_t``) and the lift (CRT stability) are correct only
with high probability; callers must check the result exactly (``symstab.detsparse`` does, at random
points modulo a fresh prime and at exact rational points).
"""

from __future__ import annotations

import random

import flint
import numpy as np

from ..errors import SymstabError

__all__ = ["GeometricEvaluator", "crt_lift", "interpolate", "interpolate_mod_p", "interpolate_on_support",
           "minimal_polynomial_degree", "primes_below", "split_roots", "transposed_vandermonde"]

PRIME_BITS = 50  # below 2^50 the numpy products mod p are exact with the floating-point quotient trick


def primes_below(count: int, bound: int = 2**PRIME_BITS) -> list:
    """The ``count`` largest primes ``p < bound`` with ``p = 1 (mod 1024)`` (so F_p has 16th roots of unity)."""
    out, n = [], (bound - 1) // 1024 * 1024 + 1
    while len(out) < count:
        if n < bound and flint.fmpz(n).is_prime():
            out.append(n)
        n -= 1024
    return out


def mulmod(a, b, p: int):
    """``a * b mod p`` elementwise for uint64 arrays with entries below ``p < 2^50`` (exact)."""
    q = np.floor(a.astype(np.float64) * b.astype(np.float64) / float(p)).astype(np.uint64)
    r = (a * b - q * np.uint64(p)).view(np.int64)  # exact modulo 2^64, and |true r| < 4p
    return np.mod(r, p).astype(np.uint64)


class GeometricEvaluator:
    """Values modulo ``p`` of integer polynomials (``{exponents: coefficient}`` dicts, ``n`` variables)
    at the points ``x_j = s_j b_j^i``, for consecutive ``i``, by one vector product per point."""

    def __init__(self, polys, nvars: int):
        self.n = nvars
        self.index = [k for k, f in enumerate(polys) if f]
        self.size = len(polys)
        terms = [(e, int(c)) for k in self.index for e, c in polys[k].items()]
        self.exps = np.array([e for e, _ in terms], dtype=np.int64).reshape(len(terms), nvars)
        self.coeffs = [c for _, c in terms]
        self.starts = np.cumsum([0] + [len(polys[k]) for k in self.index[:-1]]).astype(np.int64)

    def _monomials(self, point, p):
        """``x^(e_s) mod p`` for every term, by tables of powers."""
        maxdeg = int(self.exps.max()) if self.exps.size else 0
        acc = np.ones(len(self.coeffs), dtype=np.uint64)
        for j, x in enumerate(point):
            table = np.array([pow(x, e, p) for e in range(maxdeg + 1)], dtype=np.uint64)
            acc = mulmod(acc, table[self.exps[:, j]], p)
        return acc

    def values(self, p: int, base, shift, start: int, count: int):
        """A ``count x len(polys)`` list of lists of ints: the values at ``i = start .. start + count - 1``."""
        out = np.zeros((count, self.size), dtype=np.uint64)
        if self.index and count:
            u = self._monomials(base, p)
            w = mulmod(self._monomials(shift, p), self._monomials([pow(b, start, p) for b in base], p), p)
            w = mulmod(w, np.array([c % p for c in self.coeffs], dtype=np.uint64), p)
            for first in range(0, count, 1024):  # blocks of rows: row i holds the terms times u^i (by doubling)
                rows = min(1024, count - first)
                block = np.empty((rows, len(w)), dtype=np.uint64)
                block[0] = w
                filled, step = 1, u
                while filled < rows:
                    take = min(filled, rows - filled)
                    block[filled:filled + take] = mulmod(block[:take], step[None, :], p)
                    filled += take
                    step = mulmod(step, step, p)
                out[first:first + rows, self.index] = np.add.reduceat(block, self.starts, axis=1) % np.uint64(p)
                w = mulmod(block[-1], u, p)
        return out.tolist()


def split_roots(f, p: int, rng, arity: int = 16) -> list:
    """The roots of a monic ``nmod_poly`` ``f`` that splits into distinct linear factors.

    Equal-degree splitting (Cantor-Zassenhaus) with ``arity``-th power characters: for random ``a``,
    ``h = (x + a)^((p - 1) / arity) mod g`` takes ``arity``-th roots of unity ``w`` at the roots, and
    ``gcd(h - w, g)`` splits ``g`` into up to ``arity`` parts per modular power (2.2x faster than the
    quadratic character for degrees 2,500-8,000; ``arity`` must divide ``p - 1``, else 2 is used).
    """
    arity = arity if (p - 1) % arity == 0 else 2
    e = (p - 1) // arity
    while True:
        z = pow(rng.randrange(2, p - 1), e, p)
        if pow(z, arity // 2, p) != 1:  # a primitive arity-th root of unity
            break
    units = [pow(z, j, p) for j in range(arity)]
    x = flint.nmod_poly([0, 1], p)
    out, stack, failures = [], [f], 0
    while stack:
        g = stack.pop()
        d = g.degree()
        if d == 1:
            c0, c1 = (int(c) for c in g.coeffs())
            out.append(-c0 * pow(c1, -1, p) % p)
            continue
        if d < 1:
            continue
        h = (x + rng.randrange(p)).pow_mod(e, g)
        rest = g
        for w in units:
            if rest.degree() <= 1:
                break
            u = rest.gcd(h - w)
            if 0 < u.degree() < rest.degree():
                stack.append(u)
                rest = rest // u
            elif u.degree() == rest.degree():
                break
        if rest.degree() == d:
            failures += 1
            if failures > 64 + 4 * f.degree():  # each try splits a piece with probability >= 1 - 1/arity
                raise SymstabError("internal error: a minimal polynomial did not split into distinct linear factors")
        if rest.degree() > 0:
            stack.append(rest)
    if len(out) != f.degree():
        raise SymstabError("internal error: a minimal polynomial did not split into distinct linear factors")
    return out


def transposed_vandermonde(roots, values, p: int, ctx=None, reverse_minpoly=None):
    """``c`` with ``sum_t c_t v_t^i = a_i`` (``i < T``) for distinct non-zero ``v_t``, in ``O(M(T) log T)``.

    Returns a function ``solve(values) -> list`` reusing ``Q = prod (1 - v_t y)`` and ``Q'(1/v_t)``
    (so several sequences over the same roots cost one product and one multipoint evaluation each).
    ``reverse_minpoly``: ``Q`` if already known (the reversed minimal polynomial).
    """
    ctx = ctx or flint.fmpz_mod_poly_ctx(p)
    T = len(roots)
    if reverse_minpoly is None:
        factors = [ctx([1, -v % p]) for v in roots]
        while len(factors) > 1:
            factors = [factors[i] * factors[i + 1] if i + 1 < len(factors) else factors[i]
                       for i in range(0, len(factors), 2)]
        Q = factors[0] if factors else ctx([1])
    else:
        Q = reverse_minpoly
    inverse = [pow(v, -1, p) for v in roots]
    dQ = [int(y) for y in Q.derivative().multipoint_evaluate(inverse)] if T else []
    scale = [(-v * pow(d, -1, p)) % p for v, d in zip(roots, dQ)]

    def solve(a):
        if not T:
            return []
        N = (ctx(list(a[:T])) * Q).truncate(T)
        return [int(n) * s % p for n, s in zip(N.multipoint_evaluate(inverse), scale)]

    solve.Q = Q
    return solve(values) if values is not None else solve


def minimal_polynomial_degree(sequence, p: int) -> int:
    """The degree of the minimal polynomial of ``sequence`` modulo ``p`` (Berlekamp-Massey)."""
    return flint.fmpz_mod_poly_ctx(p).minpoly(list(sequence)).degree()


def _shift_groups(nvars: int, bound: int, p: int, rng):
    """Groups of variables and random multipliers whose exponent tables (entries <= bound) are injective."""
    g = 1
    while g < nvars and (bound + 1) ** (g + 1) <= 2**18:  # collisions ~ 2^36 / 2p, and checked below
        g += 1
    groups = []
    for first in range(0, nvars, g):
        members = list(range(first, min(first + g, nvars)))
        for _ in range(20):
            mult = {j: rng.randrange(2, p - 1) for j in members}
            table = {1: ()}
            for j in members:
                powers = [pow(mult[j], e, p) for e in range(bound + 1)]
                table = {v * w % p: key + (e,) for v, key in table.items() for e, w in enumerate(powers)}
            if len(table) == (bound + 1) ** len(members):
                break
        else:
            raise SymstabError("internal error: no injective exponent table modulo p")
        groups.append((members, mult, table))
    return groups


def interpolate_mod_p(probe, nvars: int, nout: int, bound: int, p: int, *, seed: int = 0, margin: int = 8,
                      first_chunk: int = 64, max_probes: int | None = None):
    """Supports and coefficients mod ``p`` of ``nout`` polynomials from a geometric black box.

    ``probe(p, base, shift, start, count)`` returns ``count`` rows of ``nout`` values mod ``p`` at
    ``x_j = shift_j base_j^i``; ``bound`` bounds every partial degree. Returns a list of
    ``{exponents: coefficient mod p}``. Raises :class:`~symstab.errors.SymstabError` if
    ``max_probes`` values do not make every sequence terminate.
    """
    rng = random.Random(seed)
    base = [rng.randrange(2, p - 1) for _ in range(nvars)]
    ones = [1] * nvars
    ctx = flint.fmpz_mod_poly_ctx(p)
    rows, minpolys, todo, seen = [], [None] * nout, set(range(nout)), [0] * nout
    while todo:
        count = max(first_chunk, len(rows) // 2)  # grow by half: less overshoot past 2T + margin
        if max_probes is not None and len(rows) + count > max_probes:
            raise SymstabError(f"sparse interpolation: more than {max_probes // 2} terms (the probe budget)")
        rows += probe(p, base, ones, len(rows), count)
        # the longest sequence first: while it has not terminated, the others need not be checked
        for k in sorted(todo, key=lambda k: -seen[k]):
            mp = ctx.minpoly([r[k] for r in rows])
            seen[k] = mp.degree()
            if 2 * mp.degree() + margin > len(rows):
                break
            minpolys[k] = mp
            todo.discard(k)
    degrees = [mp.degree() for mp in minpolys]
    T = max(degrees)
    groups = _shift_groups(nvars, bound, p, rng)
    shifted = []
    for members, mult, _ in groups:
        shift = [mult.get(j, 1) for j in range(nvars)]
        shifted.append(probe(p, base, shift, 0, T))
    result = []
    for k in range(nout):
        Tk = degrees[k]
        if Tk == 0:
            result.append({})
            continue
        mp = minpolys[k]
        roots = split_roots(flint.nmod_poly([int(c) for c in mp.coeffs()], p), p, rng)
        solve = transposed_vandermonde(roots, None, p, ctx)
        coeffs = solve([r[k] for r in rows])
        inverse = [pow(c, -1, p) for c in coeffs]
        exps = [[0] * nvars for _ in range(Tk)]
        for (members, _, table), seq in zip(groups, shifted):
            other = solve([r[k] for r in seq])
            for t in range(Tk):
                key = table.get(other[t] * inverse[t] % p)
                if key is None:
                    raise SymstabError("sparse interpolation: an exponent was not found (bad sequence or bound)")
                for j, e in zip(members, key):
                    exps[t][j] = e
        result.append({tuple(e): c for e, c in zip(exps, coeffs)})
        if len(result[-1]) != Tk:
            raise SymstabError("sparse interpolation: two terms decoded to one monomial")
    return result


def interpolate_on_support(probe, supports, nvars: int, p: int, *, seed: int = 0, extra: int = 4):
    """Coefficients mod ``p`` on known supports (one transposed Vandermonde solve each), checked on
    ``extra`` further probes; raises :class:`~symstab.errors.SymstabError` if a check fails (support wrong)."""
    rng = random.Random(seed)
    base = [rng.randrange(2, p - 1) for _ in range(nvars)]
    T = max((len(s) for s in supports), default=0)
    rows = probe(p, base, [1] * nvars, 0, T + extra)
    ctx = flint.fmpz_mod_poly_ctx(p)
    result = []
    for k, support in enumerate(supports):
        monos = list(support)
        if not monos:
            if any(r[k] for r in rows):
                raise SymstabError("sparse interpolation: a polynomial found zero is not zero modulo another prime")
            result.append({})
            continue
        ev = GeometricEvaluator([{e: 1 for e in monos}], nvars)
        # v_t = base^(e_t), in the order of monos
        roots = [int(v) for v in ev._monomials(base, p)]
        if len(set(roots)) != len(roots):
            raise SymstabError("sparse interpolation: two monomials collide modulo p (choose another seed)")
        coeffs = transposed_vandermonde(roots, [r[k] for r in rows], p, ctx)
        for i in range(len(monos), len(monos) + extra):
            if sum(c * pow(v, i, p) for c, v in zip(coeffs, roots)) % p != rows[i][k]:
                raise SymstabError("sparse interpolation: the support does not reproduce the black box "
                                   "(a term was missed)")
        result.append(dict(zip(monos, coeffs)))
    return result


def crt_lift(columns, primes) -> list:
    """Symmetric CRT lift: ``columns[i][t]`` is coefficient ``t`` modulo ``primes[i]``; returns the integers
    ``x_t`` with ``|x_t| < prod(primes) / 2`` and ``x_t = columns[i][t] mod primes[i]`` for every ``i``."""
    modulus, lifted = 1, [0] * (len(columns[0]) if columns else 0)
    for column, p in zip(columns, primes):
        inv = pow(modulus, -1, p)
        lifted = [x + modulus * ((r - x) * inv % p) for x, r in zip(lifted, column)]
        modulus *= p
    half = modulus // 2
    return [x - modulus if x > half else x for x in lifted]


def interpolate(probe, nvars: int, nout: int, bound: int, *, seed: int = 0, max_primes: int = 8,
                max_probes: int | None = None, progress=None):
    """Integer polynomials from a geometric black box: sparse interpolation modulo a first prime, then
    coefficients modulo further primes on that support, lifted by CRT (symmetric residues) until the
    lift is stable: unchanged by the next prime (so at least two primes are always used).
    Returns ``(polys, info)``: a list of ``{exponents: int}`` and ``{"primes": [...], "terms": [...]}``.
    """
    primes = primes_below(max_primes)
    first = interpolate_mod_p(probe, nvars, nout, bound, primes[0], seed=seed, max_probes=max_probes)
    if progress is not None:
        progress(1, 3)
    supports = [list(f) for f in first]
    columns = [[[f[e] for e in s]] for f, s in zip(first, supports)]  # per polynomial, per prime, per term
    used = [primes[0]]
    lifted = [crt_lift(c, used) for c in columns]
    for idx, p in enumerate(primes[1:], 1):
        mod_p = interpolate_on_support(probe, supports, nvars, p, seed=seed + idx)
        new = [[f[e] for e in s] for f, s in zip(mod_p, supports)]
        used.append(p)
        if all(all(x % p == r for x, r in zip(lifted[k], new[k])) for k in range(nout)):
            break
        for k in range(nout):
            columns[k].append(new[k])
        lifted = [crt_lift(c, used) for c in columns]
    else:
        raise SymstabError(f"sparse interpolation: the CRT lift did not stabilise within {max_primes} primes")
    if progress is not None:
        progress(2, 3)
    polys = [{e: c for e, c in zip(s, lifted[k]) if c} for k, s in enumerate(supports)]
    return polys, {"primes": used, "terms": [len(f) for f in polys]}
