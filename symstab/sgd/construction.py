"""Result B3 of paper B: the near-optimality construction, its closed-form threshold, and the optimality gap.

:func:`coherence_construction` builds paper B's per-sample Hessians with any
coherence ``sigma`` in ``1..n``; under Bernoulli sampling its exact threshold has
the closed form of :func:`construction_threshold`.  On these Hessians
:func:`optimality_gap` tabulates how tight the divergence conditions of
:func:`~symstab.sgd.analysis.analyze` are, as ``eta* / threshold`` over
``(sigma, B)`` (:class:`OptimalityGap`, with a figure) (docs/theory.md, B3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import numpy as np
import sympy

from ..errors import InvalidInputError
from ..exact.algebraic import exact_sign
from ..exact.numbers import as_rational
from ..files import save_figure
from .analysis import StabilityAnalysis, analyze
from .hessians import exact_entry, parse_eta, validate_batch
from .threshold import second_moment_coefficients

__all__ = ["OptimalityGap", "coherence_construction", "construction_analysis", "construction_lyapunov",
           "construction_threshold", "optimality_gap"]


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
    >>> from symstab.sgd.coherence import coherence
    >>> coherence(hs).sigma
    2
    """
    n, sigma = _sizes(n, sigma)
    a = exact_entry(scale, "scale")
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
    >>> from symstab.sgd.threshold import mean_square_threshold
    >>> mean_square_threshold(coherence_construction(12, 3), batch=4)
    24/5
    """
    coherence_construction(1, 1, scale)  # validates scale
    n, sigma = int(n), int(sigma)
    if not 1 <= sigma <= n:
        raise InvalidInputError(f"need 1 <= sigma <= n, got n = {n}, sigma = {sigma}")
    batch = validate_batch(n, batch, "bernoulli")
    a = exact_entry(scale, "scale")
    lam1 = Fraction(sigma) * a / n
    value = 2 / (lam1 * (1 + (Fraction(n, batch) - 1) / sigma))
    return as_rational(value)


def construction_analysis(n: int, sigma: int, batch: int, eta=None, sampling: str = "bernoulli",
                          scale=1) -> StabilityAnalysis:
    """:func:`~symstab.sgd.analysis.analyze` of :func:`coherence_construction` in closed form: O(1), any n.

    With ``a = scale`` and ``c_k`` samples on direction ``k`` (``c_0 = sigma``, the
    others 1), everything is diagonal (docs/theory.md, B3):

    * ``H = (a/n) diag(sigma, 1, ..., 1)``, so ``lambda_1 = sigma a / n``;
    * the coherence matrix is ``a`` times a block of ones (size sigma) and an identity,
      so ``sigma`` is the coherence;
    * ``mean H_i^2 - H^2 = (a/n)^2 diag(sigma (n - sigma), n - 1, ...)``, so
      ``s = (a/n) sqrt(max(sigma (n - sigma), n - 1))`` (``0`` when sigma = n);
    * the second-moment operator keeps diagonal matrices, where direction ``k``
      is stable iff ``eta < 2 / (a (alpha c_k / n + beta))`` (``alpha, beta`` of
      :func:`~symstab.sgd.threshold.second_moment_coefficients`); the off-diagonal
      modes are never first, so ``eta*`` is the least of these.

    Tested against the dense path for small n (tests/test_sgd.py).

    Examples
    --------
    >>> r = construction_analysis(12, 3, 4)
    >>> r.eta_star, r.nonuniformity, r.implied_thresholds["coherence"]
    (24/5, sqrt(3)/4, 6*sqrt(2))
    >>> construction_analysis(10**8, 3, 4).eta_star
    100000000/12500001
    """
    coherence_construction(1, 1, scale)  # validates scale
    n, sigma = _sizes(n, sigma)
    batch = validate_batch(n, batch, sampling)
    a = as_rational(exact_entry(scale, "scale"))
    alpha, beta = (as_rational(c) for c in second_moment_coefficients(n, batch, sampling))
    lam1 = sympy.Integer(sigma) * a / n
    top = sigma * (n - sigma) if sigma == n else max(sigma * (n - sigma), n - 1)
    s = a / n * sympy.sqrt(top)
    rates = [alpha * c / n + beta for c in ({sigma, 1} if sigma < n else {sigma})]
    rate = max(rates)
    eta_star = 2 / (a * rate) if rate > 0 else sympy.oo
    factor = (1 + sympy.Rational(1, batch) - sympy.Rational(1, n)) if sampling == "bernoulli" else sympy.Integer(1)
    thresholds = {"sharpness": 2 / (lam1 * factor)}
    if sampling == "bernoulli":
        ratio = sympy.Rational(n, batch) - 1
        thresholds["coherence"] = sigma / (lam1 * sympy.sqrt(ratio)) if ratio > 0 else sympy.oo
    if eta is None:
        conditions = {name: None for name in thresholds}
        stable = marginal = eta_out = None
    else:
        eta_q, eta_f = parse_eta(eta)
        if eta_q is not None:
            eta_out = as_rational(eta_q)
            conditions = {k: bool(t.is_finite) and exact_sign(eta_out - t) > 0 for k, t in thresholds.items()}
            stable, marginal = bool(eta_out < eta_star), bool(eta_out == eta_star)
        else:
            eta_out = eta_f
            conditions = {k: eta_f > float(t) for k, t in thresholds.items()}
            stable, marginal = eta_f < float(eta_star), eta_f == float(eta_star)
    return StabilityAnalysis(
        n=n, batch=batch, eta=eta_out, sampling=sampling, lambda_1=lam1, lambda_1_float=float(lam1),
        sigma=sympy.Integer(sigma), sigma_float=float(sigma), conditions=conditions,
        implied_thresholds=thresholds, eta_star=eta_star, eta_star_float=float(eta_star),
        stable=stable, marginal=marginal, nonuniformity=s, nonuniformity_float=float(sympy.N(s, 30)),
        threshold_method="exact")


def construction_lyapunov(n: int, sigma: int, batch: int, eta, scale=1) -> float:
    """Top Lyapunov exponent of linearised SGD on :func:`coherence_construction`, Bernoulli sampling.

    Everything is diagonal, so direction ``k`` is multiplied at each step by
    ``1 - eta a c_k / B`` with ``c_0 ~ Binomial(sigma, B/n)`` and ``c_k ~ Bernoulli(B/n)``
    for the ``n - sigma`` other directions, independently over steps.  By the law of
    large numbers per direction the top exponent is
    ``max_k E log|1 - eta a c_k / B|`` (a finite sum; ``-inf`` for a direction whose
    factor is 0 with positive probability) (docs/theory.md, B3).  The factors are
    compared with 0 exactly; the sum is evaluated in float64 (numerical).  It is the
    reference for the Monte Carlo estimate of :func:`~symstab.sgd.montecarlo.monte_carlo`.

    Parameters
    ----------
    n, sigma, batch : int
    eta : positive number
    scale : positive rational ``a``

    Returns
    -------
    float

    Examples
    --------
    >>> construction_lyapunov(8, 1, 6, "3/2", scale=8)   # the factors are 1 and -1: exactly 0
    0.0
    >>> construction_lyapunov(12, 12, 6, "3/2")          # 1 - c/4 = 0 at c = 4: -inf
    -inf
    """
    n, sigma = _sizes(n, sigma)
    batch = validate_batch(n, batch, "bernoulli")
    eta_q, eta_f = parse_eta(eta)
    a = exact_entry(scale, "scale")
    if a is None or a <= 0:
        raise InvalidInputError(f"scale must be a positive rational, got {scale!r}")
    p = Fraction(batch, n)

    def exponent(copies: int) -> float:
        total = 0.0
        for c in range(copies + 1):
            prob = math.comb(copies, c) * p**c * (1 - p) ** (copies - c)
            if prob == 0:
                continue
            factor = 1 - eta_q * a * c / batch if eta_q is not None else 1 - eta_f * float(a) * c / batch
            if factor == 0:
                return -math.inf
            total += float(prob) * math.log(abs(float(factor)))
        return total

    return max(exponent(sigma), exponent(1)) if sigma < n else exponent(sigma)


# --------------------------------------------------------------------------- optimality gap


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
        head = (f"{'sigma':>5} {'B':>4} {'n/B':>7} {'eta*':>10} {'sharp thr':>10} {'coh thr':>10} "
                f"{'tight sharp':>11} {'tight coh':>10}")
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
        """Tightness ``eta* / threshold`` of the coherence condition vs n/B, one line per sigma (PNG/PDF by extension).

        1 (dotted) means the condition is exact; the values are exact ratios, plotted as floats.
        """
        # A bare Figure with its own Agg canvas: no pyplot, no global backend switch.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.4, 4.2), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        for sigma in sorted({r["sigma"] for r in self.rows}):
            pts = sorted((r["n_over_B"], r["tightness_coherence"]) for r in self.rows if r["sigma"] == sigma)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=4, label=rf"$\sigma = {sigma}$")
        ax.set_xscale("log")
        ticks = sorted({round(r["n_over_B"], 12) for r in self.rows})
        if len(ticks) <= 12:
            ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
            ax.minorticks_off()
        ax.set_ylim(0, 1.05)
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
        ax.set_xlabel("$n / B$")
        ax.set_ylabel(r"tightness $\eta^* / \eta_{\mathrm{coh}}$")
        ax.set_title(rf"Coherence condition on paper B's construction, $n = {self.n}$, Bernoulli sampling (exact)",
                     fontsize=9)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title="coherence", title_fontsize=8)
        ax.grid(alpha=0.3)
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
                raise InvalidInputError(
                    f"batch sizes must satisfy 1 <= B < n = {n} (the coherence condition needs B < n)")
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


def _sizes(n, sigma) -> tuple:
    """``(n, sigma)`` as ints with ``1 <= sigma <= n``, or a one-line error."""
    for name, v in (("n", n), ("sigma", sigma)):
        if isinstance(v, bool) or not isinstance(v, (Integral, np.integer)):
            raise InvalidInputError(f"{name} must be an integer, got {v!r}")
    n, sigma = int(n), int(sigma)
    if n < 1 or not 1 <= sigma <= n:
        raise InvalidInputError(f"need n >= 1 and 1 <= sigma <= n, got n = {n}, sigma = {sigma}")
    return n, sigma
