"""Result B3 of paper B: the divergence conditions next to ``eta*`` -- :class:`StabilityAnalysis` and :func:`analyze`.

Paper B gives two sufficient conditions for linearised SGD to diverge in mean
square (docs/theory.md, B3): the *sharpness* condition on ``lambda_1(H)`` and the
*coherence* condition ``lambda_1 > (sigma/eta) (n/B - 1)^(-1/2)``, with sigma the
coherence measure (B1).  :func:`analyze` evaluates both, exactly for exact input,
either at a step size or as the step sizes above which they hold, and sets them
against the exact threshold ``eta*`` (B2): each implied threshold is at least
``eta*``, and ``eta* / threshold`` measures how tight the condition is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from ..exact.algebraic import exact_sign, largest_real_root
from ..exact.latex import ROOT_NOTE, LatexDisplay, number, to_latex
from ..exact.latex import text as latex_text
from ..exact.numbers import as_rational
from .coherence import coherence
from .formatting import format_short, format_value
from .hessians import exact_mean, parse_eta, validate_batch, validate_hessians
from .threshold import compute_threshold

__all__ = ["StabilityAnalysis", "analyze"]


@dataclass(frozen=True)
class StabilityAnalysis(LatexDisplay):
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

    ``nonuniformity`` is Wu-Ma-E's ``s`` (see :class:`~symstab.sgd.coherence.Coherence`);
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
            return format_value(v) if isinstance(v, sympy.Basic) and v.is_finite else float(v)

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
            "eta": None if self.eta is None else (format_value(self.eta) if not isinstance(self.eta, float)
                                                  else self.eta),
            "sampling": self.sampling,
            "lambda_1": format_value(self.lambda_1) if isinstance(self.lambda_1, sympy.Basic) else self.lambda_1_float,
            "lambda_1_float": self.lambda_1_float,
            "sigma": format_value(self.sigma) if isinstance(self.sigma, sympy.Basic) else self.sigma_float,
            "sigma_float": self.sigma_float,
            "nonuniformity": (format_value(self.nonuniformity) if isinstance(self.nonuniformity, sympy.Basic)
                              else self.nonuniformity_float),
            "nonuniformity_float": self.nonuniformity_float,
            "conditions": conditions,
            "implied_thresholds": {k: threshold(v) for k, v in self.implied_thresholds.items()},
            "tightness": tight,
            "eta_star": (format_value(self.eta_star) if isinstance(self.eta_star, sympy.Basic)
                         and self.eta_star.is_finite else self.eta_star_float),
            "eta_star_float": self.eta_star_float,
            "threshold_method": self.threshold_method,
            "stable": self.stable,
            "marginal": self.marginal,
        }

    def _latex_rows(self) -> list:
        def tex(v, vf):
            return to_latex(v) if isinstance(v, sympy.Basic) else number(float(vf))

        rows = [rf"\lambda_1(H) &= {tex(self.lambda_1, self.lambda_1_float)}",
                rf"\sigma &= {tex(self.sigma, self.sigma_float)}",
                rf"s &= {tex(self.nonuniformity, self.nonuniformity_float)}",
                rf"\eta^* &= {tex(self.eta_star, self.eta_star_float)} \approx {number(self.eta_star_float)}"]
        if self.eta is not None:
            rows.append(rf"\eta &= {tex(self.eta, float(self.eta))}\ "
                        rf"(\text{{{'stable' if self.stable else 'not stable'}}})")
        return rows

    def latex_formula(self) -> str:
        """Math mode (``aligned``): lambda_1, sigma, s, eta* and the verdict at eta."""
        return "\\begin{aligned}\n" + " \\\\\n".join(self._latex_rows()) + "\n\\end{aligned}"

    def latex(self) -> str:
        """Text-mode fragment: paper B's quantities for this case, with their evidence, in an ``align*``."""
        rows = self._latex_rows()
        evidence = "exact" if self.threshold_method == "exact" else (
            "rigorous enclosure" if self.threshold_method == "mpmath" else "numerical")
        verdict = "" if self.eta is None else (" At the given step size SGD is " + (
            "mean-square stable" if self.stable else ("marginal" if self.marginal else "mean-square divergent")) + ".")
        return (rf"\textbf{{SGD stability}} ({latex_text(self.sampling)} sampling, $n = {self.n}$, "
                rf"$B = {self.batch}$; $\eta^*$ {evidence}, computed by the {latex_text(self.threshold_method)} "
                r"method): $\lambda_1(H)$ is the sharpness of the mean Hessian, $\sigma$ the coherence, $s$ the "
                r"non-uniformity and $\eta^*$ the mean-square threshold"
                + (ROOT_NOTE if any(r"\operatorname{root}" in r for r in rows) else "") + "." + "\n\\begin{align*}\n"
                + " \\\\\n".join(rows) + "\n\\end{align*}" + verdict)

    def __str__(self) -> str:
        head = (f"SGD stability ({self.sampling}, n = {self.n}, B = {self.batch}"
                + (f", eta = {format_short(self.eta)}):\n" if self.eta is not None else "):\n")
                + f"  lambda_1(H) = {format_short(self.lambda_1)} (~ {self.lambda_1_float:.6g})\n"
                f"  sigma = {format_short(self.sigma)} (~ {self.sigma_float:.6g}), "
                f"non-uniformity s = {format_short(self.nonuniformity)} (~ {self.nonuniformity_float:.6g})\n")
        star = f"  eta* = {format_short(self.eta_star)} (~ {self.eta_star_float:.6g}, {self.threshold_method})"
        tight = self.tightness
        if self.eta is None:
            conds = "\n".join(
                f"    {k}: holds iff eta > {format_short(v)} (~ {float(v):.6g}); eta*/threshold = "
                + ("n/a" if tight[k] is None else f"{tight[k]:.6g}")
                for k, v in self.implied_thresholds.items())
            return head + "  divergence conditions (sufficient):\n" + conds + "\n" + star
        conds = ", ".join(f"{k}: {'holds' if v else 'does not hold'}" for k, v in self.conditions.items())
        verdict = "mean-square stable" if self.stable else ("marginal" if self.marginal else "mean-square divergent")
        return head + f"  divergence conditions: {conds}\n" + star + f": {verdict}"


