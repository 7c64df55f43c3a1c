"""Result A4: the stability of minima under GD with step eta -- ``classify``, ``M_SS(eta)`` and ``M_WS(eta)``.

At a point theta of M, DG = I - eta H has eigenvalue 1 on the tangent space
(ker H) and ``1 - eta lambda_i`` in the normal directions. The minimum is linearly
stable when every ``|1 - eta lambda_i| < 1`` (``lambda_max < 2/eta``), unstable when
``lambda_max > 2/eta`` and marginal at equality (docs/theory.md, A4). The comparison
is exact: the enclosure of lambda_max from :mod:`symstab.spectrum` is refined until
it separates from ``2/eta``, and equality is decided by the minimal polynomial.

``M_SS(eta)`` and ``M_WS(eta)`` are semi-algebraic sets with exact membership;
:func:`plot_stable_set` draws M coloured by the sharpness with ``M_SS(eta)`` marked
when M is a curve (two layers, hidden width 1).
This module sits above :mod:`symstab.critical` (A5): whether ``M_SS(eta)`` is empty,
bounded or unbounded is decided against the enclosure of ``eta_C``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np
import sympy

from .critical import critical_step_sizes, exact_point_near
from .errors import InvalidInputError, TooLargeError
from .exact.algebraic import enclose_algebraic, format_interval, sign_changes
from .exact.fieldspectrum import charpoly_over_field, is_positive_definite
from .exact.matrices import fmpq_matrix, sympy_matrix
from .exact.latex import LatexDisplay, to_latex
from .exact.numberfield import AlgebraicPoint, field_rref
from .exact.numbers import as_fraction, as_rational, to_exact
from .minima import minima, product_jacobian
from .network import jacobian_gram_from_weights
from .files import figure_suffixes, save_figure, writable_file
from .spectrum import (bounded_sharpness_curve, normal_operator, properness, sharpness_enclosure, spectrum_along,
                       spectrum_at)

__all__ = ["Classification", "StableSet", "classify", "plot_stable_set", "stable_set"]


@dataclass(frozen=True)
class Classification(LatexDisplay):
    """Verdict for a minimum: ``"stable"``, ``"unstable"`` or ``"marginal"``, with the eigenvalues of DG."""

    verdict: str
    eta: Fraction
    lambda_max: sympy.Expr
    dg_eigenvalues: tuple  # exact sympy numbers 1 - eta*lambda (normal directions), then 1 (tangent)
    tangent_multiplicity: int
    theta: tuple = field(repr=False)
    evidence: str = "exact"

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "eta": str(self.eta),
            "lambda_max": sympy.sstr(self.lambda_max),
            "two_over_eta": str(2 / self.eta),
            "dg_eigenvalues": [sympy.sstr(v) for v in self.dg_eigenvalues],
            "tangent_multiplicity": self.tangent_multiplicity,
            "evidence": self.evidence,
        }

    def latex_formula(self) -> str:
        """Math mode: ``lambda_max`` against ``2/eta`` and the verdict."""
        rel = {"stable": "<", "unstable": ">", "marginal": "="}[self.verdict]
        two_over_eta = sympy.Rational(2) / sympy.Rational(self.eta.numerator, self.eta.denominator)
        return (rf"\lambda_{{\max}} = {to_latex(self.lambda_max)} {rel} \frac{{2}}{{\eta}} = {to_latex(two_over_eta)}"
                rf"\quad(\text{{{self.verdict}}})")

    def latex(self) -> str:
        """Text-mode fragment: result A4 at one point, with the evidence."""
        how = "decided exactly" if self.evidence == "exact" else "decided by a rigorous enclosure"
        eta = to_latex(sympy.Rational(self.eta.numerator, self.eta.denominator))
        return (rf"\textbf{{Result A4 ({self.evidence}).}} At this minimum, with step size $\eta = {eta}$, the minimum "
                rf"is \emph{{{self.verdict}}} ({how}):" + "\n\\begin{equation*}\n" + self.latex_formula()
                + "\n\\end{equation*}")

    def __str__(self) -> str:
        how = "decided exactly" if self.evidence == "exact" else "decided by a rigorous enclosure"
        dg = ", ".join(_brief(v) for v in self.dg_eigenvalues) if self.dg_eigenvalues else "not computed"
        return (f"{self.verdict}: lambda_max = {_brief(self.lambda_max)} vs 2/eta = {2 / self.eta} "
                f"({how}); DG eigenvalues {dg}")


def _brief(value, limit: int = 40) -> str:
    """An exact number in sympy form when short, else its 12-digit value marked as exact-algebraic."""
    text = sympy.sstr(value)
    if len(text) <= limit:
        return text
    return f"{sympy.N(value, 12)} (exact algebraic, shown rounded)"


def _compare(eigenvalue, bound: Fraction) -> int:
    """Exact sign of ``lambda - bound`` for an eigenvalue with enclosure and minimal polynomial."""
    lo, hi = eigenvalue.enclosure
    if lo > bound:
        return 1
    if hi < bound:
        return -1
    lam = sympy.Symbol("lam")
    if sympy.Poly(eigenvalue.minimal_polynomial, lam).eval(sympy.Rational(bound.numerator, bound.denominator)) == 0:
        return 0  # bound is a root of the irreducible minimal polynomial, hence (degree 1) equal
    diff = eigenvalue.value - sympy.Rational(bound.numerator, bound.denominator)
    return 1 if bool(diff > 0) else -1  # sympy decides the sign of a non-zero algebraic number exactly


def classify(net, theta, eta) -> Classification:
    """Classify the minimum ``theta`` of ``net`` for the step ``eta`` (result A4).

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers
        A point of M (checked exactly; a point off M is refused with its residual).
    eta : exact positive number

    Returns
    -------
    Classification

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> net.classify([1, 3, 4], "1/13").verdict      # lambda_max = 26 = 2/eta
    'marginal'
    >>> net.classify([1, 3, 4], "1/20").verdict
    'stable'
    """
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError(f"eta must be an exact positive number, got {eta!r}")
    point = net.exact_point(theta)
    M = minima(net)
    M.check_on_manifold(point)
    bound = 2 / step
    try:
        spectrum = spectrum_at(net, point)
    except TooLargeError:
        lo, hi = sharpness_enclosure(net, point)
        if lo <= bound <= hi:
            raise InvalidInputError(
                f"2/eta = {bound} lies in the rigorous enclosure {format_interval(lo, hi)} of lambda_max "
                "and the exact spectrum is too large: undecided (use spectrum_at(..., force=True))") from None
        mid = (lo + hi) / 2
        return Classification(verdict="unstable" if lo > bound else "stable", eta=step,
                              lambda_max=sympy.Rational(mid.numerator, mid.denominator), dg_eigenvalues=(),
                              tangent_multiplicity=M.dimension or 0, theta=tuple(point),
                              evidence=f"rigorous enclosure {format_interval(lo, hi, 15)} of lambda_max "
                                       "(exact spectrum too large)")
    positive = [e for e in spectrum.eigenvalues if e.enclosure[0] > 0]
    if not positive:  # H = 0 at this minimum (e.g. the origin when W* = 0, depth >= 3)
        verdict = "stable"
        top = sympy.Integer(0)
    else:
        top_eig = positive[-1]
        top = top_eig.value
        sign = _compare(top_eig, bound)
        verdict = {1: "unstable", 0: "marginal", -1: "stable"}[sign]
    eta_s = as_rational(step)
    dg = tuple(1 - eta_s * e.value for e in spectrum.eigenvalues for _ in range(e.multiplicity))
    return Classification(verdict=verdict, eta=step, lambda_max=top,
                          dg_eigenvalues=dg + (sympy.Integer(1),) * spectrum.zero_multiplicity,
                          tangent_multiplicity=spectrum.zero_multiplicity, theta=tuple(point))


# --- M_SS(eta) and M_WS(eta) as semi-algebraic sets --------------------------------------

@dataclass(frozen=True)
class StableSet(LatexDisplay):
    """``M_SS(eta)`` (every normal direction contracts) or ``M_WS(eta)`` (at least one does).

    With ``l = 2/eta``, ``N = J J^T`` and ``S(theta) = l (I (x) Sigma^-1) - 2c N(theta)``
    (symmetric, ``d_0 d_H`` square), Sylvester's law of inertia gives
    ``#{positive eigenvalues of S} = #{eigenvalues of K below l}`` where the
    ``n - k`` zero eigenvalues of K (``k = rank J``) always count. Hence

    * ``M_SS = {theta in M : S(theta) > 0}`` -- all leading principal minors
      of ``S`` positive (:attr:`conditions`);
    * ``M_WS = {theta in M : S(theta) has more than n - k positive eigenvalues}``
      -- by Descartes' rule (S is real-rooted), more than ``n - k`` sign changes
      in the coefficients of ``det(x I - S(theta))`` (:attr:`conditions`).

    Non-filling (``filling`` False): the Hessian on M has a residual term, so
    ``S(theta) = l I - Hess L(theta)`` (``D`` square); ``M_SS`` is again ``S > 0``
    and ``M_WS`` asks for more than ``D - rank Hess L`` positive eigenvalues of ``S``
    (the kernel of ``Hess L`` holds the tangent space of M).

    Membership of an exact point (:meth:`contains`), rational or an algebraic
    :class:`~symstab.exact.numberfield.AlgebraicPoint`, is decided exactly.
    """

    kind: str
    eta: Fraction
    conditions: tuple
    radius_bound: object
    net: object = field(repr=False, compare=False)
    filling: bool = True
    curve: object = field(default=None, repr=False, compare=False)

    def contains(self, theta) -> bool:
        """Exact membership of a rational point or an exact algebraic point of M (checked to lie on M)."""
        M = minima(self.net)
        point = self.net.exact_point(theta)
        if isinstance(point, AlgebraicPoint):
            M.check_on_manifold(point)
            return self._contains_in_field(point)
        if not M.points_exact:
            raise InvalidInputError("this target is irrational, so M has no rational points: pass an exact "
                                    "algebraic point of M (an AlgebraicPoint, e.g. M.point())")
        M.check_on_manifold(point)
        S = _inertia_matrix(self.net, [sympy_matrix(W) for W in self.net.exact_weights(point)], self.eta)
        if self.kind == "M_SS":
            return all(S[:k, :k].det() > 0 for k in range(1, S.rows + 1))
        Sq = fmpq_matrix(S)
        if self.filling:
            kernel = S.rows - int(product_jacobian(self.net, point).rank())
        else:  # rank Hess L = rank(l I - S)
            ell = flint.fmpq(2 * self.eta.denominator, self.eta.numerator)
            kernel = S.rows - (ell * flint.fmpq_mat(S.rows, S.rows, [int(i == j) for i in range(S.rows)
                                                                      for j in range(S.rows)]) - Sq).rank()
        return sign_changes(Sq.charpoly().coeffs()) > kernel

    def _contains_in_field(self, point) -> bool:
        """Membership of an algebraic point: the same criteria with ``S(theta)`` over ``K = Q(alpha)``; every
        sign (pivots of ``S``, coefficients of ``det(x I - S)``) is an exact field sign."""
        ell = 2 / self.eta
        if self.filling:
            G = jacobian_gram_from_weights(self.net.exact_weights(point)).tolist()  # N = J J^T, rank N = rank J
            c = as_fraction(self.net.kappa)
            Sinv = sympy.kronecker_product(sympy.eye(self.net.widths[-1]), self.net.Sigma.inv())
            S = [[ell * as_fraction(Sinv[i, j]) - c * G[i][j] for j in range(len(G))] for i in range(len(G))]
        else:
            G = self.net.hessian_at(point)
            S = [[(ell if i == j else 0) - G[i][j] for j in range(len(G))] for i in range(len(G))]
        if self.kind == "M_SS":
            return is_positive_definite(S)
        kernel = len(S) - len(field_rref(G)[1])
        return sign_changes([point.field(v).sign() for v in charpoly_over_field(S, point.field(1))]) > kernel

    def to_dict(self) -> dict:
        return {"kind": self.kind, "eta": str(self.eta), "conditions": [sympy.sstr(c) for c in self.conditions],
                "radius_bound": None if self.radius_bound is None else sympy.sstr(self.radius_bound),
                "description": self.description}

    @property
    def description(self) -> str:
        S = ("S(theta) = (2/eta)(I (x) Sigma^-1) - 2c J J^T" if self.filling
             else "S(theta) = (2/eta) I - Hess L(theta) (non-filling: residual term included)")
        if self.kind == "M_SS":
            return f"{{theta in M : leading principal minors of {S} all > 0}}"
        n = "d_0 d_H - rank J" if self.filling else "D - rank Hess L"
        return f"{{theta in M : the coefficients of det(x I - S(theta)) have more than {n} sign changes; {S}}}"

    def _latex_parts(self):
        name = r"M_{SS}" if self.kind == "M_SS" else r"M_{WS}"
        ell = sympy.Rational(2) / sympy.Rational(self.eta.numerator, self.eta.denominator)
        if self.filling:
            rank, S = r"n - \operatorname{rank} J", rf"{to_latex(ell)}\,(I \otimes \Sigma^{{-1}}) - 2c\,J J^\top"
        else:
            rank, S = r"D - \operatorname{rank} \nabla^2 L", rf"{to_latex(ell)}\,I - \nabla^2 L(\theta)"
        cond = r"\Delta_i(\theta) > 0,\ i = 1, \dots, n" if self.kind == "M_SS" else \
            rf"\operatorname{{var}}(\chi_S) > {rank}"
        return name, rf"\left\{{\theta \in M : {cond}\right\}}", S

    def latex_formula(self) -> str:
        """Math mode: the set, the matrix S, and whether the set is empty, bounded or unbounded."""
        name, body, S = self._latex_parts()
        head = rf"{name}(\eta) = {body},\quad S = {S}"
        if self.radius_bound == 0:
            head += r",\quad \text{empty}"
        elif self.radius_bound == sympy.oo:
            head += r",\quad \text{unbounded}"
        elif self.radius_bound is not None:
            head += rf",\quad \|\theta\| < {to_latex(self.radius_bound)}"
        return head

    def latex(self) -> str:
        """Text-mode fragment: the semi-algebraic set (exact membership) and what is known of its size."""
        name, body, S = self._latex_parts()
        eta = to_latex(sympy.Rational(self.eta.numerator, self.eta.denominator))
        what = ("the minima where every normal direction contracts" if self.kind == "M_SS"
                else "the minima where at least one normal direction contracts")
        cond = (r"$\Delta_i$ are the leading principal minors of $S$" if self.kind == "M_SS" else
                r"$\operatorname{var}(\chi_S)$ is the number of sign changes in the coefficients of "
                r"$\det(xI - S(\theta))$")
        out = (rf"\textbf{{Result A4, the set ${name}(\eta)$}} of {what}, for $\eta = {eta}$ "
               "(membership of an exact point, rational or algebraic, is decided exactly):\n\\begin{align*}\n"
               rf"{name}(\eta) &= {body}, \\" + "\n" + rf"S(\theta) &= {S}," + "\n\\end{align*}\n"
               + f"where {cond}")
        if self.radius_bound == 0:
            out += (r". It is \emph{empty} (rigorous enclosure): $\eta$ exceeds the upper end of the enclosure of "
                    r"$\eta_C$, so $\lambda_{\max} > 2/\eta$ on all of $M$.")
        elif self.radius_bound == sympy.oo:
            out += r". It is \emph{unbounded} (exact): it contains a curve in $M$ with constant $\lambda_{\max}$."
        elif self.radius_bound is not None:
            out += rf". It is bounded (exact): $\|\theta\| < {to_latex(self.radius_bound)}$ on it."
        else:
            out += "."
        if self.conditions:
            out += f" Its definition has {len(self.conditions)} polynomial condition(s) in the parameters."
        return out

    def __str__(self) -> str:
        lines = [f"{self.kind}(eta = {self.eta}) = {self.description}"]
        if not self.conditions:
            lines.append(f"  (defining polynomials not expanded for D = {self.net.num_params}, d_0 d_H = "
                         f"{self.net.widths[0] * self.net.widths[-1]}; exact membership of exact points "
                         "is still decided exactly by contains())")
        for i, c in enumerate(self.conditions, 1):
            text = sympy.sstr(c)
            lines.append(f"  condition {i}: {text if len(text) < 300 else text[:297] + '...'}")
        if self.radius_bound == 0:
            lines.append("  EMPTY (rigorous): eta exceeds the upper end of the eta_C enclosure, so lambda_max > 2/eta "
                         "on all of M")
        elif self.radius_bound == sympy.oo:
            top = "" if self.curve is None else f" = {format(float(sympy.N(self.curve.lambda_max, 20)), '.12g')}"
            lines.append(f"  UNBOUNDED (exact): a curve in M with ||theta|| -> oo and constant lambda_max{top} < 2/eta "
                         "lies in it (see spectrum.bounded_sharpness_curve)")
        elif self.radius_bound is not None:
            lines.append(f"  bounded: ||theta|| < {sympy.sstr(self.radius_bound)} on M_SS (from the properness bound)")
        return "\n".join(lines)


def _inertia_matrix(net, weights, eta: Fraction) -> sympy.Matrix:
    ell = sympy.Rational(2 * eta.denominator, eta.numerator)
    if not minima(net).filling:
        return (ell * sympy.eye(net.num_params) - net.hessian_at_weights(weights)).applyfunc(sympy.expand)
    dH = net.widths[-1]
    return (ell * sympy.kronecker_product(sympy.eye(dH), net.Sigma.inv())
            - normal_operator(net, weights, symmetric=True)).applyfunc(sympy.expand)


def stable_set(net, eta, kind: str = "M_SS", *, symbolic_limit: int = 4, symbolic_params: int = 8,
               decide_empty: bool = True) -> StableSet:
    """``M_SS(eta)`` or ``M_WS(eta)`` as a semi-algebraic set (result A4); numeric data.

    Parameters
    ----------
    net : LinearNetwork
    eta : exact positive number
    kind : ``"M_SS"`` or ``"M_WS"``
    symbolic_limit : int
        Largest ``d_0 d_H`` for which the defining polynomials are expanded symbolically.
    symbolic_params : int
        Largest parameter count ``D`` for which they are expanded (beyond it the
        expansions take minutes and run to pages; the set is described by the
        matrix ``S(theta)`` and exact membership still works).
    decide_empty : bool
        Compute ``eta_C``'s enclosure to report ``M_SS`` empty (``radius_bound = 0``)
        when ``eta`` exceeds it (up to a few seconds without a closed form).

    Returns
    -------
    StableSet

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> ss = stable_set(net, "1/20")
    >>> ss.contains([1, 3, 4]), ss.contains(["1/2", 6, 8])   # lambda_max = 26 and 100 + 1/4 vs 2/eta = 40
    (True, False)
    >>> ss.radius_bound    # lambda_max >= ||theta||^2 / 2 on M
    4*sqrt(5)
    """
    if kind not in ("M_SS", "M_WS"):
        raise InvalidInputError(f"kind must be 'M_SS' or 'M_WS', got {kind!r}")
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError(f"eta must be an exact positive number, got {eta!r}")
    net.require_numeric("M_SS / M_WS")
    M = minima(net)
    conditions = ()
    n = net.widths[0] * net.widths[-1] if M.filling else net.num_params
    if n <= symbolic_limit and net.num_params <= symbolic_params:
        names = sympy.symbols(" ".join(net.param_names))
        names = names if isinstance(names, tuple) else (names,)
        S = _inertia_matrix(net, [sympy.Matrix(W.tolist()) for W in net.split(list(names))], step)
        if kind == "M_SS":
            conditions = tuple(sympy.expand(S[:k, :k].det(method="berkowitz")) for k in range(1, n + 1))
        else:
            x = sympy.Symbol("x")
            conditions = tuple(sympy.Poly(S.charpoly(x).as_expr(), x).all_coeffs())
    radius = curve = None
    if kind == "M_SS":
        level = 2 / sympy.Rational(step.numerator, step.denominator)
        proof = properness(net)
        radius = proof.radius(level)
        steps = []  # critical_step_sizes, computed at most once and only when needed

        def eta_c():
            if not steps:
                steps.append(critical_step_sizes(net, prove=False))
            return steps[0]

        curve = _unbounded_curve_below(net, M, proof, level, eta_c) if proof.disproved else None
        if curve is not None:
            radius = sympy.oo  # the whole bounded-sharpness curve lies in M_SS(eta)
        elif decide_empty:
            cs = eta_c()
            top = None if cs.eta_C_interval is None else cs.eta_C_interval[1]
            if top is not None and top != sympy.oo and step > top:  # lambda_max >= 2/top > 2/eta on all of M
                radius = sympy.Integer(0)
    return StableSet(kind=kind, eta=step, conditions=conditions, radius_bound=radius, net=net, filling=M.filling,
                     curve=curve)


def _unbounded_curve_below(net, M, proof, level, eta_c):
    """A bounded-sharpness curve with ``lambda_max < level`` (it lies in ``M_SS``), or None.

    The default curve (from the rank factorisation) is tried first, then one
    from an exact point of M next to the ``eta_C`` witness, whose constant
    ``lambda_max`` is within rounding of ``min_M lambda_max``; ``eta_c()`` returns
    the (cached) :class:`CriticalStepSizes`.
    """
    def below(curve):
        return (curve is not None and curve.proved
                and enclose_algebraic(curve.lambda_max, Fraction(1, 10**30))[1] < level)

    if below(proof.counterexample):
        return proof.counterexample
    cs = eta_c()
    if cs.witness is None:
        return None
    base = exact_point_near(net, M, cs.witness, 10**8)  # exact or numerical witness: rounded, one layer solved
    curve = bounded_sharpness_curve(net, base) if base is not None else None
    return curve if below(curve) else None



# --- the figure: M coloured by the sharpness, with M_SS(eta) marked --------------------------

def _default_eta(cs) -> Fraction:
    """``4/5`` of ``eta_C`` (from its enclosure), rounded to a short fraction."""
    lo = cs.eta_C_interval[0] if cs.eta_C_interval is not None else Fraction(str(cs.eta_C_float))
    return Fraction(4 * lo / 5).limit_denominator(100)


def plot_stable_set(net, eta=None, path=None, *, points: int = 1500):
    """Plot M coloured by the sharpness ``lambda_max``, with ``M_SS(eta)`` marked (result A4).

    For two layers with hidden width 1 (widths ``(1, 1, k)``, ``(k, 1, 1)``, ...),
    M is the curve ``theta(a) = (a h, g / a)``, ``a != 0`` (:func:`~symstab.spectrum.spectrum_along`);
    it lies in the plane spanned by ``(h, 0)`` and ``(0, g)``, drawn in the
    orthonormal coordinates ``(a ||h||, ||g|| / a)``: two branches, ``a > 0`` and ``a < 0``.
    Left: M in that plane, coloured by ``lambda_max``, with the arcs
    of ``M_SS(eta) = {lambda_max < 2/eta}`` and the minimiser of ``lambda_max``
    (``2/eta_C``) marked. Right: the non-zero eigenvalues against ``a > 0`` with
    ``2/eta`` and ``2/eta_C``. The eigenvalues are the exact closed forms
    evaluated in floats (numerical); exact membership of an exact point is
    :meth:`StableSet.contains`.

    Parameters
    ----------
    net : LinearNetwork
        Two layers, hidden width 1, numeric data, non-zero filling target.
    eta : exact positive number, optional
        The step whose ``M_SS`` is marked; default ``4/5`` of ``eta_C``, rounded.
    path : path, optional
        Where to save the figure (PNG, PDF, SVG by extension).
    points : int
        Points per branch.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> fig = plot_stable_set(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), "1/6", points=50)
    >>> [ax.get_label() for ax in fig.axes]
    ['M', 'spectrum', '<colorbar>']
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    along = None if net.is_family or net.depth != 2 or net.widths[1] != 1 else spectrum_along(net)
    if along is None or along.theta is None:
        raise InvalidInputError(f"plot_stable_set draws M as a curve: it needs two layers with hidden width 1, numeric "
                                f"data and a non-zero filling target (widths {net.widths})")
    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    cs = critical_step_sizes(net, prove=False)
    step = _default_eta(cs) if eta is None else to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError(f"eta must be an exact positive number, got {eta!r}")
    level, level_c = 2 / float(step), 2 / cs.eta_C_float
    a = along.parameters[0]
    d0 = net.widths[0]
    h_norm = float(sympy.sqrt(sum(v.subs(a, 1) ** 2 for v in along.theta[:d0])))
    g_norm = float(sympy.sqrt(sum(v.subs(a, 1) ** 2 for v in along.theta[d0:])))
    eig_fns = [sympy.lambdify(a, e, "numpy") for e, _ in along.eigenvalues]

    def spectrum(values):
        return np.array([np.broadcast_to(np.asarray(f(values), dtype=float), values.shape) for f in eig_fns])

    # the parameter range: where lambda_max stays below a few times max(2/eta, 2/eta_C) (lambda_max is even in a)
    balanced = np.sqrt(g_norm / h_norm)
    wide = balanced * np.geomspace(1e-4, 1e4, 4001)
    keep = wide[spectrum(wide).max(axis=0) <= 3 * max(level, level_c)]
    a_pos = np.geomspace(keep.min(), keep.max(), points) if keep.size > 1 else balanced * np.geomspace(0.2, 5, points)
    eig = spectrum(a_pos)
    lam_max = eig.max(axis=0)
    inside = lam_max < level

    fig = Figure(figsize=(11.5, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax, ax2 = fig.add_subplot(1, 2, 1, label="M"), fig.add_subplot(1, 2, 2, label="spectrum")
    norm = Normalize(vmin=lam_max.min(), vmax=lam_max.max())
    widths = ",".join(map(str, net.widths))
    for sign in (1, -1):
        x, y = sign * a_pos * h_norm, sign * g_norm / a_pos
        pts = np.column_stack([x, y]).reshape(-1, 1, 2)
        ax.plot(np.where(inside, x, np.nan), np.where(inside, y, np.nan), color="tab:green", lw=10, alpha=0.35,
                solid_capstyle="butt", label=rf"$M_{{SS}}(\eta)$, $\eta = {step}$" if sign == 1 else None)
        lines = LineCollection(np.concatenate([pts[:-1], pts[1:]], axis=1), cmap="viridis", norm=norm, lw=2.5)
        lines.set_array((lam_max[:-1] + lam_max[1:]) / 2)
        ax.add_collection(lines)
        best = int(np.argmin(lam_max))
        ax.plot(x[best], y[best], marker="*", ms=13, color="tab:red", ls="none",
                label=rf"min $\lambda_{{\max}} = 2/\eta_C$" if sign == 1 else None)
    fig.colorbar(lines, ax=ax, label=r"sharpness $\lambda_{\max}(\nabla^2 L)$")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_aspect("equal", adjustable="box")
    span = max(np.abs(a_pos * h_norm).max(), np.abs(g_norm / a_pos).max()) * 1.05
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_xlabel(r"$a\,\|h\|$: coordinate of $W_1 = a h^\top$")
    ax.set_ylabel(r"$\|g\| / a$: coordinate of $W_2 = g / a$")
    ax.set_title(f"M for widths ({widths}), coloured by the sharpness", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.13), frameon=False, ncol=2)

    for j, e in enumerate(eig):
        top = j == len(eig) - 1 and np.allclose(e, lam_max)
        ax2.semilogy(a_pos, e, color="k" if top else f"C{j}", lw=2.2 if top else 1.3,
                     label=(r"$\lambda_{\max} = " if top else r"$\lambda = ") + sympy.latex(along.eigenvalues[j][0]) + "$")
    ax2.axhline(level, color="tab:green", ls="--", label=rf"$2/\eta = {sympy.latex(2 / sympy.Rational(step))}$")
    ax2.axhline(level_c, color="tab:red", ls=":", label=rf"$2/\eta_C \approx {level_c:.4g}$")
    if inside.any():
        ax2.axvspan(a_pos[inside].min(), a_pos[inside].max(), color="tab:green", alpha=0.15,
                    label=r"$M_{SS}(\eta)$ ($a > 0$)")
    ax2.set_xlabel(r"parameter $a > 0$ of M")
    ax2.set_ylabel("non-zero Hessian eigenvalues")
    ax2.set_title("the spectrum along M (exact closed form, evaluated in floats)", fontsize=10)
    ax2.grid(True, which="major", alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.13), frameon=False, ncol=2)
    if path is not None:
        save_figure(fig, path)
    return fig
