"""Beyond the threshold, numerically (O4, O5): the bifurcation diagram and the sharpness at the limit against ``2/eta``.

* :func:`bifurcation_diagram` -- late-time values of a scalar observable (the product
  ``mu``, for ``d_0 = d_H = 1``, or the sharpness) against eta, from batched float64 GD
  (every eta and every start in one batch: the step is a per-run array), with the
  exact 2-cycle branches of scalar networks (:func:`~symstab.orbits.families.cycle_families`)
  and their exact stability intervals (:func:`~symstab.orbits.cycles.period_two`) on top;
* :func:`sharpness_at_limit` -- for each eta, runs of :func:`symstab.simulate.gd`
  classified converged / period-2 / other, with the sharpness at the limit (converged)
  or at both cycle points (period 2): the plot edge-of-stability papers draw, with ``2/eta``.

Everything here is numerical (float64), except the overlaid branches and interval ends (exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ..budget import Estimate, guard
from ..errors import InvalidInputError
from ..exact.numbers import check_seed, simplest_between
from ..files import figure_suffixes, save_figure, writable_file
from ..simulate import gd
from ..simulate.engine import FloatEngine, problem_of
from ..simulate.inputs import check_positive_int, initial_scale
from .cycles import period_two
from .families import ETA, cycle_families, is_scalar_network
from .algebra import Z

__all__ = ["BifurcationDiagram", "bifurcation_diagram", "plot_bifurcation", "plot_sharpness_at_limit",
           "sharpness_at_limit"]


@dataclass(frozen=True, eq=False)
class BifurcationDiagram:
    """Late-time observable values per eta (numerical) and the exact branches and stability intervals."""

    widths: tuple
    observable: str
    etas: np.ndarray
    values: np.ndarray  # (n_eta, inits * keep), nan for diverged runs
    branches: tuple  # (sign, etas array, values array) sampled from the exact families
    stable_intervals: tuple  # (lo, hi, lo_exact, hi_exact) of stable 2-cycles found exactly
    evidence: str = "numerical (float64) cloud; exact branches and interval ends"

    def to_dict(self) -> dict:
        return {"widths": list(self.widths), "observable": self.observable, "etas": self.etas.tolist(),
                "stable_intervals": [list(i) for i in self.stable_intervals], "evidence": self.evidence}


def _observable(problem, thetas, observable):
    if observable == "product":
        W = [problem.split(t) for t in thetas]
        out = []
        for ws in W:
            mu = ws[0]
            for Wl in ws[1:]:
                mu = Wl @ mu
            out.append(float(mu[0, 0]))
        return np.array(out)
    return np.array([float(np.linalg.eigvalsh(problem.hessian(t))[-1]) if np.isfinite(t).all() else np.nan
                     for t in thetas])


def diagram_cost(num_params: int, n_eta: int, inits: int, steps: int, keep: int, observable: str) -> Estimate:
    """Up-front time and memory of :func:`bifurcation_diagram` (benchmarks/README.md).

    Fitted on (1,1,1), (1,2,2,1) and (2,2,2) (CPU, quiet machine): ~3e-8 s per run, step and
    parameter for the batched float64 GD, plus ~3e-7 s per run, kept iterate and ``D^3`` for
    the sharpness observable (a batched symmetric eigenvalue problem); memory holds the
    recorded values, the batch of parameters and, for the sharpness, the batch of Hessians.

    Examples
    --------
    >>> diagram_cost(2, 200, 8, 2000, 16, "product").seconds < 5
    True
    >>> diagram_cost(2, 200, 8, 2000, 10**8, "product").bytes > 1e12
    True
    """
    runs = n_eta * inits
    seconds = 0.2 + 3e-8 * runs * (steps + keep) * num_params
    if observable == "sharpness":
        seconds += 3e-7 * runs * keep * num_params ** 3
    nbytes = 1e8 + 8.0 * runs * (keep + 8 * num_params + (num_params ** 2 if observable == "sharpness" else 0))
    return Estimate(f"the bifurcation diagram ({n_eta} x {inits} runs of {steps} + {keep} steps, D = {num_params})",
                    seconds, nbytes)


def bifurcation_diagram(net, eta_min, eta_max, n_eta: int = 200, inits: int = 8, steps: int = 2000,
                        keep: int = 16, seed: int = 0, observable: str = "product", init_scale=None,
                        exact: bool = True, force: bool = False) -> BifurcationDiagram:
    """Late-time iterates of ``observable`` against eta, batched float64, with exact branches (O4).

    Parameters
    ----------
    net : LinearNetwork
    eta_min, eta_max : exact or float positive numbers, ``eta_min < eta_max``
    n_eta, inits, steps, keep : int
        Grid size, starts per eta, transient steps, and iterates recorded after them.
    force : bool
        Run even when :func:`diagram_cost` is above the limit of :func:`symstab.budget.guard`.
    seed : int
    observable : {"product", "sharpness"}
        ``"product"`` needs ``d_0 = d_H = 1``.
    exact : bool
        Overlay the exact branches and stability intervals (scalar networks).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> d = bifurcation_diagram(LinearNetwork.whitened((1, 1, 1), [[1]]), "9/10", "6/5", n_eta=4, inits=2,
    ...                         steps=200, keep=2)
    >>> d.values.shape, [i[2:] for i in d.stable_intervals]
    ((4, 4), [('1', '-1 + sqrt(5)')])
    """
    lo, hi = Fraction(str(eta_min)), Fraction(str(eta_max))
    if not 0 < lo < hi:
        raise InvalidInputError(f"need 0 < eta_min < eta_max, got {eta_min}, {eta_max}")
    n_eta = check_positive_int("n_eta", n_eta)
    inits = check_positive_int("inits", inits)
    steps = check_positive_int("steps", steps)
    keep = check_positive_int("keep", keep)
    seed = check_seed(seed)
    if observable not in ("product", "sharpness"):
        raise InvalidInputError(f"observable must be 'product' or 'sharpness', got {observable!r}")
    if observable == "product" and (net.widths[0] != 1 or net.widths[-1] != 1):
        raise InvalidInputError("observable 'product' needs d_0 = d_H = 1; use 'sharpness'")
    guard(diagram_cost(net.num_params, n_eta, inits, steps, keep, observable), force,
          hint="use a smaller --n-eta, --inits, --steps or --keep")
    problem = problem_of(net)
    etas = np.linspace(float(lo), float(hi), n_eta)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    theta0 = initial_scale(problem, init_scale) * rng.standard_normal((inits, problem.num_params))
    theta0 = np.repeat(theta0[None], n_eta, axis=0).reshape(n_eta * inits, -1)
    engine = FloatEngine(problem, 1.0, theta0)
    engine.factor = 2.0 * problem.scale * np.repeat(etas, inits)  # one step size per run, batch-last
    values = np.full((n_eta * inits, keep), np.nan)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        engine.advance(steps)
        for k in range(keep):
            thetas = engine.theta()
            ok = np.isfinite(thetas).all(axis=1) & (np.abs(thetas).max(axis=1) < 1e12)
            vals = np.full(len(thetas), np.nan)
            if ok.any():
                vals[ok] = _observable(problem, thetas[ok], observable)
            values[:, k] = vals
            engine.advance(1)
    values = values.reshape(n_eta, inits * keep)
    branches, intervals = (), ()
    if exact and is_scalar_network(net):
        branches = _branches(net, float(lo), float(hi), observable)
        intervals = _stable_intervals(net, lo, hi)
    return BifurcationDiagram(widths=net.widths, observable=observable, etas=etas, values=values,
                              branches=branches, stable_intervals=intervals)


def _branches(net, lo, hi, observable) -> tuple:
    """Real roots of each exact family polynomial on a fine eta grid, as products ``s a^H``."""
    if observable != "product":
        return ()
    out = []
    grid = np.linspace(lo, hi, 120)
    for fam in cycle_families(net):
        poly = sympy.Poly(fam["polynomial"], Z, ETA)
        xs, ys = [], []
        for e in grid:
            coeffs = [float(c) for c in sympy.Poly(poly.as_expr().subs(ETA, sympy.Float(e, 30)), Z).all_coeffs()]
            for r in np.roots(coeffs):
                if abs(r.imag) < 1e-9:
                    xs.append(e)
                    ys.append(fam["sign"] * abs(r.real) ** net.depth if fam["sign"] < 0 else r.real ** net.depth)
        out.append((fam["sign"], np.array(xs), np.array(ys)))
    return tuple(out)


def _stable_intervals(net, lo: Fraction, hi: Fraction) -> tuple:
    """Exact stability intervals of the stable 2-cycles found at a few rational steps in ``[lo, hi]``."""
    found = {}
    for k in range(1, 6):
        e = simplest_between(lo + (hi - lo) * Fraction(2 * k - 1, 10) * Fraction(99, 100),
                             lo + (hi - lo) * Fraction(2 * k - 1, 10))
        for o in period_two(net, e).orbits:
            if o.stable and o.stable_eta_interval != (None, None):
                key = o.stable_eta_interval_exact
                found[key] = (o.stable_eta_interval[0], o.stable_eta_interval[1], *key)
    return tuple(found.values())


def plot_bifurcation(diagram: BifurcationDiagram, path=None):
    """The diagram: the float cloud, the exact branches (thin lines), stable intervals shaded with exact ends.

    Returns a bare ``matplotlib.figure.Figure`` (Agg canvas); saved to ``path`` when given.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    fig = Figure(figsize=(7.5, 4.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.repeat(diagram.etas, diagram.values.shape[1])
    ax.plot(x, diagram.values.ravel(), ",", color="k", alpha=0.5, label="late GD iterates (float64)")
    for k, (sign, xs, ys) in enumerate(diagram.branches):
        ax.plot(xs, ys, ".", ms=1.5, color="tab:blue", label="exact 2-cycle branches" if k == 0 else None)
    for k, (a, b, ae, be) in enumerate(diagram.stable_intervals):
        right = b if b is not None else diagram.etas[-1]
        ax.axvspan(a, right, color="tab:green", alpha=0.15,
                   label=f"stable 2-cycle, exact: ({ae}, {be if be is not None else 'oo'})" if k < 3 else None)
    ax.set_xlim(diagram.etas[0], diagram.etas[-1])
    finite = diagram.values[np.isfinite(diagram.values)]
    if finite.size:
        lo, hi = np.percentile(finite, [0.5, 99.5])
        pad = 0.1 * (hi - lo + 1e-9)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel(r"$\eta$")
    ax.set_ylabel("product $\\mu$" if diagram.observable == "product" else r"sharpness $\lambda_{\max}$")
    ax.set_title(f"widths {diagram.widths}: late-time GD iterates vs eta (numerical) and exact 2-cycles", fontsize=9)
    ax.legend(fontsize=7, loc="best", markerscale=6)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def sharpness_at_limit(net, etas, inits: int = 200, steps: int = 5000, seed: int = 0) -> dict:
    """Sharpness at the limit against ``2/eta`` (O5, numerical): converged runs and period-2 runs separately.

    Returns ``eta`` (list), and per eta ``converged`` (limit sharpness values), ``period2``
    (sharpness at both points of each 2-cycle), ``counts``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> r = sharpness_at_limit(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), [0.18, 0.22], inits=8, steps=2000)
    >>> all(s < 2 / 0.18 for s in r["rows"][0]["converged"])
    True
    """
    rows = []
    problem = problem_of(net)
    for eta in etas:
        runs = gd(net, eta, inits=inits, steps=steps, seed=seed)
        conv = [float(s) for s in runs.limit_sharpness[runs.converged]]
        p2 = []
        engine_pts = runs.final_theta[np.array([p == 2 for p in runs.period], dtype=bool)]
        if len(engine_pts):
            eng = FloatEngine(problem, float(runs.eta), engine_pts)
            eng.advance(1)
            for a, b in zip(engine_pts, eng.theta()):
                p2.append((float(np.linalg.eigvalsh(problem.hessian(a))[-1]),
                           float(np.linalg.eigvalsh(problem.hessian(b))[-1])))
        rows.append({"eta": float(runs.eta), "two_over_eta": 2 / float(runs.eta), "converged": conv,
                     "period2": p2, "counts": runs.counts()})
    return {"widths": list(net.widths), "rows": rows, "evidence": "numerical (float64)"}


def plot_sharpness_at_limit(result: dict, path=None):
    """Sharpness at the limit vs eta with the curve ``2/eta``: converged (dots) and period-2 (both points) runs."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    fig = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    etas = np.array([r["eta"] for r in result["rows"]])
    grid = np.linspace(etas.min(), etas.max(), 200)
    ax.plot(grid, 2 / grid, "k--", label=r"$2/\eta$")
    labelled = set()
    for r in result["rows"]:
        if r["converged"]:
            ax.plot([r["eta"]] * len(r["converged"]), r["converged"], "o", ms=3, color="tab:blue", alpha=0.4,
                    label=None if "c" in labelled else "converged: sharpness at the limit")
            labelled.add("c")
        for a, b in r["period2"]:
            ax.plot([r["eta"], r["eta"]], [a, b], "s", ms=3, color="tab:orange", alpha=0.4,
                    label=None if "p" in labelled else "period 2: sharpness at both points")
            labelled.add("p")
    ax.set_xlabel(r"$\eta$")
    ax.set_ylabel(r"sharpness $\lambda_{\max}(\nabla^2 L)$")
    ax.set_title(f"widths {tuple(result['widths'])}: sharpness at the limit vs 2/eta (numerical)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig
