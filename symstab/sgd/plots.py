"""The figures of paper B's results: :func:`plot_stability_map`, theory (B2) against Monte Carlo (B3).

For paper B's near-optimality construction (B3) scaled to ``lambda_1(H) = 1``,
the exact Bernoulli threshold ``eta*`` (B2) draws a boundary in the
``(B, sigma)`` plane; :func:`~symstab.sgd.montecarlo.monte_carlo` gives a
mean-square and an almost-sure verdict at every grid point (docs/theory.md,
B2-B3).  Figures are bare ``matplotlib.figure.Figure`` objects with an Agg
canvas: pyplot and the global backend are left alone.  The tightness figure of
the optimality gap is :meth:`~symstab.sgd.construction.OptimalityGap.plot`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import InvalidInputError
from ..files import save_figure
from .construction import coherence_construction
from .hessians import parse_eta
from .montecarlo import monte_carlo

__all__ = ["plot_stability_map"]


def plot_stability_map(n: int = 12, eta="3/2", batches=None, sigmas=None, runs: int = 2000,
                       steps: int = 20, seed: int = 0, path=None, min_effective_runs: float = 5):
    """Stability map over (B, sigma) for the construction, theory vs Monte Carlo.

    For each sigma the construction is scaled so that ``lambda_1(H) = 1``
    (``a = n / sigma``); the Bernoulli theory boundary is then
    ``eta (1 + (n/B - 1)/sigma) = 2``, i.e. ``sigma = (n/B - 1) / (2/eta - 1)``.
    The theory-stable side is shaded.  Markers show the Monte Carlo verdicts: mean
    square by colour (blue = the simulated second moment decays, red = it grows)
    and almost sure by shape (circle = Lyapunov interval below 0, cross otherwise);
    red circles are the heavy-tail regime of docs/theory.md, B3 (typical runs converge,
    the mean square diverges).  Grey means the simulated mean square is carried by
    fewer than ``min_effective_runs`` runs (see :class:`~symstab.sgd.montecarlo.MonteCarloResult`), so the
    sample gives no mean-square verdict; near and beyond the boundary this is
    common, precisely because the mean square is heavy-tailed.  The figure is a bare ``matplotlib.figure.Figure``
    with an Agg canvas: pyplot and the global backend are left alone.

    Parameters
    ----------
    n : int
    eta : number in (1, 2)
        Step size (with ``lambda_1(H) = 1``, GD is stable iff eta < 2).
    batches, sigmas : sequences of int, optional
        Grid; default all ``1..n``.
    runs, steps, seed : int
        Monte Carlo parameters (Bernoulli sampling).
    path : str or path-like, optional
        Where to save the figure (PNG).
    min_effective_runs : float
        Below this effective number of runs the mean-square verdict is shown as undecided.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_stability_map(n=4, eta="3/2", runs=20, steps=10)
    >>> len(fig.axes)
    1
    """
    # A bare Figure with its own Agg canvas: no pyplot, no global backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    _, eta_f = parse_eta(eta)
    if not 0 < eta_f < 2:
        raise InvalidInputError("eta must lie in (0, 2) for the map (lambda_1(H) = 1)")
    batches = list(range(1, n + 1)) if batches is None else [int(b) for b in batches]
    sigmas = list(range(1, n + 1)) if sigmas is None else [int(s) for s in sigmas]
    fig = Figure(figsize=(8, 4.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    b_fine = np.linspace(0.5, n + 0.5, 400)
    boundary = (n / b_fine - 1) / (2 / eta_f - 1)
    ax.fill_between(b_fine, boundary, n + 0.5, color="tab:blue", alpha=0.08, linewidth=0)
    ax.plot(b_fine, boundary, "k-")
    for k, (B, s) in enumerate((B, s) for B in batches for s in sigmas):
        hs = coherence_construction(n, s, Fraction(n, s))
        mc = monte_carlo(hs, B, eta_f, "bernoulli", runs=runs, steps=steps, seed=seed + k)
        marker = "o" if mc.almost_surely_convergent else "x"
        if mc.mean_square_ess < min_effective_runs:  # the sample mean is one or two runs: no verdict
            color = "0.6"
        else:
            color = "tab:blue" if mc.mean_square_rate < 0 else "tab:red"
        ax.scatter([B], [s], marker=marker, c=color, s=30)
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(0.5, n + 0.5)
    ax.set_xlabel("batch size B")
    ax.set_ylabel(r"coherence $\sigma$")
    ax.set_title(rf"paper B's construction, $n={n}$, Bernoulli sampling, $\eta\lambda_1(H)={eta_f:g}$;"
                 f"\nMonte Carlo: {runs} runs x {steps} steps per point, seed {seed}", fontsize=9)
    handles = [
        Line2D([], [], color="k", label="theory: $\\eta^*$ boundary\n(shaded: stable)"),
        Line2D([], [], ls="", marker="s", color="tab:blue", label="colour: MC mean square decays"),
        Line2D([], [], ls="", marker="s", color="tab:red", label="colour: MC mean square grows"),
        Line2D([], [], ls="", marker="s", color="0.6",
               label=f"colour: MC mean square undecided\n(< {min_effective_runs:g} effective runs)"),
        Line2D([], [], ls="", marker="o", color="k", label="shape o: almost surely convergent"),
        Line2D([], [], ls="", marker="x", color="k", label="shape x: not a.s. convergent"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig

