"""Exact matrices (bottom layer): layer products, ranks, kernels, projectors, conversions.

The product formulas are written once and work on any scalar type: numpy
object arrays of python-flint polynomials, rationals or arb balls, float64
arrays, and sympy matrices. Conversions between sympy, Fraction and
python-flint matrices live here too, so that no module above converts entry by
entry on its own.
"""

from __future__ import annotations

import random

import flint
import numpy as np
import sympy

from ..errors import InvalidInputError
from .algebraic import root_value
from .numbers import as_fmpq, as_rational

__all__ = [
    "chain",
    "fmpq_matrix",
    "identity_like",
    "kernel_projector",
    "layers_from_factors",
    "ldl_psd",
    "object_array",
    "poly_at_matrix",
    "product_chain",
    "random_invertible",
    "rank_factorisation",
    "scalar_identity_factor",
    "segment",
    "sympy_matrix",
    "top_projector",
]

_x = sympy.Symbol("x")
_y = sympy.Symbol("y")


# --- products of layers, generic over the scalar type -------------------------------

def object_array(rows) -> np.ndarray:
    """A 2-D object array from nested rows, element by element.

    ``np.array`` would iterate into python-flint polynomials (they are
    sequences of terms), so entries are placed one at a time.

    Examples
    --------
    >>> object_array([[1, 2]]).shape
    (1, 2)
    """
    rows = [list(r) for r in rows]
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            out[i, j] = v
    return out


