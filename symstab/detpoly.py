"""Result A1, fast exact paths: ``det(I - eta H(theta))`` by structure, with residual variables and C-level composition.

The dispatcher in :mod:`symstab.gdmap` calls one of these methods and records its
name in ``ExactPolynomial.method``. Each returns ``P(theta, eta) = det(I - eta H)``
as a python-flint ``fmpq_mpoly`` in the generators ``param_names + ("eta",)``
(numeric data only; families go to Berkowitz):

* ``"invariant"`` (depth 2, ``Sigma = sigma I``): the determinant is a polynomial in
  ``G1 = W1^T W1``, ``G2 = W2 W2^T`` and ``mu = W2 W1``; a Schur complement on the
  residual part gives ``det(I - e H') = delta^(d1 - m) det(delta I_m - e sigma Mt)``
  with ``m = d0 d2`` (docs/theory.md, "Fast exact determinants"). It is computed in
  the small ring of invariants and expanded into theta by ``compose`` (C).
* ``"residual"`` (any depth): Berkowitz on ``H(theta, r)``, where the residual
  ``P = mu Sigma - Y X^T`` is replaced by free variables ``r`` (the coefficients are far
  smaller in ``(theta, r)``), then ``compose`` with ``r -> P(theta)``.
* ``"lowrank"`` (any depth >= 2): ``H = B(theta, r) + J^T S J``, Berkowitz on the residual part ``B``, then
  one rank-one update per term of ``J^T S J`` (matrix determinant lemma, the adjugate applied through
  Cayley-Hamilton: no division), then ``compose`` slice by slice in ``eta``.
* ``"scalar-residual"`` (``d_0 = d_H = 1``, depth >= 3): the rank-one structure
  ``H = a g g^T + b K`` with ``b`` kept as a variable, then ``compose`` with ``b -> b(theta)``.
* ``"schur"`` (any depth >= 2): a Schur complement on a layer whose Hessian block is ``I_k (x) K``.

Every result is checked exactly at random rational points against ``det(I - eta H(theta0))``
from the exact Hessian (:func:`spot_check`), and the tests check each method against
Berkowitz wherever both run.
"""

from __future__ import annotations

import functools
import math
import random
from fractions import Fraction

import flint

from .errors import SymstabError
from .exact.matrices import ldl_psd, object_array, product_chain
from .exact.poly import adjugate_action, berkowitz, laplace_det, rank_one_charpoly
from .network import gradient_from_weights, hessian_from_weights, jacobian_from_weights

__all__ = [
    "compose_by_slices",
    "free_residual_hessian",
    "integer_entries",
    "integer_matrix",
    "invariant_applies",
    "invariant_direct",
    "invariant_det_poly",
    "lowrank_applies",
    "lowrank_det_poly",
    "residual_det_poly",
    "residual_images",
    "scalar_residual_det_poly",
    "schur_applies",
    "schur_det_poly",
    "schur_exponent",
    "schur_size",
    "spot_check",
    "target_context",
]


def target_context(net):
    """The ``fmpq_mpoly`` context of the result: the parameters, then ``eta``."""
    return flint.fmpq_mpoly_ctx.get(tuple(net.param_names) + ("eta",), "degrevlex")


def _scalar_sigma(net):
    """``sigma`` when ``Sigma = sigma I`` (exactly), else None."""
    Sigma = net.fmpq_data[0]
    d = Sigma.shape[0]
    s = Sigma[0, 0]
    for i in range(d):
        for j in range(d):
            if Sigma[i, j] != (s if i == j else 0):
                return None
    return s


def invariant_applies(net, max_m: int = 4) -> bool:
    """The invariant formula applies: depth 2, numeric data, ``Sigma = sigma I``, ``d_0 d_2 <= max_m``."""
    return (net.depth == 2 and not net.is_family and net.widths[0] * net.widths[2] <= max_m
            and _scalar_sigma(net) is not None)


def invariant_direct(net) -> bool:
    """The invariant formula needs no ``(theta, R, e)`` stage: ``d_1 >= m - j`` (``m = d_0 d_2``; ``j``, the power of
    ``delta`` that divides the universal polynomial, is computed, and cached, only when ``d_1 = m - 1``)."""
    if not invariant_applies(net):
        return False
    d0, d1, d2 = net.widths
    m = d0 * d2
    if d1 >= m:
        return True
    if d1 < m - 1:
        return False
    sigma = _scalar_sigma(net)
    return _invariant_universal(d0, d2, int(sigma.p), int(sigma.q))[2] >= 1


def _scale(M, s):
    """``s * M`` entry by entry (numpy would iterate into a flint polynomial ``s``)."""
    return object_array([[s * v for v in row] for row in M])


def _adjugate_and_det(A, zero, one):
    """``(adj(A), det(A))`` of a small square object array, division-free (Cayley-Hamilton on Berkowitz)."""
    n = A.shape[0]
    c = berkowitz([list(row) for row in A], zero, one)  # det(lam I - A) = sum c_k lam^(n-k)
    eye = object_array([[one if i == j else zero for j in range(n)] for i in range(n)])
    acc = _scale(eye, c[0])
    for k in range(1, n):
        acc = acc @ A + _scale(eye, c[k])
    sign = 1 if n % 2 == 1 else -1  # adj(A) = (-1)^(n+1) (A^(n-1) + c_1 A^(n-2) + ... + c_(n-1) I)
    det = c[n] if n % 2 == 0 else -c[n]
    return _scale(acc, sign), det


def _invariant_names(d0: int, d2: int) -> tuple:
    """Generators of the invariant ring: ``G1`` (upper triangle), ``G2`` (upper triangle), ``mu``, ``R``, ``e``."""
    g1 = tuple((i, j) for i in range(d0) for j in range(i, d0))
    g2 = tuple((i, j) for i in range(d2) for j in range(i, d2))
    cells = tuple((i, j) for i in range(d2) for j in range(d0))
    names = (tuple(f"g1_{i}_{j}" for i, j in g1) + tuple(f"g2_{i}_{j}" for i, j in g2)
             + tuple(f"m_{i}_{j}" for i, j in cells) + tuple(f"r_{i}_{j}" for i, j in cells) + ("e",))
    return names, g1, g2, cells


@functools.lru_cache(maxsize=8)
def _invariant_universal(d0: int, d2: int, sigma_p: int, sigma_q: int) -> tuple:
    """``(U, delta, j)``: ``U = det(delta I_m - e sigma Mt) / delta^j`` in the free ring of ``(G1, G2, mu, R, e)``.

    ``j`` is the largest power of ``delta`` that divides ``det(delta I_m - e sigma Mt)`` there (at most ``m``).
    ``mu`` and ``R`` are independent generators, so ``U`` depends on ``(d0, d2, sigma)`` only, not on the
    data nor on ``d1``: computed once per family in a process (``functools.lru_cache``).
    """
    sigma = flint.fmpq(sigma_p, sigma_q)
    m = d0 * d2
    names, g1, g2, cells = _invariant_names(d0, d2)
    ictx = flint.fmpq_mpoly_ctx.get(names, "degrevlex")
    gens = ictx.gens()
    zero, one = ictx.constant(0), ictx.constant(1)
    e = gens[-1]
    gen1 = dict(zip(g1, gens))
    gen2 = dict(zip(g2, gens[len(g1):]))
    k = len(g1) + len(g2)
    G1 = object_array([[gen1[min(i, j), max(i, j)] for j in range(d0)] for i in range(d0)])
    G2 = object_array([[gen2[min(i, j), max(i, j)] for j in range(d2)] for i in range(d2)])
    mu = object_array([[gens[k + i * d0 + j] for j in range(d0)] for i in range(d2)])
    R = object_array([[gens[k + m + i * d0 + j] for j in range(d0)] for i in range(d2)])
    RtR = R.T @ R
    A = object_array([[(one if i == j else zero) - e * e * RtR[i, j] for j in range(d0)] for i in range(d0)])
    Nt, delta = _adjugate_and_det(A, zero, one)
    RNt = R @ Nt
    RNtRt = RNt @ R.T
    columns = []
    for a in range(d2):
        for b in range(d0):
            F = object_array([[one if (i, j) == (a, b) else zero for j in range(d0)] for i in range(d2)])
            image = (G2 @ F @ Nt + _scale(F @ G1, delta) + _scale(RNtRt @ F @ G1, e * e)
                     + _scale(mu @ F.T @ RNt + RNt @ F.T @ mu, e))
            columns.append([image[i, j] for i in range(d2) for j in range(d0)])
    Mt = [[columns[j][i] for j in range(m)] for i in range(m)]
    s = e * sigma  # Laplace on delta I - s Mt: 1.5x faster than Berkowitz on Mt plus powers of delta (m = 4)
    det = laplace_det([[(delta if a == b else zero) - s * Mt[a][b] for b in range(m)] for a in range(m)], zero)
    j = 0
    while j < m:  # the power of delta that divides already in the free invariant ring
        quotient, remainder = divmod(det, delta)
        if not remainder.is_zero():
            break
        det, j = quotient, j + 1
    return det, delta, j


