"""Result A1, the figure: where the GD map is singular, on a plane through parameter space.

``det DG(theta) = det(I - eta H(theta))`` is an exact polynomial in ``theta`` and
``eta`` (:func:`symstab.gdmap.gd_jacobian_det`). At a fixed step ``eta`` its zero set
(where DG is not invertible) is a hypersurface, of measure zero when the
polynomial is not identically zero (A1, docs/theory.md). The figure shows its
trace on a plane: both parameters when ``D = 2``, otherwise two coordinates
through a point of M. The polynomial is exact; the plot evaluates it in floats.
matplotlib is optional, so it is imported inside the function.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy

from .errors import InvalidInputError
from .exact.numbers import to_exact
from .exact.poly import latex_name
from .files import figure_suffixes, save_figure, writable_file
from .gdmap import gd_jacobian_det
from .minima import minima

__all__ = ["plot_singular_set"]


def plot_singular_set(net, eta, path=None, *, params=(0, 1), base=None, points: int = 301, seed: int = 0):
    """Plot the sign of ``det(I - eta H(theta))`` on a plane, with its zero set (DG singular) and M.

    Parameters
    ----------
    net : LinearNetwork
        Numeric data; the full determinant polynomial must be computable (as ``symstab det``).
    eta : exact positive number
        The step.
    path : path, optional
        Where to save the figure (PNG, PDF, SVG by extension).
    params : (int, int)
        The two parameters that vary (indices into ``net.param_names``).
    base : sequence of exact numbers, optional
        The values of the other parameters (and the centre of the plane); default
        the origin when ``D = 2``, else the point of M with ``seed``.
    points : int
        Grid points per axis.
    seed : int
        Seed of the default base point.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> fig = plot_singular_set(LinearNetwork.whitened((1, 1, 1), [[2]]), "1/4", points=41)
    >>> len(fig.axes)
    1
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if net.is_family:
        raise InvalidInputError("plot_singular_set needs numeric data (no data symbols)")
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError(f"eta must be an exact positive number, got {eta!r}")
    D = net.num_params
    i, j = params
    if not (0 <= i < D and 0 <= j < D and i != j):
        raise InvalidInputError(f"params must be two different indices in 0..{D - 1}, got {params!r}")
    if base is None:
        base = [0] * D if D == 2 else minima(net).point(seed=seed)
    centre = [to_exact(v, where="base") for v in base]
    if len(centre) != D:
        raise InvalidInputError(f"base needs {D} values, got {len(centre)}")
    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    poly = gd_jacobian_det(net)
    symbols = {s.name: s for s in poly.as_expr().free_symbols}
    names = net.param_names
    x, y = sympy.Symbol("x"), sympy.Symbol("y")
    fixed = {symbols[n]: sympy.Rational(str(v)) for k, (n, v) in enumerate(zip(names, centre))
             if k not in (i, j) and n in symbols}
    fixed.update({symbols[n]: s for n, s in ((names[i], x), (names[j], y)) if n in symbols})
    if "eta" in symbols:
        fixed[symbols["eta"]] = sympy.Rational(step.numerator, step.denominator)
    det_xy = sympy.lambdify((x, y), poly.as_expr().xreplace(fixed), "numpy")

    M = minima(net)
    scale = max((abs(float(v)) for v in np.ravel(np.array(M.target, dtype=object))), default=1.0) if (
        M.target is not None) else 1.0
    half = 2.5 * max(1.0, scale ** (1 / net.depth), *(abs(float(v)) for v in centre))
    cx, cy = (0.0, 0.0) if D == 2 else (float(centre[i]), float(centre[j]))
    gx, gy = np.meshgrid(np.linspace(cx - half, cx + half, points), np.linspace(cy - half, cy + half, points))
    values = np.broadcast_to(np.asarray(det_xy(gx, gy), dtype=float), gx.shape)

    fig = Figure(figsize=(7.6, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.contourf(gx, gy, np.sign(values), levels=[-1.5, 0, 1.5], colors=["#f4c7a1", "#bcd7ee"])
    ax.contour(gx, gy, values, levels=[0], colors="k", linewidths=1.8)
    handles = [Patch(color="#bcd7ee", label=r"$\det DG > 0$"), Patch(color="#f4c7a1", label=r"$\det DG < 0$"),
               Line2D([], [], color="k", lw=1.8, label=r"$\det DG = 0$: GD map singular")]
    if M.filling and net.widths[0] * net.widths[-1] == 1 and M.target is not None:
        weights = [sympy.Matrix(W.tolist()) for W in net.split([sympy.Rational(str(v)) for v in centre])]
        flat = [v for W in weights for v in W]
        flat[i], flat[j] = x, y
        layers = [sympy.Matrix(W.tolist()) for W in net.split(flat)]
        product = layers[0]
        for W in layers[1:]:
            product = W * product
        residual = sympy.lambdify((x, y), product[0, 0] - sympy.Matrix(M.target)[0, 0], "numpy")
        ax.contour(gx, gy, np.broadcast_to(np.asarray(residual(gx, gy), dtype=float), gx.shape), levels=[0],
                   colors="tab:red", linewidths=1.6, linestyles="--")
        handles.append(Line2D([], [], color="tab:red", lw=1.6, ls="--", label="M (global minima)"))
    if D > 2:
        ax.plot(cx, cy, marker="*", ms=12, color="tab:red", ls="none")
        handles.append(Line2D([], [], marker="*", ms=12, color="tab:red", ls="none",
                              label="the point of M the plane passes through"))
    ax.set_xlabel(f"${latex_name(names[i])}$")
    ax.set_ylabel(f"${latex_name(names[j])}$")
    where = "" if D == 2 else " (other parameters at a point of M)"
    ax.set_title(rf"$\det(I - \eta H(\theta))$ at $\eta = {sympy.latex(sympy.Rational(step.numerator, step.denominator))}$"
                 f"{where}\nexact polynomial, evaluated in floats", fontsize=10)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    if path is not None:
        save_figure(fig, path)
    return fig
