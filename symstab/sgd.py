"""SGD linear stability at a minimum: coherence, divergence conditions, mean-square threshold.

Implements MATH.md section 2 (paper B, Dexter et al., ICLR 2024).  At a minimum where
every per-sample gradient vanishes, with per-sample Hessians ``H_i`` (PSD) and
``H = (1/n) sum_i H_i``, linearised SGD is ``w_{k+1} = (I - eta Hhat_k) w_k`` with
``Hhat_k`` the mini-batch Hessian.  Three sampling models are supported:

``"bernoulli"``
    ``Hhat = (1/B) sum_i x_i H_i`` with ``x_i ~ Bernoulli(B/n)`` i.i.d. (the paper's model).
``"without_replacement"``
    ``Hhat`` is the mean over a uniform B-subset of ``{1..n}``.
``"with_replacement"``
    ``Hhat`` is the mean over B i.i.d. uniform indices (B may exceed n).

In every model ``E[Hhat] = H`` and
``E[Hhat (x) Hhat] = alpha H (x) H + beta (1/n) sum_i H_i (x) H_i`` with
``(alpha, beta)`` given by :func:`second_moment_coefficients`.  The second moment
``Sigma_k = E[w_k w_k^T]`` then evolves by the linear map
``Q(eta) = I - 2 eta C + eta^2 D`` with ``C = (H (+) H)/2`` and ``D = E[Hhat (x) Hhat]``,
acting on symmetric matrices supported on the range of ``H`` (directions in the
kernel of ``H`` are left fixed by every ``Hhat``).  The exact mean-square threshold is
``eta* = 2 / lambda_max(C^{-1} D)`` on that subspace; the second moment decays
iff ``eta < eta*`` (at ``eta = eta*`` the spectral radius of ``Q`` is exactly 1:
marginal, reported as *not* stable).

Exact arithmetic (python-flint ``fmpq_mat``) is used for rational input; the
threshold is then an algebraic number: a rational, a quadratic surd, or a sympy
``CRootOf`` of the irreducible factor of ``det(lambda C - D)`` carrying the
largest root.  Float input (or large rational input) uses float64 linear algebra.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral

import numpy as np
import sympy
from flint import fmpq, fmpq_mat, fmpq_poly

from .errors import InvalidInputError, ShapeError, SymbolicDataError, TooLargeError
from .parsing import parse_number

__all__ = [
    "SAMPLINGS",
    "Coherence",
    "StabilityAnalysis",
    "MonteCarloResult",
    "coherence",
    "analyze",
    "mean_square_threshold",
    "second_moment_coefficients",
    "spectral_radius",
    "coherence_construction",
    "construction_threshold",
    "monte_carlo",
    "plot_stability_map",
]

SAMPLINGS = ("bernoulli", "without_replacement", "with_replacement")

#: Largest range dimension r for which ``method="auto"`` computes eta* exactly
#: (the operator lives on symmetric r x r matrices, dimension r(r+1)/2).
EXACT_RANGE_LIMIT = 12

_FLOAT_PSD_TOL = 1e-10
_X = sympy.Symbol("x")


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class _Hessians:
    """Validated per-sample Hessians: exact (flint) when rational, always as floats."""

    exact: tuple | None  # tuple of fmpq_mat, or None for float input
    floats: np.ndarray  # shape (n, d, d)

    @property
    def n(self) -> int:
        return self.floats.shape[0]

    @property
    def d(self) -> int:
        return self.floats.shape[1]


def _exact_entry(value, where):
    """Return a Fraction, or None when the entry is a float (float path)."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{where}: booleans are not numbers")
    if isinstance(value, (Integral, np.integer)):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise InvalidInputError(f"{where}: {value} is not a finite number")
        return None
    if isinstance(value, fmpq):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        if value.free_symbols:
            raise SymbolicDataError(f"{where}: {value} has free symbols; numbers are needed")
        if value.is_Float and value.is_finite:
            return None
        raise InvalidInputError(f"{where}: {value} is not a rational number")
    raise InvalidInputError(f"{where}: unsupported entry type {type(value).__name__}")


def _matrix_rows(matrix, where):
    """Turn one user matrix into a list of rows of raw entries."""
    if isinstance(matrix, sympy.MatrixBase):
        return [list(matrix.row(i)) for i in range(matrix.rows)]
    if isinstance(matrix, np.ndarray):
        if matrix.ndim != 2:
            raise ShapeError(f"{where}: expected a 2-D matrix, got shape {matrix.shape}")
        if matrix.dtype.kind not in "iuf":
            raise InvalidInputError(f"{where}: unsupported array dtype {matrix.dtype}")
        return [list(row) for row in matrix]
    if isinstance(matrix, (list, tuple)):
        if not matrix or not all(isinstance(r, (list, tuple, np.ndarray)) for r in matrix):
            raise ShapeError(f"{where}: a matrix must be a non-empty list of rows")
        return [list(r) for r in matrix]
    raise InvalidInputError(f"{where}: unsupported matrix type {type(matrix).__name__}")


def _charpoly_is_psd(poly: fmpq_poly) -> bool:
    """A real symmetric matrix is PSD iff its characteristic polynomial's
    coefficients alternate in sign (Descartes' rule; all roots are real)."""
    coeffs = poly.coeffs()  # constant term first
    deg = len(coeffs) - 1
    return all((-1) ** (deg - k) * c >= 0 for k, c in enumerate(coeffs))


def _validate(hessians) -> _Hessians:
    """Check that ``hessians`` is a non-empty list of equal-size symmetric PSD matrices."""
    if isinstance(hessians, _Hessians):
        return hessians
    if isinstance(hessians, np.ndarray):
        if hessians.ndim != 3:
            raise ShapeError(f"expected an array of shape (n, d, d), got {hessians.shape}")
        hessians = list(hessians)
    if not isinstance(hessians, (list, tuple)) or len(hessians) == 0:
        raise InvalidInputError("hessians must be a non-empty list of square matrices")
    rows_list = [_matrix_rows(m, f"hessian {i}") for i, m in enumerate(hessians)]
    d = len(rows_list[0])
    for i, rows in enumerate(rows_list):
        if len(rows) != d or any(len(r) != d for r in rows):
            raise ShapeError(f"hessian {i} is not a {d} x {d} matrix (all must be square, equal size)")
    entries = [
        [[_exact_entry(v, f"hessian {i}, entry ({a}, {b})") for b, v in enumerate(r)] for a, r in enumerate(rows)]
        for i, rows in enumerate(rows_list)
    ]
    is_exact = all(v is not None for m in entries for r in m for v in r)
    if is_exact:
        mats = []
        for i, m in enumerate(entries):
            if any(m[a][b] != m[b][a] for a in range(d) for b in range(a)):
                raise InvalidInputError(f"hessian {i} is not symmetric")
            fm = fmpq_mat(d, d, [fmpq(v.numerator, v.denominator) for r in m for v in r])
            if not _charpoly_is_psd(fm.charpoly()):
                raise InvalidInputError(f"hessian {i} is not positive semidefinite")
            mats.append(fm)
        floats = np.array([[[float(v) for v in r] for r in m] for m in entries], dtype=float)
        return _Hessians(tuple(mats), floats)
    floats = np.array([[[float(v) for v in r] for r in rows] for rows in rows_list], dtype=float)
    if not np.all(np.isfinite(floats)):
        raise InvalidInputError("hessians contain NaN or infinite entries")
    for i, m in enumerate(floats):
        scale = max(1.0, float(np.max(np.abs(m))))
        if np.max(np.abs(m - m.T)) > _FLOAT_PSD_TOL * scale:
            raise InvalidInputError(f"hessian {i} is not symmetric (tolerance {_FLOAT_PSD_TOL:g})")
        eig = np.linalg.eigvalsh((m + m.T) / 2)
        if eig[0] < -_FLOAT_PSD_TOL * max(1.0, float(eig[-1])):
            raise InvalidInputError(
                f"hessian {i} is not positive semidefinite: eigenvalue {eig[0]:.3g} "
                f"(tolerance {_FLOAT_PSD_TOL:g})"
            )
    floats = (floats + np.transpose(floats, (0, 2, 1))) / 2
    return _Hessians(None, floats)


def _validate_batch(n: int, batch, sampling: str) -> int:
    if sampling not in SAMPLINGS:
        raise InvalidInputError(f"sampling must be one of {', '.join(SAMPLINGS)}, got {sampling!r}")
    if isinstance(batch, bool) or not isinstance(batch, (Integral, np.integer)):
        raise InvalidInputError(f"batch must be an integer, got {batch!r}")
    batch = int(batch)
    if batch < 1:
        raise InvalidInputError(f"batch must be >= 1, got {batch}")
    if sampling != "with_replacement" and batch > n:
        raise InvalidInputError(f"batch must satisfy 1 <= B <= n = {n} for {sampling} sampling, got {batch}")
    return batch


def _parse_eta(eta):
    """Return (exact Fraction or None, float) for a positive step size."""
    value = _exact_entry(eta, "eta")
    as_float = float(value) if value is not None else float(eta)
    if not as_float > 0:
        raise InvalidInputError(f"eta must be positive, got {eta!r}")
    return value, as_float


# --------------------------------------------------------------------------- exact helpers


@dataclass(frozen=True)
class _Algebraic:
    """The largest real root of an irreducible integer polynomial ``poly``."""

    poly: sympy.Poly
    expr: sympy.Expr
    value: float

    def compare(self, q: Fraction) -> int:
        """Exact sign of ``self - q`` for a rational q."""
        q_s = sympy.Rational(q.numerator, q.denominator)
        if self.poly.degree() == 1 or self.expr.is_Rational:
            diff = self.expr - q_s
            return int(diff.p > 0) - int(diff.p < 0)
        # Irreducible of degree >= 2, so q is not a root; all roots are real, so
        # Descartes' rule of signs on f(x + q) counts the roots above q exactly.
        f = fmpq_poly([int(c) for c in reversed(self.poly.all_coeffs())])
        shifted = [c for c in f(fmpq_poly([fmpq(q.numerator, q.denominator), 1])).coeffs() if c != 0]
        changes = sum(1 for u, v in zip(shifted, shifted[1:]) if (u > 0) != (v > 0))
        return 1 if changes > 0 else -1


def _largest_real_root(charpoly: fmpq_poly) -> _Algebraic:
    """Exact largest root of a polynomial whose roots are all real (caller's guarantee:
    characteristic polynomials of symmetric matrices or of ``C^{-1} D``)."""
    _, factors = charpoly.factor()
    best = None
    for factor, _mult in factors:
        z = factor.numer()
        roots = [r.real.mid() for r, _m in z.complex_roots()]
        top = max(float(r) for r in roots)
        if best is None or top > best[1]:
            best = (z, top)
    z, top = best
    poly = sympy.Poly([int(c) for c in reversed(z.coeffs())], _X)
    if poly.degree() == 1:
        a, b = poly.all_coeffs()
        expr = sympy.Rational(-b, a)
    elif poly.degree() == 2:
        a, b, c = poly.all_coeffs()
        if a < 0:
            a, b, c = -a, -b, -c
        expr = sympy.radsimp((-b + sympy.sqrt(b * b - 4 * a * c)) / (2 * a))
    else:
        expr = sympy.CRootOf(poly, poly.degree() - 1)  # all roots real: the last one is the largest
    return _Algebraic(poly, expr, float(top))


def _sign(expr) -> int:
    """Exact sign of a real algebraic sympy expression (evaluation, then zero test)."""
    expr = sympy.sympify(expr)
    if expr.is_Rational:
        return int(expr.p > 0) - int(expr.p < 0)
    value = sympy.N(expr, 60)
    if abs(value) > sympy.Float(10) ** -45:
        return 1 if value > 0 else -1
    if expr.equals(0):
        return 0
    value = sympy.N(expr, 300)
    if value == 0:
        raise InvalidInputError(f"cannot decide the sign of {expr}")
    return 1 if value > 0 else -1


def _to_sympy(q) -> sympy.Rational:
    return sympy.Rational(int(q.p), int(q.q)) if isinstance(q, fmpq) else sympy.Rational(q.numerator, q.denominator)


def _submatrix(m: fmpq_mat, rows, cols) -> fmpq_mat:
    return fmpq_mat(len(rows), len(cols), [m[i, j] for i in rows for j in cols])


def _mean_exact(mats) -> fmpq_mat:
    total = mats[0]
    for m in mats[1:]:
        total = total + m
    return total * fmpq(1, len(mats))


# --------------------------------------------------------------------------- coherence


def _fmt(value) -> str:
    return str(value) if isinstance(value, sympy.Basic) else repr(float(value))


def _short(value) -> str:
    """Like :func:`_fmt`, but long algebraic numbers are named by their degree."""
    text = _fmt(value)
    if len(text) > 70 and isinstance(value, sympy.Basic):
        roots = value.atoms(sympy.CRootOf)
        degree = max((r.poly.degree() for r in roots), default=None)
        return f"<algebraic number{f' of degree {degree}' if degree else ''}>"
    return text


@dataclass(frozen=True)
class Coherence:
    """Coherence matrix ``S_ij = sqrt(tr(H_i H_j))`` and ``sigma = lambda_1(S)/max_i lambda_1(H_i)``.

    ``S`` and ``sigma`` are exact sympy objects for rational input when feasible
    (``sigma`` is a float otherwise); ``sigma_float`` is always a float.
    """

    S: sympy.Matrix
    sigma: object
    sigma_float: float
    lambda_1_S: object
    max_lambda_1: object

    @property
    def exact(self) -> bool:
        return isinstance(self.sigma, sympy.Basic)

    def to_dict(self) -> dict:
        """JSON-ready summary: exact values as strings, floats as floats."""
        return {
            "sigma": _fmt(self.sigma),
            "sigma_float": self.sigma_float,
            "lambda_1_S": _fmt(self.lambda_1_S),
            "max_lambda_1": _fmt(self.max_lambda_1),
            "exact": self.exact,
        }

    def latex(self) -> str:
        """LaTeX rendering of sigma."""
        sig = sympy.latex(self.sigma) if self.exact else f"{self.sigma_float:.6g}"
        return (
            r"\sigma = \frac{\lambda_1(S)}{\max_i \lambda_1(H_i)} = " + sig
            + r", \quad S_{ij} = \sqrt{\operatorname{tr}(H_i H_j)}"
        )

    def __str__(self) -> str:
        return f"coherence sigma = {_fmt(self.sigma)} (~ {self.sigma_float:.6g}), n = {self.S.rows}"


def coherence(hessians) -> Coherence:
    """Coherence matrix and coherence measure sigma of per-sample Hessians (MATH.md §2).

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        Lists of lists of ints / Fractions / strings ``"a/b"``, sympy Rational
        matrices, or numpy arrays (float arrays take the float path).

    Returns
    -------
    Coherence
        ``.S`` (sympy Matrix, exact square roots for rational input), ``.sigma``
        (exact sympy expression when all ``tr(H_i H_j)`` are perfect squares or
        ``n <= 2``, else a float) and ``.sigma_float``.

    Examples
    --------
    >>> c = coherence([[[1, 0], [0, 0]], [[1, 0], [0, 0]], [[0, 0], [0, 1]]])
    >>> c.sigma
    2
    >>> coherence([[[1, 0], [0, 1]], [["1/2", 0], [0, 0]]]).S
    Matrix([
    [  sqrt(2), sqrt(2)/2],
    [sqrt(2)/2,       1/2]])
    """
    hs = _validate(hessians)
    n = hs.n
    tr_float = np.einsum("iab,jba->ij", hs.floats, hs.floats).clip(min=0.0)
    S_float = np.sqrt(tr_float)
    lam_S_float = float(np.linalg.eigvalsh(S_float)[-1])
    lam_H_float = float(max(np.linalg.eigvalsh(hs.floats)[:, -1]))
    if hs.exact is None:
        S = sympy.Matrix(n, n, lambda i, j: sympy.Float(S_float[i, j]))
        sigma = lam_S_float / lam_H_float if lam_H_float > 0 else math.nan
        if not lam_H_float > 0:
            raise InvalidInputError("all hessians are zero: coherence is undefined")
        return Coherence(S, sigma, sigma, lam_S_float, lam_H_float)
    mats = hs.exact
    traces = [[sum((_to_sympy(mats[i][a, b] * mats[j][b, a]) for a in range(hs.d) for b in range(hs.d)), sympy.Integer(0))
               for j in range(n)] for i in range(n)]
    S = sympy.Matrix(n, n, lambda i, j: sympy.sqrt(traces[i][j]))
    tops = [_largest_real_root(m.charpoly()) for m in mats]
    top = max(tops, key=lambda a: sympy.N(a.expr, 50))
    if top.value <= 0 and top.compare(Fraction(0)) <= 0:
        raise InvalidInputError("all hessians are zero: coherence is undefined")
    lam_S = None
    if all(e.is_Rational for e in S):
        lam_S = _largest_real_root(
            fmpq_mat(n, n, [fmpq(int(e.p), int(e.q)) for e in S]).charpoly()
        ).expr
    elif n == 1:
        lam_S = S[0, 0]
    elif n == 2:
        a, b, c = S[0, 0], S[0, 1], S[1, 1]
        lam_S = sympy.radsimp((a + c) / 2 + sympy.sqrt(((a - c) / 2) ** 2 + b**2))
    if lam_S is None:
        sigma = lam_S_float / float(sympy.N(top.expr, 30))
        return Coherence(S, sigma, sigma, lam_S_float, top.expr)
    sigma = sympy.radsimp(lam_S / top.expr) if not isinstance(top.expr, sympy.CRootOf) else lam_S / top.expr
    return Coherence(S, sigma, float(sympy.N(sigma, 30)), lam_S, top.expr)


# --------------------------------------------------------------------------- second moment


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
    batch = _validate_batch(int(n), batch, sampling)
    if sampling == "bernoulli":
        return Fraction(1), Fraction(1, batch) - Fraction(1, n)
    if sampling == "without_replacement":
        p = Fraction(0) if n == 1 else Fraction(n - batch, batch * (n - 1))
        return 1 - p, p
    return 1 - Fraction(1, batch), Fraction(1, batch)


def _sym_index(r):
    return [(a, b) for a in range(r) for b in range(a, r)]


def _exact_operators(mats, alpha: Fraction, beta: Fraction):
    """Exact matrices of C and D on Sym(r) of the range of H (pivot-column basis).

    With V = H[:, P] (P the pivot columns of H), H_i V = V M_i where
    ``M_i = H[P,P]^{-1} H_i[P,:] H[:,P]``; the coordinates c of w = V c evolve by
    ``c -> (I - eta Mhat) c`` and their second moment by ``X -> E[(I - eta Mhat) X (I - eta Mhat)^T]``.
    """
    n = len(mats)
    d = mats[0].nrows()
    H = _mean_exact(mats)
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
    M = _mean_exact(Ms)
    Ms_t = [m.transpose() for m in Ms]
    M_t = M.transpose()
    idx = _sym_index(r)
    m_dim = len(idx)
    C = fmpq_mat(m_dim, m_dim)
    D = fmpq_mat(m_dim, m_dim)
    half = fmpq(1, 2)
    a_q = fmpq(alpha.numerator, alpha.denominator)
    b_q = fmpq(beta.numerator, beta.denominator) * fmpq(1, n)
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
    keep = lam > _FLOAT_PSD_TOL * max(1.0, float(lam[-1]))
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


@dataclass(frozen=True)
class _Threshold:
    eta_star: object  # sympy expr (exact) or float; sympy.oo / math.inf if H = 0
    eta_star_float: float
    lam: _Algebraic | None  # exact lambda_max(C^{-1} D), when exact


def _threshold(hs: _Hessians, batch: int, sampling: str, method: str) -> _Threshold:
    if method not in ("auto", "exact", "float"):
        raise InvalidInputError(f"method must be 'auto', 'exact' or 'float', got {method!r}")
    alpha, beta = second_moment_coefficients(hs.n, batch, sampling)
    rank = int(np.linalg.matrix_rank(hs.floats.mean(axis=0)))
    use_exact = hs.exact is not None and (method == "exact" or (method == "auto" and rank <= EXACT_RANGE_LIMIT))
    if method == "exact" and hs.exact is None:
        raise InvalidInputError("method='exact' needs rational hessians (got floats)")
    if use_exact:
        C, D, r = _exact_operators(hs.exact, alpha, beta)
        if r == 0:
            return _Threshold(sympy.oo, math.inf, None)
        lam = _largest_real_root((C.inv() * D).charpoly())
        expr = 2 / lam.expr
        if isinstance(lam.expr, sympy.Pow) or lam.poly.degree() == 2:
            expr = sympy.radsimp(expr)
        return _Threshold(expr, 2 / lam.value, lam)
    Cdiag, D, r = _float_operators(hs.floats, float(alpha), float(beta))
    if r == 0:
        return _Threshold(math.inf, math.inf, None)
    s = 1 / np.sqrt(Cdiag)
    top = float(np.linalg.eigvalsh(s[:, None] * D * s[None, :])[-1])
    return _Threshold(2 / top, 2 / top, None)