def _invariant_images(widths, ctx, residual=None) -> list:
    """Images of ``(G1, G2, mu, R, e)`` in ``ctx``, whose first generators are the parameters (W1, then W2,
    row-major): ``G1 -> W1^T W1``, ``G2 -> W2 W2^T``, ``mu -> W2 W1``; ``R`` and ``e`` map to the generators
    after the parameters and to the last one, unless ``residual = (images of R, image of e)`` is given."""
    d0, d1, d2 = widths
    _, g1, g2, cells = _invariant_names(d0, d2)
    gens = ctx.gens()
    D = d1 * (d0 + d2)
    W1 = object_array([[gens[i * d0 + j] for j in range(d0)] for i in range(d1)])
    W2 = object_array([[gens[d0 * d1 + i * d1 + j] for j in range(d1)] for i in range(d2)])
    zero = ctx.constant(0)
    TG1, TG2, Tmu = W1.T @ W1, W2 @ W2.T, W2 @ W1
    images = [zero + TG1[i, j] for i, j in g1] + [zero + TG2[i, j] for i, j in g2]
    images += [zero + Tmu[i, j] for i, j in cells]
    if residual is None:
        return images + list(gens[D:D + len(cells)]) + [gens[-1]]
    return images + list(residual[0]) + [residual[1]]


@functools.lru_cache(maxsize=8)
def _invariant_residual(widths: tuple, param_names: tuple, sigma_p: int, sigma_q: int):
    """``det(I - e H'(theta, R))`` in ``(theta, R, e)`` for ``d1 < m - j``: ``U`` composed with ``R`` kept
    free, then divided exactly by the remaining power of ``delta(R, e)``. Independent of the data."""
    d0, d1, d2 = widths
    U, delta, j = _invariant_universal(d0, d2, sigma_p, sigma_q)
    rnames = tuple(f"r_{i}_{j_}" for i in range(d2) for j_ in range(d0))
    ctx = flint.fmpq_mpoly_ctx.get(param_names + rnames + ("e",), "degrevlex")
    images = _invariant_images(widths, ctx)
    X = U.compose(*images, ctx=ctx)
    delta_x = delta.compose(*images, ctx=ctx)
    for _ in range(d0 * d2 - d1 - j):
        X, remainder = divmod(X, delta_x)
        if not remainder.is_zero():
            raise SymstabError("internal error: the invariant formula is not divisible by delta")
    return X


