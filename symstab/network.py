"""The network layer: linear networks, their data and loss conventions, and the loss formulas.

A :class:`LinearNetwork` holds widths ``(d_0, ..., d_H)``, exact data ``X``
(``d_0 x n``) and ``Y`` (``d_H x n``) and the loss normalisation
(docs/theory.md, section 1). The loss, gradient and Hessian are written once, as formulas on
numpy arrays of *any* scalar type: flint polynomials (the exact polynomial
engine), flint rationals (exact evaluation at a point), arb balls or float64 (numerics).

This module sits on the exact primitives (:mod:`symstab.exact`) and under every
result module. Its one upward reference is deliberate: the convenience methods
of :class:`LinearNetwork` in the section "results, by delegation"
(``net.minima()``, ``net.critical_step_sizes()``, ...) are one-line delegations
to the result modules, imported inside the method. Nothing else in the package
imports upwards, and the result modules call each other directly, never through
these methods.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property
from numbers import Integral

import flint
import numpy as np
import sympy

from .errors import InvalidInputError, ShapeError, SingularDataError, SymbolicDataError
from .exact.matrices import object_array, product_chain, segment
from .exact.numberfield import AlgebraicPoint, algebraic_point, is_field_point
from .exact.numbers import as_fmpq, as_rational, to_exact, to_exact_matrix
from .exact.poly import Ring

LOSSES = {
    "half": "1/2 ||mu X - Y||_F^2",
    "sum": "||mu X - Y||_F^2",
    "mean": "1/n ||mu X - Y||_F^2",
    "half_mean": "1/(2n) ||mu X - Y||_F^2",
}
_LOSS_LATEX = {
    "half": r"\tfrac12\|\mu(\theta)X-Y\|_F^2",
    "sum": r"\|\mu(\theta)X-Y\|_F^2",
    "mean": r"\tfrac1n\|\mu(\theta)X-Y\|_F^2",
    "half_mean": r"\tfrac1{2n}\|\mu(\theta)X-Y\|_F^2",
}
_RESERVED = {"eta", "lam"}


# --- the formulas, generic over the scalar type --------------------------------

def loss_from_weights(weights, X, Y, scale):
    """``scale * ||W_H ... W_1 X - Y||_F^2``."""
    B, A = product_chain(weights)
    R = A[0] @ weights[0] @ X - Y
    return scale * (R * R).sum()


def gradient_from_weights(weights, Sigma, YXt, scale):
    """Gradient blocks ``2 c A_l^T (mu Sigma - Y X^T) B_l^T``, one per layer."""
    B, A = product_chain(weights)
    P = A[0] @ weights[0] @ Sigma - YXt
    return [2 * scale * (A[l].T @ P @ B[l].T) for l in range(len(weights))]


def jacobian_from_weights(weights):
    """``J = D mu`` as a ``d_H d_0 x D`` array: blocks ``A_l (x) B_l^T`` (row-major vec of ``mu``, parameter order).

    Column ``(l, a, b)`` is ``d mu / d (W_l)_{ab} = A_l[:, a] B_l[b, :]`` flattened row-major.
    """
    B, A = product_chain(weights)
    return np.hstack([np.kron(A[l], B[l].T) for l in range(len(weights))])


def jacobian_gram_from_weights(weights):
    """``N = J J^T = sum_l (A_l A_l^T) (x) (B_l^T B_l)`` (``d_H d_0`` square), without forming J.

    On M (filling case) the non-zero Hessian eigenvalues are those of ``2c N (I (x) Sigma)``.
    """
    B, A = product_chain(weights)
    return sum(np.kron(A[l] @ A[l].T, B[l].T @ B[l]) for l in range(len(weights)))


def hessian_from_weights(weights, Sigma, YXt, scale):
    """The Hessian of the loss, as a ``D x D`` array (parameters W1 row-major, W2, ...).

    Gauss-Newton block ``(l, m)``: ``2c kron(A_l^T A_m, B_l Sigma B_m^T)``;
    residual block (``l < m``): entry ``[(a,b), (c,e)] = 2c C[e,a] K[b,c]`` with
    ``C = W_{m-1} ... W_{l+1}`` and ``K = B_l P^T A_m``, ``P = mu Sigma - Y X^T``.
    """
    H = len(weights)
    B, A = product_chain(weights)
    P = A[0] @ weights[0] @ Sigma - YXt
    sizes = [W.size for W in weights]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    D = int(offsets[-1])
    Hess = np.zeros((D, D), dtype=weights[0].dtype)
    for l in range(H):
        for m in range(l, H):
            block = np.kron(A[l].T @ A[m], B[l] @ Sigma @ B[m].T)
            if m > l:
                C = segment(weights, l + 1, m)
                K = B[l] @ P.T @ A[m]
                outer = np.multiply.outer(C.T, K)  # [a, e, b, c]
                block = block + outer.transpose(0, 2, 3, 1).reshape(block.shape)
            block = 2 * scale * block
            Hess[offsets[l]:offsets[l + 1], offsets[m]:offsets[m + 1]] = block
            if m > l:
                Hess[offsets[m]:offsets[m + 1], offsets[l]:offsets[l + 1]] = block.T
    return Hess


# --- the network ----------------------------------------------------------------

MAX_PARAMS = 100_000
MAX_DATA_ENTRIES = 1_000_000


def validate_widths(widths) -> tuple:
    """Widths as a tuple of Python ints >= 1, at least two of them; strict (no bools, floats, strings)."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise InvalidInputError(f"widths must be a sequence of integers, got {widths!r}")
    widths = tuple(widths)
    if any(isinstance(w, bool) or not isinstance(w, Integral) for w in widths):
        raise InvalidInputError(f"widths must be integers, got {widths!r}")
    widths = tuple(int(w) for w in widths)
    if len(widths) < 2:
        raise InvalidInputError(f"need at least two widths (d_0, d_1), got {widths}")
    if min(widths) < 1:
        raise InvalidInputError(f"every width must be at least 1, got {widths}")
    D = sum(a * b for a, b in zip(widths, widths[1:]))
    if D > MAX_PARAMS:
        raise InvalidInputError(
            f"widths {widths} give D = {D} parameters; the exact layer handles at most {MAX_PARAMS}"
        )
    return widths


