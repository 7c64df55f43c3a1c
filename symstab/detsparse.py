"""Result A1, the ``"sparse"`` method: ``det(I - eta H)`` by sparse interpolation in ``(theta, r)`` modulo primes.

With the residual ``r = mu Sigma - Y X^T`` as free variables, the Hessian ``H(theta, r)`` has
polynomial entries and the coefficients ``c_k(theta, r)`` of its characteristic polynomial have
far fewer terms than ``c_k(theta)`` (27,980 against 454,181 for (1,2,2,2)). They are recovered by
:func:`symstab.exact.sparse.interpolate` (Ben-Or/Tiwari modulo word-size primes, probes =
``nmod_mat.charpoly`` of the numeric Hessian at geometric points, CRT until the lift is stable),
then composed with ``r -> mu(theta) Sigma - Y X^T`` in C (``fmpq_mpoly.compose``).

What backs the result (docs/theory.md, "Sparse interpolation"):

* exact: the black box (charpoly of the integer Hessian modulo p), the CRT lift, the composition;
* probabilistic: that the interpolated support and integer coefficients are those of ``c_k(theta, r)``.
  This is then checked (1) at a random point modulo a fresh 50-bit prime ``q`` not used for the lift:
  a wrong polynomial passes with probability at most ``deg / q < 10^-13`` (Schwartz-Zippel), and
  (2) exactly at random rational points against ``det(I - eta H(theta0))`` from the exact Hessian
  (``detpoly.spot_check``). A failed check raises; nothing unchecked is returned.
"""

from __future__ import annotations

import itertools
import random
import time

import flint

from . import detpoly
from .errors import SymstabError
from .exact.sparse import GeometricEvaluator, interpolate, primes_below

__all__ = ["EVIDENCE", "charpoly_probe", "check_mod_fresh_prime", "count_terms", "residual_hessian",
           "sparse_applies", "sparse_det_poly"]


# What backs a "sparse" result, in output, JSON and LaTeX (module docstring): the arithmetic is exact, the
# reconstruction is checked with a bounded probability of error, which is not a proof.
EVIDENCE = ("exact arithmetic, probabilistic reconstruction: sparse interpolation modulo primes, checked at a "
            "random point modulo a fresh prime (error probability below 1e-13) and at exact points; not a proof")


def sparse_applies(net) -> bool:
    """The sparse method applies: numeric data, depth >= 2."""
    return net.depth >= 2 and not net.is_family


def residual_hessian(net):
    """``(entries, denominator, names)``: ``H(theta, r) = H_Z / denominator`` with ``H_Z`` integral,
    its entries as ``{exponents: int}`` dicts (row-major) in the generators ``names = theta + r``."""
    rows, ctx = detpoly.free_residual_hessian(net)
    names = tuple(ctx.names())
    entries, denominator = detpoly.integer_entries(rows)
    return entries, denominator, names


def charpoly_probe(entries, D: int, nvars: int):
    """The black box: ``probe(p, base, shift, start, count)`` -> rows ``(c_1, ..., c_D)`` of
    ``det(lam I - H_Z) = sum_k c_k lam^(D-k)`` modulo ``p`` at ``x_j = shift_j base_j^i``."""
    evaluator = GeometricEvaluator(entries, nvars)

    def probe(p, base, shift, start, count):
        out = []
        for values in evaluator.values(p, base, shift, start, count):
            coeffs = flint.nmod_mat(D, D, values, p).charpoly().coeffs()
            out.append([int(coeffs[D - k]) for k in range(1, D + 1)])
        return out

    return probe


def count_terms(net, *, seconds: float = 0.3, seed: int = 0):
    """``(terms, exact)``: the number of terms of ``det(I - eta H(theta))``, counted before computing it.

    The degree of the minimal polynomial (Berlekamp-Massey modulo a 50-bit prime) of the projected
    sequence ``s_i = sum_k c_k(x^i) z^(k i)``, where ``c_k(x^i)`` are the charpoly coefficients of the
    numeric Hessian at the geometric point ``x^i`` and ``z`` is random, is the number of terms of
    ``P(theta, eta)`` with high probability (failure needs a random point on a proper subvariety),
    once the sequence has terminated (``2 deg + 8 <= length``); then ``exact`` is True. If
    ``seconds`` of CPU time pass first, ``terms`` is the degree found so far, a lower bound that is
    certain: a sum of ``T`` exponential terms has linear complexity at most ``T``, and a prefix at most
    that of the whole sequence.
    Numeric data only (``None`` for a family).
    """
    if net.is_family:
        return None
    D = net.num_params
    entries, _ = detpoly.integer_entries(net.hessian_polys)
    p = primes_below(1)[0]
    rng = random.Random(seed)
    base = [rng.randrange(2, p - 1) for _ in range(D)]
    z = rng.randrange(2, p - 1)
    zk = [pow(z, k, p) for k in range(1, D + 1)]
    probe = charpoly_probe(entries, D, D)
    ctx = flint.fmpz_mod_poly_ctx(p)
    t0 = time.process_time()
    seq, chunk, zi = [], 16, [1] * D
    while True:
        for row in probe(p, base, [1] * D, len(seq), chunk):
            seq.append((1 + sum(c * w for c, w in zip(row, zi))) % p)
            zi = [w * s % p for w, s in zip(zi, zk)]
        degree = ctx.minpoly(seq).degree()
        if 2 * degree + 8 <= len(seq):
            return degree, True
        if time.process_time() - t0 > seconds:
            return degree, False
        chunk = max(16, len(seq) // 2)


def sparse_det_poly(net, progress=None, *, seed: int = 0, max_primes: int = 8):
    """``det(I - eta H)`` by sparse interpolation of ``c_k(theta, r)`` modulo primes, then ``compose``.

    See the module docstring for what is exact and what is checked. ``seed`` fixes the random
    geometric points, the exponent multipliers and the check point.
    """
    D = net.num_params
    entries, denominator, names = residual_hessian(net)
    n = len(names)
    probe = charpoly_probe(entries, D, n)
    polys, info = interpolate(probe, n, D, 2 * D, seed=seed, max_primes=max_primes, progress=progress)
    check_mod_fresh_prime(probe, polys, n, seed=seed, max_primes=max_primes)
    tctx = detpoly.target_context(net)
    tgens = tctx.gens()
    images = list(tgens[:-1]) + detpoly.residual_images(net, tctx)
    result = compose_by_eta_degree(polys, names, images, tgens[-1] / denominator, tctx)
    if progress is not None:
        progress(3, 3)
    net.__dict__["_sparse_info"] = dict(info, residual_terms=1 + sum(len(f) for f in polys))
    return result


def compose_by_eta_degree(polys, names, images, eta, tctx):
    """``1 + sum_k c_k(images) eta^k`` in ``tctx``, one ``compose`` (C) per coefficient ``c_k`` (``{exponents: int}``
    in the generators ``names``), so that the temporaries of one composition are those of one slice; each
    slice is composed with its power of ``eta`` already in place (no extra copy before the sum)."""
    zctx = flint.fmpz_mpoly_ctx.get(names + ("eta",), "degrevlex")
    qctx = flint.fmpq_mpoly_ctx.get(names + ("eta",), "degrevlex")
    pieces = itertools.chain([qctx.constant(1)], (flint.fmpq_mpoly(zctx.from_dict({e + (k,): c for e, c in f.items()}),
                                                                 qctx) for k, f in enumerate(polys, 1) if f))
    return detpoly.compose_by_slices(pieces, list(images) + [eta], tctx)


def check_mod_fresh_prime(probe, polys, n: int, *, seed: int = 0, max_primes: int = 8) -> None:
    """Compare the lifted ``c_k`` with the black box at a random point modulo a prime not used for the lift
    (the ``max_primes + 1``-th below ``2^50``); raises :class:`~symstab.errors.SymstabError` on a mismatch.
    A wrong polynomial passes with probability at most ``degree / q`` (Schwartz-Zippel)."""
    q = primes_below(max_primes + 1)[-1]
    rng = random.Random(seed + 7919)
    point = [rng.randrange(2, q - 1) for _ in range(n)]
    expected = probe(q, point, [1] * n, 1, 1)[0]
    got = GeometricEvaluator(polys, n).values(q, point, [1] * n, 1, 1)[0]
    if got != expected:
        raise SymstabError("internal error: the interpolated det(I - eta H) failed its check modulo a fresh prime")