def invariant_det_poly(net, progress=None):
    """``det(I - eta H)`` for depth 2 with ``Sigma = sigma I``, through the invariants ``G1, G2, mu`` and ``R``.

    With ``H = 2c (sigma J^T J + Q_R)``, ``J(E1, E2) = W2 E1 + E2 W1``, ``R = sigma mu - Y X^T``
    and ``e = 2 c eta``: ``det(I - eta H) = delta^(d1 - m) det(delta I_m - e sigma Mt)`` where
    ``delta = det(I - e^2 R^T R)``, ``Nt = adj(I - e^2 R^T R)`` and
    ``Mt(F) = G2 F Nt + delta F G1 + e^2 R Nt R^T F G1 + e (mu F^T R Nt + R Nt F^T mu)``.
    The identity holds with ``R`` free (independent of ``mu``). ``U = det(delta I - e sigma Mt) / delta^j``
    is computed once per ``(d0, d2, sigma)`` in the free ring of ``(G1, G2, mu, R, e)``
    (:func:`_invariant_universal`). If ``d1 >= m - j``, ``U delta^(d1 - m + j)`` is expanded into theta by
    one ``compose``; otherwise the quotient by ``delta^(m - j - d1)`` is exact only on the image of
    theta, so ``U`` is first composed into ``(theta, R, e)`` with ``R`` free, divided there (exactly, in the
    free polynomial ring), and then composed with ``R -> sigma W2 W1 - Y X^T``.
    """
    d0, d1, d2 = net.widths
    m = d0 * d2
    sigma = _scalar_sigma(net)
    U, delta, j = _invariant_universal(d0, d2, int(sigma.p), int(sigma.q))
    if progress is not None:
        progress(1, 3)
    tctx = target_context(net)
    exponent = d1 - m + j
    if exponent >= 0:
        tgens = tctx.gens()
        W1, W2 = net.split(tgens[:-1])
        YXt, mu = net.fmpq_data[1], W2 @ W1
        R = [mu[i, j] * sigma - YXt[i, j] for i in range(d2) for j in range(d0)]
        images = _invariant_images(net.widths, tctx, (R, tgens[-1] * (2 * net.loss_scale_fmpq)))
        if progress is not None:
            progress(2, 3)
        result = (U * delta**exponent).compose(*images, ctx=tctx)
    else:
        X = _invariant_residual(net.widths, tuple(net.param_names), int(sigma.p), int(sigma.q))
        if progress is not None:
            progress(2, 3)
        tgens = tctx.gens()
        result = X.compose(*tgens[:-1], *residual_images(net, tctx), tgens[-1] * (2 * net.loss_scale_fmpq),
                           ctx=tctx)
    if progress is not None:
        progress(3, 3)
    return result


def integer_entries(rows) -> tuple:
    """``(entries, d)``: the entries ``d * h`` of a matrix of ``fmpq_mpoly`` as integer ``{exponents: int}`` dicts
    (row-major) and their common denominator ``d``."""
    denominator = 1
    for row in rows:
        for h in row:
            for c in h.coeffs():
                denominator = math.lcm(denominator, int(c.q))
    return [{e: int(c.p) * (denominator // int(c.q)) for e, c in h.to_dict().items()} for row in rows for h in row], \
        denominator


def integer_matrix(rows, zctx):
    """Entries ``d * h`` as ``fmpz_mpoly`` in ``zctx`` (same generator order) and the common denominator ``d``."""
    entries, denominator = integer_entries(rows)
    n = len(rows[0]) if rows else 0
    return [[zctx.from_dict(entries[i * n + j]) for j in range(n)] for i in range(len(rows))], denominator


def residual_images(net, tctx):
    """``P = mu Sigma - Y X^T`` in the target ring (row-major), the images of the residual variables."""
    tgens = tctx.gens()
    weights = net.split(tgens[:-1])
    Sigma, YXt = net.fmpq_data
    B, A = product_chain(weights)
    P = A[0] @ weights[0] @ B[0] @ Sigma - YXt
    zero = tctx.constant(0)
    return [zero + v for v in P.flat]


def compose_by_slices(pieces, images, tctx, progress=None, start: int = 0, total: int = 0):
    """``sum_k piece_k(images)`` in ``tctx``, one ``compose`` (C) per piece.

    The pieces are the eta-slices ``c_k eta^k`` of a polynomial in ``(theta, r, eta)``; composing them one
    at a time keeps the temporaries to those of one slice ((1,3,3,1), 84 M output terms: one compose of the
    whole polynomial peaked at 8.6 GB, slice by slice at about 2 copies of the output).
    ``progress(start + k, total)`` after the ``k``-th piece (the composition is most of the time of the
    largest cases: 30 of 55 s for (1,3,3,1)).
    """
    result = tctx.constant(0)
    for k, piece in enumerate(pieces, 1):
        if not piece.is_zero():
            result += piece.compose(*images, ctx=tctx)
        if progress is not None:
            progress(min(start + k, total), total)
    return result


def free_residual_hessian(net, extra: tuple = ()):
    """``(rows, ctx)``: the Hessian ``H(theta, r)`` with the residual ``r = mu Sigma - Y X^T`` as free variables
    ``r_i_j``, as rows of ``fmpq_mpoly`` in ``ctx`` with generators ``theta + r + extra`` (degrevlex)."""
    D = net.num_params
    dH, d0 = net.widths[-1], net.widths[0]
    rnames = tuple(f"r_{i}_{j}" for i in range(dH) for j in range(d0))
    ctx = flint.fmpq_mpoly_ctx.get(tuple(net.param_names) + rnames + tuple(extra), "degrevlex")
    gens = ctx.gens()
    zero = ctx.constant(0)
    weights = net.split(gens[:D])
    R = object_array([[gens[D + i * d0 + j] for j in range(d0)] for i in range(dH)])
    Sigma = object_array([[zero + s for s in row] for row in net.fmpq_data[0]])
    B, A = product_chain(weights)
    fake_YXt = A[0] @ weights[0] @ B[0] @ Sigma - R  # so that mu Sigma - Y X^T = R inside the Hessian
    Hess = hessian_from_weights(weights, Sigma, fake_YXt, net.loss_scale_fmpq)
    return [[zero + h for h in row] for row in Hess], ctx


def residual_det_poly(net, progress=None):
    """``det(I - eta H)`` by Berkowitz on ``H(theta, r)`` (residual ``r`` free), then ``compose`` with ``r -> P(theta)``."""
    rows, qctx = free_residual_hessian(net, ("eta",))
    zctx = flint.fmpz_mpoly_ctx.get(qctx.names(), "degrevlex")
    scaled, denominator = integer_matrix(rows, zctx)
    coeffs = berkowitz(scaled, zctx.constant(0), zctx.constant(1), progress=progress)
    eta = zctx.gens()[-1]
    PZ, power = zctx.constant(0), zctx.constant(1)
    for c in coeffs:
        PZ += c * power
        power *= eta
    tctx = target_context(net)
    tgens = tctx.gens()
    images = list(tgens[:-1]) + residual_images(net, tctx) + [tgens[-1] / denominator]
    return flint.fmpq_mpoly(PZ, qctx).compose(*images, ctx=tctx)


def rank_one_update_coefficients(K, g, a, b, zero, one, progress=None, total=None) -> list:
    """``c_k(a g g^T + b K)``, ``k = 0..D``, from Berkowitz on ``K`` and the adjugate of ``lam I - K`` applied to ``g``.

    ``c_k = b^k c_k(K) - a b^(k-1) g^T Y_(k-1)`` (matrix determinant lemma), where
    ``adj(lam I - K) g = sum_j Y_j lam^(D-1-j)`` (:func:`~symstab.exact.poly.adjugate_action`);
    ``progress(k, total)`` after each coefficient. Used by the scalar paths of :mod:`symstab.gdmap`
    (``b`` a polynomial) and :func:`scalar_residual_det_poly` (``b`` a free variable).
    """
    D = len(g)
    cK = berkowitz(K, zero, one)
    # the coefficients of adj(lam I - K) g, not the walks g^T K^t g: the walks grow about
    # geometrically in t and cancel in the sum ((1,2,2,2): 103,648 terms for t = 9 against at most
    # 508 for a Y_j entry; (1,2,2,2,1) spent 2 min and 2.4 GB on them)
    Y = adjugate_action(K, cK, g, zero)
    coeffs, b_power = [one], one
    for k in range(1, D + 1):
        correction = sum((g[i] * Y[k - 1][i] for i in range(D)), zero)
        coeffs.append(b_power * (b * cK[k] - a * correction))
        b_power *= b
        if progress is not None:
            progress(k, total or D)
    return coeffs


def scalar_residual_det_poly(net, progress=None):
    """``det(I - eta H)`` for ``d_0 = d_H = 1`` from ``H = a g g^T + b K`` with ``b`` a free variable.

    ``c_k(H) = b^k c_k(K) - a b^(k-1) g^T Y_(k-1)`` with ``adj(lam I - K) g = sum_j Y_j lam^(D-1-j)``
    (:func:`rank_one_update_coefficients`), assembled in ``(theta, b, eta)`` and composed with
    ``b -> 2c (s mu - w)`` in C.
    """
    D = net.num_params
    names = tuple(net.param_names) + ("b", "eta")
    ctx = flint.fmpq_mpoly_ctx.get(names, "degrevlex")
    gens = ctx.gens()
    zero, one = ctx.constant(0), ctx.constant(1)
    b = gens[D]
    weights = net.split(gens[:D])
    unit = (object_array([[zero]]), object_array([[-one]]), flint.fmpq(1, 2))
    K = [[zero + k for k in row] for row in hessian_from_weights(weights, *unit)]
    g = [zero + x for block in gradient_from_weights(weights, *unit) for x in block.flat]
    Sigma, _ = net.fmpq_data
    a = 2 * net.loss_scale_fmpq * Sigma[0, 0]
    eta = gens[D + 1]
    total = 2 * D + 1  # D coefficients, then D + 1 eta-slices to compose
    coeffs = rank_one_update_coefficients(K, g, a, b, zero, one, progress, total)
    tctx = target_context(net)
    tgens = tctx.gens()
    images = list(tgens[:-1]) + [residual_images(net, tctx)[0] * (2 * net.loss_scale_fmpq), tgens[-1]]
    return compose_by_slices((c * eta**k for k, c in enumerate(coeffs)), images, tctx, progress, D, total)


def lowrank_applies(net) -> bool:
    """The low-rank method applies: numeric data, depth >= 2 (any ``m = d_0 d_H``; the dispatcher uses it
    where it measures fastest)."""
    return net.depth >= 2 and not net.is_family


def lowrank_det_poly(net, progress=None):
    """``det(I - eta H)`` from ``H = B(theta, r) + J^T S J`` with the residual ``r`` free, by rank-one updates.

    ``B`` is the residual part (linear in ``r``), ``J = D mu`` (``m x D``, ``m = d_0 d_H``) and
    ``S = 2c (I (x) Sigma) = L diag(s) L^T`` (:func:`~symstab.exact.matrices.ldl_psd`), so
    ``J^T S J = sum_k s_k w_k w_k^T`` with ``w = L^T J``. From Berkowitz on ``B``, each term is added by
    the matrix determinant lemma, ``det(lam I - A - s w w^T) = det(lam I - A) - s w^T adj(lam I - A) w``,
    with the adjugate applied through Cayley-Hamilton (:func:`~symstab.exact.poly.rank_one_charpoly`):
    no division, and no power of a matrix (the intermediates are coefficients of adjugates; they still grow
    with each update: (2,2,2,2) reached 30 M terms in ``(theta, r)``). The coefficients ``c_k``
    of ``det(lam I - H)`` are those of ``det(I - eta H) = sum_k c_k eta^k``; then ``compose`` with
    ``r -> P(theta)``.
    """
    D = net.num_params
    d0, dH = net.widths[0], net.widths[-1]
    rnames = tuple(f"r_{i}_{j}" for i in range(dH) for j in range(d0))
    ctx = flint.fmpq_mpoly_ctx.get(tuple(net.param_names) + rnames + ("eta",), "degrevlex")
    gens = ctx.gens()
    zero, one = ctx.constant(0), ctx.constant(1)
    weights = net.split(gens[:D])
    R = object_array([[gens[D + i * d0 + j] for j in range(d0)] for i in range(dH)])
    Sigma, _ = net.fmpq_data
    B = [[zero + h for h in row] for row in hessian_from_weights(weights, object_array([[zero] * d0] * d0), -R,
                                                                   net.loss_scale_fmpq)]
    J = [[zero + v for v in row] for row in jacobian_from_weights(weights)]  # row i * d0 + j: d mu_ij
    L, s = ldl_psd(Sigma)
    updates = [(2 * net.loss_scale_fmpq * s[k], [sum((J[i * d0 + j][x] * L[j][k] for j in range(d0)), zero)
                                                 for x in range(D)])
               for i in range(dH) for k in range(d0) if s[k] != 0]
    total = len(updates) + D + 2  # Berkowitz, the updates, then D + 1 eta-slices to compose
    coeffs = berkowitz(B, zero, one)
    if progress is not None:
        progress(1, total)
    A = B
    for step, (weight, w) in enumerate(updates):
        coeffs = rank_one_charpoly(A, coeffs, w, weight, zero)
        if step + 1 < len(updates):
            A = [[A[i][j] + weight * w[i] * w[j] for j in range(D)] for i in range(D)]
        if progress is not None:
            progress(step + 2, total)
    eta = gens[-1]
    tctx = target_context(net)
    tgens = tctx.gens()
    images = list(tgens[:-1]) + residual_images(net, tctx) + [tgens[-1]]
    return compose_by_slices((c * eta**k for k, c in enumerate(coeffs)), images, tctx, progress,
                             len(updates) + 1, total)


def _schur_groups(net):
    """The index groups of a layer whose diagonal Hessian block is ``I_k (x) K`` (k identical blocks ``K``),
    as ``(groups, rest)``, for the layer that leaves the least division (then the smallest determinant).

    The last layer always qualifies (``K = 2c B_H Sigma B_H^T``, ``B_H = W_{H-1} ... W_1``); the first
    one when ``Sigma = sigma I`` (``K = 2c sigma A_1^T A_1``, one block per input coordinate).
    """
    D = net.num_params
    widths = net.widths
    dH, dp = widths[-1], widths[-2]
    n1 = D - dH * dp
    options = [([[n1 + blk * dp + k for k in range(dp)] for blk in range(dH)], list(range(n1)))]
    if _scalar_sigma(net) is not None:
        d0, d1 = widths[0], widths[1]
        groups = [[a * d0 + b for a in range(d1)] for b in range(d0)]
        options.append((groups, list(range(d0 * d1, D))))
    return max(options, key=lambda o: (len(o[0]) - len(o[1]), -len(o[1])))


def schur_applies(net) -> bool:
    """The layer Schur complement applies: numeric data, depth >= 2."""
    return net.depth >= 2 and not net.is_family


def schur_size(net) -> int:
    """``n``: the size of the determinant in :func:`schur_det_poly`."""
    return len(_schur_groups(net)[1])


def schur_exponent(net) -> int:
    """``k - n``: the power of ``b`` in :func:`schur_det_poly` (negative: an exact division by ``b^(n - k)``)."""
    groups, rest = _schur_groups(net)
    return len(groups) - len(rest)


def schur_det_poly(net, progress=None):
    """``det(I - eta H)`` by a Schur complement on a layer whose Hessian block is ``I_k (x) K``.

    With ``H = [[H11, H12], [H12^T, I_k (x) K]]`` (after a permutation; ``H11`` is ``n x n``) and
    ``b = det(I - eta K)``, ``(I - eta I_k (x) K)^(-1) = I_k (x) adj(I - eta K) / b``, so
    ``det(I - eta H) = b^(k - n) det(b (I - eta H11) - eta^2 H12 (I_k (x) adj(I - eta K)) H12^T)``:
    an ``n x n`` determinant (Laplace, :func:`~symstab.exact.poly.laplace_det`) in ``(theta, eta)`` and,
    when ``k < n``, an exact division by ``b^(n - k)`` (remainder checked to be zero).
    For (2,2,3), ``n = 4`` and ``k = 3``: one division by a polynomial of 8 terms.
    """
    tctx = target_context(net)
    gens = tctx.gens()
    zero, one = tctx.constant(0), tctx.constant(1)
    eta = gens[-1]
    weights = net.split(gens[:-1])
    Sigma, YXt = net.fmpq_data
    Hs = hessian_from_weights(weights, object_array([[zero + v for v in row] for row in Sigma]), YXt,
                              net.loss_scale_fmpq)
    groups, rest = _schur_groups(net)
    first = groups[0]
    K = [[zero + Hs[i, j] for j in first] for i in first]
    for g in groups:  # the structure the formula relies on: identical diagonal blocks, zero elsewhere
        for gg in groups:
            for a, i in enumerate(g):
                for c, j in enumerate(gg):
                    if Hs[i, j] != (K[a][c] if g is gg else 0):
                        raise SymstabError("internal error: the layer block of the Hessian is not I (x) K")
    p = len(first)
    adj, b = _adjugate_and_det(object_array([[(one if a == c else zero) - eta * K[a][c] for c in range(p)]
                                             for a in range(p)]), zero, one)
    # v[i][g] = H[i, g] adj(I - eta K): the rows of H12 (I (x) adj)
    v = [[[sum((Hs[i, g[a]] * adj[a, c] for a in range(p)), zero) for c in range(p)] for g in groups] for i in rest]
    N = []
    for x, i in enumerate(rest):
        row = []
        for y, j in enumerate(rest):
            coupling = sum((v[x][t][c] * Hs[j, g[c]] for t, g in enumerate(groups) for c in range(p)), zero)
            row.append(b * ((one if i == j else zero) - eta * Hs[i, j]) - eta * eta * coupling)
        N.append(row)
    if progress is not None:
        progress(1, 3)
    det = laplace_det(N, zero)
    if progress is not None:
        progress(2, 3)
    exponent = len(groups) - len(rest)
    if exponent >= 0:
        det *= b ** exponent
    for _ in range(-exponent):
        det, remainder = divmod(det, b)
        if not remainder.is_zero():
            raise SymstabError("internal error: the Schur determinant is not divisible by det(I - eta K)")
    if progress is not None:
        progress(3, 3)
    return det


def spot_check(net, poly, *, seed: int = 0, points: int = 2) -> None:
    """Check ``poly(theta0, eta0) == det(I - eta0 H(theta0))`` exactly at random rational points (``seed``).

    ``poly`` is in :func:`target_context`; ``H(theta0)`` is the exact Hessian (``fmpq_mat``).
    Raises :class:`~symstab.errors.SymstabError` on a mismatch (a bug, never expected).
    """
    rng = random.Random(seed)
    D = net.num_params
    for k in range(points):
        # the first point is integral (evaluating 10^7 terms at rationals costs ~4x more); the others
        # have denominators unless the polynomial has more than 10^6 terms
        rational = k > 0 and len(poly) <= 10**6
        theta = [Fraction(rng.randint(-5, 5), rng.randint(1, 4) if rational else 1) for _ in range(D)]
        eta = Fraction(rng.randint(1, 9), rng.randint(1, 7) if rational else 1)
        Hm = net.hessian_at(theta)
        eye = flint.fmpq_mat(D, D, [1 if i == j else 0 for i in range(D) for j in range(D)])
        expected = (eye - Hm * flint.fmpq(eta.numerator, eta.denominator)).det()
        values = [flint.fmpq(t.numerator, t.denominator) for t in theta] + [flint.fmpq(eta.numerator, eta.denominator)]
        got = poly(*values)
        if got != expected:
            raise SymstabError(f"internal error: det(I - eta H) failed its exact spot check at theta = "
                               f"{[str(t) for t in theta]}, eta = {eta} ({got} != {expected})")
