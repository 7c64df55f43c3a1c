"""Result A3, the figure: the non-zero Hessian spectrum along exact curves in M that run to infinity.

Along an :class:`~symstab.spectrum.curves.EscapeCurve` the smallest non-zero
eigenvalue tends to 0; along a :class:`~symstab.spectrum.curves.BoundedSharpnessCurve`
the whole spectrum is constant while ``||theta|| -> oo`` (the sharpness is not
proper, docs/theory.md, A3). The curves are exact; the eigenvalues plotted are
float eigenvalues of the exact normal operator evaluated along them (numerical).
matplotlib is optional, so it is imported inside the function.
"""

from __future__ import annotations

import numpy as np
import sympy

from ..errors import InvalidInputError
from ..files import figure_suffixes, save_figure, writable_file
from ..minima import minima
from .curves import TAU, bounded_sharpness_curve, escape_curve
from .pointwise import normal_operator

__all__ = ["plot_spectrum_curves"]


def _curve_spectrum(net, curve, taus):
    """``(norms, eigenvalues)`` along ``curve`` at the parameters ``taus`` (eigenvalues: one row per tau)."""
    weights = [sympy.Matrix(W.tolist()) for W in net.split(list(curve.theta))]
    K = normal_operator(net, weights, symmetric=True)
    k_of = sympy.lambdify(TAU, K, "numpy")
    norm_of = sympy.lambdify(TAU, sympy.sqrt(curve.norm_squared), "numpy")
    norms = np.array([float(norm_of(t)) for t in taus])
    low = int(np.argmin(norms))  # from there on ||theta(tau)|| increases as tau -> 0+; skip its flat bottom
    start = low + int(np.argmax(norms[low:] >= 1.05 * norms[low])) if norms[-1] >= 1.05 * norms[low] else low
    eig = np.array([np.linalg.eigvalsh(np.array(k_of(t), dtype=float)) for t in taus[start:]])
    return norms[start:], eig


def plot_spectrum_curves(nets, path=None, *, points: int = 60, tau_min: float = 1e-2):
    """Plot the non-zero Hessian eigenvalues against ``||theta||`` along curves in M that leave every ball.

    One panel per network: its escape curve (:func:`~symstab.spectrum.escape_curve`)
    and its bounded-sharpness curve (:func:`~symstab.spectrum.bounded_sharpness_curve`),
    whichever exist, followed from ``tau = 1`` to ``tau_min``. A proper sharpness
    shows as ``lambda_max`` growing with ``||theta||``; a non-proper one as a flat
    ``lambda_max`` (the A3 dichotomy). The curves are exact; the eigenvalues are
    float eigenvalues of the exact normal operator along them (numerical).

    Parameters
    ----------
    nets : LinearNetwork or sequence of LinearNetwork
        Numeric data, filling target.
    path : path, optional
        Where to save the figure (PNG, PDF, SVG by extension).
    points : int
        Parameter values per curve.
    tau_min : float
        Last parameter value (``tau -> 0+`` sends ``||theta||`` to infinity).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InvalidInputError
        A network has neither curve, or its target does not fill.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> fig = plot_spectrum_curves([LinearNetwork.whitened((1, 1, 2), [[3], [4]]),
    ...                             LinearNetwork.whitened((1, 2, 2, 1), [[3]])], points=10)
    >>> len(fig.axes)
    2
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    nets = list(nets) if isinstance(nets, (list, tuple)) else [nets]
    if not nets:
        raise InvalidInputError("plot_spectrum_curves: no network given")
    if not 0 < tau_min < 1:
        raise InvalidInputError(f"tau_min must lie in (0, 1), got {tau_min!r}")
    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    panels = []
    for net in nets:
        if net.is_family or not minima(net).filling:
            raise InvalidInputError(f"plot_spectrum_curves: widths {net.widths} need numeric data and a filling target")
        curves = [(c, kind) for c, kind in ((escape_curve(net), "escape curve"),
                                            (bounded_sharpness_curve(net), "bounded-sharpness curve"))
                  if c is not None and c.proved]
        if not curves:
            raise InvalidInputError(f"widths {net.widths}: no escape or bounded-sharpness curve in M to follow")
        panels.append((net, curves))
    taus = np.geomspace(1.0, tau_min, points)
    fig = Figure(figsize=(5.2 * len(panels), 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    styles = {"escape curve": ("tab:blue", "-"), "bounded-sharpness curve": ("tab:red", "--")}
    for i, (net, curves) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for curve, kind in curves:
            colour, ls = styles[kind]
            norms, eig = _curve_spectrum(net, curve, taus)
            nonzero = [j for j in range(eig.shape[1]) if np.any(eig[:, j] > 1e-12 * eig.max())]
            for j in nonzero:  # the others are the zero eigenvalues of a rank-deficient normal operator
                is_max = j == nonzero[-1]
                label = (rf"{kind}: $\lambda_{{\max}}$" if is_max
                         else rf"{kind}: other $\lambda_i$" if j == nonzero[0] else None)
                ax.loglog(norms, np.maximum(eig[:, j], 1e-300), color=colour, ls=ls, lw=2.2 if is_max else 1.2,
                          label=label)
        widths = ",".join(map(str, net.widths))
        bounded = any(kind.startswith("bounded") for _, kind in curves)
        ax.set_title(f"({widths}): " + (r"$\lambda_{\max}$ constant: sharpness not proper" if bounded
                                        else r"escape curve: $\lambda_{\min}^+ \to 0$"), fontsize=10)
        ax.set_xlabel(r"$\|\theta(\tau)\|$ along the curve ($\tau \to 0^+$)")
        ax.set_ylabel(r"non-zero Hessian eigenvalues on $M$")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.16), ncol=1, frameon=False)
    fig.suptitle("Hessian spectrum along exact curves in M (eigenvalues: numerical, float64)", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig
