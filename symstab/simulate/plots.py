"""Result A6, the figures: loss and sharpness along GD against ``2/eta``, and the phase-transition sweep.

* :func:`plot_trajectory` -- from many random starts, quantile bands of the loss and
  of the sharpness per step, one column per step size (from one given start: that run's lines);
* :func:`plot_sweep` -- the sweep over ``eta / eta_C``: outcome fractions with Wilson
  intervals, the sharpness at the limit against ``2/eta``, the final gradient norm.

Both return a bare ``matplotlib.figure.Figure`` with an Agg canvas (pyplot is
never touched) and save it when given a path (PNG or PDF by extension).
matplotlib is optional, so it is imported inside the functions.  The figures
show numerical evidence for A6 (docs/theory.md, A6).
"""

from __future__ import annotations

from numbers import Number

import numpy as np

from ..files import figure_suffixes, save_figure, writable_file
from .inputs import parse_eta
from .runs import sharpness_trajectory, trajectory_quantiles

__all__ = ["plot_sweep", "plot_trajectory"]

_LEGEND = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, borderaxespad=0.0)


def plot_trajectory(net, eta, theta0=None, steps: int = 2000, path=None, seed: int = 0, init_scale=None,
                    every=None, inits: int = 200, eta_C=None):
    """Loss and sharpness along GD against ``2/eta``: quantile bands over many starts, or one run.

    With ``theta0=None`` (the default) ``inits`` random starts are run at each step size
    and the figure shows distributions over the runs, not the runs: of ``L - L_min``
    (top row, log scale) and of the sharpness ``lambda_max(nabla^2 L)`` (bottom row,
    with ``2/eta``), the median and the 10-90% band of the larger and of the smaller
    value of each run over steps ``t - 1`` and ``t`` (the two points of a period-2 orbit;
    one band once runs converge), see :func:`~symstab.simulate.trajectory_quantiles`.
    Diverged runs are left out, and their share is stated.
    ``eta`` may be a list: one column per step size.  With an explicit ``theta0`` the
    figure shows that one run's lines (one step size).

    Returns a bare ``matplotlib.figure.Figure`` with an Agg canvas (pyplot untouched);
    saved to ``path`` (PNG or PDF by extension) when given.

    Parameters
    ----------
    net : LinearNetwork
    eta : positive number or sequence of them
    theta0 : sequence of D numbers, optional
        One starting point: plot that single run instead of the distribution.
    steps, seed, init_scale : as in :func:`~symstab.simulate.trajectory_quantiles`
    every : int, optional
        Record every ``every``-th step (default: about 200 recorded steps; each costs one Hessian per run).
    inits : int
        Number of random starts per step size (distribution mode).
    eta_C : number, optional
        When given, each column's title states ``eta / eta_C``.
    path : path, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> len(plot_trajectory(net, 0.18, [0.5, 0.5, 0.5], steps=50).axes)
    2
    >>> len(plot_trajectory(net, [0.18, 0.22], steps=40, inits=8).axes)
    4
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    etas = [eta] if isinstance(eta, (Number, str)) or not hasattr(eta, "__iter__") else list(eta)
    if every is None:
        every = max(1, -(-int(steps) // 200))
    if theta0 is not None:
        fig = _single_run(net, etas[0], theta0, steps, seed, init_scale, every)
    else:
        fig = Figure(figsize=(3.6 * len(etas) + 2.2, 5.6), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, len(etas), sharex="col", squeeze=False)
        for k, e in enumerate(etas):
            q = trajectory_quantiles(net, e, inits=inits, steps=steps, every=every, seed=seed, init_scale=init_scale)
            _bands(axes[0, k], axes[1, k], q, eta_C, legend=k == len(etas) - 1)
        axes[0, 0].set_ylabel(r"$L - L_{\min}$")
        axes[1, 0].set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 L)$")
        fig.suptitle(f"widths {tuple(net.widths)}: GD from {inits} random starts (seed {seed}), "
                     "quantiles per step (numerical, float64)", fontsize=9)
    if path is not None:
        save_figure(fig, path)
    return fig


def _bands(ax_loss, ax_sharp, q, eta_C, legend: bool) -> None:
    levels = list(q["quantiles"])
    x = q["step"]

    def level(arr, p):
        return arr[levels.index(p)] if p in levels else None

    envelopes = (("upper", "larger", "tab:red", "tab:blue"), ("lower", "smaller", "darkorange", "tab:cyan"))
    for which, word, loss_colour, sharp_colour in envelopes:
        for ax, key, colour in ((ax_loss, "loss", loss_colour), (ax_sharp, "sharpness", sharp_colour)):
            arr = q[f"{key}_{which}"]
            data = np.maximum(arr, 1e-300) if key == "loss" else arr
            a, b, med = level(data, 0.1), level(data, 0.9), level(data, 0.5)
            if a is not None and b is not None:
                ax.fill_between(x, a, b, color=colour, alpha=0.22, lw=0, label=f"{word}: 10-90% of runs")
            if med is not None:
                ax.plot(x, med, color=colour, lw=1.3, label=f"{word}: median")
    for ax in (ax_loss, ax_sharp):
        ax.grid(alpha=0.3)
    ax_loss.set_yscale("log")
    ax_sharp.axhline(q["two_over_eta"], color="k", ls="--", lw=1, label=r"$2/\eta$")
    finite = np.concatenate([q["sharpness_upper"].ravel(), q["sharpness_lower"].ravel()])
    finite = finite[np.isfinite(finite)]
    if finite.size:
        top = max(np.percentile(finite, 99), q["two_over_eta"])
        bottom = min(np.percentile(finite, 1), q["two_over_eta"])
        pad = 0.08 * (top - bottom + 1e-12)
        ax_sharp.set_ylim(bottom - pad, top + pad)
    ax_sharp.set_xlabel("GD step $t$")
    ratio = "" if eta_C is None else rf", $\eta/\eta_C = {q['eta'] / parse_eta(eta_C)[0]:.3g}$"
    dv = q["diverged_fraction"][-1]
    ax_loss.set_title(rf"$\eta = {q['eta']:.4g}${ratio}" + f"\ndiverged by the end: {dv:.0%} of runs (excluded)",
                      fontsize=9)
    if legend:
        title = "per run, of its values\nat steps $t-1$ and $t$:"
        ax_loss.legend(title=title, title_fontsize=8, alignment="left", **_LEGEND)
        ax_sharp.legend(title=title, title_fontsize=8, alignment="left", **_LEGEND)


def _single_run(net, eta, theta0, steps, seed, init_scale, every):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    tr = sharpness_trajectory(net, eta, theta0, steps=steps, every=every, seed=seed, init_scale=init_scale)
    fig = Figure(figsize=(8.2, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(tr["step"], tr["sharpness"], color="tab:blue", lw=1, label=r"sharpness $\lambda_{\max}(\nabla^2 L)$")
    ax.axhline(tr["two_over_eta"], color="k", ls="--", lw=1, label=r"$2/\eta$")
    ax.set_xlabel("GD step")
    ax.set_ylabel("sharpness")
    ax2 = ax.twinx()
    ax2.semilogy(tr["step"], np.maximum(tr["loss"], 1e-300), color="tab:red", alpha=0.7, lw=1,
                 label=r"$L - L_{\min}$ (right axis)")
    ax2.set_ylabel(r"$L - L_{\min}$", color="tab:red")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", bbox_to_anchor=(1.12, 1.0), fontsize=8, frameon=False)
    ax.set_title(f"widths {tuple(net.widths)}, eta = {tr['eta']:.4g}: one GD run (numerical, float64)", fontsize=9)
    return fig


def plot_sweep(result, path=None):
    """The sweep over ``eta / eta_C``: outcome fractions, sharpness at the limit, final gradient norm.

    Top: the fractions of runs converged to M, ending on a period-2 orbit,
    diverged, and the other bounded runs (the four add up to 1), each with its 95% Wilson interval (shaded band and error bars).
    Middle: the median and maximum limit sharpness x ``eta/2`` of converged runs (1 is
    ``2/eta``; below 1 the limit lies in ``M_SS``).  Bottom: the median final
    ``||grad L||`` of non-diverged runs.  A labelled vertical line marks ``eta = eta_C``, and
    no line is drawn across it (the fractions jump there); legends sit outside the axes.  :meth:`SweepResult.plot <symstab.simulate.SweepResult.plot>` calls this.

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
    3
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    fig = Figure(figsize=(8.6, 7.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True, height_ratios=(1.5, 1, 1))
    rows = result.rows
    x = np.array([r["eta_ratio"] for r in rows])
    # no line across eta = eta_C, where the fractions jump: a NaN there breaks every line and band
    cut = int(np.searchsorted(x, 1.0, side="right")) if (np.diff(x) > 0).all() and x[0] < 1 < x[-1] else None
    xb = x if cut is None else np.insert(x, cut, 1.0)

    def broken(y):
        return np.asarray(y, dtype=float) if cut is None else np.insert(np.asarray(y, dtype=float), cut, np.nan)

    def column(key):
        return np.array([np.nan if r.get(key) is None else r[key] for r in rows], dtype=float)

    series = (("converged", "converged to M", "tab:blue", "o", "-"),
              ("period2", "period-2 orbit", "tab:orange", "s", "-."),
              ("diverged", "diverged", "tab:red", "X", ":"),
              ("other_bounded", "other bounded\n(other periods, chaotic,\nsaddle, origin)", "0.45", "d", "--"))
    for key, label, colour, marker, ls in series:
        f = column(f"{key}_fraction")
        cis = [r.get(f"{key}_ci") for r in rows]
        ax1.plot(xb, broken(f), marker=marker, ls=ls, color=colour, ms=5, label=label)
        if all(c is not None for c in cis):
            lo = np.array([c[0] for c in cis])
            hi = np.array([c[1] for c in cis])
            ax1.fill_between(xb, broken(lo), broken(hi), color=colour, alpha=0.2, lw=0)
            ax1.errorbar(x, f, yerr=[np.maximum(f - lo, 0), np.maximum(hi - f, 0)], fmt="none", ecolor=colour,
                         elinewidth=1.2, capsize=4, capthick=1.2)
    ax1.set_ylabel("fraction of starts")
    ax1.set_ylim(-0.04, 1.04)
    med, mx = column("median_sharpness_ratio"), column("max_sharpness_ratio")
    ax2.plot(xb, broken(med), marker="^", color="tab:purple", label="median over converged runs")
    ax2.plot(xb, broken(mx), marker="v", ls="--", color="tab:purple", alpha=0.6, label="maximum over converged runs")
    ax2.axhline(1.0, color="k", lw=1, ls=":", label=r"$2/\eta$ (edge of stability)")
    ax2.set_ylabel("limit sharpness\n" + r"$\times\,\eta/2$")
    finite = np.concatenate([med[np.isfinite(med)], mx[np.isfinite(mx)], [1.0]])
    ax2.set_ylim(min(0.0, finite.min() - 0.05), max(1.1, finite.max() + 0.05))
    g = column("median_grad_norm")
    ax3.semilogy(xb, broken(np.maximum(g, 1e-300)), marker="o", color="tab:green", label="median over\nnon-diverged runs")
    ax3.set_ylabel(r"final $\|\nabla L\|$")
    ax3.set_xlabel(r"$\eta / \eta_C$")
    for ax in (ax1, ax2, ax3):
        ax.axvline(1.0, color="k", ls="--", lw=1, label=r"$\eta = \eta_C$" if ax is ax1 else None)
        ax.grid(alpha=0.3)
        handles = ax.get_legend_handles_labels()[0]
        if ax is ax1:
            handles.insert(4, Patch(color="0.5", alpha=0.3, label="95% Wilson interval\n(band and bars)"))
        ax.legend(handles=handles, **_LEGEND)
    ax1.annotate(r"$\eta_C$", xy=(1.0, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                 textcoords="offset points", ha="center", va="bottom", fontsize=10)
    eta_c = result.eta_C_exact or format(result.eta_C, ".6g")
    fig.suptitle(f"widths {tuple(result.widths)}, " + rf"$\eta_C = {eta_c}$ (exact): " +
                 f"{result.n_inits} random starts x {result.steps} steps per point, seed {result.seed} "
                 "(numerical, float64)", fontsize=9)
    if path is not None:
        save_figure(fig, path)
    return fig

