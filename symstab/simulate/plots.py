"""Result A6, the figures: sharpness along one GD run against ``2/eta``, and the phase-transition sweep.

Both return a bare ``matplotlib.figure.Figure`` with an Agg canvas (pyplot is
never touched) and save it when given a path (PNG or PDF by extension).
matplotlib is optional, so it is imported inside the functions.  The figures
show numerical evidence for A6 (docs/theory.md, A6).
"""

from __future__ import annotations

import numpy as np

from ..files import figure_suffixes, save_figure, writable_file
from .runs import sharpness_trajectory

__all__ = ["plot_sweep", "plot_trajectory"]


def plot_trajectory(net, eta, theta0=None, steps: int = 2000, path=None, seed: int = 0, init_scale=None,
                    every: int = 1):
    """Plot the sharpness along one GD trajectory against ``2/eta`` (and the excess loss).

    Returns a bare ``matplotlib.figure.Figure`` with an Agg canvas (pyplot untouched);
    saved to ``path`` (PNG or PDF by extension) when given.

    Parameters
    ----------
    net : LinearNetwork
    eta : positive number
    theta0, steps, seed, init_scale, every
        As in :func:`~symstab.simulate.sharpness_trajectory`.
    path : path, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> fig = plot_trajectory(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), 0.18, [0.5, 0.5, 0.5], steps=50)
    >>> len(fig.axes)
    2
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    tr = sharpness_trajectory(net, eta, theta0, steps=steps, every=every, seed=seed, init_scale=init_scale)
    fig = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(tr["step"], tr["sharpness"], color="tab:blue", label=r"sharpness $\lambda_{\max}(\nabla^2 L)$")
    ax.axhline(tr["two_over_eta"], color="k", ls="--", label=r"$2/\eta$")
    ax.set_xlabel("GD step")
    ax.set_ylabel("sharpness")
    ax2 = ax.twinx()
    ax2.semilogy(tr["step"], np.maximum(tr["loss"], 1e-300), color="tab:red", alpha=0.6, lw=1,
                 label=r"$L - L_{\min}$")
    ax2.set_ylabel(r"$L - L_{\min}$", color="tab:red")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="center right", fontsize=8)
    ax.set_title(f"widths {tuple(net.widths)}, eta = {tr['eta']:.4g}: sharpness along one run (numerical, float64)",
                 fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_sweep(result, path=None):
    """Converged fraction (with Wilson intervals) and median final gradient norm vs eta/eta_C.

    The top panel also shows the diverged and period-2 fractions and the median limit
    sharpness x eta/2 of converged runs.  A vertical line marks ``eta = eta_C``.
    :meth:`SweepResult.plot <symstab.simulate.SweepResult.plot>` calls this.

    Parameters
    ----------
    result : SweepResult
    path : path, optional
        Where to save the figure (PNG or PDF by extension).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> from symstab.simulate import convergence_sweep
    >>> sweep = convergence_sweep(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), [0.9, 1.1], n_inits=10,
    ...                           steps=200, eta_C="1/5", workers=1)
    >>> len(plot_sweep(sweep).axes)
    2
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 6.4))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    x = np.array([r["eta_ratio"] for r in result.rows])
    f = np.array([r["converged_fraction"] for r in result.rows])
    lo = np.array([r["converged_ci"][0] for r in result.rows])
    hi = np.array([r["converged_ci"][1] for r in result.rows])
    dv = np.array([r["diverged_fraction"] for r in result.rows])
    ax1.errorbar(x, f, yerr=[f - lo, hi - f], marker="o", capsize=3, label="converged to M (Wilson 95%)")
    ax1.plot(x, dv, marker="x", ls=":", color="tab:red", label="diverged")
    p2 = np.array([r.get("period2_fraction", np.nan) for r in result.rows], dtype=float)
    ax1.plot(x, p2, marker="s", ls="-.", color="tab:orange", label="period-2 orbit")
    sr = np.array([np.nan if r["median_sharpness_ratio"] is None else r["median_sharpness_ratio"]
                   for r in result.rows])
    ax1.plot(x, sr, marker="^", ls="--", color="tab:purple",
             label=r"median limit sharpness $\times\,\eta/2$ (converged runs; < 1: in $M_{SS}$)")
    ax1.set_ylabel("fraction of initialisations")
    ax1.set_ylim(-0.03, 1.03)
    g = np.array([np.nan if r["median_grad_norm"] is None else r["median_grad_norm"] for r in result.rows])
    floor = 1e-16
    ax2.semilogy(x, np.maximum(g, floor), marker="o", color="tab:green",
                 label=r"median final $\|\nabla L\|$ (non-diverged runs)")
    ax2.set_ylabel(r"$\|\nabla L\|$ after the run")
    ax2.set_xlabel(r"$\eta / \eta_C$")
    for ax in (ax1, ax2):
        ax.axvline(1.0, color="k", ls="--", lw=1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    ax1.set_title(f"widths {result.widths}, eta_C = {result.eta_C_exact or format(result.eta_C, '.6g')}: "
                  f"{result.n_inits} inits x {result.steps} steps (numerical)", fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig
