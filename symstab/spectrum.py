"""Hessian spectra at exact points (result A3, pointwise part).

At a rational point the Hessian is an exact rational symmetric matrix; its
characteristic polynomial is computed by python-flint, factored over Q, and each
non-zero eigenvalue is returned both as an exact algebraic number (a closed form
for factors of degree <= 2, a ``CRootOf`` otherwise) and as a rigorous enclosure
(arb balls from flint's certified complex root isolation, turned into exact
rational endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import flint
import sympy

from .errors import InvalidInputError, TooLargeError
from .gdmap import _univariate
from .parsing import format_interval

LAM = sympy.Symbol("lam")


def _exact(x) -> Fraction:
    """The exact rational value of an arf/mag midpoint or radius (``man * 2**exp``)."""
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def _enclose(ball) -> tuple:
    """Exact rational ``(lo, hi)`` containing the real arb ``ball``."""
    mid, rad = _exact(ball.mid()), _exact(ball.rad())
    return mid - rad, mid + rad


def _top_eigenvalue_upper(matrix) -> Fraction:
    """A rigorous rational upper bound of the largest eigenvalue of a symmetric ``flint.fmpq_mat``.

    The characteristic polynomial is factored over Q and each factor's real roots
    are isolated (:func:`_real_roots`); the top box's upper end is returned.
    """
    return max(box[1] for f, _ in matrix.charpoly().factor()[1] if f.degree() > 0 for box in _real_roots(f, 64))


def _real_roots(factor, prec: int) -> list:
    """Enclosures of the (all real) roots of an irreducible ``fmpq_poly``, ascending, disjoint."""
    ints = flint.fmpz_poly([int(c * factor.denom()) for c in factor.coeffs()])
    old = flint.ctx.prec
    try:
        while True:
            flint.ctx.prec = prec
            roots = ints.complex_roots()
            boxes = []
            for root, mult in roots:
                if not root.imag.contains(0):
                    raise InvalidInputError("a Hessian eigenvalue is not real: the matrix is not symmetric")
                boxes.append(_enclose(root.real))
            boxes.sort()
            if all(a[1] < b[0] for a, b in zip(boxes, boxes[1:])):
                return boxes
            prec *= 2
    finally:
        flint.ctx.prec = old


def _closed_form(factor_sympy: sympy.Poly, k: int):
    """The k-th smallest real root of an irreducible factor: radicals up to degree 2, else CRootOf."""
    if factor_sympy.degree() <= 2:
        roots = sorted(sympy.roots(factor_sympy, multiple=True), key=lambda r: float(r))
        return roots[k] if roots[k].is_Rational else sympy.radsimp(roots[k])
    return sympy.CRootOf(factor_sympy, k)


@dataclass(frozen=True)
class Eigenvalue:
    """A non-zero Hessian eigenvalue: exact value, minimal polynomial, multiplicity, enclosure."""

    value: sympy.Expr
    minimal_polynomial: sympy.Expr
    multiplicity: int
    enclosure: tuple  # (lo, hi) exact Fractions

    def to_dict(self) -> dict:
        return {
            "value": sympy.sstr(self.value),
            "minimal_polynomial": sympy.sstr(self.minimal_polynomial),
            "multiplicity": self.multiplicity,
            "enclosure": [str(self.enclosure[0]), str(self.enclosure[1])],
            "float": float((self.enclosure[0] + self.enclosure[1]) / 2),
        }


@dataclass(frozen=True)
class Spectrum:
    """The exact spectrum of the Hessian at a rational point.

    ``nonzero`` lists the distinct non-zero eigenvalues in ascending order (exact sympy
    numbers); ``eigenvalues`` carries multiplicities and rigorous enclosures.
    """

    theta: tuple = field(repr=False)
    charpoly: sympy.Expr
    zero_multiplicity: int
    eigenvalues: tuple
    method: str = "full Hessian"

    @property
    def nonzero(self) -> list:
        return [e.value for e in self.eigenvalues]

    @property
    def enclosures(self) -> list:
        return [e.enclosure for e in self.eigenvalues]

    @property
    def lambda_max(self):
        """The sharpness: the largest eigenvalue (``0`` when every other one is negative)."""
        if not self.eigenvalues:
            return sympy.Integer(0)
        top = self.eigenvalues[-1]
        if top.enclosure[0] > 0 or self.zero_multiplicity == 0:
            return top.value
        return sympy.Integer(0)

    @property
    def lambda_min_plus(self):
        """The smallest positive eigenvalue, or None."""
        positive = [e for e in self.eigenvalues if e.enclosure[0] > 0]
        return positive[0].value if positive else None

    def to_dict(self) -> dict:
        return {
            "theta": [str(t) for t in self.theta],
            "charpoly": sympy.sstr(self.charpoly),
            "zero_multiplicity": self.zero_multiplicity,
            "eigenvalues": [e.to_dict() for e in self.eigenvalues],
            "lambda_max": sympy.sstr(self.lambda_max),
            "evidence": "exact (algebraic numbers) with rigorous enclosures",
        }

    def latex(self) -> str:
        parts = [sympy.latex(e.value) + (f"^{{({e.multiplicity})}}" if e.multiplicity > 1 else "")
                 for e in self.eigenvalues]
        zero = f"0^{{({self.zero_multiplicity})}}" if self.zero_multiplicity else ""
        return r"\operatorname{spec} \nabla^2 L(\theta) = \left\{" + ", ".join(filter(None, [zero] + parts)) + r"\right\}"

    def __str__(self) -> str:
        lines = [f"charpoly: {sympy.sstr(self.charpoly)}", f"zero eigenvalue multiplicity: {self.zero_multiplicity}"]
        for e in self.eigenvalues:
            lo, hi = e.enclosure
            lines.append(f"  {sympy.sstr(e.value)} (x{e.multiplicity}) in {format_interval(lo, hi)}")
        return "\n".join(lines)


def _charpoly_on_M(net, point):
    """``det(lam I - H) = lam^(D - n) det(lam I - K)`` at a point of M (filling), or None off M.

    ``H = (2c J^T G) J`` and ``K = J (2c J^T G)`` share their non-zero
    eigenvalues with multiplicities, so the ``D x D`` characteristic polynomial
    comes from the ``n x n`` one, ``n = d_0 d_H`` (see :func:`normal_operator`).
    """
    import numpy as np

    from .network import object_array, product_chain

    n = net.widths[0] * net.widths[-1]
    if net.is_family or net.num_params <= n:
        return None
    M = net.minima()
    if not M.filling or not M.points_exact:
        return None
    weights = net.exact_weights(point)
    B, A = product_chain(weights)
    mu = A[0] @ weights[0] @ B[0]
    target = M.target
    if any(mu[i, j] != flint.fmpq(int(target[i, j].p), int(target[i, j].q))
           for i in range(mu.shape[0]) for j in range(mu.shape[1])):
        return None
    Sigma, _ = net._fmpq_data
    N = sum(np.kron(A[l] @ A[l].T, B[l].T @ B[l]) for l in range(len(weights)))
    eye = object_array([[flint.fmpq(int(i == j)) for j in range(net.widths[-1])] for i in range(net.widths[-1])])
    K = 2 * net.loss_scale_fmpq * (N @ np.kron(eye, Sigma))
    cp = flint.fmpq_mat(K.tolist()).charpoly()
    return cp * flint.fmpq_poly([0] * (net.num_params - n) + [1])


EXACT_SPECTRUM_SECONDS = 60.0


def _charpoly_seconds(n: int) -> float:
    """Estimated time of flint's exact charpoly of an ``n x n`` Hessian (fit: 0.9 s at 240, 17 s at 448)."""
    return 17.0 * (n / 448) ** 4.7


def spectrum_at(net, theta, *, prec: int = 64, method: str = "auto", force: bool = False) -> Spectrum:
    """The exact Hessian spectrum of ``net`` at the rational point ``theta``.

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers
        Parameters in order (W1 row-major, W2, ...).
    prec : int
        Starting precision (bits) of the root enclosures; doubled until they separate.
    method : ``"auto"``, ``"normal"`` or ``"full"``
        ``"normal"`` uses the ``d_0 d_H``-square normal operator when ``theta`` is
        on M in the filling case (``det(lam I - H) = lam^(D-n) det(lam I - K)``,
        exact; 0.17 s instead of 17 s for D = 448), falling back to the full
        ``D x D`` Hessian elsewhere; ``"auto"`` does so when ``D > 64``.
    force : bool
        Compute a full-Hessian spectrum even when it is estimated above a minute
        (otherwise :class:`TooLargeError`, which points to :func:`sharpness_enclosure`).

    Returns
    -------
    Spectrum

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> s = spectrum_at(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), [1, 3, 4])
    >>> s.zero_multiplicity, s.nonzero
    (1, [1, 26])
    """
    from .parsing import to_exact

    if method not in ("auto", "normal", "full"):
        raise InvalidInputError(f"method must be 'auto', 'normal' or 'full', got {method!r}")
    point = tuple(to_exact(t, where="theta") for t in theta)
    use_normal = method == "normal" or (method == "auto" and net.num_params > 64)
    cp = _charpoly_on_M(net, point) if use_normal else None
    used = "normal operator (d_0 d_H square) on M" if cp is not None else "full Hessian"
    if cp is None:
        seconds = _charpoly_seconds(net.num_params)
        if seconds > EXACT_SPECTRUM_SECONDS and not force:
            raise TooLargeError(
                f"an exact spectrum of the {net.num_params} x {net.num_params} Hessian is estimated at "
                f"~{seconds:.0f} s (off M or non-filling, so the d_0 d_H normal operator does not apply); "
                "use sharpness_enclosure(net, theta) for a rigorous enclosure of lambda_max, or force=True")
        cp = net.hessian_at(point).charpoly()
    coeffs = cp.coeffs()
    zero = next(i for i, c in enumerate(coeffs) if c != 0)
    _, factors = cp.factor()
    factors = [(f, int(m)) for f, m in factors if not (f.degree() == 1 and f.coeffs()[0] == 0)]
    while True:  # distinct irreducible factors have distinct roots: refine until all boxes separate
        boxes = [_real_roots(f, prec) for f, _ in factors]
        flat = sorted(b for bs in boxes for b in bs)
        if all(a[1] < b[0] for a, b in zip(flat, flat[1:])):
            break
        prec *= 2
    eigen = []
    for (f, mult), fboxes in zip(factors, boxes):
        f_sym = _univariate(f, LAM)
        for k, box in enumerate(fboxes):
            eigen.append(Eigenvalue(value=_closed_form(f_sym, k), minimal_polynomial=f_sym.monic().as_expr(),
                                    multiplicity=mult, enclosure=box))
    eigen.sort(key=lambda e: e.enclosure[0])
    charpoly = _univariate(cp, LAM).as_expr()
    return Spectrum(theta=point, charpoly=charpoly, zero_multiplicity=zero, eigenvalues=tuple(eigen), method=used)


# --- the normal operator: the non-zero spectrum of H on M in d_0 d_H dimensions ---------

