"""Stability of minima under GD with step eta (result A4, pointwise part).

At a point theta of M, DG = I - eta H has eigenvalue 1 on the tangent space
(ker H) and ``1 - eta lambda_i`` in the normal directions. The minimum is linearly
stable when every ``|1 - eta lambda_i| < 1`` (``lambda_max < 2/eta``), unstable when
``lambda_max > 2/eta`` and marginal at equality (MATH.md 1.3, A4). The comparison
is exact: the enclosure of lambda_max from :mod:`symstab.spectrum` is refined until
it separates from ``2/eta``, and equality is decided by the minimal polynomial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from .errors import InvalidInputError
from .parsing import to_exact


@dataclass(frozen=True)
class Classification:
    """Verdict for a minimum: ``"stable"``, ``"unstable"`` or ``"marginal"``, with the eigenvalues of DG."""

    verdict: str
    eta: Fraction
    lambda_max: sympy.Expr
    dg_eigenvalues: tuple  # exact sympy numbers 1 - eta*lambda (normal directions), then 1 (tangent)
    tangent_multiplicity: int
    theta: tuple = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "eta": str(self.eta),
            "lambda_max": sympy.sstr(self.lambda_max),
            "two_over_eta": str(2 / self.eta),
            "dg_eigenvalues": [sympy.sstr(v) for v in self.dg_eigenvalues],
            "tangent_multiplicity": self.tangent_multiplicity,
            "evidence": "exact",
        }

    def latex(self) -> str:
        rel = {"stable": "<", "unstable": ">", "marginal": "="}[self.verdict]
        return (rf"\lambda_{{\max}} = {sympy.latex(self.lambda_max)} {rel} \frac{{2}}{{\eta}} = "
                rf"{sympy.latex(sympy.Rational(2) / sympy.Rational(self.eta.numerator, self.eta.denominator))}"
                rf"\quad(\text{{{self.verdict}}})")

    def __str__(self) -> str:
        return (f"{self.verdict}: lambda_max = {sympy.sstr(self.lambda_max)} vs 2/eta = {2 / self.eta} "
                f"(exact); DG eigenvalues {', '.join(sympy.sstr(v) for v in self.dg_eigenvalues)}")


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
    point = [to_exact(t, where="theta") for t in theta]
    net.minima().check_on_manifold(point)
    spectrum = net.spectrum_at(point)
    bound = 2 / step
    positive = [e for e in spectrum.eigenvalues if e.enclosure[0] > 0]
    if not positive:  # H = 0 at this minimum (e.g. the origin when W* = 0, depth >= 3)
        verdict = "stable"
        top = sympy.Integer(0)
    else:
        top_eig = positive[-1]
        top = top_eig.value
        sign = _compare(top_eig, bound)
        verdict = {1: "unstable", 0: "marginal", -1: "stable"}[sign]
    eta_s = sympy.Rational(step.numerator, step.denominator)
    dg = tuple(1 - eta_s * e.value for e in spectrum.eigenvalues for _ in range(e.multiplicity))
    return Classification(verdict=verdict, eta=step, lambda_max=top,
                          dg_eigenvalues=dg + (sympy.Integer(1),) * spectrum.zero_multiplicity,
                          tangent_multiplicity=spectrum.zero_multiplicity, theta=tuple(point))
