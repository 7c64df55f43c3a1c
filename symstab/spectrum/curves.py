"""Result A3 along curves in M: escape curves (``lambda_min^+ -> 0``) and bounded-sharpness curves.

Both are exact curves ``theta(tau)`` in M with ``||theta|| -> oo`` as ``tau -> 0+``
(sympy rational functions of ``tau``). An :class:`EscapeCurve` shows that the
smallest non-zero eigenvalue is not proper on M (so ``eta_E = oo`` when
``d_0 d_H >= 2``); a :class:`BoundedSharpnessCurve` shows that the sharpness itself
is not proper at depth >= 3 with a wide middle layer (docs/theory.md, A3).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..exact.algebraic import eigenvalues_exact
from ..exact.latex import LatexDisplay, display, to_latex, tuple_terms
from ..exact.latex import text as latex_text
from ..exact.matrices import chain, fmpq_matrix
from ..exact.numbers import as_rational
from ..minima import minima
from .pointwise import normal_operator

__all__ = ["TAU", "BoundedSharpnessCurve", "EscapeCurve", "bounded_sharpness_curve", "escape_curve"]


# --- escape curves: lambda_min^+ is not proper (docs/theory.md, A3 and A5) --------------------

TAU = sympy.Symbol("tau", positive=True)


@dataclass(frozen=True)
class EscapeCurve(LatexDisplay):
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

    def latex_formula(self) -> str:
        """Math mode: the curve, the bound on ``lambda_min^+`` and the norm, with their limits."""
        theta = ", ".join(to_latex(v) for v in self.theta)
        return (rf"\theta(\tau) = ({theta}) \in M,\quad \lambda_{{\min}}^+ \le "
                rf"{to_latex(self.bound)} \xrightarrow[\tau\to 0^+]{{}} 0,\quad "
                rf"\|\theta(\tau)\|^2 = {to_latex(self.norm_squared)} \to \infty")

    def latex(self) -> str:
        """Text-mode fragment: the escape curve (exact) and why it shows ``eta_E = oo``."""
        status = "exact" if self.proved else "exact computation; the limits do NOT show escape"
        return _curve_latex(f"Escape curve ({status})", self.theta, self.construction,
                            rf"lies in $M$. Its {self.codimension} non-zero Hessian eigenvalues satisfy the harmonic-mean "
                            rf"bound $\lambda_{{\min}}^+ \le {to_latex(self.bound)}$, which tends to "
                            rf"${to_latex(self.bound_limit)}$ as $\tau \to 0^+$, while "
                            rf"$\|\theta(\tau)\|^2 = {to_latex(self.norm_squared)} \to {to_latex(self.norm_limit)}$.")

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
    M = minima(net)
    d0, dH, H = net.widths[0], net.widths[-1], net.depth
    if net.is_family or H < 2 or not M.points_exact or d0 * dH < 2 or M.rank == 0:
        return None
    if (M.filling and d0 * dH > max_size) or (not M.filling and net.num_params > max_size):
        return None
    random_base = [sympy.Matrix([[sympy.Rational(int(v.p), int(v.q)) for v in row] for row in W])
                   for W in net.exact_weights(M.point(seed=seed))]
    bases = [(M.minimal_layers(), "the rank factorisation of the target (hidden layers of rank r)"),
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


def _escape_from(net, base, origin, target):
    M_filling = minima(net).filling
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
        K = normal_operator(net, weights) if M_filling else net.hessian_at_weights(weights)
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


# --- bounded-sharpness curves: the sharpness is not proper (docs/theory.md, A3) ---------------

def _curve_latex(title: str, theta, construction: str, statement: str) -> str:
    """Text-mode fragment of a curve in M: title, the curve displayed, what holds along it, its construction."""
    return (rf"\textbf{{{title}.}} For $\tau > 0$ the curve" + "\n" + display(r"\theta(\tau)", tuple_terms(theta))
            + "\n" + statement + " " + latex_text(construction[:1].upper() + construction[1:]).rstrip(".") + ".")


@dataclass(frozen=True)
class BoundedSharpnessCurve(LatexDisplay):
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

    def latex_formula(self) -> str:
        """Math mode: the curve, its constant sharpness and its diverging norm."""
        theta = ", ".join(to_latex(v) for v in self.theta)
        return (rf"\theta(\tau) = ({theta}) \in M,\quad \lambda_{{\max}}(\nabla^2 L(\theta(\tau))) = "
                rf"{to_latex(self.lambda_max)},\quad \|\theta(\tau)\|^2 = {to_latex(self.norm_squared)}"
                r" \to \infty")

    def latex(self) -> str:
        """Text-mode fragment: the curve (exact) along which the sharpness stays bounded while the norm diverges."""
        status = "exact" if self.proved else "exact computation; NOT a counterexample"
        return _curve_latex(f"Bounded-sharpness curve ({status})", self.theta, self.construction,
                            r"lies in $M$; the characteristic polynomial of the Hessian along it does not depend on "
                            rf"$\tau$, so $\lambda_{{\max}} = {to_latex(self.lambda_max)}$ for every $\tau$, while "
                            rf"$\|\theta(\tau)\|^2 = {to_latex(self.norm_squared)} \to \infty$ as $\tau \to 0^+$: "
                            r"the sharpness is not proper on $M$.")

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
    M = minima(net)
    widths, H = net.widths, net.depth
    if net.is_family or H < 3 or not M.points_exact:
        return None
    target = sympy.Matrix(M.target)
    rho = target.rank()  # 0 allowed: then the curve has Hess L = 0 throughout (depth >= 3)
    if not any(widths[l - 1] > rho and widths[l] > rho for l in range(2, H)):
        return None
    if base is None:
        weights = [W.copy() for W in M.minimal_layers()]
        where = "rank factorisation point of M"
    else:
        point = [sympy.Rational(str(v)) for v in base]
        M.check_on_manifold([str(v) for v in point])
        weights = [sympy.Matrix(W.tolist()) for W in net.split(point)]
        where = "the given point of M"
    for layer in (l for l in range(2, H) if widths[l - 1] > rho and widths[l] > rho):
        right = chain(weights[layer:], widths[layer]).nullspace()  # A_l u = 0
        left = chain(weights[:layer - 1], widths[0]).T.nullspace()  # v^T B_l = 0
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
    K = (normal_operator(net, weights) if M.filling else net.hessian_at_weights(weights)).applyfunc(sympy.cancel)
    top = None
    if any(TAU in e.free_symbols for e in K):  # not expected; the charpoly decides
        charpoly = sympy.factor(sympy.cancel(K.charpoly(x).as_expr()))
    else:  # a constant matrix: exact charpoly over Q (python-flint)
        charpoly = sympy.factor(sum(as_rational(c) * x**i for i, c in enumerate(fmpq_matrix(K).charpoly().coeffs())))
        top = eigenvalues_exact(K)[-1]
    norm2 = sympy.cancel(sum(v**2 for W in weights for v in W))
    return BoundedSharpnessCurve(
        theta=tuple(v for W in weights for v in W), charpoly=charpoly, lambda_max=top, norm_squared=norm2,
        norm_limit=sympy.limit(norm2, TAU, 0, "+"),
        construction=(f"{where} with W_{layer} += u v^T / tau, A_{layer} u = 0 and v^T B_{layer} = 0 (a kernel "
                      "direction of the suffix times a left-kernel direction of the prefix)"))


