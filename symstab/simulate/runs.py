"""Result A6, runs from one step size: :func:`gd`, its result :class:`GDRuns`, :func:`sharpness_trajectory`
and :func:`trajectory_quantiles`.

:func:`gd` checks its input (:mod:`~symstab.simulate.inputs`), prepares the
problem and hands it to :func:`run_problem`, which picks the float64 engine
(:mod:`~symstab.simulate.engine`) or the high-precision one
(:mod:`~symstab.simulate.precision`), classifies the runs and re-checks
borderline float runs at high precision.  The sweep's workers call
:func:`run_problem` directly.  Every number here is numerical evidence for A6
(docs/theory.md, A6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

from ..errors import InvalidInputError
from .engine import STATUSES, FloatEngine, Problem, drive, problem_of
from .inputs import check_positive_int, initial_points, parse_eta, run_options
from .precision import ArbEngine, flint_precision, high_precision_sharpness

__all__ = ["SHARPNESS_MARGIN", "TRAJECTORY_QUANTILES", "GDRuns", "gd", "json_float", "period_counts", "run_problem",
           "sharpness_trajectory", "trajectory_quantiles"]

#: ``|sharpness * eta / 2 - 1|`` below this: "marginal" (float64 cannot tell).
SHARPNESS_MARGIN = 1e-9


# --------------------------------------------------------------------------- results


def period_counts(period) -> dict:
    """How many runs have each period, as ``{"p": count}`` over the periodic runs (``period > 0``).

    Examples
    --------
    >>> period_counts(np.array([0, 2, 2, 4]))
    {'2': 2, '4': 1}
    """
    values, counts = np.unique(np.asarray(period)[np.asarray(period) > 0], return_counts=True)
    return {str(int(p)): int(c) for p, c in zip(values, counts)}


@dataclass(frozen=True, eq=False)
class GDRuns:
    """K GD runs from one step size: per-run status, final gradient norm, limit sharpness.

    Attributes
    ----------
    eta : float
    steps : int
    seed : int or None
    dps : int or None
        ``None``: float64 runs; otherwise the decimal digits of the high-precision runs.
    status : tuple of str
        One of :data:`STATUSES` per run.
    final_grad_norm : numpy.ndarray
        ``||grad L||`` when the run stopped (``inf`` for diverged runs).
    final_residual : numpy.ndarray
        ``||mu(theta) - Wbar||_F`` when the run stopped.
    stop_step : numpy.ndarray
        Step at which the run was retired (``steps`` when it ran to the end).
    period : numpy.ndarray
        Detected period for periodic runs, 0 otherwise.
    limit_sharpness : numpy.ndarray
        lambda_max of the Hessian at the limit of converged runs (``nan`` otherwise): float64
        ``eigvalsh`` for float runs; for ``dps`` runs, mpmath ``eigsy`` at ``dps`` digits on the
        exact midpoints of the limit (then rounded to float).
    final_theta : numpy.ndarray
        ``(K, D)`` last iterates.
    rechecks : tuple of dict
        Borderline runs re-run at high precision (index, float and high-precision verdicts).
    evidence : str
        Always numerical: ``"numerical (float64)"`` or ``"numerical (N digits)"``.
    """

    eta: float
    steps: int
    seed: object
    dps: object
    depth: int
    status: tuple
    final_grad_norm: np.ndarray
    final_residual: np.ndarray
    stop_step: np.ndarray
    period: np.ndarray
    limit_sharpness: np.ndarray
    final_theta: np.ndarray = field(repr=False)
    rechecks: tuple = ()
    evidence: str = "numerical (float64)"

    @property
    def n_runs(self) -> int:
        return len(self.status)

    @property
    def converged(self) -> np.ndarray:
        """Boolean mask of runs converged to M."""
        return np.array([s == "converged" for s in self.status], dtype=bool)

    def counts(self) -> dict:
        """Number of runs per status (every status listed, in :data:`STATUSES` order)."""
        return {s: sum(1 for x in self.status if x == s) for s in STATUSES}

    @property
    def sharpness_ratio(self) -> np.ndarray:
        """``limit_sharpness * eta / 2`` (below 1: the limit lies in M_SS)."""
        return self.limit_sharpness * self.eta / 2

    @property
    def verdicts(self) -> tuple:
        """Per converged run ``"stable"`` / ``"unstable"`` / ``"marginal"`` (numerical, float64
        comparison of the limit sharpness with ``2/eta`` up to a relative ``1e-9``); ``None`` otherwise."""
        out = []
        for s, r in zip(self.status, self.sharpness_ratio):
            if s != "converged" or not np.isfinite(r):
                out.append(None)
            else:
                out.append("stable" if r < 1 - SHARPNESS_MARGIN else "unstable" if r > 1 + SHARPNESS_MARGIN
                           else "marginal")
        return tuple(out)

    @property
    def sharpness_violations(self) -> tuple:
        """Indices of converged runs whose limit is not in M_SS (sharpness >= 2/eta, numerically)."""
        return tuple(i for i, v in enumerate(self.verdicts) if v in ("unstable", "marginal"))

    def to_dict(self) -> dict:
        """JSON-ready summary (per-run arrays are not included; see the attributes)."""
        ok = self.converged
        ratio = self.sharpness_ratio[ok]
        finite = np.isfinite(self.final_grad_norm)
        return {
            "eta": self.eta, "steps": self.steps, "seed": self.seed, "dps": self.dps, "n_runs": self.n_runs,
            "counts": self.counts(),
            "median_grad_norm": json_float(np.median(self.final_grad_norm[finite])) if finite.any() else None,
            "median_sharpness_ratio": json_float(np.median(ratio)) if ratio.size else None,
            "max_sharpness_ratio": json_float(np.max(ratio)) if ratio.size else None,
            "sharpness_violations": len(self.sharpness_violations),
            "periods": period_counts(self.period),
            "rechecks": list(self.rechecks),
            "evidence": self.evidence,
        }

    def summary(self) -> str:
        """A few readable lines: counts, gradient norms, limit sharpness vs 2/eta."""
        c = self.counts()
        lines = [f"GD, eta = {self.eta:.6g} (2/eta = {2 / self.eta:.6g}), {self.n_runs} runs x {self.steps} steps"
                 f" [{self.evidence}]"]
        lines.append("  " + ", ".join(f"{k} {v}" for k, v in c.items()))
        d = self.to_dict()
        if d["median_sharpness_ratio"] is not None:
            lines.append(f"  converged limits: median sharpness*eta/2 = {d['median_sharpness_ratio']:.4g},"
                         f" max = {d['max_sharpness_ratio']:.4g}; outside M_SS: {d['sharpness_violations']}")
        if d["median_grad_norm"] is not None:
            lines.append(f"  median final ||grad L|| (non-diverged runs) = {d['median_grad_norm']:.3g}")
        if d["periods"]:
            lines.append("  periods: " + ", ".join(f"{p}: {n}" for p, n in sorted(d["periods"].items(),
                                                                                 key=lambda kv: int(kv[0]))))
        if c["origin"]:
            kind = "strict saddle" if self.depth == 2 else "non-strict saddle (linearisation cannot decide)"
            lines.append(f"  {c['origin']} runs approach the origin, a {kind}; not counted as converged")
        for r in self.rechecks:
            lines.append(f"  re-checked run {r['index']} at {r['dps']} digits: float {r['float_status']}"
                         f" -> {r['hp_status']}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def json_float(x):
    """``x`` as a float for JSON: ``None`` when it is not finite.

    Parameters
    ----------
    x : real number

    Returns
    -------
    float or None

    Examples
    --------
    >>> json_float(np.float64(0.5)), json_float(np.inf)
    (0.5, None)
    """
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- gd


def _limit_sharpness(problem: Problem, theta: np.ndarray, status: np.ndarray) -> np.ndarray:
    out = np.full(theta.shape[0], np.nan)
    idx = np.flatnonzero(status == 0)
    if idx.size:
        hess = np.stack([problem.hessian(theta[i]) for i in idx])
        out[idx] = np.linalg.eigvalsh(hess)[:, -1]
    return out


def run_problem(problem: Problem, eta: float, eta_exact, theta0, steps: int, opts: dict, *, dps=None,
                exact_theta0=None, seed=None, recheck: bool = True) -> GDRuns:
    """The core of :func:`gd` on a prepared problem (the sweep's workers call it too).

    Parameters
    ----------
    problem : Problem
    eta : float
    eta_exact : Fraction or None
        The exact step, used by the high-precision engine when given.
    theta0 : numpy.ndarray
        ``(K, D)`` starting points.
    steps : int
    opts : dict
        Checked run options (:func:`run_options`).
    dps : int, optional
        ``None``: the float64 engine; otherwise the ``dps``-digit one.
    exact_theta0 : list of rows of Fraction, optional
    seed : int, optional
        Recorded in the result.
    recheck : bool
        Re-run borderline float runs at ``opts["recheck_dps"]`` digits.

    Returns
    -------
    GDRuns

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> run_problem(p, 0.1, None, np.array([[2, 1.5, 2]]), 100, run_options({})).status
    ('converged',)
    """
    if dps is None:
        engine = FloatEngine(problem, eta, theta0)
        status, grad, resid, stop, period, theta, _ = drive(engine, problem, steps, opts)
        evidence = "numerical (float64)"
        sharp = _limit_sharpness(problem, theta, status)
    else:
        with flint_precision(dps):
            engine = ArbEngine(problem, eta_exact if eta_exact is not None else eta, theta0, exact_theta0)
            status, grad, resid, stop, period, theta, mids = drive(engine, problem, steps, opts)
        evidence = f"numerical ({dps} digits)"
        sharp = np.full(len(status), np.nan)
        for i in np.flatnonzero(status == 0):
            sharp[i] = high_precision_sharpness(problem, mids[i], dps)
    rechecks = []
    if recheck and dps is None and opts["max_rechecks"] > 0:
        ratio = sharp * eta / 2
        border = ((status == 0) & (np.abs(ratio - 1) < opts["borderline"])) | (
            (status >= 2) & (grad <= 1e3 * opts["tol"] * problem.grad_scale))
        for i in np.flatnonzero(border)[: opts["max_rechecks"]]:
            hp = run_problem(problem, eta, eta_exact, theta0[i:i + 1], steps, opts, dps=opts["recheck_dps"],
                             exact_theta0=None if exact_theta0 is None else exact_theta0[i:i + 1], recheck=False)
            new = STATUSES.index(hp.status[0])
            hp_sharp = json_float(hp.limit_sharpness[0]) if new == 0 else None
            rechecks.append({"index": int(i), "dps": opts["recheck_dps"], "float_status": STATUSES[status[i]],
                             "hp_status": hp.status[0], "float_sharpness": json_float(sharp[i]),
                             "hp_sharpness": hp_sharp})
            status[i], grad[i], resid[i] = new, hp.final_grad_norm[0], hp.final_residual[0]
            stop[i], period[i], theta[i] = hp.stop_step[0], hp.period[0], hp.final_theta[0]
            sharp[i] = hp_sharp if hp_sharp is not None else np.nan
    return GDRuns(eta=float(eta), steps=int(steps), seed=seed, dps=dps, depth=problem.depth,
                  status=tuple(STATUSES[s] for s in status), final_grad_norm=grad, final_residual=resid,
                  stop_step=stop, period=period, limit_sharpness=sharp, final_theta=theta,
                  rechecks=tuple(rechecks), evidence=evidence)


def gd(net, eta, inits=100, steps: int = 10_000, seed: int = 0, dps=None, *, init_scale=None,
       recheck: bool = True, **options) -> GDRuns:
    """Run gradient descent ``theta <- theta - eta grad L(theta)`` from many starts (A6, numerical).

    Parameters
    ----------
    net : LinearNetwork
        Numeric data (a family must be substituted first).
    eta : positive number
        Step size; a float, or an exact number (int, Fraction, ``"1/5"``) which the
        high-precision path uses exactly.
    inits : int or array of shape (K, D) or (D,)
        A count K of random starts (i.i.d. ``N(0, init_scale^2)`` entries drawn with
        ``seed``) or explicit starting points (exact rationals are kept exact for
        the high-precision path).
    steps : int
        Maximal number of GD steps per run.
    seed : int
        Seed of :func:`numpy.random.default_rng` for random starts.
    dps : int, optional
        ``None``: batched float64.  Otherwise every run is a ``dps``-digit
        trajectory (python-flint ``arb`` midpoints, see :func:`flint_precision`).
    init_scale : float, optional
        Standard deviation of random starts; default ``s_max(Wbar)^(1/H) / 2``.
    recheck : bool
        Re-run borderline float runs at ``recheck_dps`` digits (at most
        ``max_rechecks`` of them): converged runs whose sharpness is within a
        relative ``borderline`` of ``2/eta`` and non-converged runs whose gradient
        is within ``1000 tol`` of the convergence threshold.  The high-precision
        verdict replaces the float one and is listed in ``rechecks``.
    **options
        ``tol`` (1e-9), ``check_every`` (50), ``max_period`` (32), ``period_tol``
        (1e-7), ``diverge_bound`` (1e30), ``origin_radius`` (``0.1 s_max(Wbar)^(1/H)``),
        ``borderline`` (1e-3), ``recheck_dps`` (30), ``max_rechecks`` (4); see the
        docstring of :mod:`symstab.simulate`.

    Returns
    -------
    GDRuns

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> runs = gd(net, "1/10", inits=[[2, "3/2", 2]], steps=500)   # a point of M, lambda_max = 4 + 25/4
    >>> runs.status, round(float(runs.limit_sharpness[0]), 9), runs.verdicts
    (('converged',), 10.25, ('stable',))
    >>> gd(net, 0.3, inits=8, steps=200, seed=1).counts()["converged"]   # eta = 1.5 eta_C
    0
    """
    eta_f, eta_q = parse_eta(eta)
    steps = check_positive_int("steps", steps)
    if dps is not None:
        check_positive_int("dps", dps)
    opts = run_options(options)
    problem = problem_of(net)
    theta0, exact = initial_points(problem, inits, seed, init_scale)
    return run_problem(problem, eta_f, eta_q, theta0, steps, opts, dps=dps, exact_theta0=exact,
                       seed=seed if isinstance(inits, (Integral, np.integer)) else None, recheck=recheck)


# --------------------------------------------------------------------------- sharpness along a run


def sharpness_trajectory(net, eta, theta0=None, steps: int = 2000, every: int = 1, seed: int = 0,
                         init_scale=None):
    """Loss and float64 sharpness (lambda_max of the Hessian) along one GD trajectory (numerical).

    Parameters
    ----------
    net : LinearNetwork
    eta : positive number
    theta0 : sequence of D numbers, optional
        Starting point; default a random one (``seed``, ``init_scale`` as in :func:`gd`).
    steps, every : int
        Number of steps, and record every ``every``-th iterate.

    Returns
    -------
    dict
        ``step``, ``loss``, ``sharpness`` (numpy arrays), ``eta`` and ``two_over_eta``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> tr = sharpness_trajectory(net, 0.18, [0.5, 0.5, 0.5], steps=300)
    >>> bool(tr["sharpness"][-1] < tr["two_over_eta"])
    True
    """
    eta_f, _ = parse_eta(eta)
    steps = check_positive_int("steps", steps)
    every = check_positive_int("every", every)
    problem = problem_of(net)
    if theta0 is None:
        start, _ = initial_points(problem, 1, seed, init_scale)
    else:
        start, _ = initial_points(problem, [list(theta0)], seed, init_scale)
    engine = FloatEngine(problem, eta_f, start)
    record_steps, loss, sharp = [], [], []
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(steps + 1):
            if t % every == 0 or t == steps:
                theta = engine.theta()[0]
                if not np.isfinite(theta).all():
                    break
                R = _product(problem, theta) - problem.target
                record_steps.append(t)
                # L - L_min = c tr(R Sigma R^T)  (docs/theory.md, A2)
                loss.append(problem.scale * float(np.trace(R @ problem.sigma @ R.T)))
                sharp.append(float(np.linalg.eigvalsh(problem.hessian(theta))[-1]))
            if t < steps:
                engine.advance(1)
    return {"step": np.array(record_steps), "loss": np.array(loss), "sharpness": np.array(sharp),
            "eta": eta_f, "two_over_eta": 2 / eta_f}


#: Quantile levels of :func:`trajectory_quantiles` (the median, the quartiles and the 10%/90% levels).
TRAJECTORY_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def trajectory_quantiles(net, eta, inits: int = 200, steps: int = 500, every: int = 1, seed: int = 0,
                         init_scale=None, quantiles=TRAJECTORY_QUANTILES) -> dict:
    """Quantiles over many GD runs of the loss and the sharpness per recorded step (numerical, float64).

    Above ``eta_C`` runs settle on period-2 orbits (and beyond) and jump between two
    values every step, at phases that differ from run to run, so one trajectory, many
    overplotted, or quantiles of the raw values say little.  At each recorded step
    ``t`` every run contributes the larger and the smaller of its values at steps
    ``t - 1`` and ``t`` (the two points of a 2-cycle; equal once a run has converged),
    and the quantiles over runs of each are returned: the *upper* and *lower*
    envelopes.  Quantiles are taken over the runs not diverged by that step (numpy's
    ``inverted_cdf``: sample values); the diverged share is returned per step.

    Parameters
    ----------
    net : LinearNetwork
    eta : positive number
    inits : int
        Number K of random starts (``seed``, ``init_scale`` as in :func:`gd`).
    steps, every : int
        Number of steps, and record every ``every``-th step (and the last).
    quantiles : sequence of float in [0, 1]

    Returns
    -------
    dict
        ``step`` (recorded steps), ``quantiles``, ``loss_upper``, ``loss_lower``,
        ``sharpness_upper`` and ``sharpness_lower`` (arrays of shape
        ``(len(quantiles), len(step))``, NaN where every run has diverged; loss as
        ``L - L_min``), ``diverged_fraction`` per recorded step, ``eta``,
        ``two_over_eta``, ``n_runs``, ``seed``, ``evidence``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> q = trajectory_quantiles(net, 0.18, inits=16, steps=400, every=100, seed=0)
    >>> q["step"].tolist(), q["loss_upper"].shape
    ([0, 100, 200, 300, 400], (5, 5))
    >>> bool(q["sharpness_upper"][2, -1] < q["two_over_eta"])   # the median run ends in M_SS
    True
    """
    eta_f, _ = parse_eta(eta)
    inits = check_positive_int("inits", inits)
    steps = check_positive_int("steps", steps)
    every = check_positive_int("every", every)
    levels = np.asarray(quantiles, dtype=float)
    if levels.ndim != 1 or levels.size == 0 or not ((levels >= 0) & (levels <= 1)).all():
        raise InvalidInputError(f"quantiles must be numbers in [0, 1], got {quantiles!r}")
    problem = problem_of(net)
    start, _ = initial_points(problem, inits, seed, init_scale)
    engine = FloatEngine(problem, eta_f, start)
    record = [t for t in range(steps + 1) if t % every == 0 or t == steps]
    wanted = set(record) | {t - 1 for t in record if t > 0}
    out = {k: [] for k in ("loss_upper", "loss_lower", "sharpness_upper", "sharpness_lower")}
    diverged, previous = [], None
    dead = np.zeros(inits, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(steps + 1):
            if t in wanted:
                thetas = engine.theta()
                dead |= ~np.isfinite(thetas).all(axis=1) | (np.abs(thetas).max(axis=1) > 1e30)
                loss = np.full(inits, np.nan)
                sharp = np.full(inits, np.nan)
                for i in np.flatnonzero(~dead):
                    R = _product(problem, thetas[i]) - problem.target
                    loss[i] = problem.scale * float(np.trace(R @ problem.sigma @ R.T))
                    sharp[i] = float(np.linalg.eigvalsh(problem.hessian(thetas[i]))[-1])
                if t in record:
                    pair_l = (loss, loss) if t == 0 else (loss, previous[0])
                    pair_s = (sharp, sharp) if t == 0 else (sharp, previous[1])
                    live = ~dead
                    for name, (a, b) in (("loss", pair_l), ("sharpness", pair_s)):
                        hi, lo = np.maximum(a, b)[live], np.minimum(a, b)[live]
                        for key, values in ((f"{name}_upper", hi), (f"{name}_lower", lo)):
                            out[key].append(np.quantile(values, levels, method="inverted_cdf") if values.size
                                            else np.full(levels.size, np.nan))
                    diverged.append(float(dead.mean()))
                previous = (loss, sharp)
            if t < steps:
                engine.advance(1)
    result = {"step": np.array(record), "quantiles": tuple(float(q) for q in levels)}
    result.update({k: np.array(v).T for k, v in out.items()})
    result.update({"diverged_fraction": np.array(diverged), "eta": eta_f, "two_over_eta": 2 / eta_f,
                   "n_runs": inits, "seed": seed, "evidence": "numerical (float64)"})
    return result


def _product(problem, theta) -> np.ndarray:
    """``W_H (... (W_2 W_1))``: the float association of the engines, not product_chain's."""
    W = problem.split(theta)
    mu = W[0]
    for Wl in W[1:]:
        mu = Wl @ mu
    return mu