def normal_operator(net, weights, *, symmetric: bool = False) -> sympy.Matrix:
    """The ``d_H d_0`` square matrix whose non-zero eigenvalues are those of ``Hess L`` on M.

    In the filling case the Hessian at a point of M is ``2c J^T G J`` with
    ``J = D mu`` and ``G(Delta) = Delta Sigma`` (MATH.md 1.2). Its non-zero
    eigenvalues are those of ``K = 2c N (I (x) Sigma)`` with
    ``N = J J^T = sum_l (A_l A_l^T) (x) (B_l^T B_l)`` (row-major vec,
    ``mu = A_l W_l B_l``). ``K`` is ``d_H d_0`` square whatever D is, which makes
    spectra along M and the critical step sizes cheap. With
    ``symmetric=True`` the matrix ``2c N`` is returned instead (its congruence
    with ``I (x) Sigma^{-1}`` is what the Sylvester criteria use).

    Parameters
    ----------
    net : LinearNetwork
    weights : list of sympy matrices ``[W_1, ..., W_H]``
        Exact or symbolic entries (need not lie on M; then K is only the
        Gauss-Newton part).
    symmetric : bool

    Returns
    -------
    sympy.Matrix

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> a = sympy.Symbol("a", positive=True)
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> K = normal_operator(net, [sympy.Matrix([[a]]), sympy.Matrix([[3 / a], [4 / a]])])
    >>> {sympy.expand(e) for e in K.eigenvals()} == {a**2, a**2 + 25 / a**2}   # MATH.md 1.4
    True
    """
    H = len(weights)
    d0, dH = weights[0].cols, weights[-1].rows
    prefix = [sympy.eye(d0)]
    for W in weights[:-1]:
        prefix.append(W * prefix[-1])
    suffix = [None] * H
    suffix[H - 1] = sympy.eye(dH)
    for l in range(H - 2, -1, -1):
        suffix[l] = suffix[l + 1] * weights[l + 1]
    N = sympy.zeros(dH * d0, dH * d0)
    for l in range(H):
        N += sympy.kronecker_product(suffix[l] * suffix[l].T, prefix[l].T * prefix[l])
    c = 2 * sympy.Rational(net.loss_scale.numerator, net.loss_scale.denominator)
    if symmetric:
        return (c * N).applyfunc(sympy.expand)
    return (c * N * sympy.kronecker_product(sympy.eye(dH), net.Sigma)).applyfunc(sympy.cancel)


# --- escape curves: lambda_min^+ is not proper (MATH.md section 3) ---------------------------

TAU = sympy.Symbol("tau", positive=True)


@dataclass(frozen=True)
class EscapeCurve:
    """A curve ``theta(tau)`` in M, ``tau -> 0+``, with ``||theta|| -> oo`` and ``lambda_min^+ -> 0``.

    Evidence (all exact, sympy rational functions of ``tau``): ``mu(theta(tau))``
    equals the target identically; M is smooth, so every point has exactly
    ``k`` = codim M non-zero (positive) eigenvalues, and with ``e_j`` the
    elementary symmetric functions of them (charpoly coefficients of the normal
    operator) ``lambda_min^+ <= k e_k / e_{k-1}`` (the harmonic mean bound);
    that bound tends to 0 while ``||theta(tau)||^2 -> oo``.
    """

    theta: tuple
    codimension: int
    bound: sympy.Expr
    norm_squared: sympy.Expr
    bound_limit: sympy.Expr
    norm_limit: sympy.Expr
    construction: str
    eigenvalues: tuple | None = None

    @property
    def proved(self) -> bool:
        return self.bound_limit == 0 and self.norm_limit == sympy.oo

    def to_dict(self) -> dict:
        return {
            "parameter": "tau -> 0+",
            "theta": [sympy.sstr(v) for v in self.theta],
            "construction": self.construction,
            "codimension": self.codimension,
            "lambda_min_plus_bound": sympy.sstr(self.bound),
            "norm_squared": sympy.sstr(self.norm_squared),
            "eigenvalues": None if self.eigenvalues is None else [sympy.sstr(e) for e in self.eigenvalues],
            "proved": self.proved,
            "evidence": "exact (sympy limits of rational functions in tau)",
        }

    def latex(self) -> str:
        theta = ", ".join(sympy.latex(v) for v in self.theta)
        return (rf"\theta(\tau) = ({theta}) \in M,\quad \lambda_{{\min}}^+ \le "
                rf"{sympy.latex(self.bound)} \xrightarrow[\tau\to 0^+]{{}} 0,\quad "
                rf"\|\theta(\tau)\|^2 = {sympy.latex(self.norm_squared)} \to \infty")

    def __str__(self) -> str:
        status = "proved" if self.proved else "NOT proved"
        lines = [f"escape curve ({status}, exact): theta(tau) = ({', '.join(sympy.sstr(v) for v in self.theta)}),"
                 " tau -> 0+",
                 f"  {self.construction}",
                 f"  lambda_min^+ <= k e_k/e_(k-1) = {sympy.sstr(self.bound)} -> {sympy.sstr(self.bound_limit)}"
                 f" (k = {self.codimension} non-zero eigenvalues)",
                 f"  ||theta||^2 = {sympy.sstr(self.norm_squared)} -> {sympy.sstr(self.norm_limit)}"]
        if self.eigenvalues is not None:
            lines.append(f"  non-zero eigenvalues: {', '.join(sympy.sstr(e) for e in self.eigenvalues)}")
        return "\n".join(lines)


def _scaling_patterns(width: int):
    for i in range(width):
        for sign in (1, -1):
            yield tuple(sign if m == i else 0 for m in range(width))
    for i in range(width):
        for j in range(width):
            if i != j:
                yield tuple(1 if m == i else (-1 if m == j else 0) for m in range(width))


def escape_curve(net, *, seed: int = 0, max_size: int = 16):
    """An exact curve in M along which ``lambda_min^+ -> 0`` while ``||theta|| -> oo``, or None.

    Start from an exact point of M (:meth:`Minima.point`) and rescale one hidden
    layer: ``W_b -> D(tau) W_b``, ``W_{b+1} -> W_{b+1} D(tau)^{-1}`` with
    ``D = diag(tau^{e_1}, ...)``; this keeps the product, hence stays in M. The
    first boundary ``b`` and exponent pattern ``e`` for which the exact limits
    hold is returned (see :class:`EscapeCurve`). Needs numeric data, a non-zero
    rational target and ``d_0 d_H <= max_size`` (filling: the normal operator) or
    ``D <= max_size`` (non-filling: the full Hessian with its residual term, PSD
    at a global minimum). ``k`` (the number of
    non-zero eigenvalues along the curve) is read off the charpoly, so singular
    points of a non-smooth M are fine: the bound needs only the curve.

    Parameters
    ----------
    net : LinearNetwork
    seed : int
        Seed of the base point.
    max_size : int
        Largest ``d_0 d_H`` (filling) or ``D`` (non-filling) attempted: the charpoly is symbolic in tau.

    Returns
    -------
    EscapeCurve or None

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> curve = escape_curve(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> curve.proved, curve.eigenvalues
    (True, (tau**2, tau**2 + 25/tau**2))
    """
    M = net.minima()
    d0, dH, H = net.widths[0], net.widths[-1], net.depth
    if net.is_family or H < 2 or not M.points_exact or d0 * dH < 2 or M.rank == 0:
        return None
    if (M.filling and d0 * dH > max_size) or (not M.filling and net.num_params > max_size):
        return None
    random_base = [sympy.Matrix([[sympy.Rational(int(v.p), int(v.q)) for v in row] for row in W])
                   for W in net.exact_weights(M.point(seed=seed))]
    bases = [(M._minimal_layers(), "the rank factorisation of the target (hidden layers of rank r)"),
             (random_base, f"the point of M with seed {seed}")]
    target = sympy.Matrix(M.target)
    for base, origin in bases:
        curve = _escape_from(net, base, origin, target)
        if curve is not None:
            return curve
    return None


def _escape_candidates(widths):
    """(boundaries, pattern): rescale one hidden layer, or every hidden layer by the same D."""
    H = len(widths) - 1
    for b in range(1, H):
        for pattern in _scaling_patterns(widths[b]):
            yield (b,), pattern
    if H >= 3:
        narrow = min(widths[1:-1])
        for pattern in _scaling_patterns(narrow):
            yield tuple(range(1, H)), pattern


def _symbolic_hessian(net, weights) -> sympy.Matrix:
    """The full Hessian (with the residual term) at symbolic weights: the non-filling case."""
    from .minima import _rat
    from .network import hessian_from_weights, object_array

    Hs = hessian_from_weights([object_array(W.tolist()) for W in weights], object_array(net.Sigma.tolist()),
                              object_array((net.Y * net.X.T).tolist()), _rat(net.loss_scale))
    return sympy.Matrix(Hs.tolist()).applyfunc(sympy.cancel)


def _escape_from(net, base, origin, target):
    M_filling = net.minima().filling
    x = sympy.Symbol("x")
    for boundaries, pattern in _escape_candidates(net.widths):
        weights = list(base)
        for b in boundaries:
            D = sympy.diag(*[TAU**e for e in pattern], *([1] * (net.widths[b] - len(pattern))))
            weights[b - 1] = D * weights[b - 1]
            weights[b] = weights[b] * D.inv()
        product = weights[0]
        for W in weights[1:]:
            product = W * product
        if any(sympy.cancel(v) != 0 for v in product - target):
            raise RuntimeError("internal error: rescaled point left M")
        K = normal_operator(net, weights) if M_filling else _symbolic_hessian(net, weights)
        coeffs = [sympy.cancel(c) for c in sympy.Poly(K.charpoly(x).as_expr(), x).all_coeffs()]
        # k = number of non-zero eigenvalues for all but finitely many tau (on a smooth M: the codimension)
        k = max(j for j, c in enumerate(coeffs) if c != 0)
        if k == 0:
            continue
        bound = sympy.factor(sympy.cancel(-k * coeffs[k] / coeffs[k - 1]))
        norm2 = sympy.cancel(sum(v**2 for W in weights for v in W))
        lim_e = sympy.limit(bound, TAU, 0, "+")
        lim_n = sympy.limit(norm2, TAU, 0, "+")
        if lim_e == 0 and lim_n == sympy.oo:
            eigen = None
            if K.rows <= 2:
                eigen = tuple(sorted((sympy.expand(sympy.simplify(e)) for e in K.eigenvals()
                                      if sympy.simplify(e) != 0), key=sympy.default_sort_key))
            moves = "; ".join(f"W_{b} -> D W_{b}, W_{b + 1} -> W_{b + 1} D^-1" for b in boundaries)
            return EscapeCurve(
                theta=tuple(v for W in weights for v in W), codimension=k, bound=bound,
                norm_squared=norm2, bound_limit=lim_e, norm_limit=lim_n,
                construction=(f"{moves} with D = diag("
                              f"{', '.join(f'tau^{e}' for e in pattern)}, 1...), starting from {origin}"),
                eigenvalues=eigen)
    return None


# --- properness of the sharpness on M (result A3) -----------------------------------------

@dataclass(frozen=True)
class BoundedSharpnessCurve:
    """An exact curve ``theta(tau)`` in M with ``||theta|| -> oo`` (``tau -> 0+``) and a constant spectrum.

    It disproves "the sharpness is proper on M" for its architecture: the
    characteristic polynomial of the Hessian along the curve does not depend on
    ``tau`` (checked symbolically), so ``lambda_max`` stays ``lambda_max`` while
    the norm diverges. Construction (depth >= 3, a middle layer ``W_l`` with
    ``d_(l-1) > rank T`` and ``d_l > rank T``): from the rank factorisation point
    ``W_1 = [V; 0]``, ``W_m = diag(I, 0)``, ``W_H = [U, 0]``, add ``u v^T / tau`` to
    ``W_l`` with ``u`` in the kernel of ``W_H ... W_(l+1)`` and ``v`` in the left
    kernel of ``W_(l-1) ... W_1``; neither the product nor its Jacobian changes.
    Non-filling targets: the residual term is affine in ``1/tau`` with a
    traceless ``1/tau`` part, and the Hessian stays PSD on M, so that part
    vanishes; either way the code checks exactly that the Hessian (the normal
    operator when filling, the full Hessian otherwise) does not depend on ``tau``.
    """

    theta: tuple
    charpoly: sympy.Expr
    lambda_max: sympy.Expr
    norm_squared: sympy.Expr
    norm_limit: sympy.Expr
    construction: str

    @property
    def proved(self) -> bool:
        return self.norm_limit == sympy.oo and TAU not in self.charpoly.free_symbols

    def to_dict(self) -> dict:
        return {"parameter": "tau -> 0+", "theta": [sympy.sstr(v) for v in self.theta],
                "charpoly": sympy.sstr(self.charpoly), "lambda_max": sympy.sstr(self.lambda_max),
                "norm_squared": sympy.sstr(self.norm_squared), "construction": self.construction,
                "proved": self.proved, "evidence": "exact (symbolic charpoly independent of tau)"}

    def latex(self) -> str:
        theta = ", ".join(sympy.latex(v) for v in self.theta)
        return (rf"\theta(\tau) = ({theta}) \in M,\quad \lambda_{{\max}}(\nabla^2 L(\theta(\tau))) = "
                rf"{sympy.latex(self.lambda_max)},\quad \|\theta(\tau)\|^2 = {sympy.latex(self.norm_squared)}"
                r" \to \infty")

    def __str__(self) -> str:
        status = "proved" if self.proved else "NOT proved"
        return (f"bounded-sharpness curve ({status}, exact): theta(tau) = "
                f"({', '.join(sympy.sstr(v) for v in self.theta)}), tau -> 0+\n"
                f"  {self.construction}\n"
                f"  lambda_max = {sympy.sstr(self.lambda_max)} for every tau (the Hessian's charpoly does not "
                f"depend on tau); ||theta||^2 = {sympy.sstr(self.norm_squared)} -> oo")


