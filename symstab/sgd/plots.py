"""The stability map of paper B's construction over ``(B, sigma)``: :func:`stability_map`, :class:`StabilityMap`,
:func:`plot_stability_map` -- mean square exactly (B2), almost sure by Monte Carlo (B3).

For paper B's near-optimality construction (B3) scaled to ``lambda_1(H) = 1``, the
exact Bernoulli threshold ``eta*`` (B2) draws a boundary in the ``(B, sigma)`` plane.
At every grid point the **mean-square** verdict comes from the exact second-moment
operator (no sampling: ``eta < eta*`` decided in exact arithmetic, ``eta = eta*``
marginal), so it agrees with the boundary by construction.  The **almost-sure**
verdict comes from :func:`~symstab.sgd.montecarlo.monte_carlo`: the Lyapunov exponent
estimated as the mean over runs of ``(1/T) log ||w_T||`` with its 95% normal interval
(``+- 1.96`` standard errors over runs), seeded (docs/theory.md, B2-B3).  Figures
are bare ``matplotlib.figure.Figure`` objects with an Agg canvas: pyplot and the
global backend are left alone.  The tightness figure of the optimality gap is
:meth:`~symstab.sgd.construction.OptimalityGap.plot`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import numpy as np
import sympy

from ..errors import InvalidInputError
from ..exact.numbers import check_seed
from ..files import figure_suffixes, save_figure, writable_file
from .analysis import analyze
from .construction import coherence_construction, construction_analysis, construction_lyapunov
from .hessians import parse_eta
from .montecarlo import monte_carlo
from .threshold import EXACT_RANGE_LIMIT

__all__ = ["ROUNDING_ALLOWANCE", "StabilityMap", "plot_stability_map", "stability_map"]

#: An interval within this of 0 decides nothing: float64 rounding alone moves an exponent of exactly 0 by ~1e-18.
ROUNDING_ALLOWANCE = 1e-9


@dataclass(frozen=True)
class StabilityMap:
    """Mean-square (exact) and almost-sure (Monte Carlo) verdicts over a ``(B, sigma)`` grid.

    ``points`` holds one dict per grid point: ``batch``, ``sigma``, ``eta_star`` (exact,
    as text) and ``eta_star_float``; ``mean_square`` (``"stable"``, ``"marginal"`` or
    ``"divergent"``, exact) and ``mean_square_method`` (``"exact operator"``: the
    dense exact second-moment operator; ``"exact closed form"``: its closed form,
    :func:`~symstab.sgd.construction.construction_analysis`, when ``n`` exceeds
    ``EXACT_RANGE_LIMIT``); ``lyapunov_exponent``, ``lyapunov_se`` and ``lyapunov_ci``
    (the Monte Carlo estimate, its standard error over runs and its 95% interval) and
    ``almost_sure`` (``"converges"`` when the interval lies below 0, ``"diverges"``
    above 0, ``"undecided"`` when it contains 0 or is within :data:`ROUNDING_ALLOWANCE`
    of it); ``lyapunov_reference``, the exact exponent of
    :func:`~symstab.sgd.construction.construction_lyapunov` evaluated in float64.  The
    interval does not include the bias of the finite horizon ``T = steps``: upward, and of
    order ``T^(-1/2)`` here, because the construction's identical directions are
    independent (the norm follows the largest of several random walks).
    """

    n: int
    eta: object
    eta_float: float
    runs: int
    steps: int
    seed: int
    points: tuple

    def counts(self) -> dict:
        """How many grid points have each (mean-square, almost-sure) verdict pair."""
        out: dict = {}
        for p in self.points:
            key = f"{p['mean_square']}/{p['almost_sure']}"
            out[key] = out.get(key, 0) + 1
        return out

    def to_dict(self) -> dict:
        """JSON-ready dictionary (infinite exponents as null)."""
        return {"n": self.n, "eta": str(self.eta), "eta_float": self.eta_float, "sampling": "bernoulli",
                "lambda_1": 1, "runs": self.runs, "steps": self.steps, "seed": self.seed,
                "evidence": {"mean_square": "exact", "almost_sure": "numerical (Monte Carlo, float64)"},
                "lyapunov_estimator": "mean over runs of (1/T) log ||w_T||, 95% interval +- 1.96 SE over runs",
                "points": [{k: _json(v) for k, v in p.items()} for p in self.points]}

    def table(self) -> str:
        """One line per grid point."""
        lines = [f"stability map, paper B's construction, n = {self.n}, Bernoulli sampling, eta lambda_1(H) = "
                 f"{self.eta}; mean square: exact; almost sure: Lyapunov exponent, Monte Carlo {self.runs} runs x "
                 f"{self.steps} steps, seed {self.seed}",
                 f"{'B':>4} {'sigma':>5} {'eta*':>12} {'mean square':>12} {'Lyapunov':>9} {'95% CI':>20} "
                 f"{'almost sure':>11} {'reference':>9}"]
        for p in self.points:
            lo, hi = p["lyapunov_ci"]
            ci = f"[{lo:.3g}, {hi:.3g}]"
            lines.append(f"{p['batch']:>4} {p['sigma']:>5} {p['eta_star']:>12} {p['mean_square']:>12} "
                         f"{p['lyapunov_exponent']:>9.3g} {ci:>20} {p['almost_sure']:>11} {p['lyapunov_reference']:>9.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path=None):
        """The map: exact mean-square region and boundary, Monte Carlo almost-sure verdicts (PNG/PDF by extension)."""
        return _plot(self, path)


def _json(v):
    if isinstance(v, tuple):
        return [_json(x) for x in v]
    return None if isinstance(v, float) and not np.isfinite(v) else v


def stability_map(n: int = 12, eta="3/2", batches=None, sigmas=None, runs: int = 200, steps: int = 500,
                  seed: int = 0) -> StabilityMap:
    """Mean-square (exact) and almost-sure (Monte Carlo) stability over ``(B, sigma)``, Bernoulli sampling.

    For each sigma the construction is scaled so that ``lambda_1(H) = 1``
    (``a = n / sigma``); the exact Bernoulli threshold is then
    ``eta* = 2 / (1 + (n/B - 1)/sigma)``, i.e. the boundary ``sigma = (n/B - 1) / (2/eta - 1)``.
    The mean-square verdict at each point is decided exactly from the second-moment
    operator; the almost-sure one from the Monte Carlo Lyapunov exponent (grid point
    ``k`` in row-major ``(B, sigma)`` order uses ``seed + k``).

    Parameters
    ----------
    n : int
        Number of samples, >= 2.
    eta : number in (0, 2)
        Step size times ``lambda_1(H)`` (GD is stable iff it is below 2); exact text such
        as ``"3/2"`` keeps the mean-square verdict exact.
    batches, sigmas : sequences of int, optional
        The grid; default all ``1..n``.
    runs, steps, seed : int
        Monte Carlo runs and steps per grid point, and the base seed.

    Returns
    -------
    StabilityMap

    Examples
    --------
    >>> m = stability_map(n=4, eta="3/2", runs=50, steps=100)
    >>> p = next(p for p in m.points if (p["batch"], p["sigma"]) == (2, 3))
    >>> p["eta_star"], p["mean_square"]
    ('3/2', 'marginal')
    """
    eta_q, eta_f = parse_eta(eta)
    if not 0 < eta_f < 2:
        raise InvalidInputError("eta must lie in (0, 2) for the map (lambda_1(H) = 1)")
    for name, v in (("n", n), ("runs", runs), ("steps", steps)):
        if isinstance(v, bool) or not isinstance(v, (Integral, np.integer)) or v < (2 if name == "n" else 1):
            raise InvalidInputError(f"{name} must be an integer >= {2 if name == 'n' else 1}, got {v!r}")
    check_seed(seed)
    batches = list(range(1, n + 1)) if batches is None else [int(b) for b in batches]
    sigmas = list(range(1, n + 1)) if sigmas is None else [int(s) for s in sigmas]
    if not batches or not sigmas:
        raise InvalidInputError("the grid is empty: give at least one batch size and one sigma")
    eta_exact = eta if eta_q is None else eta_q
    points = []
    for k, (B, s) in enumerate((B, s) for B in batches for s in sigmas):
        if not (1 <= B <= n and 1 <= s <= n):
            raise InvalidInputError(f"need 1 <= B <= n and 1 <= sigma <= n, got B = {B}, sigma = {s}, n = {n}")
        scale = Fraction(n, s)
        if n - s + 1 <= EXACT_RANGE_LIMIT:  # the dense exact operator on Sym(range H)
            hs = coherence_construction(n, s, scale)
            ms = analyze(hs, batch=B, eta=eta_exact, sampling="bernoulli", method="exact")
            method = "exact operator"
        else:
            hs = None
            ms = construction_analysis(n, s, B, eta=eta_exact, sampling="bernoulli", scale=scale)
            method = "exact closed form"
        verdict = "marginal" if ms.marginal else "stable" if ms.stable else "divergent"
        mc = monte_carlo(hs if hs is not None else coherence_construction(n, s, scale), B, eta_f, "bernoulli",
                         runs=runs, steps=steps, seed=seed + k)
        lo, hi = mc.lyapunov_ci
        a_s = "converges" if hi < -ROUNDING_ALLOWANCE else "diverges" if lo > ROUNDING_ALLOWANCE else "undecided"
        se = (hi - lo) / (2 * 1.96) if np.isfinite(hi - lo) else 0.0
        points.append({"batch": B, "sigma": s, "eta_star": sympy.sstr(ms.eta_star),
                       "eta_star_float": float(ms.eta_star_float), "mean_square": verdict,
                       "mean_square_method": method, "lyapunov_exponent": float(mc.lyapunov_exponent),
                       "lyapunov_se": float(se), "lyapunov_ci": (float(lo), float(hi)), "almost_sure": a_s,
                       "lyapunov_reference": construction_lyapunov(n, s, B, eta_exact, scale)})
    return StabilityMap(n=int(n), eta=eta_exact, eta_float=eta_f, runs=int(runs), steps=int(steps), seed=seed,
                        points=tuple(points))


def plot_stability_map(n: int = 12, eta="3/2", batches=None, sigmas=None, runs: int = 200, steps: int = 500,
                       seed: int = 0, path=None):
    """The figure of :func:`stability_map` (same parameters; ``path``: PNG or PDF by extension).

    The exact mean-square boundary is the black curve, its stable side shaded, and
    grid points where ``eta = eta*`` exactly are ringed (marginal).  Markers give the
    Monte Carlo almost-sure verdict: blue circles (Lyapunov interval below 0), red
    crosses (above 0), grey squares (contains 0).  Blue circles outside the shaded
    region are the heavy-tail regime of docs/theory.md, B3: typical runs converge
    while the second moment diverges.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_stability_map(n=4, eta="3/2", runs=20, steps=50)
    >>> len(fig.axes)
    1
    """
    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    return stability_map(n, eta, batches, sigmas, runs, steps, seed).plot(path)


def _plot(result: StabilityMap, path=None):
    # A bare Figure with its own Agg canvas: no pyplot, no global backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    n, eta_f = result.n, result.eta_float
    fig = Figure(figsize=(8.6, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bs = [p["batch"] for p in result.points]
    ss = [p["sigma"] for p in result.points]
    x0, x1 = min(bs) - 0.5, max(bs) + 0.5
    y0, y1 = min(ss) - 0.5, max(ss) + 0.5
    b_fine = np.linspace(max(x0, 0.05), x1, 600)
    boundary = (n / b_fine - 1) / (2 / eta_f - 1)
    ax.fill_between(b_fine, np.clip(boundary, y0, y1), y1, color="tab:blue", alpha=0.10, linewidth=0)
    ax.plot(b_fine, boundary, "k-", lw=1.3)
    style = {"converges": dict(marker="o", c="tab:blue", s=34),
             "diverges": dict(marker="X", c="tab:red", s=44),
             "undecided": dict(marker="s", c="0.55", s=30)}
    for verdict, kw in style.items():
        pts = [(p["batch"], p["sigma"]) for p in result.points if p["almost_sure"] == verdict]
        if pts:
            ax.scatter(*zip(*pts), zorder=3, linewidths=0, **kw)
    marg = [(p["batch"], p["sigma"]) for p in result.points if p["mean_square"] == "marginal"]
    if marg:
        ax.scatter(*zip(*marg), marker="o", s=150, facecolors="none", edgecolors="k", linewidths=1.1, zorder=4)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("batch size $B$")
    ax.set_ylabel(r"coherence $\sigma$")
    fig.suptitle(rf"Paper B's construction, $n = {n}$, Bernoulli sampling, $\eta\,\lambda_1(H) = {result.eta}$"
                 "\n" + rf"almost sure: Lyapunov exponent $\hat\lambda$ = mean over {result.runs} runs of "
                 rf"$\frac{{1}}{{T}}\log\|w_T\|$, $T = {result.steps}$, 95% CI $\hat\lambda \pm 1.96$ SE, "
                 f"seed {result.seed} + grid index (Monte Carlo)", fontsize=9)
    ax.set_title("")
    counts = {v: sum(p["almost_sure"] == v for p in result.points) for v in style}
    heavy = sum(p["almost_sure"] == "converges" and p["mean_square"] == "divergent" for p in result.points)
    handles = [
        Line2D([], [], color="k", lw=1.3, label=r"$\eta = \eta^*$, exact mean-square" + "\nboundary"),
        Patch(color="tab:blue", alpha=0.15, label="mean square stable\n(exact second-moment\noperator, no sampling)"),
        Line2D([], [], ls="", marker="o", ms=10, mfc="none", mec="k", label=r"marginal: $\eta = \eta^*$ exactly"),
        Line2D([], [], ls="", marker="o", color="tab:blue",
               label=f"almost surely convergent\n(Lyapunov CI < 0): {counts['converges']}"),
        Line2D([], [], ls="", marker="X", color="tab:red",
               label=f"almost surely divergent\n(Lyapunov CI > 0): {counts['diverges']}"),
        Line2D([], [], ls="", marker="s", color="0.55", label=f"undecided (CI contains 0): {counts['undecided']}"),
        Line2D([], [], ls="", label=f"blue outside the shading: heavy tail,\na.s. convergent, mean square\n"
               f"divergent: {heavy}"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False,
              labelspacing=0.9)
    if path is not None:
        save_figure(fig, path)
    return fig