class LinearNetwork:
    """A linear network ``theta -> W_H ... W_1`` with exact data and a loss convention.

    Parameters
    ----------
    widths : sequence of int
        ``(d_0, d_1, ..., d_H)``, each at least 1, ``H >= 1``.
    X : matrix (``d_0 x n``)
        Inputs, columns are samples. Entries: ints, Fractions, strings ``"a/b"``,
        sympy Rationals, floats (converted exactly, with a warning) or sympy
        polynomials in free symbols (a family of data sets).
    Y : matrix (``d_H x n``)
        Targets, same entry types.
    loss : {"half", "sum", "mean", "half_mean"}
        ``1/2 ||.||^2`` (default), ``||.||^2``, ``1/n ||.||^2`` or ``1/(2n) ||.||^2``.

    Examples
    --------
    >>> net = LinearNetwork(widths=(1, 1, 2), X=[[1]], Y=[[3], [4]])
    >>> net.num_params
    3
    >>> net.param_names
    ('W1_0_0', 'W2_0_0', 'W2_1_0')
    >>> net.loss_expr()
    (W1_0_0*W2_0_0 - 3)**2/2 + (W1_0_0*W2_1_0 - 4)**2/2
    """

    def __init__(self, widths, X, Y, loss: str = "half"):
        widths = validate_widths(widths)
        if not isinstance(loss, str) or loss not in LOSSES:
            raise InvalidInputError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        X = to_exact_matrix(X, name="X")
        Y = to_exact_matrix(Y, name="Y")
        if (len(X) + len(Y)) * len(X[0]) > MAX_DATA_ENTRIES:
            raise InvalidInputError(f"the data has more than {MAX_DATA_ENTRIES} entries")
        if len(X) != widths[0]:
            raise ShapeError(f"X has {len(X)} rows but d_0 = {widths[0]}")
        if len(Y) != widths[-1]:
            raise ShapeError(f"Y has {len(Y)} rows but d_H = {widths[-1]}")
        if len(X[0]) != len(Y[0]):
            raise ShapeError(f"X has {len(X[0])} columns (samples) but Y has {len(Y[0])}")
        self.widths = widths
        self.loss = loss
        self._X = X
        self._Y = Y
        symbols = set()
        for row in X + Y:
            for v in row:
                if isinstance(v, sympy.Basic):
                    symbols |= v.free_symbols
        clash = {str(s) for s in symbols} & (_RESERVED | set(self.param_names))
        if clash:
            raise InvalidInputError(f"data symbols {sorted(clash)} clash with reserved names")
        self.symbols = tuple(sorted(symbols, key=str))
        if sympy.expand(self.Sigma.det()) == 0:
            raise SingularDataError(
                f"Sigma = X X^T ({widths[0]}x{widths[0]}) is singular: need rank(X) = d_0 = {widths[0]}"
                f" (X has {len(X[0])} samples)"
            )

    @classmethod
    def whitened(cls, widths, target, loss: str = "half") -> "LinearNetwork":
        """The whitened network: ``X = I``, ``Y = target`` (so ``Sigma = I``, ``W* = target``).

        Examples
        --------
        >>> net = LinearNetwork.whitened(widths=(2, 2, 2), target=[[3, 0], [0, 1]])
        >>> net.num_params
        8
        """
        widths = validate_widths(widths)
        d0, dH = widths[0], widths[-1]
        target = to_exact_matrix(target, name="target")
        if len(target) != dH:
            raise ShapeError(f"target has {len(target)} rows but d_H = {dH}")
        if len(target[0]) != d0:
            raise ShapeError(f"target has {len(target[0])} columns but d_0 = {d0}")
        if d0 * d0 > MAX_DATA_ENTRIES:
            raise InvalidInputError(f"d_0 = {d0}: the whitened X = I would have {d0 * d0} entries (limit {MAX_DATA_ENTRIES})")
        eye = [[1 if i == j else 0 for j in range(d0)] for i in range(d0)]
        return cls(widths, eye, target, loss=loss)

    # -- basic facts -------------------------------------------------------------

    @property
    def depth(self) -> int:
        """``H``, the number of weight matrices."""
        return len(self.widths) - 1

    @property
    def n(self) -> int:
        """Number of samples."""
        return len(self._X[0])

    @cached_property
    def param_names(self) -> tuple:
        """``W{l}_{i}_{j}`` for each layer ``l`` (1-based) and entry ``(i, j)`` (0-based), row-major."""
        return tuple(
            f"W{l}_{i}_{j}"
            for l in range(1, len(self.widths))
            for i in range(self.widths[l])
            for j in range(self.widths[l - 1])
        )

    @property
    def num_params(self) -> int:
        """``D = sum_l d_l d_{l-1}``."""
        return len(self.param_names)

    @property
    def is_family(self) -> bool:
        """True when the data carries free symbols."""
        return bool(self.symbols)

    @cached_property
    def loss_scale(self):
        """The constant ``c`` in ``L = c ||mu X - Y||^2`` (a Fraction)."""
        return {"half": Fraction(1, 2), "sum": Fraction(1), "mean": Fraction(1, self.n),
                "half_mean": Fraction(1, 2 * self.n)}[self.loss]

    @cached_property
    def loss_scale_fmpq(self):
        """:attr:`loss_scale` as a python-flint ``fmpq``."""
        return as_fmpq(self.loss_scale)

    @cached_property
    def kappa(self) -> sympy.Rational:
        """``2c`` as a sympy Rational: at a global minimum (filling case) ``Hess L = 2c J^T (Sigma-weighted) J``."""
        return 2 * as_rational(self.loss_scale)

    @property
    def loss_description(self) -> str:
        return LOSSES[self.loss]

    @property
    def loss_latex(self) -> str:
        return _LOSS_LATEX[self.loss]

    @cached_property
    def X(self) -> sympy.Matrix:
        return sympy.Matrix([[_to_sympy(v) for v in r] for r in self._X])

    @cached_property
    def Y(self) -> sympy.Matrix:
        return sympy.Matrix([[_to_sympy(v) for v in r] for r in self._Y])

    @cached_property
    def Sigma(self) -> sympy.Matrix:
        """``X X^T``, exact."""
        return (self.X * self.X.T).applyfunc(sympy.expand)

    def __repr__(self) -> str:
        return f"LinearNetwork(widths={self.widths}, n={self.n}, loss={self.loss!r}" + (
            f", symbols={tuple(map(str, self.symbols))})" if self.symbols else ")"
        )

    def require_numeric(self, what: str) -> None:
        """Raise :class:`SymbolicDataError` when the data is a symbolic family."""
        if self.symbols:
            raise SymbolicDataError(
                f"{what} needs numeric data, but the data is a family in "
                f"{', '.join(map(str, self.symbols))}; substitute values first"
            )

    def substitute(self, values: dict) -> "LinearNetwork":
        """The member of a family with data symbols replaced by exact numbers."""
        names = {str(s) for s in self.symbols}
        unknown = sorted(str(k) for k in values if str(k) not in names)
        if unknown:
            raise InvalidInputError(f"{unknown} are not data symbols of this family ({sorted(names)})")
        subs = {}
        for k, v in values.items():
            value = to_exact(v, where=str(k))
            if not isinstance(value, Fraction):
                raise InvalidInputError(f"{k} must be given an exact number, got {v!r}")
            subs[sympy.Symbol(str(k))] = sympy.Rational(value.numerator, value.denominator)
        return LinearNetwork(self.widths, self.X.subs(subs), self.Y.subs(subs), loss=self.loss)

    # -- the polynomial engine ---------------------------------------------------

    @cached_property
    def ring(self) -> Ring:
        """Generators: the parameters, then any data symbols."""
        return Ring(self.param_names + tuple(map(str, self.symbols)))

    def split(self, theta, dtype=object) -> list:
        """Split a flat parameter vector into weight arrays ``[W_1, ..., W_H]``."""
        if len(theta) != self.num_params:
            raise ShapeError(f"theta has {len(theta)} entries, the network has D = {self.num_params} parameters")
        weights, k = [], 0
        for l in range(1, len(self.widths)):
            rows, cols = self.widths[l], self.widths[l - 1]
            W = np.empty((rows, cols), dtype=dtype)
            for idx in range(rows * cols):
                W[idx // cols, idx % cols] = theta[k + idx]
            weights.append(W)
            k += rows * cols
        return weights

    def _data_arrays(self, convert):
        Sigma = object_array([[convert(v) for v in row] for row in self.Sigma.tolist()])
        YXt = object_array([[convert(v) for v in row] for row in (self.Y * self.X.T).tolist()])
        return Sigma, YXt

    @cached_property
    def poly_data(self):
        """``(Sigma, Y X^T, X, Y)`` as object arrays of flint polynomials in :attr:`ring`."""
        ring = self.ring

        def convert(v):
            v = sympy.expand(v)
            if v.is_Rational:
                return ring.ctx.constant(flint.fmpq(int(v.p), int(v.q)))
            return ring.from_sympy(v)

        Sigma, YXt = self._data_arrays(convert)
        X = object_array([[convert(v) for v in row] for row in self.X.tolist()])
        Y = object_array([[convert(v) for v in row] for row in self.Y.tolist()])
        return Sigma, YXt, X, Y

    @cached_property
    def poly_weights(self) -> list:
        """The weight arrays ``[W_1, ..., W_H]`` whose entries are the ring's parameter generators."""
        gens = self.ring.gens[: self.num_params]
        return self.split(gens)

    @cached_property
    def loss_poly(self):
        """The loss as a flint ``fmpq_mpoly`` in :attr:`ring`."""
        _, _, X, Y = self.poly_data
        scale = self.loss_scale_fmpq
        return loss_from_weights(self.poly_weights, X, Y, scale)

    @cached_property
    def gradient_polys(self) -> tuple:
        """The gradient as flint polynomials, in parameter order."""
        Sigma, YXt, _, _ = self.poly_data
        scale = self.loss_scale_fmpq
        blocks = gradient_from_weights(self.poly_weights, Sigma, YXt, scale)
        zero = self.ring.ctx.constant(0)
        return tuple(zero + g for b in blocks for g in b.flat)

    @cached_property
    def hessian_polys(self) -> tuple:
        """The Hessian as a tuple of rows of flint polynomials."""
        Sigma, YXt, _, _ = self.poly_data
        scale = self.loss_scale_fmpq
        Hess = hessian_from_weights(self.poly_weights, Sigma, YXt, scale)
        zero = self.ring.ctx.constant(0)
        return tuple(tuple(zero + h for h in row) for row in Hess)

    def loss_expr(self) -> sympy.Expr:
        """The loss as a sympy expression in the parameter symbols (factored form)."""
        syms = self.split([sympy.Symbol(n) for n in self.param_names])
        mu = sympy.Matrix(syms[0].tolist())
        for W in syms[1:]:
            mu = sympy.Matrix(W.tolist()) * mu
        R = mu * self.X - self.Y
        c = sympy.Rational(self.loss_scale.numerator, self.loss_scale.denominator)
        return c * sum((r**2 for r in R), sympy.Integer(0))

    def gradient_exprs(self) -> list:
        """The gradient as a list of expanded sympy expressions, in parameter order."""
        return [self.ring.to_sympy(g) for g in self.gradient_polys]

    def hessian_matrix(self) -> sympy.Matrix:
        """The Hessian as a sympy Matrix of expanded polynomials."""
        return sympy.Matrix([[self.ring.to_sympy(h) for h in row] for row in self.hessian_polys])

    def hessian_at_weights(self, weights) -> sympy.Matrix:
        """The full Hessian (residual term included) at sympy weight matrices ``[W_1, ..., W_H]``.

        The entries may be symbols or exact numbers; the result's entries are cancelled
        rational functions. Used where a curve or a symbolic point of M is studied.

        Examples
        --------
        >>> net = LinearNetwork.whitened((1, 1, 1), [[2]])
        >>> net.hessian_at_weights([sympy.Matrix([[1]]), sympy.Matrix([[3]])])
        Matrix([
        [9, 4],
        [4, 1]])
        """
        Hs = hessian_from_weights([object_array(W.tolist()) for W in weights], object_array(self.Sigma.tolist()),
                                  object_array((self.Y * self.X.T).tolist()), as_rational(self.loss_scale))
        return sympy.Matrix(Hs.tolist()).applyfunc(sympy.cancel)

    @property
    def parameter_symbols(self) -> tuple:
        return self.ring.symbols[: self.num_params]

    # -- exact evaluation at a point -----------------------------------------------

    @cached_property
    def fmpq_data(self):
        """``(Sigma, Y X^T)`` as object arrays of python-flint ``fmpq`` (numeric data only)."""
        self.require_numeric("exact evaluation at a point")

        def convert(v):
            return flint.fmpq(int(v.p), int(v.q))

        return self._data_arrays(convert)

    def exact_point(self, theta):
        """``theta`` as exact values: a list of Fractions, or an :class:`~symstab.exact.numberfield.AlgebraicPoint`.

        Coordinates that are :class:`~symstab.exact.numberfield.FieldElement` s or real
        algebraic sympy numbers (radicals, ``CRootOf``) give an algebraic point in one
        number field; anything else goes through :func:`~symstab.exact.numbers.to_exact`.

        Examples
        --------
        >>> net = LinearNetwork.whitened((1, 1, 1), [[2]])
        >>> net.exact_point([1, "1/2"]), net.exact_point([sympy.sqrt(2), sympy.sqrt(2)]).field.degree
        ([Fraction(1, 1), Fraction(1, 2)], 2)
        """
        typed = isinstance(theta, AlgebraicPoint)
        theta = list(theta)
        if len(theta) != self.num_params:
            raise ShapeError(f"theta has {len(theta)} entries, the network has D = {self.num_params} parameters")
        if typed or is_field_point(theta) or any(isinstance(t, sympy.Basic) and not t.free_symbols and not t.is_Rational
                                        and not isinstance(t, sympy.Float) for t in theta):
            point = algebraic_point(theta)
            if point.field.degree > 1:
                return point
            theta = [v.to_fraction() for v in point]
        values = [to_exact(t, where="theta") for t in theta]
        for v in values:
            if not isinstance(v, Fraction):
                raise InvalidInputError("theta must be exact numbers, not symbols")
        return values

    def exact_weights(self, theta) -> list:
        """The weight arrays ``[W_1, ..., W_H]`` of an exact point: python-flint ``fmpq`` entries for a rational
        point, :class:`~symstab.exact.numberfield.FieldElement` entries for an algebraic one."""
        values = self.exact_point(theta)
        if isinstance(values, AlgebraicPoint):
            return self.split(list(values))
        return self.split([flint.fmpq(v.numerator, v.denominator) for v in values])

    def product_at(self, theta) -> sympy.Matrix:
        """The exact product ``mu(theta) = W_H ... W_1`` at an exact point (sympy Matrix).

        Examples
        --------
        >>> LinearNetwork.whitened((1, 1, 2), [[3], [4]]).product_at([1, 3, "1/2"])
        Matrix([
        [  3],
        [1/2]])
        """
        weights = self.exact_weights(theta)
        B, A = product_chain(weights)
        mu = A[0] @ weights[0] @ B[0]
        return sympy.Matrix([[_exact_sympy(v) for v in row] for row in mu])

    def hessian_at(self, theta):
        """The exact Hessian at an exact point: a python-flint ``fmpq_mat`` at a rational point, a list of rows
        of :class:`~symstab.exact.numberfield.FieldElement` s at an algebraic one.

        Examples
        --------
        >>> net = LinearNetwork.whitened(widths=(1, 1, 1), target=[[2]])
        >>> print(net.hessian_at([1, 3]))
        [9, 4]
        [4, 1]
        """
        Sigma, YXt = self.fmpq_data
        c = self.loss_scale_fmpq
        weights = self.exact_weights(theta)
        Hess = hessian_from_weights(weights, Sigma, YXt, c)
        if _in_field(weights):
            zero = weights[0].flat[0] * 0
            return [[zero + h for h in row] for row in Hess.tolist()]
        return flint.fmpq_mat(Hess.tolist())

    def gradient_at(self, theta) -> list:
        """The exact gradient at an exact point: Fractions (rational point) or field elements (algebraic point)."""
        Sigma, YXt = self.fmpq_data
        c = self.loss_scale_fmpq
        weights = self.exact_weights(theta)
        blocks = gradient_from_weights(weights, Sigma, YXt, c)
        if _in_field(weights):
            zero = weights[0].flat[0] * 0
            return [zero + g for b in blocks for g in b.flat]
        return [Fraction(int(g.p), int(g.q)) for b in blocks for g in b.flat]

    def loss_at(self, theta):
        """The exact loss at an exact point: a Fraction, or a field element at an algebraic point."""
        Sigma, YXt = self.fmpq_data
        X = object_array([[as_fmpq(v) for v in r] for r in self.X.tolist()])
        Y = object_array([[as_fmpq(v) for v in r] for r in self.Y.tolist()])
        c = self.loss_scale_fmpq
        weights = self.exact_weights(theta)
        value = loss_from_weights(weights, X, Y, c)
        if _in_field(weights):
            return weights[0].flat[0] * 0 + value
        return Fraction(int(value.p), int(value.q))

    # -- results, by delegation (the one upward reference; one line each) ------------

    def gd_jacobian_det(self, *, force: bool = False, progress=None, method: str = "auto"):
        """``det(I - eta H)`` as an :class:`~symstab.exact.poly.ExactPolynomial` (result A1)."""
        from .gdmap import gd_jacobian_det

        return gd_jacobian_det(self, force=force, progress=progress, method=method)

    def stability_det(self, *, force: bool = False, progress=None, method: str = "auto"):
        """``det(2I - eta H)``: zero exactly when DG has eigenvalue -1 (eta = 2/lambda)."""
        from .gdmap import stability_det

        return stability_det(self, force=force, progress=progress, method=method)

    def hessian_charpoly(self, *, force: bool = False, progress=None, method: str = "auto"):
        """``det(lam I - H)`` in ``(theta, lam)``."""
        from .gdmap import hessian_charpoly

        return hessian_charpoly(self, force=force, progress=progress, method=method)

    def gd_map(self) -> list:
        """``G(theta) = theta - eta grad L(theta)`` as sympy expressions."""
        from .gdmap import gd_map_exprs

        return gd_map_exprs(self)

    def gd_step(self, theta, eta) -> list:
        """One exact GD step from a rational point (Fractions) or an algebraic point (an AlgebraicPoint)."""
        from .gdmap import gd_step

        return gd_step(self, theta, eta)

    def spectrum_at(self, theta, **kwargs):
        """The exact Hessian spectrum at a rational point; see :func:`symstab.spectrum.spectrum_at`."""
        from .spectrum import spectrum_at

        return spectrum_at(self, theta, **kwargs)

    def classify(self, theta, eta):
        """Stable / unstable / marginal verdict for a minimum (A4); see :func:`symstab.stability.classify`."""
        from .stability import classify

        return classify(self, theta, eta)

    def minima(self, **kwargs):
        """The set M of global minima (result A2); see :func:`symstab.minima.minima`."""
        from .minima import minima

        return minima(self, **kwargs)

    def critical_step_sizes(self, **kwargs):
        """eta_C and eta_E (result A5); see :func:`symstab.critical.critical_step_sizes`."""
        from .critical import critical_step_sizes

        return critical_step_sizes(self, **kwargs)

    def M_SS(self, eta, **kwargs):
        """``M_SS(eta)``: minima with every normal direction contracting; see :func:`symstab.stability.stable_set`."""
        from .stability import stable_set

        return stable_set(self, eta, "M_SS", **kwargs)

    def M_WS(self, eta, **kwargs):
        """``M_WS(eta)``: minima with at least one contracting normal direction."""
        from .stability import stable_set

        return stable_set(self, eta, "M_WS", **kwargs)

    def nonsingularity_certificate(self, seed: int = 0, **kwargs):
        """Certificate for result A1; see :func:`symstab.gdmap.nonsingularity_certificate`."""
        from .gdmap import nonsingularity_certificate

        return nonsingularity_certificate(self, seed=seed, **kwargs)


def _to_sympy(v):
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return v


def _in_field(weights) -> bool:
    return not isinstance(weights[0].flat[0], flint.fmpq)


def _exact_sympy(v):
    if isinstance(v, flint.fmpq):
        return sympy.Rational(int(v.p), int(v.q))
    return v.to_sympy()
