"""The input of paper B's results B1-B3: per-sample Hessians (checked, or from a network), batch and step sizes.

Every result of paper B (docs/theory.md, B) is stated for per-sample Hessians
``H_i`` (symmetric PSD, equal size) at a minimum where every per-sample gradient
vanishes.  This module checks such input once and keeps it in two forms
(:class:`Hessians`): exact (python-flint ``fmpq_mat``) when every entry is
rational, and always as float64.  It also checks the batch size against the
sampling model (:data:`SAMPLINGS`) and parses the step size, and takes the
``H_i`` from a :class:`~symstab.network.LinearNetwork` at an exact point
(:func:`per_sample_hessians`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import numpy as np
import sympy
from flint import fmpq, fmpq_mat, fmpq_poly

from ..errors import InvalidInputError, ShapeError, SymbolicDataError
from ..exact.algebraic import sign_changes
from ..exact.matrices import fmpq_matrix, object_array, sympy_matrix
from ..exact.numbers import as_fmpq, as_fraction, parse_number
from ..network import gradient_from_weights, hessian_from_weights

__all__ = [
    "FLOAT_PSD_TOL",
    "SAMPLINGS",
    "Hessians",
    "exact_entry",
    "exact_mean",
    "parse_eta",
    "per_sample_hessians",
    "validate_batch",
    "validate_hessians",
]

SAMPLINGS = ("bernoulli", "without_replacement", "with_replacement")

#: Relative tolerance of the float path: symmetry and PSD checks of float input,
#: and the numerical range of H (eigenvalues above it, relative to the largest).
FLOAT_PSD_TOL = 1e-10


@dataclass(frozen=True)
class Hessians:
    """Validated per-sample Hessians: exact (flint) when rational, always as floats."""

    exact: tuple | None  # tuple of fmpq_mat, or None for float input
    floats: np.ndarray  # shape (n, d, d)

    @property
    def n(self) -> int:
        return self.floats.shape[0]

    @property
    def d(self) -> int:
        return self.floats.shape[1]


def exact_entry(value, where):
    """One scalar of user input as a Fraction, or None when it is a float (the float path).

    Not :func:`symstab.exact.numbers.to_exact`: that one turns floats into the
    Fraction of their binary value (with a warning) and keeps polynomials in free
    symbols, whereas paper B's analysis sends float input down a float64 path and
    refuses symbols.

    Parameters
    ----------
    value : int, Fraction, str, float, python-flint fmpq, sympy number or numpy scalar
    where : str
        Where the value comes from, for error messages.

    Returns
    -------
    Fraction or None

    Examples
    --------
    >>> exact_entry("3/4", "eta"), exact_entry(0.5, "eta")
    (Fraction(3, 4), None)
    >>> exact_entry(sympy.Symbol("t"), "hessian 0, entry (0, 0)")
    Traceback (most recent call last):
    ...
    symstab.errors.SymbolicDataError: hessian 0, entry (0, 0): t has free symbols; numbers are needed
    """
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
        return as_fraction(value)
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return as_fraction(value)
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
    """A real symmetric matrix is PSD iff its characteristic polynomial ``p`` has no
    negative root, i.e. (Descartes' rule, exact as all roots are real) ``p(-x)`` has
    no sign change; ``p`` being monic, that is: its coefficients alternate in sign."""
    return sign_changes([-c if k % 2 else c for k, c in enumerate(poly.coeffs())]) == 0


def validate_hessians(hessians) -> Hessians:
    """Check that ``hessians`` is a non-empty list of equal-size symmetric PSD matrices.

    Exact input (ints, Fractions, ``"a/b"`` strings, sympy Rationals, flint ``fmpq``)
    is checked exactly; as soon as one entry is a float, all of them take the float
    path (symmetry and PSD up to :data:`FLOAT_PSD_TOL`, then symmetrised).

    Parameters
    ----------
    hessians : list of square matrices, an array of shape (n, d, d), or a Hessians
        Matrices as lists of rows, sympy matrices, numpy arrays or flint ``fmpq_mat``;
        a :class:`Hessians` is returned as it is.

    Returns
    -------
    Hessians

    Examples
    --------
    >>> hs = validate_hessians([[[1, 0], [0, 0]], [["1/2", 0], [0, 1]]])
    >>> hs.n, hs.d, hs.exact is not None
    (2, 2, True)
    >>> validate_hessians([[[0, 1], [1, 0]]])
    Traceback (most recent call last):
    ...
    symstab.errors.InvalidInputError: hessian 0 is not positive semidefinite
    """
    if isinstance(hessians, Hessians):
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
        [[exact_entry(v, f"hessian {i}, entry ({a}, {b})") for b, v in enumerate(r)] for a, r in enumerate(rows)]
        for i, rows in enumerate(rows_list)
    ]
    is_exact = all(v is not None for m in entries for r in m for v in r)
    if is_exact:
        mats = []
        for i, m in enumerate(entries):
            if any(m[a][b] != m[b][a] for a in range(d) for b in range(a)):
                raise InvalidInputError(f"hessian {i} is not symmetric")
            fm = fmpq_matrix(m)
            if not _charpoly_is_psd(fm.charpoly()):
                raise InvalidInputError(f"hessian {i} is not positive semidefinite")
            mats.append(fm)
        floats = np.array([[[float(v) for v in r] for r in m] for m in entries], dtype=float)
        return Hessians(tuple(mats), floats)
    floats = np.array([[[float(v) for v in r] for r in rows] for rows in rows_list], dtype=float)
    if not np.all(np.isfinite(floats)):
        raise InvalidInputError("hessians contain NaN or infinite entries")
    for i, m in enumerate(floats):
        scale = max(1.0, float(np.max(np.abs(m))))
        if np.max(np.abs(m - m.T)) > FLOAT_PSD_TOL * scale:
            raise InvalidInputError(f"hessian {i} is not symmetric (tolerance {FLOAT_PSD_TOL:g})")
        eig = np.linalg.eigvalsh((m + m.T) / 2)
        if eig[0] < -FLOAT_PSD_TOL * max(1.0, float(eig[-1])):
            raise InvalidInputError(
                f"hessian {i} is not positive semidefinite: eigenvalue {eig[0]:.3g} "
                f"(tolerance {FLOAT_PSD_TOL:g})"
            )
    floats = (floats + np.transpose(floats, (0, 2, 1))) / 2
    return Hessians(None, floats)


def validate_batch(n: int, batch, sampling: str) -> int:
    """The batch size as an int, once it is valid for ``n`` samples and the sampling model.

    Parameters
    ----------
    n : int
        Number of samples.
    batch : int
        Batch size B: ``1 <= B <= n``, except with replacement (any ``B >= 1``).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}

    Returns
    -------
    int

    Examples
    --------
    >>> validate_batch(4, 6, "with_replacement")
    6
    >>> validate_batch(4, 6, "bernoulli")
    Traceback (most recent call last):
    ...
    symstab.errors.InvalidInputError: batch must satisfy 1 <= B <= n = 4 for bernoulli sampling, got 6
    """
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


def parse_eta(eta):
    """A positive step size as ``(exact Fraction or None, float)``; None when ``eta`` is a float.

    Parameters
    ----------
    eta : int, Fraction, str or float

    Returns
    -------
    (Fraction or None, float)

    Examples
    --------
    >>> parse_eta("3/2"), parse_eta(0.25)
    ((Fraction(3, 2), 1.5), (None, 0.25))
    """
    value = exact_entry(eta, "eta")
    as_float = float(value) if value is not None else float(eta)
    if not as_float > 0:
        raise InvalidInputError(f"eta must be positive, got {eta!r}")
    return value, as_float


def exact_mean(mats) -> fmpq_mat:
    """The mean of a non-empty list of python-flint ``fmpq_mat``, exactly.

    Examples
    --------
    >>> print(exact_mean([fmpq_mat([[1, 0]]), fmpq_mat([[0, 1]])]))
    [1/2, 1/2]
    """
    total = mats[0]
    for m in mats[1:]:
        total = total + m
    return total * fmpq(1, len(mats))


# --------------------------------------------------------------------------- networks


def per_sample_hessians(net, theta, *, require_interpolation: bool = True) -> list:
    """Per-sample Hessians ``H_i`` of a linear network at an exact point (docs/theory.md, B, scope 1).

    Normalisation.  Every loss convention of :class:`~symstab.network.LinearNetwork`
    is ``L = c sum_i ||mu x_i - y_i||^2`` with ``c = net.loss_scale`` (``"half"`` is
    a *sum* over samples with ``c = 1/2``; ``"mean"`` has ``c = 1/n``).  docs/theory.md, B
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
        ``n`` exact ``D x D`` matrices, accepted by every function of :mod:`symstab.sgd`.

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
    hessians, offending = [], []
    for i in range(n):
        x, y = net.X[:, i], net.Y[:, i]
        sigma_i = object_array([[as_fmpq(a * b) for b in x] for a in x])
        yxt_i = object_array([[as_fmpq(a * b) for b in x] for a in y])
        grad = gradient_from_weights(weights, sigma_i, yxt_i, c)
        if any(g != 0 for block in grad for g in block.flat):
            offending.append(i)
        hess = hessian_from_weights(weights, sigma_i, yxt_i, c * n)
        hessians.append(sympy_matrix(hess))
    if offending:
        message = (
            f"theta is not an interpolating minimum: the per-sample gradients of samples "
            f"{offending} do not vanish (paper B's linearisation assumes they all do)"
        )
        if require_interpolation:
            raise InvalidInputError(message)
        warnings.warn(message, stacklevel=2)
    return hessians