def bounded_sharpness_curve(net, base=None) -> BoundedSharpnessCurve | None:
    """A curve in M along which ``||theta|| -> oo`` but the sharpness is constant, or None.

    Exists (and is returned) for numeric data with a non-zero rational target
    ``T`` (filling or not) whenever the depth is at least 3 and some middle layer ``W_l``
    (``2 <= l <= H - 1``) has ``d_(l-1) > rank T`` and ``d_l > rank T``, e.g.
    widths ``(1, 2, 2, 1)``. See :class:`BoundedSharpnessCurve`.

    The curve starts at ``base`` (an exact rational point of M; default the rank
    factorisation of the target) and adds ``u v^T / tau`` to ``W_l`` with
    ``A_l u = 0`` and ``v^T B_l = 0`` (``A_l = W_H..W_(l+1)``,
    ``B_l = W_(l-1)..W_1``, kernels computed exactly at ``base``), so neither the
    product nor the Jacobian of the product map moves: ``lambda_max`` along the
    curve is its value at ``base``. Starting near the minimiser of
    ``lambda_max`` therefore shows ``M_SS(eta)`` unbounded for almost every
    ``eta < eta_C``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> curve = bounded_sharpness_curve(LinearNetwork.whitened((1, 2, 2, 1), [[3]]))
    >>> curve.proved, curve.lambda_max, curve.norm_squared
    (True, 19, (11*tau**2 + 1)/tau**2)
    """
    M = net.minima()
    widths, H = net.widths, net.depth
    if net.is_family or H < 3 or not M.points_exact:
        return None
    target = sympy.Matrix(M.target)
    rho = target.rank()  # 0 allowed: then the curve has Hess L = 0 throughout (depth >= 3)
    if not any(widths[l - 1] > rho and widths[l] > rho for l in range(2, H)):
        return None
    if base is None:
        weights = [W.copy() for W in M._minimal_layers()]
        where = "rank factorisation point of M"
    else:
        point = [sympy.Rational(str(v)) for v in base]
        M.check_on_manifold([str(v) for v in point])
        weights = [sympy.Matrix(W.tolist()) for W in net.split(point)]
        where = "the given point of M"
    for layer in (l for l in range(2, H) if widths[l - 1] > rho and widths[l] > rho):
        right = _chain(weights[layer:], widths[layer]).nullspace()  # A_l u = 0
        left = _chain(weights[:layer - 1], widths[0]).T.nullspace()  # v^T B_l = 0
        if right and left:
            u, v = right[0], left[0]
            break
    else:
        return None
    weights[layer - 1] = weights[layer - 1] + u * v.T / TAU
    product = weights[0]
    for W in weights[1:]:
        product = W * product
    if any(sympy.cancel(v) != 0 for v in product - target):
        raise RuntimeError("internal error: the bounded-sharpness curve left M")
    x = sympy.Symbol("x")
    K = (normal_operator(net, weights) if M.filling else _symbolic_hessian(net, weights)).applyfunc(sympy.cancel)
    top = None
    if any(TAU in e.free_symbols for e in K):  # not expected; the charpoly decides
        charpoly = sympy.factor(sympy.cancel(K.charpoly(x).as_expr()))
    else:  # a constant matrix: exact charpoly over Q (python-flint)
        import flint

        from .critical import _eigenvalues_exact

        from .minima import _fmpq

        Kq = flint.fmpq_mat(K.rows, K.cols, [_fmpq(e) for e in K])
        charpoly = sympy.factor(sum(sympy.Rational(int(c.p), int(c.q)) * x**i
                                    for i, c in enumerate(Kq.charpoly().coeffs())))
        top = _eigenvalues_exact(K)[-1]
    norm2 = sympy.cancel(sum(v**2 for W in weights for v in W))
    return BoundedSharpnessCurve(
        theta=tuple(v for W in weights for v in W), charpoly=charpoly, lambda_max=top, norm_squared=norm2,
        norm_limit=sympy.limit(norm2, TAU, 0, "+"),
        construction=(f"{where} with W_{layer} += u v^T / tau, A_{layer} u = 0 and v^T B_{layer} = 0 (a kernel "
                      "direction of the suffix times a left-kernel direction of the prefix)"))


def _chain(weights, size) -> sympy.Matrix:
    """``W_k .. W_1`` for the given layers (identity of ``size`` when empty)."""
    out = sympy.eye(size)
    for W in weights:
        out = W * out
    return out


@dataclass(frozen=True)
class ProperProof:
    """A lower bound ``lambda_max >= bound(||theta||^2)`` on M that tends to infinity, or why there is none.

    ``bound`` is a sympy expression in the symbol ``R2`` (``||theta||^2``).
    ``proved`` is True only when the bound is backed by the exact identities
    named in ``argument`` (checked symbolically by :func:`properness`).
    ``counterexample`` is a :class:`BoundedSharpnessCurve` when properness is
    false for the architecture (``disproved``).
    """

    proved: bool
    bound: sympy.Expr | None
    argument: str
    counterexample: BoundedSharpnessCurve | None = None

    @property
    def disproved(self) -> bool:
        return self.counterexample is not None and self.counterexample.proved

    def radius(self, level) -> sympy.Expr | None:
        """``sup {||theta|| : bound(||theta||^2) < level}``: points of M with ``lambda_max < level`` lie inside."""
        if not self.proved:
            return None
        r2 = sympy.Symbol("R2", positive=True)
        sols = sympy.solve(sympy.Eq(self.bound, level), r2)
        return sympy.sqrt(max(sols, key=lambda v: sympy.N(v))) if sols else None

    def to_dict(self) -> dict:
        return {"proved": self.proved, "disproved": self.disproved,
                "bound": None if self.bound is None else sympy.sstr(self.bound),
                "variable": "R2 = ||theta||^2", "argument": self.argument,
                "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
                "evidence": ("exact identity + inequalities" if self.proved
                             else "exact counterexample curve" if self.disproved else None)}

    def __str__(self) -> str:
        if self.disproved:
            return (f"the sharpness is NOT proper on M (disproved, exact): {self.argument}\n"
                    + str(self.counterexample))
        if not self.proved:
            return f"properness not proved by symstab: {self.argument}"
        return f"lambda_max >= {sympy.sstr(self.bound)} on M (R2 = ||theta||^2): {self.argument}"


def _jacobian_frobenius_squared(net, weights) -> sympy.Expr:
    """``||D mu||_F^2`` at symbolic ``weights``: the sum of squares of every entry's partial derivatives."""
    names = [v for W in weights for v in W]
    return sympy.expand(sum(sympy.diff(e, v) ** 2 for e in _chain(weights, net.widths[0]) for v in names))


def _hessian_rank_bound(net, M) -> int:
    """An upper bound ``k`` on ``rank Hess L`` at points of M (for ``lambda_max >= tr / k``).

    Filling: ``Hess L = 2c J^T (Sigma-weighted) J`` has rank at most ``rank J <=
    r (d_0 + d_H - r)`` (``mu`` maps into the rank-``<= r`` matrices, smooth at
    rank ``r``) and at most ``d_0 d_H``. Non-filling: ``D - dim M`` when M is
    smooth (its tangent space lies in the kernel), else ``D``.
    """
    d0, dH = net.widths[0], net.widths[-1]
    if M.filling:
        return min(d0 * dH, M.smooth_rank) if M.is_smooth else d0 * dH
    return net.num_params - M.dimension if M.is_smooth else net.num_params


def properness(net) -> ProperProof:
    """A proof that the sharpness is proper on M: ``lambda_max >= b(||theta||^2) -> oo``.

    At a global minimum the Hessian is positive semi-definite and equals
    ``2c J^T (Sigma-weighted) J`` plus a residual term (non-filling only) whose
    diagonal vanishes (``mu`` is linear in each entry), so
    ``lambda_max >= tr H / k >= 2c lambda_min(Sigma) ||J||_F^2 / k`` with ``k``
    from :func:`_hessian_rank_bound`, and ``||J||_F^2 = sum_l ||W_{>l}||_F^2 ||W_{<l}||_F^2``.

    * Depth 2 (filling or not): ``||J||_F^2 = d_0 ||W_2||^2 + d_H ||W_1||^2``
      (an exact identity, checked with generic symbols), so
      ``lambda_max >= 2c lambda_min(Sigma) min(d_0, d_H) ||theta||^2 / k``.
    * Depth ``H >= 3``, product ``mu`` on M exact of rank ``r >= 1``, every middle
      layer ``W_l`` (``2 <= l <= H-1``) with ``min(d_(l-1), d_l) = r`` (otherwise,
      in the filling case, :func:`bounded_sharpness_curve` disproves properness).
      With ``a_m = ||A_m||_F``, ``b_m = ||B_m||_F`` (``A_m = W_H..W_(m+1)``,
      ``B_m = W_(m-1)..W_1``), ``f = ||J||_F^2 = sum_m a_m^2 b_m^2`` gives
      ``a_m b_m <= sqrt f``; ``mu = A_(m-1) B_m`` gives ``tau <= a_(m-1) b_m``
      (``tau = ||mu||_F``), hence ``b_m >= sqrt(d_0) (tau/sqrt f)^(m-1)``,
      ``a_m <= f^(m/2) / (sqrt(d_0) tau^(m-1))`` and symmetrically
      ``b_m <= f^((H-m+1)/2) / (sqrt(d_H) tau^(H-m))``. A middle layer with
      ``d_(l-1) = r`` is ``W_l = B_(l+1) B_l^+`` with ``sigma_r(B_l) >=
      sigma_r(mu) / a_(l-1)`` (and ``d_l = r`` is symmetric), so
      ``||W_l||_F <= a_(l-1) b_(l+1) / sigma_r(mu)``; ``W_1 = B_2``, ``W_H = A_(H-1)``.
      Summing, ``||theta||^2 <= C f^(H-1)`` with
      ``C = (1/d_0 + 1/d_H) / tau^(2(H-2)) + (H-2) / (d_0 d_H tau^(2(H-3)) sigma_r(mu)^2)``,
      and ``lambda_max >= 2c lambda_min(Sigma) (||theta||^2 / C)^(1/(H-1)) / k``.
      For scalar chains this is ``2c s p^2 (||theta||^2/(H p^2))^(1/(H-1))``.

    Parameters
    ----------
    net : LinearNetwork

    Returns
    -------
    ProperProof

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> print(properness(LinearNetwork.whitened((1, 1, 2), [[3], [4]])))
    lambda_max >= R2/2 on M (R2 = ||theta||^2): ...
    """
    from .critical import _eigenvalues_exact, _kappa

    M = net.minima()
    H, d0, dH = net.depth, net.widths[0], net.widths[-1]
    r2 = sympy.Symbol("R2", positive=True)
    if net.is_family:
        return ProperProof(False, None, "data is a family; substitute values")
    kappa = _kappa(net)
    lam_min = _eigenvalues_exact(net.Sigma)[0]
    if H == 1:
        return ProperProof(True, kappa * lam_min, "depth 1: M is one point (bounded)")
    k = _hessian_rank_bound(net, M)
    how = ("Hess L = 2c J^T (Sigma-weighted) J on M" if M.filling else
           "Hess L >= 0 on M and its residual term is traceless, so tr Hess L = 2c tr(J^T (Sigma-weighted) J)")
    if H == 2:
        names = sympy.symbols(" ".join(net.param_names))
        weights = [sympy.Matrix(W.tolist()) for W in net.split(list(names))]
        identity = sympy.expand(_jacobian_frobenius_squared(net, weights)
                                - d0 * sum(v**2 for v in weights[1]) - dH * sum(v**2 for v in weights[0]))
        if identity != 0:
            raise RuntimeError("internal error: trace identity failed")
        bound = kappa * lam_min * min(d0, dH) * r2 / k
        return ProperProof(True, sympy.radsimp(bound), (
            f"{how}; ||J||_F^2 = {d0} ||W_2||^2 + {dH} ||W_1||^2 (exact identity); "
            f"lambda_max >= tr / {k} >= 2c lambda_min(Sigma) ||J||_F^2 / {k}"))
    if M.target is None or not M.target_exact:
        return ProperProof(False, None, "the product on M is not exact here; no symbolic bound")
    target = sympy.Matrix(M.target)
    r = target.rank()
    narrow = all(min(net.widths[l - 1], net.widths[l]) == r for l in range(2, H))
    if r > 0 and narrow:
        gram = target * target.T
        tau2 = sympy.radsimp(sympy.expand(gram.trace()))
        if r == 1:
            s2, s2_note = tau2, ""
        elif M.target_field == "rational":
            s2, s2_note = _eigenvalues_exact(gram)[-r], ""  # the smallest non-zero squared singular value
        else:  # sigma_r^2 = e_r / prod_(i<r) sigma_i^2 >= e_r / tau^(2(r-1)), e_r the sum of principal r-minors
            from itertools import combinations

            e_r = sum(gram.extract(list(c), list(c)).det() for c in combinations(range(gram.rows), r))
            s2 = sympy.radsimp(sympy.expand(e_r)) / tau2 ** (r - 1)
            s2_note = " (sigma_r(mu)^2 >= e_r(mu mu^T) / tau^(2(r-1)))"
        C = sympy.radsimp((sympy.Rational(1, d0) + sympy.Rational(1, dH)) / tau2 ** (H - 2)
                          + sympy.Rational(H - 2, d0 * dH) / (tau2 ** (H - 3) * s2))
        bound = kappa * lam_min * (r2 / C) ** sympy.Rational(1, H - 1) / k
        return ProperProof(True, bound, (
            f"{how}; f = ||J||_F^2 = sum_l ||A_l||^2 ||B_l||^2 (A_l = W_H..W_(l+1), B_l = W_(l-1)..W_1); "
            f"every middle layer has an input or output of width rank mu = {r}, so W_l = B_(l+1) B_l^+ or "
            "A_l^+ A_(l-1) and ||W_l|| <= ||A_(l-1)|| ||B_(l+1)|| / sigma_r(mu); tau = ||mu||_F <= ||A_(m-1)|| ||B_m|| "
            "and ||A_m|| ||B_m|| <= sqrt f bound every partial product, giving ||theta||^2 <= C f^(H-1) with "
            f"C = {sympy.sstr(C)}{s2_note}; lambda_max >= tr / {k} >= 2c lambda_min(Sigma) f / {k}"))
    curve = bounded_sharpness_curve(net)
    if curve is not None and curve.proved:
        return ProperProof(False, None, (
            f"along an exact curve in M the norm diverges while lambda_max = {sympy.sstr(curve.lambda_max)} stays "
            "fixed, so M_SS(eta) is unbounded once 2/eta exceeds it (MATH.md A3 claims properness; it fails "
            "for depth >= 3 when a middle layer's input and output are both wider than rank W*)"), curve)
    if r == 0:
        return ProperProof(False, None, "product 0 on M: M is not a manifold and contains the origin")
    return ProperProof(False, None, (
        f"not proved: a middle layer of {net.widths} has input and output wider than rank mu = {r}, and the "
        "bounded-sharpness construction needs a rational product on M (an exact rational base point)"))