def identity_like(n: int, like):
    """The ``n x n`` identity in the type of ``like``: a sympy matrix, or a numpy array of ``like``'s dtype.

    Object arrays get Python ints (which every exact scalar type accepts).

    Examples
    --------
    >>> identity_like(2, np.zeros((1, 1))).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if isinstance(like, sympy.MatrixBase):
        return sympy.eye(n)
    one = 1 if like.dtype == object else like.dtype.type(1)
    eye = np.zeros((n, n), dtype=like.dtype)
    for i in range(n):
        eye[i, i] = one
    return eye


def product_chain(weights):
    """Prefix and suffix products of ``weights = [W_1, ..., W_H]``.

    Returns ``(B, A)`` with ``B[l] = W_{l-1} ... W_1`` (``B[0] = I``) and
    ``A[l] = W_H ... W_{l+1}`` (``A[H-1] = I``), so ``mu = A[l] @ W_l @ B[l]``
    for every layer ``l`` (0-based). Works on numpy arrays and sympy matrices.

    Examples
    --------
    >>> B, A = product_chain([np.array([[2.0]]), np.array([[3.0]])])
    >>> float((A[0] @ np.array([[2.0]]) @ B[0])[0, 0])
    6.0
    """
    H = len(weights)
    d0 = weights[0].shape[1]
    dH = weights[-1].shape[0]
    B = [identity_like(d0, weights[0])]
    for W in weights[:-1]:
        B.append(W @ B[-1])
    A = [None] * H
    A[H - 1] = identity_like(dH, weights[0])
    for l in range(H - 2, -1, -1):
        A[l] = A[l + 1] @ weights[l + 1]
    return B, A


def segment(weights, start: int, stop: int):
    """``W_{stop-1} ... W_{start}`` in 0-based layer indices (identity when empty)."""
    d = weights[start - 1].shape[0]
    out = identity_like(d, weights[0])
    for k in range(start, stop):
        out = weights[k] @ out
    return out


def chain(weights, size: int) -> sympy.Matrix:
    """``W_k .. W_1`` for a list of sympy matrices (the ``size x size`` identity when the list is empty).

    Examples
    --------
    >>> chain([sympy.Matrix([[1, 2]]), sympy.Matrix([[3]])], 2)
    Matrix([[3, 6]])
    """
    out = sympy.eye(size)
    for W in weights:
        out = W * out
    return out


# --- conversions ----------------------------------------------------------------------

def fmpq_matrix(matrix) -> "flint.fmpq_mat":
    """A sympy matrix (or nested rows) of exact rationals as a python-flint ``fmpq_mat``.

    Examples
    --------
    >>> print(fmpq_matrix(sympy.Matrix([[1, sympy.Rational(1, 2)]])))
    [1, 1/2]
    """
    rows = matrix.tolist() if hasattr(matrix, "tolist") else [list(r) for r in matrix]
    return flint.fmpq_mat(len(rows), len(rows[0]) if rows else 0, [as_fmpq(v) for r in rows for v in r])


def sympy_matrix(rows) -> sympy.Matrix:
    """Exact rationals (Fraction, fmpq, int; nested rows, a numpy array or an ``fmpq_mat``) as a sympy matrix;
    number-field elements (:class:`~symstab.exact.numberfield.FieldElement`) become exact sympy numbers.

    Examples
    --------
    >>> sympy_matrix(flint.fmpq_mat([[1, 2]]))
    Matrix([[1, 2]])
    """
    if isinstance(rows, flint.fmpq_mat):
        rows = [[rows[i, j] for j in range(rows.ncols())] for i in range(rows.nrows())]
    return sympy.Matrix([[v.to_sympy() if hasattr(v, "to_sympy") else as_rational(v) for v in row] for row in rows])


# --- ranks, kernels and projectors ----------------------------------------------------

def ldl_psd(matrix) -> tuple:
    """``(L, d)`` with ``A = L diag(d) L^T`` for a symmetric positive semidefinite matrix of exact rationals.

    Gaussian elimination without pivoting, in ``fmpq``: ``L`` is unit lower triangular and ``d >= 0``.
    A zero pivot of a positive semidefinite matrix has a zero column below it, so its column of ``L``
    is left as ``e_j`` (its term ``0 * l l^T`` vanishes). Used to write ``J^T S J`` as a sum of
    ``rank S`` weighted squares.

    Raises
    ------
    InvalidInputError
        If the matrix is not symmetric positive semidefinite.

    Examples
    --------
    >>> L, d = ldl_psd([[4, 2], [2, 2]])
    >>> [[str(x) for x in row] for row in L], [str(x) for x in d]
    ([['1', '0'], ['1/2', '1']], ['4', '1'])
    """
    A = [[as_fmpq(v) for v in row] for row in (matrix.tolist() if hasattr(matrix, "tolist") else matrix)]
    n = len(A)
    if any(A[i][j] != A[j][i] for i in range(n) for j in range(i)):
        raise InvalidInputError("the matrix is not symmetric")
    L = [[flint.fmpq(1 if i == j else 0) for j in range(n)] for i in range(n)]
    d = []
    for j in range(n):
        pivot = A[j][j] - sum((L[j][k] ** 2 * d[k] for k in range(j)), flint.fmpq(0))
        column = [A[i][j] - sum((L[i][k] * L[j][k] * d[k] for k in range(j)), flint.fmpq(0)) for i in range(j + 1, n)]
        if pivot < 0 or (pivot == 0 and any(c != 0 for c in column)):
            raise InvalidInputError("the matrix is not positive semidefinite")
        d.append(pivot)
        if pivot != 0:
            for i, c in zip(range(j + 1, n), column):
                L[i][j] = c / pivot
    return L, d


def random_invertible(n: int, rng: random.Random) -> sympy.Matrix:
    """A random integer matrix with entries in ``[-2, 2] + 3 I`` and non-zero determinant."""
    while True:
        G = sympy.Matrix(n, n, lambda i, j: rng.randint(-2, 2) + (3 if i == j else 0))
        if G.det() != 0:
            return G


def layers_from_factors(widths, U, V, rng):
    """Weights ``W_1 = G_1 [V; R_1]``, ``W_l = G_l [[I, 0], [R_l, S_l]] G_{l-1}^{-1}``,
    ``W_H = [U, 0] G_{H-1}^{-1}`` whose product is ``U V`` (``k = U.cols``).

    The lower blocks ``R_l, S_l`` are random: the top ``k`` rows of every partial
    product are ``V``, and ``[U, 0]`` discards the rest. ``U`` and ``V`` are sympy
    matrices (rational, or polynomial in a symbol standing for a field generator).

    Examples
    --------
    >>> import random
    >>> Ws = layers_from_factors((1, 2, 1), sympy.Matrix([[2]]), sympy.Matrix([[3]]), random.Random(0))
    >>> Ws[1] * Ws[0]
    Matrix([[6]])
    """
    H = len(widths) - 1
    k = U.shape[1]
    if H == 1:
        return [U * V]
    Gs = [random_invertible(widths[l], rng) for l in range(1, H)]
    weights = []
    for l in range(1, H + 1):
        rows, cols = widths[l], widths[l - 1]
        if l == 1:
            core = sympy.zeros(rows, cols)
            core[:k, :] = V
            for i in range(k, rows):
                for j in range(cols):
                    core[i, j] = rng.randint(-2, 2)
            W = Gs[0] * core
        elif l == H:
            core = sympy.zeros(rows, cols)
            core[:, :k] = U
            W = core * Gs[-1].inv()
        else:
            core = sympy.zeros(rows, cols)
            for i in range(rows):
                for j in range(cols):
                    if i < k:
                        core[i, j] = 1 if i == j else 0
                    else:
                        core[i, j] = rng.randint(-2, 2)
            W = Gs[l - 1] * core * Gs[l - 2].inv()
        weights.append(W)
    return weights


def rank_factorisation(T: sympy.Matrix):
    """``T = U V`` with ``U = T[:, pivots]`` and ``V`` the non-zero rows of rref(T).

    Examples
    --------
    >>> U, V = rank_factorisation(sympy.Matrix([[1, 2], [2, 4]]))
    >>> U * V == sympy.Matrix([[1, 2], [2, 4]]), U.cols
    (True, 1)
    """
    R, pivots = T.rref()
    k = len(pivots)
    U = T.extract(list(range(T.rows)), list(pivots)) if k else sympy.zeros(T.rows, 0)
    V = R[:k, :]
    return U, V


def kernel_projector(M: sympy.Matrix) -> sympy.Matrix:
    """The orthogonal projector onto the kernel of ``M`` (exact)."""
    basis = M.nullspace()
    if not basis:
        return sympy.zeros(M.cols, M.cols)
    B = sympy.Matrix.hstack(*basis)
    return B * (B.T * B).inv() * B.T


def poly_at_matrix(f: sympy.Poly, K: sympy.Matrix) -> sympy.Matrix:
    """``f(K)`` by Horner's rule."""
    out = sympy.zeros(K.rows, K.rows)
    for c in f.all_coeffs():
        out = out * K + c * sympy.eye(K.rows)
    return out