def analyze(hessians, batch: int, eta=None, sampling: str = "bernoulli", method: str = "auto",
            dps: int | None = None) -> StabilityAnalysis:
    """Evaluate paper B's divergence conditions and the exact threshold (docs/theory.md, B2-B3).

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        As in :func:`~symstab.sgd.coherence.coherence`.
    batch : int
        Batch size B.
    eta : int, Fraction, str or float, optional
        Step size; exact types give exact decisions.  Without it the conditions are
        reported only as step-size thresholds (see :class:`StabilityAnalysis`).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    method : {"auto", "exact", "float", "mpmath"}
        Passed to :func:`~symstab.sgd.threshold.mean_square_threshold`, with ``dps``.
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
    >>> from symstab.sgd.construction import coherence_construction
    >>> r = analyze(coherence_construction(12, 3), batch=4)
    >>> r.eta_star, r.implied_thresholds["coherence"], r.stable
    (24/5, 6*sqrt(2), None)
    """
    hs = validate_hessians(hessians)
    batch = validate_batch(hs.n, batch, sampling)
    eta_q, eta_f = parse_eta(eta) if eta is not None else (None, None)
    n = hs.n
    coh = coherence(hs)
    thr = compute_threshold(hs, batch, sampling, method, dps)
    factor = (1 + Fraction(1, batch) - Fraction(1, n)) if sampling == "bernoulli" else Fraction(1)
    ratio = Fraction(n, batch) - 1  # n/B - 1
    if hs.exact is not None:
        lam1 = largest_real_root(exact_mean(list(hs.exact)).charpoly())
        lambda_1, lambda_1_f = lam1.expr, lam1.value
    else:
        lam1 = None
        lambda_1 = lambda_1_f = float(np.linalg.eigvalsh(hs.floats.mean(axis=0))[-1])
    # Implied thresholds: the condition holds iff eta > threshold.
    if lambda_1_f > 0:
        t_sharp = ((sympy.Integer(2) / (lambda_1 * as_rational(factor))) if lam1 is not None
                   else 2 / (lambda_1_f * float(factor)))
    else:
        t_sharp = sympy.oo if lam1 is not None else math.inf
    if ratio > 0 and lambda_1_f > 0:
        if lam1 is not None and coh.exact:
            t_coh = coh.sigma / (lambda_1 * sympy.sqrt(as_rational(ratio)))
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
                conditions[name] = bool(t.is_finite) and exact_sign(as_rational(eta_q) - t) > 0
            else:
                conditions[name] = eta_f > float(t)
        if hs.exact is not None and eta_q is not None and thr.lam is not None:
            # eta < eta* = 2/lam  <=>  lam < 2/eta
            cmp = thr.lam.compare(2 / eta_q)
            stable, marginal = cmp < 0, cmp == 0
        elif eta_q is not None and isinstance(thr.eta_star, sympy.Float):  # mpmath: decided at dps digits
            gap = thr.eta_star - as_rational(eta_q)
            stable, marginal = bool(gap > 0), bool(gap == 0)
        else:
            stable, marginal = eta_f < thr.eta_star_float, eta_f == thr.eta_star_float
        stable, marginal = bool(stable), bool(marginal)
        eta_out = as_rational(eta_q) if eta_q is not None else eta_f
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
