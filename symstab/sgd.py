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
largest root.  Float input uses float64 linear algebra; large rational input uses
float64 too unless a precision ``dps=`` is given, in which case the threshold is
computed with mpmath in a private context at that precision (never the global one).

:func:`per_sample_hessians` takes the ``H_i`` from a :class:`~symstab.network.LinearNetwork`
at an exact point where every per-sample gradient vanishes (an interpolating minimum).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral

import mpmath
import numpy as np
import sympy
from flint import fmpq, fmpq_mat, fmpq_poly

from .errors import InvalidInputError, ShapeError, SymbolicDataError
from .files import save_figure
from .exact.matrices import object_array
from .exact.numbers import parse_number
from .network import gradient_from_weights, hessian_from_weights

__all__ = [
    "SAMPLINGS",
    "Coherence",
    "StabilityAnalysis",
    "MonteCarloResult",
    "coherence",
    "per_sample_hessians",
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

#: Default decimal precision of ``method="mpmath"`` when no ``dps=`` is given.
DEFAULT_DPS = 30

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
    if isinstance(matrix, fmpq_mat):
        return [[matrix[i, j] for j in range(matrix.ncols())] for i in range(matrix.nrows())]
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

    ``nonuniformity`` is Wu, Ma & E's non-uniformity (NeurIPS 2018, "How SGD selects
    the global minima in over-parameterized learning", section 3)
    ``s = sqrt(lambda_max((1/n) sum_i H_i^2 - H^2))``; the matrix under the root equals
    ``(1/n) sum_i (H_i - H)^2``, so it is PSD.  It is exact (a sympy square root of an
    algebraic number) for rational input and a float otherwise.
    """

    S: sympy.Matrix
    sigma: object
    sigma_float: float
    lambda_1_S: object
    max_lambda_1: object
    nonuniformity: object
    nonuniformity_float: float

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
            "nonuniformity": _fmt(self.nonuniformity),
            "nonuniformity_float": self.nonuniformity_float,
            "exact": self.exact,
        }

    def latex(self) -> str:
        """LaTeX rendering of sigma and the non-uniformity s."""
        sig = sympy.latex(self.sigma) if self.exact else f"{self.sigma_float:.6g}"
        s = (sympy.latex(self.nonuniformity) if isinstance(self.nonuniformity, sympy.Basic)
             else f"{self.nonuniformity_float:.6g}")
        return (
            r"\sigma = \frac{\lambda_1(S)}{\max_i \lambda_1(H_i)} = " + sig
            + r", \quad S_{ij} = \sqrt{\operatorname{tr}(H_i H_j)}"
            + r", \quad s = \sqrt{\lambda_{\max}\big(\tfrac1n\textstyle\sum_i H_i^2 - H^2\big)} = " + s
        )

    def __str__(self) -> str:
        return (f"coherence sigma = {_short(self.sigma)} (~ {self.sigma_float:.6g}), "
                f"non-uniformity s = {_short(self.nonuniformity)} (~ {self.nonuniformity_float:.6g}), "
                f"n = {self.S.rows}")


def _nonuniformity(hs: "_Hessians"):
    """Wu-Ma-E non-uniformity ``s = sqrt(lambda_max(mean_i H_i^2 - H^2))``: (exact or float, float)."""
    if hs.exact is None:
        f = hs.floats
        Hf = f.mean(axis=0)
        V = np.einsum("kab,kbc->ac", f, f) / hs.n - Hf @ Hf
        top = max(0.0, float(np.linalg.eigvalsh((V + V.T) / 2)[-1]))
        return math.sqrt(top), math.sqrt(top)
    H = _mean_exact(list(hs.exact))
    V = _mean_exact([m * m for m in hs.exact]) - H * H
    top = _largest_real_root(V.charpoly())
    value = sympy.sqrt(top.expr)
    return value, float(sympy.N(value, 30))


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
        ``n <= 2``, else a float), ``.sigma_float``, and Wu-Ma-E's non-uniformity
        ``.nonuniformity`` (exact for rational input) / ``.nonuniformity_float``.

    Examples
    --------
    >>> c = coherence([[[1, 0], [0, 0]], [[1, 0], [0, 0]], [[0, 0], [0, 1]]])
    >>> c.sigma
    2
    >>> c.nonuniformity
    sqrt(2)/3
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
        s_value, s_float = _nonuniformity(hs)
        return Coherence(S, sigma, sigma, lam_S_float, lam_H_float, s_value, s_float)
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
    s_value, s_float = _nonuniformity(hs)
    if lam_S is None:
        sigma = lam_S_float / float(sympy.N(top.expr, 30))
        return Coherence(S, sigma, sigma, lam_S_float, top.expr, s_value, s_float)
    sigma = sympy.radsimp(lam_S / top.expr) if not isinstance(top.expr, sympy.CRootOf) else lam_S / top.expr
    return Coherence(S, sigma, float(sympy.N(sigma, 30)), lam_S, top.expr, s_value, s_float)


# --------------------------------------------------------------------------- networks


def per_sample_hessians(net, theta, *, require_interpolation: bool = True) -> list:
    """Per-sample Hessians ``H_i`` of a linear network at an exact point (MATH.md §2, scope 1).

    Normalisation.  Every loss convention of :class:`~symstab.network.LinearNetwork`
    is ``L = c sum_i ||mu x_i - y_i||^2`` with ``c = net.loss_scale`` (``"half"`` is
    a *sum* over samples with ``c = 1/2``; ``"mean"`` has ``c = 1/n``).  MATH.md §2
    needs ``H = (1/n) sum_i H_i``, so ``H_i`` is ``n`` times the Hessian of the
    ``i``-th term: ``H_i = Hess(n c ||mu x_i - y_i||^2)``, and then
    ``mean_i H_i = Hess L`` exactly, whatever the convention.  (With ``loss="mean"``,
    ``H_i`` is the Hessian of ``||mu x_i - y_i||^2``, the paper's per-sample loss.)

    Each ``H_i`` comes from the network's own formulas
    (:func:`~symstab.network.hessian_from_weights` and
    :func:`~symstab.network.gradient_from_weights` with data ``x_i x_i^T`` and
    ``y_i x_i^T``), the ones behind ``LinearNetwork.hessian_at``: a one-sample
    ``LinearNetwork`` cannot be built when ``d_0 > 1``, as ``x_i x_i^T`` is singular.

    Paper B's linearisation assumes every per-sample gradient vanishes at theta
    (an interpolating minimum); this is checked exactly.

    Parameters
    ----------
    net : LinearNetwork
        With numeric (not symbolic) data.
    theta : sequence of exact numbers
        A point, flat in ``net.param_names`` order (ints, Fractions, ``"a/b"`` strings).
    require_interpolation : bool
        If True (default) raise when some per-sample gradient is non-zero; if
        False only warn (the ``H_i`` still average to ``Hess L``, but SGD's
        linearisation about theta then has a drift term these Hessians ignore).

    Returns
    -------
    list of sympy.Matrix
        ``n`` exact ``D x D`` matrices, accepted by every function of this module.

    Raises
    ------
    InvalidInputError
        When theta is not exact, or (with ``require_interpolation``) some
        per-sample gradient does not vanish: the message names the samples.

    Examples
    --------
    >>> from symstab.network import LinearNetwork
    >>> net = LinearNetwork(widths=(1, 1, 2), X=[[1, 2]], Y=[[3, 6], [4, 8]])
    >>> hs = per_sample_hessians(net, [1, 3, 4])
    >>> hs[0]
    Matrix([
    [50, 6, 8],
    [ 6, 2, 0],
    [ 8, 0, 2]])
    >>> (hs[0] + hs[1]) / 2 == sympy.Matrix(net.hessian_at([1, 3, 4]).tolist())
    True
    """
    net.require_numeric("per-sample Hessians")
    weights = net.exact_weights(theta)
    n = net.n
    c = net.loss_scale_fmpq

    def q(v):
        return fmpq(int(v.p), int(v.q))

    hessians, offending = [], []
    for i in range(n):
        x, y = net.X[:, i], net.Y[:, i]
        sigma_i = object_array([[q(a * b) for b in x] for a in x])
        yxt_i = object_array([[q(a * b) for b in x] for a in y])
        grad = gradient_from_weights(weights, sigma_i, yxt_i, c)
        if any(g != 0 for block in grad for g in block.flat):
            offending.append(i)
        hess = hessian_from_weights(weights, sigma_i, yxt_i, c * n)
        hessians.append(sympy.Matrix([[_to_sympy(h) for h in row] for row in hess]))
    if offending:
        message = (
            f"theta is not an interpolating minimum: the per-sample gradients of samples "
            f"{offending} do not vanish (paper B's linearisation assumes they all do)"
        )
        if require_interpolation:
            raise InvalidInputError(message)
        warnings.warn(message, stacklevel=2)
    return hessians


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
    eta_star: object  # sympy expr (exact), sympy.Float (mpmath) or float; infinity if H = 0
    eta_star_float: float
    lam: _Algebraic | None  # exact lambda_max(C^{-1} D), when exact
    method: str = "exact"  # which path computed it: "exact", "mpmath" or "float"


def _mpmath_threshold(exact_mats, alpha: Fraction, beta: Fraction, dps: int) -> _Threshold:
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
    H_exact = _mean_exact(list(exact_mats))
    r = H_exact.rank()
    if r == 0:
        return _Threshold(sympy.oo, math.inf, None, "mpmath")

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
    return _Threshold(sympy.Float(eta, dps), float(eta), None, "mpmath")


def _threshold(hs: _Hessians, batch: int, sampling: str, method: str, dps: int | None = None) -> _Threshold:
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
            return _Threshold(sympy.oo, math.inf, None)
        lam = _largest_real_root((C.inv() * D).charpoly())
        expr = 2 / lam.expr
        if isinstance(lam.expr, sympy.Pow) or lam.poly.degree() == 2:
            expr = sympy.radsimp(expr)
        return _Threshold(expr, 2 / lam.value, lam)
    if hs.exact is not None and (method == "mpmath" or dps is not None):
        return _mpmath_threshold(hs.exact, alpha, beta, DEFAULT_DPS if dps is None else int(dps))
    Cdiag, D, r = _float_operators(hs.floats, float(alpha), float(beta))
    if r == 0:
        return _Threshold(math.inf, math.inf, None, "float")
    s = 1 / np.sqrt(Cdiag)
    top = float(np.linalg.eigvalsh(s[:, None] * D * s[None, :])[-1])
    return _Threshold(2 / top, 2 / top, None, "float")


def mean_square_threshold(hessians, batch: int, sampling: str = "bernoulli", method: str = "auto",
                          dps: int | None = None):
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
    hs = _validate(hessians)
    batch = _validate_batch(hs.n, batch, sampling)
    return _threshold(hs, batch, sampling, method, dps).eta_star


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
    """Paper B's divergence conditions and the exact mean-square threshold for a batch size B,
    at one step size eta or, when ``eta`` is None, as step-size thresholds.

    ``implied_thresholds`` maps each *sufficient divergence* condition to the step
    size above which it holds (the condition holds iff ``eta > threshold``):

    * ``"sharpness"``: Bernoulli sampling uses the exact factor
      ``eta lambda_1 (1 + 1/B - 1/n) > 2``; the other models use ``lambda_1 > 2/eta``.
    * ``"coherence"`` (Bernoulli sampling only): ``lambda_1 > (sigma/eta) (n/B - 1)^(-1/2)``;
      never holds when ``B >= n``.  It is not reported for the other models because
      it is false there: for ``H_1 = diag(0, 1)``, ``H_2 = diag(0, 4)``, ``B = 1`` it
      holds for ``eta > 1/2`` while uniform sampling (with or without replacement) is
      mean-square stable up to ``eta* = 10/17``.

    Both are sufficient conditions, so every implied threshold is at least ``eta*``;
    ``tightness[name] = eta* / threshold`` lies in ``[0, 1]`` and equals 1 when the
    condition is sharp on this case.

    With a step size, ``conditions`` maps each name to whether it holds at ``eta``
    and ``stable`` is ``eta < eta_star`` (strict: at ``eta = eta_star`` the second
    moment does not decay; ``marginal`` is then True).  Without one (``eta is None``)
    ``conditions`` maps each name to None and ``stable``/``marginal`` are None:
    evaluating at ``eta = eta*`` instead would carry no information, since both
    conditions are always false there.

    ``nonuniformity`` is Wu-Ma-E's ``s`` (see :class:`Coherence`);
    ``threshold_method`` says which path computed ``eta_star``
    (``"exact"``, ``"mpmath"`` or ``"float"``).
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
    stable: bool | None
    marginal: bool | None
    nonuniformity: object = None
    nonuniformity_float: float = math.nan
    threshold_method: str = "exact"

    @property
    def tightness(self) -> dict:
        """``eta* / threshold`` for each condition (None when ``H = 0``)."""
        out = {}
        for name, t in self.implied_thresholds.items():
            t_f = float(t)
            if math.isinf(self.eta_star_float):
                out[name] = None
            else:
                out[name] = 0.0 if math.isinf(t_f) else self.eta_star_float / t_f
        return out

    def to_dict(self) -> dict:
        """JSON-ready dictionary: exact values as strings, floats as floats.

        ``conditions`` holds booleans when a step size was given; without one it
        maps each condition to ``{"holds_iff_eta_above", "threshold_float",
        "tightness"}`` and ``stable`` is None.
        """
        def threshold(v):
            return _fmt(v) if isinstance(v, sympy.Basic) and v.is_finite else float(v)

        tight = self.tightness
        if self.eta is None:
            conditions = {
                k: {"holds_iff_eta_above": threshold(v), "threshold_float": float(v), "tightness": tight[k]}
                for k, v in self.implied_thresholds.items()
            }
        else:
            conditions = dict(self.conditions)
        return {
            "n": self.n,
            "batch": self.batch,
            "eta": None if self.eta is None else (_fmt(self.eta) if not isinstance(self.eta, float) else self.eta),
            "sampling": self.sampling,
            "lambda_1": _fmt(self.lambda_1) if isinstance(self.lambda_1, sympy.Basic) else self.lambda_1_float,
            "lambda_1_float": self.lambda_1_float,
            "sigma": _fmt(self.sigma) if isinstance(self.sigma, sympy.Basic) else self.sigma_float,
            "sigma_float": self.sigma_float,
            "nonuniformity": (_fmt(self.nonuniformity) if isinstance(self.nonuniformity, sympy.Basic)
                              else self.nonuniformity_float),
            "nonuniformity_float": self.nonuniformity_float,
            "conditions": conditions,
            "implied_thresholds": {k: threshold(v) for k, v in self.implied_thresholds.items()},
            "tightness": tight,
            "eta_star": _fmt(self.eta_star) if isinstance(self.eta_star, sympy.Basic) and self.eta_star.is_finite
            else self.eta_star_float,
            "eta_star_float": self.eta_star_float,
            "threshold_method": self.threshold_method,
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
            rf"s &= {tex(self.nonuniformity, self.nonuniformity_float)}",
            rf"\eta^* &= {tex(self.eta_star, self.eta_star_float)} \approx {self.eta_star_float:.6g}",
        ]
        if self.eta is not None:
            lines.append(rf"\eta &= {tex(self.eta, float(self.eta))}\ "
                         rf"(\text{{{'stable' if self.stable else 'not stable'}}})")
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"

    def __str__(self) -> str:
        head = (f"SGD stability ({self.sampling}, n = {self.n}, B = {self.batch}"
                + (f", eta = {_short(self.eta)}):\n" if self.eta is not None else "):\n")
                + f"  lambda_1(H) = {_short(self.lambda_1)} (~ {self.lambda_1_float:.6g})\n"
                f"  sigma = {_short(self.sigma)} (~ {self.sigma_float:.6g}), "
                f"non-uniformity s = {_short(self.nonuniformity)} (~ {self.nonuniformity_float:.6g})\n")
        star = f"  eta* = {_short(self.eta_star)} (~ {self.eta_star_float:.6g}, {self.threshold_method})"
        tight = self.tightness
        if self.eta is None:
            conds = "\n".join(
                f"    {k}: holds iff eta > {_short(v)} (~ {float(v):.6g}); eta*/threshold = "
                + ("n/a" if tight[k] is None else f"{tight[k]:.6g}")
                for k, v in self.implied_thresholds.items())
            return head + "  divergence conditions (sufficient):\n" + conds + "\n" + star
        conds = ", ".join(f"{k}: {'holds' if v else 'does not hold'}" for k, v in self.conditions.items())
        verdict = "mean-square stable" if self.stable else ("marginal" if self.marginal else "mean-square divergent")
        return head + f"  divergence conditions: {conds}\n" + star + f": {verdict}"


def analyze(hessians, batch: int, eta=None, sampling: str = "bernoulli", method: str = "auto",
            dps: int | None = None) -> StabilityAnalysis:
    """Evaluate paper B's divergence conditions and the exact threshold (MATH.md §2, B1-B2).

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        As in :func:`coherence`.
    batch : int
        Batch size B.
    eta : int, Fraction, str or float, optional
        Step size; exact types give exact decisions.  Without it the conditions are
        reported only as step-size thresholds (see :class:`StabilityAnalysis`).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    method : {"auto", "exact", "float", "mpmath"}
        Passed to :func:`mean_square_threshold`, with ``dps``.
    dps : int, optional

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
    >>> r = analyze(coherence_construction(12, 3), batch=4)
    >>> r.eta_star, r.implied_thresholds["coherence"], r.stable
    (24/5, 6*sqrt(2), None)
    """
    hs = _validate(hessians)
    batch = _validate_batch(hs.n, batch, sampling)
    eta_q, eta_f = _parse_eta(eta) if eta is not None else (None, None)
    n = hs.n
    coh = coherence(hs)
    thr = _threshold(hs, batch, sampling, method, dps)
    factor = (1 + Fraction(1, batch) - Fraction(1, n)) if sampling == "bernoulli" else Fraction(1)
    ratio = Fraction(n, batch) - 1  # n/B - 1
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
    if eta is None:
        conditions = {name: None for name in thresholds}
        stable = marginal = eta_out = None
    else:
        conditions = {}
        for name, t in thresholds.items():
            if isinstance(t, sympy.Basic) and eta_q is not None:
                conditions[name] = bool(t.is_finite) and _sign(_to_sympy(eta_q) - t) > 0
            else:
                conditions[name] = eta_f > float(t)
        if hs.exact is not None and eta_q is not None and thr.lam is not None:
            # eta < eta* = 2/lam  <=>  lam < 2/eta
            cmp = thr.lam.compare(2 / eta_q)
            stable, marginal = cmp < 0, cmp == 0
        elif eta_q is not None and isinstance(thr.eta_star, sympy.Float):  # mpmath: decided at dps digits
            gap = thr.eta_star - _to_sympy(eta_q)
            stable, marginal = bool(gap > 0), bool(gap == 0)
        else:
            stable, marginal = eta_f < thr.eta_star_float, eta_f == thr.eta_star_float
        stable, marginal = bool(stable), bool(marginal)
        eta_out = _to_sympy(eta_q) if eta_q is not None else eta_f
    return StabilityAnalysis(
        n=n, batch=batch, eta=eta_out, sampling=sampling,
        lambda_1=lambda_1, lambda_1_float=float(lambda_1_f),
        sigma=coh.sigma, sigma_float=coh.sigma_float,
        conditions=conditions, implied_thresholds=thresholds,
        eta_star=thr.eta_star, eta_star_float=float(thr.eta_star_float),
        stable=stable, marginal=marginal,
        nonuniformity=coh.nonuniformity, nonuniformity_float=coh.nonuniformity_float,
        threshold_method=thr.method,
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
    if finite.all():
        per_run = log_norm / steps
        lyap = float(np.mean(per_run))
        se = float(np.std(per_run, ddof=1) / math.sqrt(runs)) if runs > 1 else math.inf
    else:
        # A run reached exactly 0: some batch gave I - eta Hhat = 0 on it.  Batches are
        # i.i.d., so that event recurs with positive probability and almost every run
        # reaches 0 in finite time: the exponent is -inf (not a NaN interval).
        lyap, se = -math.inf, 0.0
    theory = math.log(spectral_radius(hs, batch, eta_f, sampling))
    lyap_ci = (lyap, lyap) if se == 0 else (lyap - 1.96 * se, lyap + 1.96 * se)
    return MonteCarloResult(
        sampling=sampling, batch=batch, eta=eta_f, runs=int(runs), steps=int(steps), seed=seed,
        mean_square_rate=ms_rate, mean_square_ci=ms_ci, mean_square_ess=ess, theory_rate=theory,
        lyapunov_exponent=lyap, lyapunov_ci=lyap_ci,
    )


# --------------------------------------------------------------------------- plot


def plot_stability_map(n: int = 12, eta="3/2", batches=None, sigmas=None, runs: int = 2000,
                       steps: int = 20, seed: int = 0, path=None, min_effective_runs: float = 5):
    """Stability map over (B, sigma) for the construction, theory vs Monte Carlo.

    For each sigma the construction is scaled so that ``lambda_1(H) = 1``
    (``a = n / sigma``); the Bernoulli theory boundary is then
    ``eta (1 + (n/B - 1)/sigma) = 2``, i.e. ``sigma = (n/B - 1) / (2/eta - 1)``.
    The theory-stable side is shaded.  Markers show the Monte Carlo verdicts: mean
    square by colour (blue = the simulated second moment decays, red = it grows)
    and almost sure by shape (circle = Lyapunov interval below 0, cross otherwise);
    red circles are the heavy-tail regime of MATH.md §2 (typical runs converge,
    the mean square diverges).  Grey means the simulated mean square is carried by
    fewer than ``min_effective_runs`` runs (see :class:`MonteCarloResult`), so the
    sample gives no mean-square verdict; near and beyond the boundary this is
    common, precisely because the mean square is heavy-tailed.  The figure is a bare ``matplotlib.figure.Figure``
    with an Agg canvas: pyplot and the global backend are left alone.

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
    min_effective_runs : float
        Below this effective number of runs the mean-square verdict is shown as undecided.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_stability_map(n=4, eta="3/2", runs=20, steps=10)
    >>> len(fig.axes)
    1
    """
    # A bare Figure with its own Agg canvas: no pyplot, no global backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    eta_q, eta_f = _parse_eta(eta)
    if not 0 < eta_f < 2:
        raise InvalidInputError("eta must lie in (0, 2) for the map (lambda_1(H) = 1)")
    batches = list(range(1, n + 1)) if batches is None else [int(b) for b in batches]
    sigmas = list(range(1, n + 1)) if sigmas is None else [int(s) for s in sigmas]
    fig = Figure(figsize=(8, 4.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    from matplotlib.lines import Line2D

    b_fine = np.linspace(0.5, n + 0.5, 400)
    boundary = (n / b_fine - 1) / (2 / eta_f - 1)
    ax.fill_between(b_fine, boundary, n + 0.5, color="tab:blue", alpha=0.08, linewidth=0)
    ax.plot(b_fine, boundary, "k-")
    for k, (B, s) in enumerate((B, s) for B in batches for s in sigmas):
        hs = coherence_construction(n, s, Fraction(n, s))
        mc = monte_carlo(hs, B, eta_f, "bernoulli", runs=runs, steps=steps, seed=seed + k)
        marker = "o" if mc.almost_surely_convergent else "x"
        if mc.mean_square_ess < min_effective_runs:  # the sample mean is one or two runs: no verdict
            color = "0.6"
        else:
            color = "tab:blue" if mc.mean_square_rate < 0 else "tab:red"
        ax.scatter([B], [s], marker=marker, c=color, s=30)
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(0.5, n + 0.5)
    ax.set_xlabel("batch size B")
    ax.set_ylabel(r"coherence $\sigma$")
    ax.set_title(rf"paper B's construction, $n={n}$, Bernoulli sampling, $\eta\lambda_1(H)={eta_f:g}$;"
                 f"\nMonte Carlo: {runs} runs x {steps} steps per point, seed {seed}", fontsize=9)
    handles = [
        Line2D([], [], color="k", label="theory: $\\eta^*$ boundary\n(shaded: stable)"),
        Line2D([], [], ls="", marker="s", color="tab:blue", label="colour: MC mean square decays"),
        Line2D([], [], ls="", marker="s", color="tab:red", label="colour: MC mean square grows"),
        Line2D([], [], ls="", marker="s", color="0.6",
               label=f"colour: MC mean square undecided\n(< {min_effective_runs:g} effective runs)"),
        Line2D([], [], ls="", marker="o", color="k", label="shape o: almost surely convergent"),
        Line2D([], [], ls="", marker="x", color="k", label="shape x: not a.s. convergent"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


@dataclass(frozen=True)
class OptimalityGap:
    """How tight paper B's divergence conditions are on the near-optimality construction.

    One row per ``(sigma, B)``: the exact Bernoulli threshold ``eta*``, the step sizes
    above which the sharpness and the coherence conditions claim divergence, and the
    tightness ``eta* / threshold`` (1 = the condition is exact; smaller = looser).
    """

    n: int
    scale: object
    rows: tuple

    def table(self) -> str:
        head = f"{'sigma':>5} {'B':>4} {'n/B':>7} {'eta*':>10} {'sharp thr':>10} {'coh thr':>10} {'tight sharp':>11} {'tight coh':>10}"
        lines = [head]
        for r in self.rows:
            lines.append(
                f"{r['sigma']:>5} {r['batch']:>4} {r['n_over_B']:>7.3f} {r['eta_star_float']:>10.4g} "
                f"{r['sharpness_threshold_float']:>10.4g} {r['coherence_threshold_float']:>10.4g} "
                f"{r['tightness_sharpness']:>11.3f} {r['tightness_coherence']:>10.3f}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"n": self.n, "scale": str(self.scale), "sampling": "bernoulli", "rows": list(self.rows)}

    def __str__(self) -> str:
        return self.table()

    def plot(self, path=None):
        """Tightness of the coherence condition vs n/B, one line per sigma (PNG/PDF by extension)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 4.2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        for sigma in sorted({r["sigma"] for r in self.rows}):
            pts = sorted((r["n_over_B"], r["tightness_coherence"]) for r in self.rows if r["sigma"] == sigma)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"sigma = {sigma}")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("n / B")
        ax.set_ylabel("eta* / coherence-condition threshold")
        ax.set_title(f"Tightness of the coherence condition (construction, n = {self.n}, Bernoulli)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        if path is not None:
            save_figure(fig, path)
        return fig


def optimality_gap(n: int, sigmas=None, batches=None, scale=1) -> OptimalityGap:
    """Tightness of the divergence conditions on :func:`coherence_construction`, over (sigma, B).

    Parameters
    ----------
    n : int
        Number of samples.
    sigmas, batches : iterables of int, optional
        Coherence values ``1 <= sigma <= n`` and batch sizes ``1 <= B < n`` (default: all
        divisors-like grids ``{1, 2, ..., n}`` and ``{1, ..., n - 1}``).
    scale : exact number
        The rank-one scale ``a`` (the tightness does not depend on it).

    Returns
    -------
    OptimalityGap

    Examples
    --------
    >>> gap = optimality_gap(12, sigmas=[3], batches=[4])
    >>> row = gap.rows[0]
    >>> row["eta_star"], row["coherence_threshold"]
    ('24/5', '6*sqrt(2)')
    """
    sigmas = list(sigmas) if sigmas is not None else list(range(1, n + 1))
    batches = list(batches) if batches is not None else list(range(1, n))
    rows = []
    for sigma in sigmas:
        hs = coherence_construction(n, sigma, scale)
        for batch in batches:
            if not 1 <= batch < n:
                raise InvalidInputError(f"batch sizes must satisfy 1 <= B < n = {n} (the coherence condition needs B < n)")
            result = analyze(hs, batch=batch, sampling="bernoulli")
            thresholds = result.implied_thresholds
            rows.append({
                "sigma": sigma,
                "batch": batch,
                "n_over_B": n / batch,
                "eta_star": sympy.sstr(result.eta_star),
                "eta_star_float": float(result.eta_star_float),
                "sharpness_threshold": sympy.sstr(thresholds["sharpness"]),
                "sharpness_threshold_float": float(thresholds["sharpness"]),
                "coherence_threshold": sympy.sstr(thresholds["coherence"]),
                "coherence_threshold_float": float(thresholds["coherence"]),
                "tightness_sharpness": float(result.tightness["sharpness"]),
                "tightness_coherence": float(result.tightness["coherence"]),
            })
    return OptimalityGap(n=n, scale=scale, rows=tuple(rows))