# --- symbolic spectra along M ---------------------------------------------------------------

@dataclass(frozen=True)
class SpectrumAlongM:
    """Closed-form non-zero Hessian eigenvalues on all of M, in terms of a parametrisation of M."""

    parameters: tuple
    theta: tuple | None
    eigenvalues: tuple  # (expr, multiplicity)
    description: str

    def to_dict(self) -> dict:
        return {"parameters": [str(p) for p in self.parameters],
                "theta": None if self.theta is None else [sympy.sstr(v) for v in self.theta],
                "eigenvalues": [{"value": sympy.sstr(e), "multiplicity": m} for e, m in self.eigenvalues],
                "description": self.description, "evidence": "exact (symbolic)"}

    def latex(self) -> str:
        eig = ",\\ ".join(sympy.latex(e) + (rf"\ (\times {m})" if m > 1 else "") for e, m in self.eigenvalues)
        return rf"\operatorname{{spec}}^{{+}}\nabla^2 L(\theta) = \{{{eig}\}}"

    def __str__(self) -> str:
        lines = [f"non-zero spectrum along M ({self.description}):"]
        if self.theta is not None:
            lines.append(f"  theta = ({', '.join(sympy.sstr(v) for v in self.theta)}), "
                         f"parameters {', '.join(map(str, self.parameters))} != 0")
        lines.extend(f"  {sympy.sstr(e)}" + (f"  (x{m})" if m > 1 else "") for e, m in self.eigenvalues)
        return "\n".join(lines)