def top_projector(K: sympy.Matrix, eigenvalues, r: int):
    """The orthogonal projector onto the top-``r`` eigenspace of the symmetric ``K``.

    ``eigenvalues`` are the keys of :func:`~symstab.exact.algebraic.descending_eigenvalues`.
    Returns ``(P, rational)``. Whole rational factors of the characteristic
    polynomial are handled by a kernel over Q; a factor only partly among the
    top ``r`` eigenvalues contributes spectral projectors with algebraic entries
    (``P_lam = q(K, lam) / m'(lam)`` with ``q(x, y) = (m(x) - m(y)) / (x - y)``
    and ``m`` the minimal polynomial of ``K``).
    """
    top = eigenvalues[:r]
    distinct_top = list(dict.fromkeys(top))
    factors = {}
    for lam in dict.fromkeys(eigenvalues):
        factors.setdefault(lam[0], []).append(lam)
    n = K.rows
    full = sympy.Poly(1, _x, domain="QQ")
    partial = []
    for f, roots in factors.items():
        inside = [lam for lam in roots if lam in distinct_top]
        if inside and len(inside) == len(roots):
            full = full * f
        elif inside:
            partial.extend((f, lam) for lam in inside)
    P = sympy.zeros(n, n)
    if full.degree() > 0:
        P = kernel_projector(poly_at_matrix(full, K))
    if not partial:
        return P, True
    m = sympy.Poly(1, _x, domain="QQ")
    for f in factors:
        m = m * f
    q = sympy.Poly(sympy.cancel((m.as_expr() - m.as_expr().subs(_x, _y)) / (_x - _y)), _x)
    powers = [sympy.eye(n)]
    for _ in range(q.degree()):
        powers.append(powers[-1] * K)
    for f, lam in partial:
        fy = sympy.Poly(f.as_expr().subs(_x, _y), _y, domain="QQ")
        dm = sympy.Poly(m.diff(_x).as_expr().subs(_x, _y), _y, domain="QQ")
        inv = sympy.invert(dm, fy)
        Q = sympy.zeros(n, n)
        for (deg,), coeff in q.terms():
            Q += powers[deg] * coeff
        value = root_value(lam)
        P += Q.applyfunc(lambda e: sympy.Poly(e * inv.as_expr(), _y).rem(fy).as_expr().subs(_y, value))
    return P.applyfunc(sympy.expand), False


def scalar_identity_factor(Sigma: sympy.Matrix):
    """``s`` when ``Sigma = s I`` exactly (``s`` may be symbolic), else None.

    Examples
    --------
    >>> scalar_identity_factor(sympy.Matrix([[2, 0], [0, 2]])), scalar_identity_factor(sympy.eye(2) + sympy.ones(2))
    (2, None)
    """
    s = Sigma[0, 0]
    for i in range(Sigma.rows):
        for j in range(Sigma.cols):
            want = s if i == j else 0
            if sympy.simplify(Sigma[i, j] - want) != 0:
                return None
    return s
