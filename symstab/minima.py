"""Result A2: the set M of global minima of a linear network (docs/theory.md, A2).

For data ``X``, ``Y`` with ``Sigma = X X^T`` invertible, the loss is
``c ||mu X - Y||^2 = c tr((mu - W*) Sigma (mu - W*)^T) + const`` with
``W* = Y X^T Sigma^{-1}``, so the minimal products are the Sigma-weighted best
approximations of ``W*`` of rank at most the bottleneck ``r = min_l d_l``:

* filling (``rank W* <= r``): the target is ``W*`` itself;
* non-filling: write ``W* Sigma^{1/2} = U S V^T``. By Eckart-Young the best
  rank-``r`` approximation of ``W* Sigma^{1/2}`` is ``U_r U_r^T W* Sigma^{1/2}``,
  so the target is ``Wbar = U_r U_r^T W* = P W*`` with ``P`` the orthogonal
  projector onto the top-``r`` eigenspace of ``K = W* Sigma W*^T`` (the
  eigenvalues of ``K`` are the ``s_i^2``). It is unique iff ``s_r > s_{r+1}``.
  The minimal loss is ``c (||W* X - Y||^2 + sum_{i > r} s_i^2)``.

``M = mu^{-1}(target)``. When ``rank(target) = r`` the differential ``D mu``
has constant rank ``r (d_0 + d_H - r)`` on M and ``dim M = D - r (d_0 + d_H - r)``.
Eigenvalues of ``K`` are compared exactly (sympy ``CRootOf``, real-root
isolation), and the projector ``P`` is computed exactly: over Q when the top
eigenvalues are all the roots of some rational factors of the characteristic
polynomial, otherwise as polynomials in the algebraic eigenvalues (spectral
projectors ``P_lam = q(K, lam) / m'(lam)`` with ``q(x, y) = (m(x) - m(y)) / (x - y)``
and ``m`` the minimal polynomial of ``K``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import flint
import mpmath
import sympy

from .errors import InvalidInputError, ShapeError
from .exact.algebraic import descending_eigenvalues, root_value, tail_sum
from .exact.latex import LatexDisplay, to_latex
from .exact.latex import text as latex_text
from .exact.matrices import fmpq_matrix, layers_from_factors, object_array, rank_factorisation, top_projector
from .exact.numberfield import AlgebraicPoint, algebraic_point, field_rref
from .exact.numbers import as_rational
from .network import gradient_from_weights, jacobian_from_weights

__all__ = [
    "Minima",
    "RankCheck",
    "SingularityCertificate",
    "minima",
    "product_jacobian",
]

def product_jacobian(net, theta) -> "flint.fmpq_mat":
    """The exact Jacobian ``D mu(theta)`` (``d_H d_0 x D``) at a rational point.

    Column ``(l, a, b)`` is ``d mu / d (W_l)_{ab} = A_l[:, a] B_l[b, :]`` flattened
    row-major (:func:`~symstab.network.jacobian_from_weights`); columns follow the
    parameter order (W1 row-major, W2, ...).

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers, length ``D``

    Returns
    -------
    flint.fmpq_mat

    Examples
    --------
    >>> from symstab.network import LinearNetwork
    >>> net = LinearNetwork.whitened(widths=(1, 1, 1), target=[[2]])
    >>> print(product_jacobian(net, [1, 2]))
    [2, 1]
    """
    J = jacobian_from_weights(net.exact_weights(theta)).tolist()
    return flint.fmpq_mat(J) if isinstance(J[0][0], flint.fmpq) else J  # rows of field elements (algebraic point)


# --- results -------------------------------------------------------------------------

@dataclass(frozen=True)
class RankCheck:
    """An exact rank computed at a point of M and the value the theory predicts.

    ``kind`` is ``"D mu"`` (smoothness certificate: ``rank D mu = r(d_0 + d_H - r)``)
    or ``"Morse-Bott"`` (``dim ker Hess L = dim M``).
    """

    kind: str
    theta: tuple = field(repr=False)
    value: int
    expected: int | None
    holds: bool | None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "theta": [str(t) for t in self.theta], "value": self.value,
                "expected": self.expected, "holds": self.holds, "evidence": "exact"}

    def __str__(self) -> str:
        what = "rank D mu" if self.kind == "D mu" else "dim ker Hess L"
        if self.expected is None:
            return f"{self.kind} check (exact): {what} = {self.value} (no prediction: M is not a manifold here)"
        verdict = "holds" if self.holds else "FAILS"
        return f"{self.kind} check (exact): {what} = {self.value}, expected {self.expected}: {verdict}"


@dataclass(frozen=True)
class SingularityCertificate:
    """Proof that M is not a manifold near ``point`` (exact linear algebra).

    ``tangent_span`` is the dimension of the span of directions of affine
    subspaces and group orbits contained in M through ``point``: a manifold
    structure near ``point`` would have at least that dimension. ``witness`` is
    a point on an affine subspace of M through ``point`` with
    ``dim ker D mu(witness) = kernel_at_witness``; by semicontinuity of the rank
    along that line, the points arbitrarily close to ``point`` have kernel at
    most this, which bounds the dimension from above. ``proved`` is
    ``tangent_span > kernel_at_witness``.
    """

    point: tuple = field(repr=False)
    rank_at_point: int
    smooth_rank: int
    tangent_span: int
    witness: tuple = field(repr=False)
    kernel_at_witness: int

    @property
    def proved(self) -> bool:
        return self.tangent_span > self.kernel_at_witness

    def to_dict(self) -> dict:
        return {"point": [str(t) for t in self.point], "rank_D_mu": self.rank_at_point,
                "smooth_rank": self.smooth_rank, "tangent_span": self.tangent_span,
                "witness": [str(t) for t in self.witness],
                "kernel_at_witness": self.kernel_at_witness, "proved": self.proved,
                "evidence": "exact"}

    def __str__(self) -> str:
        return (f"singular point of M ({'proved' if self.proved else 'not proved'}, exact): "
                f"rank D mu = {self.rank_at_point} < {self.smooth_rank}; tangent directions in M span "
                f"{self.tangent_span} > dim ker D mu = {self.kernel_at_witness} at nearby points")


@dataclass(frozen=True)
class Minima(LatexDisplay):
    """The set ``M`` of global minima of a linear network (result A2).

    Attributes
    ----------
    W_star : sympy.ImmutableMatrix
        ``Y X^T Sigma^{-1}``, exact (expressions in the data symbols for a family).
    bottleneck : int
        ``r = min_l d_l``.
    rank_W_star : int
        ``rank W*`` (generic rank for a family).
    filling : bool
        ``rank W* <= r``.
    target : sympy.ImmutableMatrix or None
        The minimal product: ``W*`` (filling) or ``Wbar = P W*`` (non-filling).
        ``None`` only for non-filling families.
    target_exact : bool
        False when ``target`` holds ``dps``-digit floats (algebraic degree above
        ``max_algebraic_degree``).
    target_field : str
        ``"rational"``, ``"algebraic"`` (radicals / ``CRootOf``), ``"symbolic"``
        or ``"numeric"``.
    rank : int or None
        ``rank(target)``.
    min_loss : sympy.Expr or None
        The minimal loss value, exact.
    dimension : int or None
        ``dim M`` when M is a manifold (``rank = r``); ``None`` otherwise.
    is_smooth : bool
        ``rank(target) = r`` (or depth 1, where M is one point).
    squared_singular_values : tuple
        Eigenvalues of ``W* Sigma W*^T`` (the ``s_i^2``), descending, exact.
    notes : tuple of str
    """

    widths: tuple
    loss: str
    num_params: int
    W_star: sympy.ImmutableMatrix
    bottleneck: int
    rank_W_star: int
    filling: bool
    target: sympy.ImmutableMatrix | None
    target_exact: bool
    target_field: str
    rank: int | None
    min_loss: sympy.Expr | None
    dimension: int | None
    is_smooth: bool | None
    squared_singular_values: tuple
    notes: tuple
    dps: int
    net: object = field(repr=False, compare=False)

    # -- points on M ----------------------------------------------------------------

    @property
    def points_exact(self) -> bool:
        """True when :meth:`point` returns exact rationals (the target is rational)."""
        return self.target_field == "rational"

    @cached_property
    def target_in_field(self):
        """``(K, rows)``: an algebraic target's entries as elements of one number field K (``target_field == "algebraic"``)."""
        T = sympy.Matrix(self.target)
        point = algebraic_point(list(T))
        return point.field, [list(point[i * T.cols:(i + 1) * T.cols]) for i in range(T.rows)]

    @property
    def smooth_rank(self) -> int:
        """``r (d_0 + d_H - r)``: the rank of ``D mu`` at points with ``rank mu = r``."""
        r, d0, dH = self.bottleneck, self.widths[0], self.widths[-1]
        return r * (d0 + dH - r)

    def point(self, seed: int = 0) -> list:
        """A point of M, seeded: same seed, same point.

        A random rational factorisation of the target (see
        :func:`~symstab.exact.matrices.layers_from_factors`). Exact (a list of Fractions) when the target
        is rational, verified exactly (product = target, gradient = 0). Otherwise
        an exact :class:`~symstab.exact.numberfield.AlgebraicPoint` when the target is
        algebraic (coordinates in the number field of :attr:`target_in_field`, verified
        exactly: product = target, gradient = 0), which every point API accepts. Only
        for a ``"numeric"`` target (algebraic degree above ``max_algebraic_degree``) a list
        of ``mpmath.mpf`` with :attr:`dps` digits, checked to that precision.

        Examples
        --------
        >>> from symstab.network import LinearNetwork
        >>> M = minima(LinearNetwork.whitened(widths=(1, 1, 2), target=[[3], [4]]))
        >>> theta = M.point(seed=1)
        >>> M.net.gradient_at(theta) == [0, 0, 0]
        True
        >>> theta == M.point(seed=1)
        True
        """
        self.net.require_numeric("a point on M")
        rng = random.Random(seed)
        if self.points_exact:
            U, V = rank_factorisation(sympy.Matrix(self.target))
            weights = layers_from_factors(self.widths, U, V, rng)
            theta = [Fraction(int(v.p), int(v.q)) for W in weights for v in W]
            self._verify_exact(theta)
            return theta
        if self.target_field == "algebraic":
            return self._algebraic_point(rng)
        return self._numeric_point(rng)

    def _algebraic_point(self, rng) -> AlgebraicPoint:
        K, rows = self.target_in_field
        R, pivots = field_rref(rows)
        t = sympy.Dummy("alpha")
        U = sympy.Matrix([[row[j].to_poly_expr(t) for j in pivots] for row in rows])
        V = sympy.Matrix([[v.to_poly_expr(t) for v in row] for row in R[:len(pivots)]])
        weights = layers_from_factors(self.widths, U, V, rng)
        theta = AlgebraicPoint([K.from_poly_expr(v, t) for W in weights for v in W], K)
        if not self._field_on_M(theta) or any(self.net.gradient_at(theta)):
            raise RuntimeError("internal error: constructed point is not a critical point on M")
        return theta

    def _field_on_M(self, point: AlgebraicPoint) -> bool:
        """Exact test ``mu(point) = target`` in the point's field (sympy's zero test if the fields differ)."""
        mu = self.net.product_at(point)
        K, rows = self.target_in_field
        if K.same_as(point.field):
            weights = self.net.exact_weights(point)
            prod = weights[0]
            for W in weights[1:]:
                prod = W @ prod
            return all(prod[i, j] == rows[i][j] for i in range(len(rows)) for j in range(len(rows[0])))
        return all(sympy.simplify(v) == 0 for v in mu - sympy.Matrix(self.target))

    def _verify_exact(self, theta) -> None:
        mu = self._mu(theta)
        if mu != sympy.Matrix(self.target) or any(self.net.gradient_at(theta)):
            raise RuntimeError("internal error: constructed point is not a critical point on M")

    def _mu(self, theta) -> sympy.Matrix:
        return self.net.product_at(theta)

    def _numeric_point(self, rng) -> list:
        net, r = self.net, self.bottleneck
        with mpmath.workdps(self.dps + 10):
            W_star = mpmath.matrix([[mpmath.mpf(as_rational(v).p) / as_rational(v).q for v in row]
                                    for row in sympy.Matrix(self.W_star).tolist()])
            Sigma = mpmath.matrix([[mpmath.mpf(v.p) / v.q for v in row] for row in net.Sigma.tolist()])
            K = W_star * Sigma * W_star.T
            E, Q = mpmath.eigsy(K)
            order = sorted(range(K.rows), key=lambda i: E[i], reverse=True)[:r]
            Ur = mpmath.matrix(K.rows, r)
            for c, i in enumerate(order):
                for row in range(K.rows):
                    Ur[row, c] = Q[row, i]
            V = Ur.T * W_star
            Um = [[Ur[i, j] for j in range(r)] for i in range(K.rows)]
            Vm = [[V[i, j] for j in range(V.cols)] for i in range(r)]
            weights = layers_from_factors(self.widths, sympy.Matrix(Um), sympy.Matrix(Vm), rng)
            theta = [mpmath.mpf(sympy.Float(v, self.dps + 10)) if not isinstance(v, mpmath.mpf) else v
                     for W in weights for v in W]
            arrays = net.split(theta)
            YXt = object_array([[mpmath.mpf(v.p) / v.q for v in row] for row in (net.Y * net.X.T).tolist()])
            c = mpmath.mpf(net.loss_scale.numerator) / net.loss_scale.denominator
            grad = gradient_from_weights(arrays, object_array(Sigma.tolist()), YXt, c)
            worst = max(abs(g) for b in grad for g in b.flat)
            if worst > mpmath.mpf(10) ** (-(self.dps // 2)):
                raise RuntimeError(f"high-precision point has gradient {worst}; increase dps")
        return theta

    def singular_point(self):
        """An exact point where M is not a manifold, or None when M is smooth.

        When ``rank(target) = k < r``: the target's rank factorisation with every
        hidden layer of rank exactly ``k`` (for ``W* = 0`` the origin). See
        :meth:`singularity_certificate` for the proof.

        Examples
        --------
        >>> from symstab.network import LinearNetwork
        >>> M = minima(LinearNetwork.whitened(widths=(1, 1, 1, 1), target=[[0]]))
        >>> M.singular_point()
        [Fraction(0, 1), Fraction(0, 1), Fraction(0, 1)]
        """
        self.net.require_numeric("a singular point of M")
        if self.is_smooth:
            return None
        theta = [Fraction(int(v.p), int(v.q)) for W in self.minimal_layers() for v in W]
        self._verify_exact(theta)
        return theta

    def minimal_layers(self) -> list:
        """The rank-factorisation point of M as sympy matrices: ``W_1 = [V; 0]``, ``W_l = diag(I_k, 0)``, ``W_H = [U, 0]``.

        Every hidden layer has rank ``k = rank(target)``; for ``k < r`` this is a singular point of M.
        """
        U, V = rank_factorisation(sympy.Matrix(self.target))
        k = U.cols
        H = len(self.widths) - 1
        weights = []
        for l in range(1, H + 1):
            W = sympy.zeros(self.widths[l], self.widths[l - 1])
            if l == 1:
                W[:k, :] = V
            elif l == H:
                W[:, :k] = U
            else:
                W[:k, :k] = sympy.eye(k)
            weights.append(W)
        return weights

    def singularity_certificate(self, seed: int = 0) -> SingularityCertificate | None:
        """Exact proof that M is singular at :meth:`singular_point` (None when smooth).

        Affine subspaces of M through the point ``theta_0`` (``W_1 = [V; 0]``,
        ``W_l = diag(I_k, 0)``, ``W_H = [U, 0]``): changing the lower-right block of
        a middle layer, the right block of ``W_H`` or the lower block of ``W_1``
        (one at a time) keeps the product; so do the orbits
        ``W_l -> G_l W_l G_{l-1}^{-1}``. If M were a manifold near ``theta_0``, its
        dimension ``m`` would be at least the span of these directions. On the
        affine subspace ``L`` (every layer but ``W_1`` changed at once, still in M)
        M would be a manifold too, so ``m <= dim ker D mu`` at points of ``L``
        near ``theta_0``; the rank of ``D mu`` along the line from ``theta_0`` to a
        point ``w`` of ``L`` is, except at finitely many points, at least its rank
        at ``w``. So ``span > dim ker D mu(w)`` proves that ``theta_0`` is singular.
        """
        point = self.singular_point()
        if point is None:
            return None
        rng = random.Random(seed)
        widths, H = self.widths, len(self.widths) - 1
        base = self.minimal_layers()
        k = rank_factorisation(sympy.Matrix(self.target))[0].cols
        sizes = [widths[l] * widths[l - 1] for l in range(1, H + 1)]
        offsets = [sum(sizes[:l]) for l in range(H + 1)]
        D = offsets[-1]
        directions = []

        def unit(l, i, j):
            v = [0] * D
            v[offsets[l] + i * widths[l] + j] = 1
            return v

        for l in range(H):
            rows, cols = widths[l + 1], widths[l]
            for i in range(rows):
                for j in range(cols):
                    if (l == 0 and i >= k) or (l == H - 1 and j >= k) or (0 < l < H - 1 and i >= k and j >= k):
                        directions.append(unit(l, i, j))
        for l in range(1, H):  # orbit of G_l acting on the hidden layer l
            n = widths[l]
            for a in range(n):
                for b in range(n):
                    X = sympy.zeros(n, n)
                    X[a, b] = 1
                    v = []
                    for m, W in enumerate(base):
                        if m == l - 1:
                            v.extend(X * W)
                        elif m == l:
                            v.extend(-W * X)
                        else:
                            v.extend([0] * W.rows * W.cols)
                    directions.append(v)
        span = int(fmpq_matrix(directions).rank())
        witness_layers = []
        for l, W in enumerate(base):
            W = W.copy()
            for i in range(W.rows):
                for j in range(W.cols):
                    if (l == H - 1 and j >= k and H > 1) or (0 < l < H - 1 and i >= k and j >= k):
                        W[i, j] = rng.randint(1, 3)
            witness_layers.append(W)
        witness = [Fraction(int(v.p), int(v.q)) for W in witness_layers for v in W]
        self._verify_exact(witness)
        kernel = D - int(product_jacobian(self.net, witness).rank())
        return SingularityCertificate(
            point=tuple(point), rank_at_point=int(product_jacobian(self.net, point).rank()),
            smooth_rank=self.smooth_rank, tangent_span=span, witness=tuple(witness),
            kernel_at_witness=kernel)

    # -- checks at user points ------------------------------------------------------

    def check_on_manifold(self, theta) -> bool:
        """Return True when ``mu(theta) = target``; otherwise raise :class:`InvalidInputError`.

        The message gives the residual ``||mu(theta) - target||_F``.

        Examples
        --------
        >>> from symstab.network import LinearNetwork
        >>> M = minima(LinearNetwork.whitened(widths=(1, 1, 1), target=[[2]]))
        >>> M.check_on_manifold([1, 2])
        True
        >>> M.check_on_manifold([1, 1])
        Traceback (most recent call last):
        ...
        symstab.errors.InvalidInputError: theta is not on M: ||mu(theta) - target||_F = 1 (~1.0000)
        """
        self.net.require_numeric("checking a point of M")
        if len(theta) != self.num_params:
            raise ShapeError(f"theta has {len(theta)} entries, the network has D = {self.num_params} parameters")
        point = self.net.exact_point(theta) if self.target_exact else theta
        if isinstance(point, AlgebraicPoint):
            if self.target_field in ("algebraic", "rational") and self._field_on_M(point):
                return True
            diff = self._mu(point) - sympy.Matrix(self.target)
            residual = sympy.sqrt(sum(sympy.expand(v**2) for v in diff))
            raise InvalidInputError(f"theta is not on M: ||mu(theta) - target||_F ~ {float(residual):.4g}")
        diff = self._mu(theta) - sympy.Matrix(self.target)
        if not self.target_exact:
            residual = sympy.sqrt(sum(v**2 for v in diff))
            raise InvalidInputError(
                f"the target is only known to {self.dps} digits, so an exact point cannot be "
                f"checked (residual ~{float(residual):.3g})")
        if all(sympy.simplify(v) == 0 for v in diff):
            return True
        residual = sympy.sqrt(sum(sympy.expand(v**2) for v in diff))
        raise InvalidInputError(
            f"theta is not on M: ||mu(theta) - target||_F = {sympy.sstr(residual)} "
            f"(~{float(residual):.4f})")

    def rank_check(self, theta) -> RankCheck:
        """The smoothness certificate at ``theta`` in M: exact ``rank D mu`` vs ``r(d_0 + d_H - r)``.

        Examples
        --------
        >>> from symstab.network import LinearNetwork
        >>> M = minima(LinearNetwork.whitened(widths=(2, 2, 2), target=[[1, 2], [3, 4]]))
        >>> M.rank_check(M.point()).holds
        True
        """
        self.check_on_manifold(theta)
        value = _rank(product_jacobian(self.net, theta))
        expected = self.smooth_rank if self.is_smooth else None
        if len(self.widths) == 2:
            expected = self.num_params
        return RankCheck("D mu", _exact_tuple(self.net, theta), value, expected,
                         None if expected is None else value == expected)

    def morse_bott(self, theta) -> RankCheck:
        """Morse-Bott check at ``theta`` in M: exact ``dim ker Hess L(theta)`` vs ``dim M``.

        Examples
        --------
        >>> from symstab.network import LinearNetwork
        >>> M = minima(LinearNetwork.whitened(widths=(1, 1, 2), target=[[3], [4]]))
        >>> check = M.morse_bott(M.point())
        >>> (check.value, check.expected, check.holds)
        (1, 1, True)
        """
        self.check_on_manifold(theta)
        kernel = self.num_params - _rank(self.net.hessian_at(theta))
        return RankCheck("Morse-Bott", _exact_tuple(self.net, theta), kernel,
                         self.dimension, None if self.dimension is None else kernel == self.dimension)

    # -- rendering --------------------------------------------------------------------

    def to_dict(self) -> dict:
        def mat(m):
            return None if m is None else [[sympy.sstr(v) for v in row] for row in sympy.Matrix(m).tolist()]

        return {
            "result": "A2",
            "widths": list(self.widths),
            "loss": self.loss,
            "num_params": self.num_params,
            "W_star": mat(self.W_star),
            "bottleneck": self.bottleneck,
            "rank_W_star": self.rank_W_star,
            "filling": self.filling,
            "target": mat(self.target),
            "target_exact": self.target_exact,
            "target_field": self.target_field,
            "rank": self.rank,
            "min_loss": None if self.min_loss is None else sympy.sstr(self.min_loss),
            "min_loss_float": (None if self.min_loss is None or self.min_loss.free_symbols
                               else float(sympy.N(self.min_loss, 30))),
            "dimension": self.dimension,
            "is_smooth": self.is_smooth,
            "squared_singular_values": [sympy.sstr(v) for v in self.squared_singular_values],
            "notes": list(self.notes),
        }

    def latex_formula(self) -> str:
        """Math mode: ``W*``, the target and ``dim M``."""
        out = r"W^* = Y X^\top \Sigma^{-1} = " + to_latex(sympy.Matrix(self.W_star))
        if self.target is not None and not self.filling:
            out += r",\quad \bar W = " + to_latex(sympy.Matrix(self.target))
        if self.dimension is not None:
            out += r",\quad \dim \mathcal M = " + str(self.dimension)
        return out

    def latex(self) -> str:
        """Text-mode fragment: result A2 for this network (exact), with its assumptions and notes."""
        evidence = "exact" if self.target_exact else f"target to {self.dps} digits, numerical"
        parts = [rf"\textbf{{Result A2 ({evidence}).}} ",
                 f"Widths $({','.join(map(str, self.widths))})$, bottleneck $r = {self.bottleneck}$, ",
                 r"$W^* = Y X^\top \Sigma^{-1} = " + to_latex(sympy.Matrix(self.W_star)) + "$ ",
                 f"of rank {self.rank_W_star}: " + ("filling" if self.filling else "non-filling") + ". "]
        if self.target is not None:
            name = "W^*" if self.filling else r"\bar W"
            parts.append(r"$\mathcal M = \mu^{-1}(" + name + ")$" + (
                "" if self.filling else r", $\bar W = [W^*\Sigma^{1/2}]_r\Sigma^{-1/2} = "
                + to_latex(sympy.Matrix(self.target)) + "$") + ", ")
        if self.min_loss is not None:
            parts.append(r"$\min L = " + to_latex(self.min_loss) + "$, ")
        if self.dimension is not None:
            parts.append(r"$\dim \mathcal M = " + str(self.dimension) + "$ (smooth).")
        else:
            parts.append(r"$\mathcal M$ is not a manifold (rank of the target below $r$).")
        parts.extend(" Note: " + latex_text(n) + "." for n in self.notes)
        return "".join(parts)

    def __str__(self) -> str:
        lines = [
            f"Global minima of the linear network {self.widths} (loss {self.loss}):",
            f"  W* = {sympy.sstr(self.W_star.tolist())}, rank {self.rank_W_star}, bottleneck r = {self.bottleneck}"
            f" -> {'filling' if self.filling else 'non-filling'}",
        ]
        if self.target is not None:
            lines.append(f"  target product = {sympy.sstr(self.target.tolist())} "
                         f"({self.target_field}{'' if self.target_exact else f', {self.dps} digits'}), rank {self.rank}")
        if self.min_loss is not None:
            lines.append(f"  minimal loss = {sympy.sstr(self.min_loss)}")
        if self.dimension is not None:
            lines.append(f"  M is a smooth manifold of dimension {self.dimension} (D = {self.num_params})")
        else:
            lines.append("  M is not a manifold (see singular_point())" if self.is_smooth is False
                         else "  smoothness undetermined")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _rank(matrix) -> int:
    """Exact rank of an ``fmpq_mat`` or of rows of number-field elements."""
    return len(field_rref(matrix)[1]) if isinstance(matrix, list) else int(matrix.rank())


def _exact_tuple(net, theta) -> tuple:
    return tuple(net.exact_point(theta))


# --- the constructor -----------------------------------------------------------------

def minima(net, *, dps: int = 50, max_algebraic_degree: int = 6) -> Minima:
    """Describe the set of global minima of ``net`` (result A2, docs/theory.md).

    Parameters
    ----------
    net : LinearNetwork
    dps : int
        Decimal digits for high-precision points and targets (only used when
        the target is not rational).
    max_algebraic_degree : int
        Largest degree of an irreducible factor of ``det(x I - W* Sigma W*^T)``
        for which a non-filling target is computed exactly with algebraic
        entries; above it the target is computed with ``dps`` digits
        (``target_exact = False``).

    Returns
    -------
    Minima

    Raises
    ------
    InvalidInputError
        When the minimiser product is not unique (tied ``s_r = s_{r+1}``).

    Examples
    --------
    >>> from symstab.network import LinearNetwork
    >>> M = minima(LinearNetwork.whitened(widths=(2, 1, 2), target=[[3, 0], [0, 1]]))
    >>> M.filling, M.target.tolist(), M.min_loss, M.dimension
    (False, [[3, 0], [0, 0]], 1/2, 1)
    """
    if dps < 10:
        raise InvalidInputError(f"dps must be at least 10, got {dps}")
    widths = net.widths
    H = len(widths) - 1
    d0, dH = widths[0], widths[-1]
    r = min(widths)
    D = net.num_params
    c = as_rational(net.loss_scale)
    family = bool(net.symbols)
    notes = []
    W_star = (net.Y * net.X.T * net.Sigma.inv())
    if family:
        W_star = W_star.applyfunc(sympy.cancel)
    rank_W = W_star.rank(simplify=True) if family else W_star.rank()
    if family:
        notes.append("data is a family: ranks and the dimension hold for generic values of "
                     + ", ".join(map(str, net.symbols)))
    filling = rank_W <= r
    eigenvalues = ()
    target_exact, target_field = True, ("symbolic" if family else "rational")
    if filling:
        target = W_star
        residual = W_star * net.X - net.Y
        min_loss = c * sum((v**2 for v in residual), sympy.Integer(0))
        min_loss = sympy.factor(sympy.cancel(min_loss)) if family else sympy.Rational(min_loss)
        rank_T = rank_W
        if not family:
            K = W_star * net.Sigma * W_star.T
            eigenvalues = tuple(descending_eigenvalues(K))
    elif family:
        target, min_loss, rank_T = None, None, r
        notes.append("non-filling family: the best rank-r approximation depends on the ordering "
                     "of the singular values; substitute values first")
    else:
        K = W_star * net.Sigma * W_star.T
        eigenvalues = tuple(descending_eigenvalues(K))
        if eigenvalues[r - 1] == eigenvalues[r]:
            raise InvalidInputError(
                f"the minimiser product is not unique: tied singular values s_{r} = s_{r + 1} = "
                f"{sympy.sstr(sympy.sqrt(root_value(eigenvalues[r])))} of W* Sigma^(1/2) "
                f"(bottleneck r = {r}, rank W* = {rank_W}); every best rank-{r} approximation is a minimum")
        degree = max(lam[0].degree() for lam in eigenvalues)
        if degree <= max_algebraic_degree:
            P, rational = top_projector(K, list(eigenvalues), r)
            target = (P * W_star).applyfunc(sympy.expand)
            target_field = "rational" if rational else "algebraic"
        else:
            target_exact, target_field = False, "numeric"
            with mpmath.workdps(dps):
                Kn = mpmath.matrix([[mpmath.mpf(v.p) / v.q for v in row] for row in K.tolist()])
                E, Q = mpmath.eigsy(Kn)
                order = sorted(range(K.rows), key=lambda i: E[i], reverse=True)[:r]
                P = [[sum(Q[i, j] * Q[m, j] for j in order) for m in range(K.rows)] for i in range(K.rows)]
                Wn = [[sum(P[i][m] * (mpmath.mpf(W_star[m, j].p) / W_star[m, j].q) for m in range(K.rows))
                       for j in range(d0)] for i in range(dH)]
                target = sympy.Matrix([[sympy.Float(v, dps) for v in row] for row in Wn])
            notes.append(f"target computed with {dps} digits (an eigenvalue has algebraic degree "
                         f"{degree} > {max_algebraic_degree})")
        rank_T = r
        # ||W* X - Y||^2 = ||Y||^2 - tr K; the bottom eigenvalues add the approximation error
        base = sum((v**2 for v in net.Y), sympy.Integer(0)) - K.trace()
        min_loss = c * (base + tail_sum(list(eigenvalues), r))
    if H == 1:
        is_smooth, dimension = True, 0
        notes.append("depth 1: M is the single point W_1 = target")
    elif rank_T == r:
        is_smooth, dimension = True, D - r * (d0 + dH - r)
    else:
        is_smooth, dimension = False, None
        notes.append(f"rank(target) = {rank_T} < r = {r}: M is not a manifold (singular_point() "
                     "exhibits a singular point); its dimension is not computed")
    return Minima(
        widths=widths, loss=net.loss, num_params=D,
        W_star=sympy.ImmutableMatrix(W_star), bottleneck=r, rank_W_star=int(rank_W), filling=filling,
        target=None if target is None else sympy.ImmutableMatrix(target),
        target_exact=target_exact, target_field=target_field, rank=rank_T,
        min_loss=min_loss, dimension=dimension, is_smooth=is_smooth,
        squared_singular_values=tuple(root_value(k) for k in eigenvalues), notes=tuple(notes), dps=dps, net=net,
    )