def mean_square_threshold(hessians, batch: int, sampling: str = "bernoulli", method: str = "auto"):
    """Exact mean-square stability threshold ``eta* = 2 / lambda_max(C^{-1} D)`` (MATH.md §2).

    ``C = (H (+) H)/2`` and ``D = E[Hhat (x) Hhat]`` act on symmetric matrices
    supported on the range of H, where C is invertible; linearised SGD is
    mean-square stable iff ``eta < eta*``.

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        As in :func:`coherence`.
    batch : int
        Batch size B (``1 <= B <= n`` except with replacement).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    method : {"auto", "exact", "float"}
        ``"auto"`` is exact for rational input whose H has rank at most
        ``EXACT_RANGE_LIMIT`` and float64 otherwise.

    Returns
    -------
    sympy.Expr or float
        Exact algebraic number (rational, quadratic surd or ``2/CRootOf(...)``),
        or a float; infinity if ``H = 0``.

    Examples
    --------
    >>> mean_square_threshold([[[1]], [[0]]], batch=1)
    2
    >>> mean_square_threshold([[[2, 0], [0, 0]], [[0, 0], [0, 1]]], batch=1)
    1
    >>> mean_square_threshold([[[1, 1], [1, 1]], [[1, 0], [0, 0]]], batch=1)
    2/CRootOf(3*x**3 - 9*x**2 + 6*x - 1, 2)
    >>> round(mean_square_threshold([[[1.0]], [[0.0]]], batch=2), 12)
    4.0
    """
    hs = _validate(hessians)
    batch = _validate_batch(hs.n, batch, sampling)
    return _threshold(hs, batch, sampling, method).eta_star


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
    hs = _validate(hessians)
    batch = _validate_batch(hs.n, batch, sampling)
    _, eta_f = _parse_eta(eta)
    alpha, beta = second_moment_coefficients(hs.n, batch, sampling)
    Cdiag, D, r = _float_operators(hs.floats, float(alpha), float(beta))
    if r == 0:
        return 1.0
    Q = np.eye(len(Cdiag)) - 2 * eta_f * np.diag(Cdiag) + eta_f**2 * D
    return float(np.max(np.abs(np.linalg.eigvalsh((Q + Q.T) / 2))))


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class StabilityAnalysis:
    """Paper B's divergence conditions and the exact mean-square threshold for one (B, eta).

    ``conditions`` maps a name to whether that *sufficient divergence* condition holds:

    * ``"sharpness"``: Bernoulli sampling uses the exact factor
      ``eta lambda_1 (1 + 1/B - 1/n) > 2``; the other models use ``lambda_1 > 2/eta``.
    * ``"coherence"`` (Bernoulli sampling only): ``lambda_1 > (sigma/eta) (n/B - 1)^(-1/2)``;
      never holds when ``B >= n``.  It is not reported for the other models because
      it is false there: for ``H_1 = diag(0, 1)``, ``H_2 = diag(0, 4)``, ``B = 1`` it
      holds for ``eta > 1/2`` while uniform sampling (with or without replacement) is
      mean-square stable up to ``eta* = 10/17``.

    ``implied_thresholds`` gives the step size above which each condition holds.
    ``stable`` is ``eta < eta_star`` (strict: at ``eta = eta_star`` the second moment
    does not decay; ``marginal`` is then True).
    """

    n: int
    batch: int
    eta: object
    sampling: str
    lambda_1: object
    lambda_1_float: float
    sigma: object
    sigma_float: float
    conditions: dict = field(hash=False)
    implied_thresholds: dict = field(hash=False)
    eta_star: object
    eta_star_float: float
    stable: bool
    marginal: bool

    def to_dict(self) -> dict:
        """JSON-ready dictionary: exact values as strings, floats as floats."""
        return {
            "n": self.n,
            "batch": self.batch,
            "eta": _fmt(self.eta) if not isinstance(self.eta, float) else self.eta,
            "sampling": self.sampling,
            "lambda_1": _fmt(self.lambda_1) if isinstance(self.lambda_1, sympy.Basic) else self.lambda_1_float,
            "lambda_1_float": self.lambda_1_float,
            "sigma": _fmt(self.sigma) if isinstance(self.sigma, sympy.Basic) else self.sigma_float,
            "sigma_float": self.sigma_float,
            "conditions": dict(self.conditions),
            "implied_thresholds": {
                k: (_fmt(v) if isinstance(v, sympy.Basic) and v.is_finite else float(v))
                for k, v in self.implied_thresholds.items()
            },
            "eta_star": _fmt(self.eta_star) if isinstance(self.eta_star, sympy.Basic) and self.eta_star.is_finite
            else self.eta_star_float,
            "eta_star_float": self.eta_star_float,
            "stable": self.stable,
            "marginal": self.marginal,
        }

    def latex(self) -> str:
        """LaTeX summary (align environment)."""
        def tex(v, vf):
            return sympy.latex(v) if isinstance(v, sympy.Basic) else f"{vf:.6g}"

        lines = [
            rf"\lambda_1(H) &= {tex(self.lambda_1, self.lambda_1_float)}",
            rf"\sigma &= {tex(self.sigma, self.sigma_float)}",
            rf"\eta^* &= {tex(self.eta_star, self.eta_star_float)} \approx {self.eta_star_float:.6g}",
            rf"\eta &= {tex(self.eta, float(self.eta))}\ ({'stable' if self.stable else 'not stable'})",
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"

    def __str__(self) -> str:
        conds = ", ".join(f"{k}: {'holds' if v else 'does not hold'}" for k, v in self.conditions.items())
        return (
            f"SGD stability ({self.sampling}, n = {self.n}, B = {self.batch}, eta = {_short(self.eta)}):\n"
            f"  lambda_1(H) = {_short(self.lambda_1)} (~ {self.lambda_1_float:.6g})\n"
            f"  sigma = {_short(self.sigma)} (~ {self.sigma_float:.6g})\n"
            f"  divergence conditions: {conds}\n"
            f"  eta* = {_short(self.eta_star)} (~ {self.eta_star_float:.6g}): "
            f"{'mean-square stable' if self.stable else ('marginal' if self.marginal else 'mean-square divergent')}"
        )


def analyze(hessians, batch: int, eta, sampling: str = "bernoulli", method: str = "auto") -> StabilityAnalysis:
    """Evaluate paper B's divergence conditions and the exact threshold at (B, eta).

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        As in :func:`coherence`.
    batch : int
        Batch size B.
    eta : int, Fraction, str or float
        Step size; exact types give exact decisions.
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    method : {"auto", "exact", "float"}
        Passed to :func:`mean_square_threshold`.

    Returns
    -------
    StabilityAnalysis

    Examples
    --------
    >>> r = analyze([[[1]], [[0]]], batch=1, eta="1")
    >>> r.lambda_1, r.eta_star, r.stable
    (1/2, 2, True)
    >>> r.conditions
    {'sharpness': False, 'coherence': False}
    """
    hs = _validate(hessians)
    batch = _validate_batch(hs.n, batch, sampling)
    eta_q, eta_f = _parse_eta(eta)
    n = hs.n
    coh = coherence(hs)
    thr = _threshold(hs, batch, sampling, method)
    factor = (1 + Fraction(1, batch) - Fraction(1, n)) if sampling == "bernoulli" else Fraction(1)
    ratio = Fraction(n, batch) - 1  # n/B - 1
    exact = hs.exact is not None and eta_q is not None
    if hs.exact is not None:
        lam1 = _largest_real_root(_mean_exact(list(hs.exact)).charpoly())
        lambda_1, lambda_1_f = lam1.expr, lam1.value
    else:
        lam1 = None
        lambda_1 = lambda_1_f = float(np.linalg.eigvalsh(hs.floats.mean(axis=0))[-1])
    # Implied thresholds: the condition holds iff eta > threshold.
    if lambda_1_f > 0:
        t_sharp = (sympy.Integer(2) / (lambda_1 * _to_sympy(factor))) if lam1 is not None else 2 / (lambda_1_f * float(factor))
    else:
        t_sharp = sympy.oo if lam1 is not None else math.inf
    if ratio > 0 and lambda_1_f > 0:
        if lam1 is not None and coh.exact:
            t_coh = coh.sigma / (lambda_1 * sympy.sqrt(_to_sympy(ratio)))
        else:
            t_coh = coh.sigma_float / (lambda_1_f * math.sqrt(ratio))
    else:
        t_coh = sympy.oo if (lam1 is not None and coh.exact) else math.inf
    thresholds = {"sharpness": t_sharp}
    if sampling == "bernoulli":  # the coherence condition is false for the other models
        thresholds["coherence"] = t_coh
    conditions = {}
    for name, t in thresholds.items():
        if isinstance(t, sympy.Basic) and eta_q is not None:
            conditions[name] = bool(t.is_finite) and _sign(_to_sympy(eta_q) - t) > 0
        else:
            conditions[name] = eta_f > float(t)
    if exact and thr.lam is not None:
        # eta < eta* = 2/lam  <=>  lam < 2/eta
        cmp = thr.lam.compare(2 / eta_q)
        stable, marginal = cmp < 0, cmp == 0
    else:
        stable, marginal = eta_f < thr.eta_star_float, eta_f == thr.eta_star_float
    eta_out = _to_sympy(eta_q) if eta_q is not None else eta_f
    return StabilityAnalysis(
        n=n, batch=batch, eta=eta_out, sampling=sampling,
        lambda_1=lambda_1, lambda_1_float=float(lambda_1_f),
        sigma=coh.sigma, sigma_float=coh.sigma_float,
        conditions=conditions, implied_thresholds=thresholds,
        eta_star=thr.eta_star, eta_star_float=float(thr.eta_star_float),
        stable=bool(stable), marginal=bool(marginal),
    )


# --------------------------------------------------------------------------- construction


def coherence_construction(n: int, sigma: int, scale=1) -> list[list[list[Fraction]]]:
    """Paper B's near-optimality construction: sigma copies of ``a e_1 e_1^T`` plus
    ``n - sigma`` mutually orthogonal ``a e_k e_k^T`` (k = 2..n-sigma+1), ``a = scale``.

    The dimension is ``n - sigma + 1``; the coherence is exactly ``sigma`` and, under
    Bernoulli sampling, ``eta* = 2 / (lambda_1(H) (1 + (n/B - 1)/sigma))`` with
    ``lambda_1(H) = sigma a / n`` (see :func:`construction_threshold`).

    Parameters
    ----------
    n : int
        Number of samples.
    sigma : int
        Coherence, ``1 <= sigma <= n``.
    scale : int, Fraction or str
        Positive rational ``a``.

    Returns
    -------
    list of n matrices (lists of lists of Fraction)

    Examples
    --------
    >>> hs = coherence_construction(3, 2)
    >>> [[[int(v) for v in row] for row in h] for h in hs]
    [[[1, 0], [0, 0]], [[1, 0], [0, 0]], [[0, 0], [0, 1]]]
    >>> coherence(hs).sigma
    2
    """
    for name, v in (("n", n), ("sigma", sigma)):
        if isinstance(v, bool) or not isinstance(v, (Integral, np.integer)):
            raise InvalidInputError(f"{name} must be an integer, got {v!r}")
    n, sigma = int(n), int(sigma)
    if n < 1 or not 1 <= sigma <= n:
        raise InvalidInputError(f"need n >= 1 and 1 <= sigma <= n, got n = {n}, sigma = {sigma}")
    a = _exact_entry(scale, "scale")
    if a is None or a <= 0:
        raise InvalidInputError(f"scale must be a positive rational, got {scale!r}")
    d = n - sigma + 1

    def rank_one(k):
        return [[a if (i == k and j == k) else Fraction(0) for j in range(d)] for i in range(d)]

    return [rank_one(0) for _ in range(sigma)] + [rank_one(k) for k in range(1, d)]


def construction_threshold(n: int, sigma: int, batch: int, scale=1) -> sympy.Rational:
    """Closed-form Bernoulli threshold of :func:`coherence_construction`:
    ``eta* = 2 / (lambda_1(H) (1 + (n/B - 1)/sigma))`` with ``lambda_1(H) = sigma a / n``.

    Parameters
    ----------
    n, sigma, batch : int
    scale : int, Fraction or str

    Returns
    -------
    sympy.Rational

    Examples
    --------
    >>> construction_threshold(12, 3, 4)
    24/5
    >>> mean_square_threshold(coherence_construction(12, 3), batch=4)
    24/5
    """
    coherence_construction(1, 1, scale)  # validates scale
    n, sigma = int(n), int(sigma)
    if not 1 <= sigma <= n:
        raise InvalidInputError(f"need 1 <= sigma <= n, got n = {n}, sigma = {sigma}")
    batch = _validate_batch(n, batch, "bernoulli")
    a = _exact_entry(scale, "scale")
    lam1 = Fraction(sigma) * a / n
    value = 2 / (lam1 * (1 + (Fraction(n, batch) - 1) / sigma))
    return sympy.Rational(value.numerator, value.denominator)


# --------------------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True)
class MonteCarloResult:
    """Linearised SGD simulated from random unit starts in the range of H.

    Two different quantities, never mixed:

    * **mean square**: ``mean_square_rate = (1/T) log( mean_runs ||w_T||^2 )``, to be
      compared with ``theory_rate = log rho(Q(eta))``.  It is dominated by rare
      runs (heavy tails); ``mean_square_ess`` is the effective number of runs
      carrying the mean and ``mean_square_ci`` a bootstrap 95% interval, which is
      unreliable when the ESS is small.
    * **almost sure**: ``lyapunov_exponent = mean_runs (1/T) log ||w_T||`` with a 95%
      normal interval; negative means typical runs converge.  By Jensen
      ``2 * lyapunov_exponent <= mean_square_rate`` always.
    """

    sampling: str
    batch: int
    eta: float
    runs: int
    steps: int
    seed: int
    mean_square_rate: float
    mean_square_ci: tuple
    mean_square_ess: float
    theory_rate: float
    lyapunov_exponent: float
    lyapunov_ci: tuple

    @property
    def almost_surely_convergent(self) -> bool:
        """True when the Lyapunov exponent's 95% interval lies below 0."""
        return self.lyapunov_ci[1] < 0

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return {
            "sampling": self.sampling, "batch": self.batch, "eta": self.eta, "runs": self.runs,
            "steps": self.steps, "seed": self.seed,
            "mean_square": {"rate": self.mean_square_rate, "ci95": list(self.mean_square_ci),
                            "effective_runs": self.mean_square_ess, "theory_rate": self.theory_rate},
            "almost_sure": {"lyapunov_exponent": self.lyapunov_exponent, "ci95": list(self.lyapunov_ci)},
        }

    def latex(self) -> str:
        """LaTeX summary."""
        return (
            rf"\tfrac1T\log\mathbb E\|w_T\|^2 \approx {self.mean_square_rate:.4g}"
            rf"\ (\log\rho(Q) = {self.theory_rate:.4g}),\quad"
            rf"\lambda_{{\mathrm{{Lyap}}}} \approx {self.lyapunov_exponent:.4g}"
        )

    def __str__(self) -> str:
        lo, hi = self.mean_square_ci
        llo, lhi = self.lyapunov_ci
        return (
            f"Monte Carlo ({self.sampling}, B = {self.batch}, eta = {self.eta:.6g}, "
            f"{self.runs} runs x {self.steps} steps, seed {self.seed}):\n"
            f"  mean square: per-step log growth {self.mean_square_rate:.4g} "
            f"(bootstrap 95% [{lo:.4g}, {hi:.4g}], effective runs {self.mean_square_ess:.1f}; "
            f"theory log rho(Q) = {self.theory_rate:.4g}); heavy-tailed, trust only with many effective runs\n"
            f"  almost sure: Lyapunov exponent {self.lyapunov_exponent:.4g} (95% [{llo:.4g}, {lhi:.4g}])"
        )


def _log_mean_exp(x: np.ndarray, axis=-1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # all runs hit exactly 0: the result is -inf
    with np.errstate(divide="ignore"):
        return (m + np.log(np.mean(np.exp(x - m), axis=axis, keepdims=True))).squeeze(axis)


def monte_carlo(hessians, batch: int, eta, sampling: str = "bernoulli", runs: int = 1000,
                steps: int = 100, seed: int = 0) -> MonteCarloResult:
    """Simulate linearised SGD ``w <- (I - eta Hhat) w`` and report mean-square and
    almost-sure growth separately (MATH.md §2, last bullet).

    Each run starts from an independent uniformly random unit vector in the range of
    H; norms are renormalised every step and their logarithms accumulated, so no
    overflow occurs.

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
    batch : int
    eta : number
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    runs, steps : int
        Number of independent runs and steps per run.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same result.

    Returns
    -------
    MonteCarloResult

    Examples
    --------
    >>> hs = coherence_construction(4, 2)
    >>> mc = monte_carlo(hs, batch=2, eta=1, runs=200, steps=50, seed=1)
    >>> mc.lyapunov_exponent < 0 and mc.theory_rate < 0
    True
    >>> mc == monte_carlo(hs, batch=2, eta=1, runs=200, steps=50, seed=1)
    True
    """
    hs = _validate(hessians)
    batch = _validate_batch(hs.n, batch, sampling)
    _, eta_f = _parse_eta(eta)
    for name, v in (("runs", runs), ("steps", steps)):
        if isinstance(v, bool) or not isinstance(v, (Integral, np.integer)) or v < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {v!r}")
    n = hs.n
    H = hs.floats.mean(axis=0)
    lam, U = np.linalg.eigh(H)
    U = U[:, lam > _FLOAT_PSD_TOL * max(1.0, float(lam[-1]))]
    r = U.shape[1]
    if r == 0:
        raise InvalidInputError("H = 0: nothing moves, there is nothing to simulate")
    K = np.einsum("ai,kab,bj->kij", U, hs.floats, U).reshape(n, r * r)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((runs, r))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    log_norm = np.zeros(runs)
    rows = np.arange(runs)[:, None]
    for _ in range(steps):
        if sampling == "bernoulli":
            counts = (rng.random((runs, n)) < batch / n).astype(float)
        elif sampling == "without_replacement":
            chosen = np.argsort(rng.random((runs, n)), axis=1)[:, :batch]
            counts = np.zeros((runs, n))
            counts[rows, chosen] = 1.0
        else:
            draws = rng.integers(0, n, size=(runs, batch))
            counts = np.zeros((runs, n))
            np.add.at(counts, (np.broadcast_to(rows, draws.shape), draws), 1.0)
        Hhat = (counts @ K).reshape(runs, r, r) / batch
        w = w - eta_f * np.einsum("rij,rj->ri", Hhat, w)
        norms = np.linalg.norm(w, axis=1)
        with np.errstate(divide="ignore"):
            log_norm += np.log(norms)
        w /= np.where(norms > 0, norms, 1.0)[:, None]
    finite = np.isfinite(log_norm)
    log_sq = 2 * log_norm
    if not finite.all():  # a run hit exactly zero: it converged
        log_sq = np.where(finite, log_sq, -np.inf)
    ms_rate = float(_log_mean_exp(log_sq) / steps)
    top = np.max(log_sq)
    weights = np.exp(log_sq - top) if np.isfinite(top) else np.zeros(runs)
    ess = float(weights.sum() ** 2 / np.sum(weights**2)) if weights.sum() > 0 else 0.0
    boot_rng = np.random.default_rng([seed, 1])
    boot = boot_rng.integers(0, runs, size=(200, runs))
    boot_rates = np.sort(_log_mean_exp(log_sq[boot], axis=1) / steps)
    ms_ci = (float(boot_rates[4]), float(boot_rates[194]))  # 2.5% and 97.5% of 200
    per_run = np.where(finite, log_norm, -np.inf) / steps
    lyap = float(np.mean(per_run))
    se = float(np.std(per_run, ddof=1) / math.sqrt(runs)) if runs > 1 and np.all(np.isfinite(per_run)) else math.inf
    theory = math.log(spectral_radius(hs, batch, eta_f, sampling))
    return MonteCarloResult(
        sampling=sampling, batch=batch, eta=eta_f, runs=int(runs), steps=int(steps), seed=seed,
        mean_square_rate=ms_rate, mean_square_ci=ms_ci, mean_square_ess=ess, theory_rate=theory,
        lyapunov_exponent=lyap, lyapunov_ci=(lyap - 1.96 * se, lyap + 1.96 * se),
    )


# --------------------------------------------------------------------------- plot


def plot_stability_map(n: int = 12, eta="3/2", batches=None, sigmas=None, runs: int = 400,
                       steps: int = 60, seed: int = 0, path=None):
    """Stability map over (B, sigma) for the construction, theory vs Monte Carlo.

    For each sigma the construction is scaled so that ``lambda_1(H) = 1``
    (``a = n / sigma``); the Bernoulli theory boundary is then
    ``eta (1 + (n/B - 1)/sigma) = 2``, i.e. ``sigma = (n/B - 1) / (2/eta - 1)``.
    Markers show the Monte Carlo verdicts: mean square by colour (blue = the
    simulated second moment decays, red = it grows) and almost sure by shape
    (circle = Lyapunov interval below 0, cross otherwise).

    Parameters
    ----------
    n : int
    eta : number in (1, 2)
        Step size (with ``lambda_1(H) = 1``, GD is stable iff eta < 2).
    batches, sigmas : sequences of int, optional
        Grid; default all ``1..n``.
    runs, steps, seed : int
        Monte Carlo parameters (Bernoulli sampling).
    path : str or path-like, optional
        Where to save the figure (PNG).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_stability_map(n=4, eta="3/2", runs=20, steps=10)
    >>> len(fig.axes)
    1
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    eta_q, eta_f = _parse_eta(eta)
    if not 0 < eta_f < 2:
        raise InvalidInputError("eta must lie in (0, 2) for the map (lambda_1(H) = 1)")
    batches = list(range(1, n + 1)) if batches is None else [int(b) for b in batches]
    sigmas = list(range(1, n + 1)) if sigmas is None else [int(s) for s in sigmas]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    b_fine = np.linspace(1, n, 400)
    ax.plot(b_fine, (n / b_fine - 1) / (2 / eta_f - 1), "k-", label="theory boundary (Bernoulli)")
    for k, (B, s) in enumerate((B, s) for B in batches for s in sigmas):
        hs = coherence_construction(n, s, Fraction(n, s))
        mc = monte_carlo(hs, B, eta_f, "bernoulli", runs=runs, steps=steps, seed=seed + k)
        ms_stable = mc.mean_square_rate < 0
        marker = "o" if mc.almost_surely_convergent else "x"
        color = "tab:blue" if ms_stable else "tab:red"
        ax.scatter([B], [s], marker=marker, c=color, s=30)
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(0.5, n + 0.5)
    ax.set_xlabel("batch size B")
    ax.set_ylabel(r"coherence $\sigma$")
    ax.set_title(rf"construction, $n={n}$, $\eta\lambda_1(H)={eta_f:g}$: blue = MC mean-square decays;"
                 "\n" r"o = a.s. convergent (Lyapunov < 0), x = not", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