def spectrum_along(net) -> SpectrumAlongM | None:
    """Symbolic non-zero spectrum of the Hessian along all of M, where it is closed-form.

    * hidden widths all 1 (scalar chains, ``(1,1,k)``, ``(k,1,1)``, ...), filling,
      target ``g h^T != 0``: M is parametrised exactly by
      ``W_1 = a_1 h^T``, ``W_l = a_l`` (``1 < l < H``), ``W_H = g / (a_1 ... a_{H-1})``;
      the eigenvalues are those of the normal operator :func:`normal_operator`
      in the parameters (data symbols allowed);
    * scalar input and output (any hidden widths): the one non-zero eigenvalue
      ``2c s ||grad mu(theta)||^2`` as a polynomial in the weights, valid at every point of M;
    * two layers, ``Sigma = s I``: ``{2c s (p_i + q_j)}`` with ``p_i`` the
      eigenvalues of ``W_2 W_2^T`` and ``q_j`` those of ``W_1^T W_1``
      (a formula at each point of M, not a parametrisation).

    Parameters
    ----------
    net : LinearNetwork

    Returns
    -------
    SpectrumAlongM or None
        None outside these families.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> print(spectrum_along(LinearNetwork.whitened((1, 1, 2), [[3], [4]])))
    non-zero spectrum along M (hidden widths 1: exact parametrisation of M):
      theta = (a1, 3/a1, 4/a1), parameters a1 != 0
      a1**2
      a1**2 + 25/a1**2
    """
    from .critical import _kappa, _scalar_sigma

    M = net.minima()
    H, d0, dH = net.depth, net.widths[0], net.widths[-1]
    if H < 2 or not M.filling or M.target is None:
        return None
    T = sympy.Matrix(M.target)
    if all(sympy.simplify(v) == 0 for v in T):
        return None
    if all(w == 1 for w in net.widths[1:-1]):
        params = sympy.symbols(" ".join(f"a{l}" for l in range(1, H)), real=True, nonzero=True)
        params = params if isinstance(params, tuple) else (params,)
        j = next(j for j in range(d0) if any(sympy.simplify(T[i, j]) != 0 for i in range(dH)))
        i = next(i for i in range(dH) if sympy.simplify(T[i, j]) != 0)
        g, h = T[:, j], (T[i, :] / T[i, j]).applyfunc(sympy.cancel)
        weights = [params[0] * h]
        weights.extend(sympy.Matrix([[a]]) for a in params[1:])
        prod = sympy.Integer(1)
        for a in params:
            prod *= a
        weights.append(g / prod)
        K = normal_operator(net, weights)
        eigen = []
        for value, mult in K.eigenvals().items():
            value = sympy.simplify(value)
            if value != 0:
                eigen.append((sympy.expand(value), int(mult)))
        eigen.sort(key=lambda e: sympy.default_sort_key(e[0]))
        return SpectrumAlongM(parameters=params, theta=tuple(sympy.cancel(v) for W in weights for v in W),
                              eigenvalues=tuple(eigen), description="hidden widths 1: exact parametrisation of M")
    if d0 == dH == 1:
        names = sympy.symbols(" ".join(net.param_names), real=True)
        weights = [sympy.Matrix(W.tolist()) for W in net.split(list(names))]
        K = normal_operator(net, weights)
        return SpectrumAlongM(
            parameters=tuple(names), theta=None, eigenvalues=((sympy.factor(K[0, 0]), 1),),
            description="scalar input and output: the single non-zero eigenvalue 2c s ||grad mu(theta)||^2 "
                        "at every point theta of M")
    s = _scalar_sigma(net.Sigma)
    if H == 2 and s is not None:
        p, q = sympy.symbols("p_i q_j", nonnegative=True)
        return SpectrumAlongM(
            parameters=(p, q), theta=None, eigenvalues=((_kappa(net) * s * (p + q), 1),),
            description="two layers, Sigma = s I: p_i over eigenvalues of W_2 W_2^T, q_j over those of "
                        "W_1^T W_1 (pairs with p_i + q_j > 0)")
    return None


# --- rigorous enclosure of the sharpness without a characteristic polynomial --------------------

def sharpness_enclosure(net, theta, *, margin: float = 1e-8) -> tuple:
    """A rigorous rational enclosure ``(lo, hi)`` of ``lambda_max(Hess L(theta))`` for any size.

    For architectures too large for an exact spectrum. With a float eigenpair
    ``(lam~, x)`` of the exact Hessian ``H``:

    * ``lo = x^T H x / x^T x`` for the rational vector ``x`` (Rayleigh quotient;
      evaluated in arb ball arithmetic and rounded down);
    * ``hi = b + ||E||_F`` where ``b = lam~ + margin |lam~|``, ``L`` is a float
      Cholesky factor of ``b I - H`` and ``E = b I - H - L L^T`` is enclosed in
      ball arithmetic: ``b I - H = L L^T + E >= -||E||_F I``.

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers
    margin : float
        Relative shift above the float ``lam~`` that makes ``b I - H`` safely positive definite.

    Returns
    -------
    tuple of Fraction

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> lo, hi = sharpness_enclosure(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), [1, 3, 4])
    >>> lo <= 26 <= hi, float(hi - lo) < 1e-5
    (True, True)
    """
    import numpy as np

    from .parsing import to_exact

    point = tuple(to_exact(t, where="theta") for t in theta)
    Hq = net.hessian_at(point)
    n = Hq.nrows()
    Hf = np.array([[float(Hq[i, j]) for j in range(n)] for i in range(n)])
    values, vectors = np.linalg.eigh(Hf)
    top = float(values[-1])
    old = flint.ctx.prec
    try:
        flint.ctx.prec = 128
        Ha = flint.arb_mat(Hq)
        x = flint.arb_mat([[flint.arb(float(v))] for v in vectors[:, -1]])
        num = (x.transpose() * Ha * x)[0, 0]
        den = (x.transpose() * x)[0, 0]
        lo = _enclose(num / den)[0]
        shift = top + margin * max(abs(top), 1.0)
        for _ in range(40):
            try:
                L = np.linalg.cholesky(shift * np.eye(n) - Hf)
                break
            except np.linalg.LinAlgError:
                shift += margin * max(abs(top), 1.0) * 10
        else:  # pragma: no cover - numpy could not factor a shifted positive definite matrix
            raise RuntimeError("Cholesky of b I - H failed after 40 shifts")
        b = Fraction(shift)
        La = flint.arb_mat([[flint.arb(float(v)) for v in row] for row in L])
        E = flint.arb_mat(n, n, [flint.fmpq(b.numerator, b.denominator) if i == j else 0
                                  for i in range(n) for j in range(n)]) - Ha - La * La.transpose()
        frob = sum((E[i, j] ** 2 for i in range(n) for j in range(n)), flint.arb(0)).sqrt()
        hi = b + _enclose(frob)[1]
    finally:
        flint.ctx.prec = old
    return lo, hi
