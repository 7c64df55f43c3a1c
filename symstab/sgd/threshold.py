"""Result B2 of paper B: the exact mean-square threshold ``eta*`` -- :func:`mean_square_threshold`.

At a minimum where every per-sample gradient vanishes, linearised SGD is
``w_{k+1} = (I - eta Hhat_k) w_k`` with ``Hhat_k`` the mini-batch Hessian.  In every
sampling model of :data:`~symstab.sgd.hessians.SAMPLINGS` ``E[Hhat] = H`` and
``E[Hhat (x) Hhat] = alpha H (x) H + beta (1/n) sum_i H_i (x) H_i`` with
``(alpha, beta)`` given by :func:`second_moment_coefficients`.  The second moment
``Sigma_k = E[w_k w_k^T]`` then evolves by the linear map
``Q(eta) = I - 2 eta C + eta^2 D`` with ``C = (H (+) H)/2`` and ``D = E[Hhat (x) Hhat]``,
acting on symmetric matrices supported on the range of ``H`` (directions in the
kernel of ``H`` are left fixed by every ``Hhat``).  The exact mean-square threshold is
``eta* = 2 / lambda_max(C^{-1} D)`` on that subspace; the second moment decays
iff ``eta < eta*`` (at ``eta = eta*`` the spectral radius of ``Q`` is exactly 1:
marginal, reported as *not* stable) (docs/theory.md, B2).

Exact arithmetic (python-flint ``fmpq_mat``) is used for rational input; the
threshold is then an algebraic number: a rational, a quadratic surd, or a sympy
``CRootOf`` of the irreducible factor of ``det(lambda C - D)`` carrying the
largest root.  Float input uses float64 linear algebra; large rational input uses
float64 too unless a precision ``dps=`` is given, in which case the threshold is
computed with mpmath in a private context at that precision (never the global one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import mpmath
import numpy as np
import sympy
from flint import fmpq, fmpq_mat

from ..errors import InvalidInputError
from ..exact.algebraic import Algebraic, largest_real_root
from ..exact.numbers import as_fmpq
from .hessians import FLOAT_PSD_TOL, Hessians, exact_mean, parse_eta, validate_batch, validate_hessians

__all__ = [
    "DEFAULT_DPS",
    "EXACT_RANGE_LIMIT",
    "Threshold",
    "compute_threshold",
    "mean_square_threshold",
    "second_moment_coefficients",
    "spectral_radius",
]

#: Largest range dimension r for which ``method="auto"`` computes eta* exactly
#: (the operator lives on symmetric r x r matrices, dimension r(r+1)/2).
EXACT_RANGE_LIMIT = 12

#: Default decimal precision of ``method="mpmath"`` when no ``dps=`` is given.
DEFAULT_DPS = 30


def second_moment_coefficients(n: int, batch: int, sampling: str = "bernoulli") -> tuple[Fraction, Fraction]:
    """Coefficients of ``E[Hhat (x) Hhat] = alpha H (x) H + beta (1/n) sum_i H_i (x) H_i``.

    Derivation: with selection counts ``c_i`` (``Hhat = (1/B) sum c_i H_i``),
    ``E[Hhat (x) Hhat] = (1/B^2) sum_{i,j} E[c_i c_j] H_i (x) H_j``.

    * Bernoulli(p = B/n): ``E[c_i c_j] = p^2`` (i != j), ``p`` (i = j):
      ``alpha = 1``, ``beta = 1/B - 1/n``.
    * Uniform B-subset: ``E[c_i c_j] = B(B-1)/(n(n-1))``, ``E[c_i^2] = B/n``:
      ``alpha = 1 - p``, ``beta = p`` with ``p = (n-B)/(B(n-1))`` (``p = 0`` if n = 1).
    * B i.i.d. uniform draws (multinomial counts): ``E[c_i c_j] = B(B-1)/n^2``,
      ``E[c_i^2] = B(B-1)/n^2 + B/n``: ``alpha = 1 - 1/B``, ``beta = 1/B``.

    Parameters
    ----------
    n : int
        Number of samples.
    batch : int
        Batch size B.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}

    Returns
    -------
    (Fraction, Fraction)
        ``(alpha, beta)``.

    Examples
    --------
    >>> second_moment_coefficients(10, 4, "bernoulli")
    (Fraction(1, 1), Fraction(3, 20))
    >>> second_moment_coefficients(10, 4, "without_replacement")
    (Fraction(5, 6), Fraction(1, 6))
    >>> second_moment_coefficients(10, 4, "with_replacement")
    (Fraction(3, 4), Fraction(1, 4))
    """
    if isinstance(n, bool) or not isinstance(n, (Integral, np.integer)) or n < 1:
        raise InvalidInputError(f"n must be a positive integer, got {n!r}")
    batch = validate_batch(int(n), batch, sampling)
    if sampling == "bernoulli":
        return Fraction(1), Fraction(1, batch) - Fraction(1, n)
    if sampling == "without_replacement":
        p = Fraction(0) if n == 1 else Fraction(n - batch, batch * (n - 1))
        return 1 - p, p
    return 1 - Fraction(1, batch), Fraction(1, batch)


# --------------------------------------------------------------------------- the operators C and D


def _sym_index(r):
    return [(a, b) for a in range(r) for b in range(a, r)]


def _submatrix(m: fmpq_mat, rows, cols) -> fmpq_mat:
    return fmpq_mat(len(rows), len(cols), [m[i, j] for i in rows for j in cols])


def _exact_operators(mats, alpha: Fraction, beta: Fraction):
    """Exact matrices of C and D on Sym(r) of the range of H (pivot-column basis).

    With V = H[:, P] (P the pivot columns of H), H_i V = V M_i where
    ``M_i = H[P,P]^{-1} H_i[P,:] H[:,P]``; the coordinates c of w = V c evolve by
    ``c -> (I - eta Mhat) c`` and their second moment by ``X -> E[(I - eta Mhat) X (I - eta Mhat)^T]``.
    """
    n = len(mats)
    d = mats[0].nrows()
    H = exact_mean(mats)
    rref, rank = H.rref()
    pivots = []
    for i in range(rank):
        pivots.append(next(j for j in range(d) if rref[i, j] != 0))
    r = len(pivots)
    if r == 0:
        return None, None, 0
    all_idx = list(range(d))
    G_inv = _submatrix(H, pivots, pivots).inv()
    V = _submatrix(H, all_idx, pivots)
    Ms = [G_inv * _submatrix(m, pivots, all_idx) * V for m in mats]
    M = exact_mean(Ms)
    Ms_t = [m.transpose() for m in Ms]
    M_t = M.transpose()
    idx = _sym_index(r)
    m_dim = len(idx)
    C = fmpq_mat(m_dim, m_dim)
    D = fmpq_mat(m_dim, m_dim)
    half = fmpq(1, 2)
    a_q = as_fmpq(alpha)
    b_q = as_fmpq(beta) * fmpq(1, n)
    for col, (a, b) in enumerate(idx):
        E = fmpq_mat(r, r)
        E[a, b] = 1
        E[b, a] = 1
        CE = (M * E + E * M_t) * half
        DE = M * E * M_t * a_q
        if beta != 0:
            acc = fmpq_mat(r, r)
            for Mi, Mi_t in zip(Ms, Ms_t):
                acc = acc + Mi * E * Mi_t
            DE = DE + acc * b_q
        for row, (i, j) in enumerate(idx):
            C[row, col] = CE[i, j]
            D[row, col] = DE[i, j]
    return C, D, r


def _float_operators(floats: np.ndarray, alpha: float, beta: float):
    """C (diagonal, as a vector) and D on Sym(r) of range(H), orthonormal basis."""
    n, d, _ = floats.shape
    H = floats.mean(axis=0)
    lam, U = np.linalg.eigh(H)
    keep = lam > FLOAT_PSD_TOL * max(1.0, float(lam[-1]))
    lam, U = lam[keep], U[:, keep]
    r = lam.size
    if r == 0:
        return None, None, 0
    K = np.einsum("ai,kab,bj->kij", U, floats, U)
    Kbar = np.diag(lam)
    D4 = alpha * np.einsum("ij,ab->iajb", Kbar, Kbar) + (beta / n) * np.einsum("kij,kab->iajb", K, K)
    Dfull = D4.reshape(r * r, r * r)
    idx = _sym_index(r)
    P = np.zeros((r * r, len(idx)))
    for col, (a, b) in enumerate(idx):
        if a == b:
            P[a * r + a, col] = 1.0
        else:
            P[a * r + b, col] = P[b * r + a, col] = math.sqrt(0.5)
    D = P.T @ Dfull @ P
    Cdiag = np.array([(lam[a] + lam[b]) / 2 for a, b in idx])
    return Cdiag, (D + D.T) / 2, r


# --------------------------------------------------------------------------- eta*


@dataclass(frozen=True)
class Threshold:
    """``eta*`` as computed by :func:`compute_threshold`, with the path that computed it."""

    eta_star: object  # sympy expr (exact), sympy.Float (mpmath) or float; infinity if H = 0
    eta_star_float: float
    lam: Algebraic | None  # exact lambda_max(C^{-1} D), when exact
    method: str = "exact"  # which path computed it: "exact", "mpmath" or "float"


def _mpmath_threshold(exact_mats, alpha: Fraction, beta: Fraction, dps: int) -> Threshold:
    """``eta* = 2/lambda_max(C^{-1/2} D C^{-1/2})`` for rational Hessians, at ``dps`` digits.

    The same operators as :func:`_float_operators` (orthonormal eigenbasis of H, where
    C is diagonal), built and diagonalised in a private :class:`mpmath.MPContext`
    with ``dps + 10`` working digits: mpmath's ``eigsy`` (Householder
    tridiagonalisation followed by implicit QL, mpmath/matrices/eigen_symmetric.py)
    for both H and the symmetric m x m matrix, m = r(r+1)/2.  The rank r of H is
    exact (flint), so no tolerance decides the range.  Cost O(m^3) mpf operations.
    """
    ctx = mpmath.MPContext()
    ctx.dps = dps + 10
    n, d = len(exact_mats), exact_mats[0].nrows()
    H_exact = exact_mean(list(exact_mats))
    r = H_exact.rank()
    if r == 0:
        return Threshold(sympy.oo, math.inf, None, "mpmath")

    def to_ctx(m):
        return np.array([[ctx.mpf(int(m[i, j].p)) / int(m[i, j].q) for j in range(d)] for i in range(d)],
                        dtype=object)

    Hs = [to_ctx(m) for m in exact_mats]
    lam, U = ctx.eigsy(ctx.matrix(to_ctx(H_exact).tolist()))
    order = sorted(range(d), key=lambda k: lam[k], reverse=True)[:r]  # the r non-zero eigenvalues
    lam_r = [lam[k] for k in order]
    U_r = np.array([[U[i, k] for k in order] for i in range(d)], dtype=object)
    K = [U_r.T @ h @ U_r for h in Hs]
    idx = _sym_index(r)
    I = np.array([i for i, _ in idx])
    A = np.array([a for _, a in idx])
    # D on the orthonormal basis of Sym(r): <E_p, K E_q K> = w_p w_q (K_ij K_ab + K_ib K_aj)
    # for p = (i, a), q = (j, b), with w = 1 off the diagonal and 1/sqrt(2) on it.
    w = np.array([ctx.mpf(1) if i != a else 1 / ctx.sqrt(2) for i, a in idx], dtype=object)
    ww = np.multiply.outer(w, w)

    def sym_block(M):
        return ww * (M[np.ix_(I, I)] * M[np.ix_(A, A)] + M[np.ix_(I, A)] * M[np.ix_(A, I)])

    Kbar = np.diag(np.array(lam_r, dtype=object))
    alpha_c = ctx.mpf(alpha.numerator) / alpha.denominator
    beta_c = ctx.mpf(beta.numerator) / beta.denominator / n
    D = alpha_c * sym_block(Kbar)
    if beta != 0:
        acc = sym_block(K[0])
        for Kk in K[1:]:
            acc = acc + sym_block(Kk)
        D = D + beta_c * acc
    c_inv_sqrt = np.array([1 / ctx.sqrt((lam_r[i] + lam_r[a]) / 2) for i, a in idx], dtype=object)
    M = np.multiply.outer(c_inv_sqrt, c_inv_sqrt) * D
    top = max(ctx.eigsy(ctx.matrix(M.tolist()), eigvals_only=True))
    eta = 2 / top
    return Threshold(sympy.Float(eta, dps), float(eta), None, "mpmath")


def compute_threshold(hs: Hessians, batch: int, sampling: str, method: str, dps: int | None = None) -> Threshold:
    """``eta*`` for validated Hessians and batch size, on the path ``method`` selects.

    The engine behind :func:`mean_square_threshold` (which validates its input
    first); :func:`~symstab.sgd.analysis.analyze` also uses the exact
    ``lambda_max(C^{-1} D)`` it keeps, to decide ``eta < eta*`` exactly.

    Parameters
    ----------
    hs : Hessians
        From :func:`~symstab.sgd.hessians.validate_hessians`.
    batch : int
        From :func:`~symstab.sgd.hessians.validate_batch`.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    method : {"auto", "exact", "float", "mpmath"}
    dps : int, optional
        As in :func:`mean_square_threshold`.

    Returns
    -------
    Threshold

    Examples
    --------
    >>> t = compute_threshold(validate_hessians([[[1]], [[0]]]), 1, "bernoulli", "auto")
    >>> t.eta_star, t.lam.expr, t.method
    (2, 1, 'exact')
    """
    if method not in ("auto", "exact", "float", "mpmath"):
        raise InvalidInputError(f"method must be 'auto', 'exact', 'float' or 'mpmath', got {method!r}")
    if dps is not None:
        if isinstance(dps, bool) or not isinstance(dps, (Integral, np.integer)) or dps < 1:
            raise InvalidInputError(f"dps must be a positive integer, got {dps!r}")
        if method in ("exact", "float"):
            raise InvalidInputError(f"dps= applies to method='auto' or 'mpmath', not {method!r}")
    if method in ("exact", "mpmath") and hs.exact is None:
        raise InvalidInputError(f"method={method!r} needs rational hessians (got floats)")
    alpha, beta = second_moment_coefficients(hs.n, batch, sampling)
    rank = int(np.linalg.matrix_rank(hs.floats.mean(axis=0)))
    use_exact = hs.exact is not None and (method == "exact" or (method == "auto" and rank <= EXACT_RANGE_LIMIT))
    if use_exact:
        C, D, r = _exact_operators(hs.exact, alpha, beta)
        if r == 0:
            return Threshold(sympy.oo, math.inf, None)
        lam = largest_real_root((C.inv() * D).charpoly())
        expr = 2 / lam.expr
        if isinstance(lam.expr, sympy.Pow) or lam.poly.degree() == 2:
            expr = sympy.radsimp(expr)
        return Threshold(expr, 2 / lam.value, lam)
    if hs.exact is not None and (method == "mpmath" or dps is not None):
        return _mpmath_threshold(hs.exact, alpha, beta, DEFAULT_DPS if dps is None else int(dps))
    Cdiag, D, r = _float_operators(hs.floats, float(alpha), float(beta))
    if r == 0:
        return Threshold(math.inf, math.inf, None, "float")
    s = 1 / np.sqrt(Cdiag)
    top = float(np.linalg.eigvalsh(s[:, None] * D * s[None, :])[-1])
    return Threshold(2 / top, 2 / top, None, "float")


def mean_square_threshold(hessians, batch: int, sampling: str = "bernoulli", method: str = "auto",
                          dps: int | None = None):
    """Exact mean-square stability threshold ``eta* = 2 / lambda_max(C^{-1} D)`` (docs/theory.md, B2).

    ``C = (H (+) H)/2`` and ``D = E[Hhat (x) Hhat]`` act on symmetric matrices
    supported on the range of H, where C is invertible; linearised SGD is
    mean-square stable iff ``eta < eta*``.

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        As in :func:`~symstab.sgd.coherence.coherence`.
    batch : int
        Batch size B (``1 <= B <= n`` except with replacement).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    method : {"auto", "exact", "float", "mpmath"}
        ``"auto"`` is exact for rational input whose H has rank at most
        ``EXACT_RANGE_LIMIT``; beyond that it uses mpmath when ``dps`` is given
        and float64 otherwise.  ``"mpmath"`` (rational input only) always uses
        mpmath, at ``dps`` digits (default ``DEFAULT_DPS``).
    dps : int, optional
        Decimal digits of the mpmath path.  The computation runs in its own
        ``mpmath.MPContext``; the global ``mpmath.mp`` is never changed.

    Returns
    -------
    sympy.Expr, sympy.Float or float
        Exact algebraic number (rational, quadratic surd or ``2/CRootOf(...)``),
        a ``sympy.Float`` with ``dps`` digits (mpmath path), or a float;
        infinity if ``H = 0``.

    Examples
    --------
    >>> mean_square_threshold([[[1]], [[0]]], batch=1)
    2
    >>> mean_square_threshold([[[2, 0], [0, 0]], [[0, 0], [0, 1]]], batch=1)
    1
    >>> mean_square_threshold([[[1, 1], [1, 1]], [[1, 0], [0, 0]]], batch=1)
    2/CRootOf(3*x**3 - 9*x**2 + 6*x - 1, 2)
    >>> mean_square_threshold([[[1, 1], [1, 1]], [[1, 0], [0, 0]]], batch=1, method="mpmath", dps=20)
    0.93582222752408785919
    >>> round(mean_square_threshold([[[1.0]], [[0.0]]], batch=2), 12)
    4.0
    """
    hs = validate_hessians(hessians)
    batch = validate_batch(hs.n, batch, sampling)
    return compute_threshold(hs, batch, sampling, method, dps).eta_star


def spectral_radius(hessians, batch: int, eta, sampling: str = "bernoulli") -> float:
    """Float spectral radius of the second-moment map ``Q(eta) = I - 2 eta C + eta^2 D``.

    Restricted to symmetric matrices on the range of H (orthonormal basis);
    ``rho < 1`` iff linearised SGD is mean-square stable.  Used to cross-check
    :func:`mean_square_threshold`.

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
    batch : int
    eta : number
    sampling : {"bernoulli", "without_replacement", "with_replacement"}

    Returns
    -------
    float

    Examples
    --------
    >>> spectral_radius([[[1]], [[0]]], batch=1, eta=1)
    0.5
    """
    hs = validate_hessians(hessians)
    batch = validate_batch(hs.n, batch, sampling)
    _, eta_f = parse_eta(eta)
    alpha, beta = second_moment_coefficients(hs.n, batch, sampling)
    Cdiag, D, r = _float_operators(hs.floats, float(alpha), float(beta))
    if r == 0:
        return 1.0
    Q = np.eye(len(Cdiag)) - 2 * eta_f * np.diag(Cdiag) + eta_f**2 * D
    return float(np.max(np.abs(np.linalg.eigvalsh((Q + Q.T) / 2))))
