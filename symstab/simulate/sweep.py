"""Result A6, the phase-transition experiment: :func:`convergence_sweep` over ``eta / eta_C``, and its result.

* :func:`critical_eta` -- ``eta_C`` from an override or from the exact layer
  (:func:`symstab.critical.critical_step_sizes`, result A5);
* :func:`wilson_interval` -- the confidence interval of a converged fraction;
* :func:`run_cell` -- one task (a slice of one cell's starts), run in a worker
  process; it is looked up in this module, so workers import it by its path;
* checkpoints (JSON lines, one per finished cell) and :class:`SweepResult`.

The rows are numerical evidence for A6 (docs/theory.md, A6).
"""

from __future__ import annotations

import json
import math
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from pathlib import Path

import numpy as np
import sympy

from ..critical import critical_step_sizes
from ..errors import InvalidInputError
from ..exact.numbers import check_seed
from ..files import writable_file
from .engine import STATUSES, Problem, problem_of
from .plots import plot_sweep
from .inputs import check_positive_int, initial_scale, parse_eta, run_options
from .runs import SHARPNESS_MARGIN, json_float, period_counts, run_problem

__all__ = ["SweepResult", "convergence_sweep", "critical_eta", "run_cell", "wilson_interval"]

_Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal


# --------------------------------------------------------------------------- eta_C


def critical_eta(net, eta_C=None) -> tuple:
    """``(eta_C as float, exact text or None)`` from an override or :func:`symstab.critical.critical_step_sizes`.

    Parameters
    ----------
    net : LinearNetwork
    eta_C : number, optional
        An override (float or exact); otherwise ``eta_C`` comes from the exact
        layer (result A5, without z3 proofs).

    Returns
    -------
    tuple
        ``(float, str or None)``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> critical_eta(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), "1/5")
    (0.2, '1/5')
    """
    if eta_C is not None:
        value, exact = parse_eta(eta_C)
        return value, (str(exact) if exact is not None else None)
    crit = critical_step_sizes(net, prove=False)
    value = crit.eta_C_float
    if value is None or not math.isfinite(value) or value <= 0:
        known = "" if crit.eta_C_interval is None else f" (rigorous interval {crit.to_dict()['eta_C_interval']})"
        raise InvalidInputError(f"eta_C is not known as a finite number for this network{known}; "
                                "pass eta_C= (CLI: --eta-C) explicitly")
    return value, (sympy.sstr(crit.eta_C) if crit.eta_C is not None else None)


# --------------------------------------------------------------------------- cells


def wilson_interval(k: int, n: int, z: float = _Z95) -> tuple:
    """Wilson score interval for a binomial proportion ``k/n`` (95% by default).

    Parameters
    ----------
    k, n : int
        Successes and trials.
    z : float
        The normal quantile (default: 95% two-sided).

    Returns
    -------
    tuple
        ``(lo, hi)``; ``(0, 1)`` when ``n <= 0``.

    Examples
    --------
    >>> wilson_interval(0, 100)[0], round(wilson_interval(0, 100)[1], 4)
    (0.0, 0.037)
    >>> lo, hi = wilson_interval(50, 100); round(lo, 4), round(hi, 4)
    (0.4038, 0.5962)
    """
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


def _cell_inits(problem: Problem, seed: int, n_inits: int, init_scale) -> np.ndarray:
    """The starts of every cell (common random numbers): ``SeedSequence(seed)``, independent of chunking."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return initial_scale(problem, init_scale) * rng.standard_normal((n_inits, problem.num_params))


def run_cell(problem: Problem, spec: dict) -> dict:
    """One task (a slice of one cell's starts); runs in a worker.  Returns plain lists.

    Parameters
    ----------
    problem : Problem
    spec : dict
        ``cell``, ``eta``, ``seed``, ``n_inits``, ``init_scale``, ``slice`` (``(lo, hi)``),
        ``steps`` and ``options`` (checked run options).

    Returns
    -------
    dict
        ``cell``, ``slice``, and per run ``status`` (indices into :data:`STATUSES`),
        ``grad``, ``sharpness``, ``period``; ``rechecks`` with indices in the cell.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> from symstab.simulate.inputs import run_options
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> spec = {"cell": 0, "eta": 0.18, "seed": 0, "n_inits": 8, "init_scale": None, "slice": (2, 5),
    ...         "steps": 1000, "options": run_options({})}
    >>> part = run_cell(p, spec); part["slice"], len(part["status"])
    ([2, 5], 3)
    """
    theta0 = _cell_inits(problem, spec["seed"], spec["n_inits"], spec["init_scale"])
    lo, hi = spec["slice"]
    runs = run_problem(problem, spec["eta"], None, theta0[lo:hi], spec["steps"], spec["options"])
    return {
        "cell": spec["cell"], "slice": [lo, hi],
        "status": [STATUSES.index(s) for s in runs.status],
        "grad": [float(g) for g in runs.final_grad_norm],
        "sharpness": [float(s) for s in runs.limit_sharpness],
        "period": [int(p) for p in runs.period],
        "rechecks": [dict(r, index=r["index"] + lo) for r in runs.rechecks],
    }


def _row(cell: int, eta_ratio: float, eta: float, n_inits: int, parts: list) -> dict:
    parts = sorted(parts, key=lambda p: p["slice"][0])
    status = np.array([s for p in parts for s in p["status"]], dtype=int)
    grad = np.array([g for p in parts for g in p["grad"]], dtype=float)
    sharp = np.array([s for p in parts for s in p["sharpness"]], dtype=float)
    period = np.array([q for p in parts for q in p["period"]], dtype=int)
    counts = {s: int((status == i).sum()) for i, s in enumerate(STATUSES)}
    n = len(status)
    k = counts["converged"]
    live = status != 1
    ratio = sharp[status == 0] * eta / 2
    period2 = int(((status == STATUSES.index("periodic")) & (period == 2)).sum())
    return {
        "cell": cell,
        "eta_ratio": eta_ratio,
        "eta": eta,
        "n_inits": n,
        "converged_fraction": k / n,
        "converged_ci": list(wilson_interval(k, n)),
        "diverged_fraction": counts["diverged"] / n,
        "period2_fraction": period2 / n,
        "period2_ci": list(wilson_interval(period2, n)),
        "other_bounded_fraction": (n - k - counts["diverged"] - period2) / n,
        "median_grad_norm": json_float(np.median(grad[live])) if live.any() else None,
        "median_sharpness_ratio": json_float(np.median(ratio)) if ratio.size else None,
        "max_sharpness_ratio": json_float(np.max(ratio)) if ratio.size else None,
        "sharpness_violations": int((ratio >= 1 - SHARPNESS_MARGIN).sum()),
        "counts": counts,
        "periods": period_counts(period),
        "rechecks": [r for p in parts for r in p["rechecks"]],
    }


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The phase-transition experiment: one row per ``eta / eta_C`` (numerical, float64).

    Row keys: ``eta_ratio``, ``eta``, ``n_inits``, ``converged_fraction``,
    ``converged_ci`` (Wilson 95%), ``diverged_fraction``, ``period2_fraction`` (runs
    ending on a 2-cycle) with ``period2_ci``, ``other_bounded_fraction`` (neither
    converged, period 2 nor diverged: other periods, bounded, saddle, origin; the four
    fractions add up to 1), ``median_grad_norm``
    (over non-diverged runs), ``median_sharpness_ratio`` and ``max_sharpness_ratio``
    (limit sharpness x eta/2 over converged runs), ``sharpness_violations``
    (converged limits outside M_SS), ``counts`` (per status), ``periods``,
    ``rechecks`` and ``cell``.
    """

    widths: tuple
    loss: str
    eta_C: float
    eta_C_exact: object
    n_inits: int
    steps: int
    seed: int
    init_scale: float
    rows: tuple

    def to_dict(self) -> dict:
        """JSON-ready: the settings and ``rows``."""
        return {"widths": list(self.widths), "loss": self.loss, "eta_C": self.eta_C_exact,
                "eta_C_float": self.eta_C, "n_inits": self.n_inits, "steps": self.steps, "seed": self.seed,
                "init_scale": self.init_scale, "evidence": "numerical (float64, borderline runs re-checked "
                "at high precision)", "rows": [dict(r) for r in self.rows]}

    def table(self) -> str:
        """A plain-text table, one line per ratio."""
        head = (f"{'eta/eta_C':>9} {'eta':>10} {'converged':>9} {'95% CI':>15} {'diverged':>8} "
                f"{'period-2':>8} {'other bd':>8} {'med |grad|':>10} {'med S*eta/2':>11} {'>=2/eta':>7}")
        lines = [f"GD convergence sweep, widths {self.widths}, eta_C = {self.eta_C_exact or self.eta_C}"
                 f" (~ {self.eta_C:.6g}); {self.n_inits} inits x {self.steps} steps, seed {self.seed},"
                 f" init scale {self.init_scale:.4g} [numerical]", head]
        for r in self.rows:
            c = r["counts"]
            n = r["n_inits"]
            g = "-" if r["median_grad_norm"] is None else f"{r['median_grad_norm']:.2e}"
            s = "-" if r["median_sharpness_ratio"] is None else f"{r['median_sharpness_ratio']:.4f}"
            lo, hi = r["converged_ci"]
            lines.append(
                f"{r['eta_ratio']:>9.4g} {r['eta']:>10.4g} {r['converged_fraction']:>9.3f} "
                f"{'[' + format(lo, '.3f') + ', ' + format(hi, '.3f') + ']':>15} {r['diverged_fraction']:>8.3f} "
                f"{r.get('period2_fraction', float('nan')):>8.3f} {r.get('other_bounded_fraction', float('nan')):>8.3f} "
                f"{g:>10} {s:>11} {r['sharpness_violations']:>7}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path=None):
        """Converged fraction (with Wilson intervals) and median final gradient norm vs eta/eta_C.

        The top panel also shows the diverged fraction and the median limit
        sharpness x eta/2 of converged runs.  A vertical line marks ``eta = eta_C``.  Returns a bare Figure (Agg canvas);
        saved to ``path`` when given (PNG or PDF by extension).  See :func:`symstab.simulate.plots.plot_sweep`.
        """
        return plot_sweep(self, path)


# --------------------------------------------------------------------------- checkpoints


def _config(problem, n_inits, steps, seed, scale, eta_C, opts) -> dict:
    return {"problem": problem.fingerprint(), "n_inits": n_inits, "steps": steps, "seed": seed, "init_scale": scale, "eta_C": eta_C,
            "options": {k: opts[k] for k in sorted(opts)}}


def _read_checkpoint(path: Path, config: dict) -> dict:
    """Finished cells ``{eta_ratio: row}`` from a JSON-lines checkpoint written with the same settings.

    A line cut short by an interruption is dropped (that cell is recomputed) and
    the file is rewritten without it, so that appended lines stay well formed.
    """
    done = {}
    if not path.exists():
        return done
    text = path.read_text()
    kept, dropped, seen_config = [], False, False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == 1:
                raise InvalidInputError(f"{path}: not a symstab checkpoint") from None
            dropped = True
            continue
        if record.get("kind") == "config":
            if record.get("config") != config:
                raise InvalidInputError(
                    f"{path}: checkpoint was written for different settings; use another file or delete it")
            seen_config = True
        elif record.get("kind") == "cell" and seen_config:
            done[float(record["row"]["eta_ratio"])] = record["row"]
        else:
            raise InvalidInputError(f"{path}: not a symstab checkpoint")
        kept.append(line)
    if dropped or (text and not text.endswith("\n")):
        path.write_text("".join(line + "\n" for line in kept))
    return done


# --------------------------------------------------------------------------- the sweep


def convergence_sweep(net, eta_ratios=(0.8, 0.9, 1.1, 1.2), n_inits: int = 1000, steps: int = 20_000,
                      seed: int = 0, init_scale=None, executor=None, checkpoint=None, *, eta_C=None,
                      workers=None, chunk_size=None, progress=None, **options) -> SweepResult:
    """The phase-transition experiment of A6: GD from ``n_inits`` random starts at each ``eta = ratio * eta_C``.

    Each ratio is a *cell*. Every cell starts from the same ``n_inits`` points,
    drawn from ``numpy.random.SeedSequence(seed)`` (common random numbers: the
    transition compares the same initialisations at each eta), so a row depends
    only on the settings and its ratio, never on the other ratios, the executor,
    the chunking or on resuming. A cell may be split into tasks of ``chunk_size`` starts.

    Parameters
    ----------
    net : LinearNetwork
    eta_ratios : sequence of positive floats
        The grid of ``eta / eta_C``.
    n_inits, steps, seed : int
    init_scale : float, optional
        Standard deviation of the starts (default ``s_max(Wbar)^(1/H) / 2``).
    executor : concurrent.futures.Executor, optional
        Where tasks run, e.g. ``dask.distributed.Client(...).get_executor()``.
        Default: a local ``ProcessPoolExecutor`` with ``workers`` processes
        (``workers=1`` runs in this process, no pool).
    checkpoint : path, optional
        JSON-lines file: one line per finished cell.  An existing file written with
        the same settings is resumed: finished cells are not recomputed, matched by
        their ratio, so a sweep can also be extended with more ratios.
    eta_C : number, optional
        Overrides ``critical_step_sizes(net).eta_C_float`` (:func:`critical_eta`).
    chunk_size : int, optional
        Starts per task (default: a whole cell per task).
    progress : callable ``(done, total)``, optional
        Called as cells finish.
    **options
        Run options of :func:`~symstab.simulate.gd` (``tol``, ``check_every``, ...).

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> sweep = convergence_sweep(net, [0.9, 1.1], n_inits=40, steps=1500, seed=0, eta_C="1/5", workers=1)
    >>> [r["converged_fraction"] > 0 for r in sweep.to_dict()["rows"]]
    [True, False]
    """
    eta_c, eta_c_exact = critical_eta(net, eta_C)
    try:
        eta_c_q = Fraction(eta_c_exact) if eta_c_exact is not None else None
    except ValueError:  # irrational eta_C (a surd or CRootOf): float steps
        eta_c_q = None
    ratios = []
    for r in eta_ratios:
        if isinstance(r, bool) or not isinstance(r, (Real, np.floating)) or not math.isfinite(r) or r <= 0:
            raise InvalidInputError(f"eta ratios must be finite positive numbers, got {r!r}")
        ratios.append(float(r))
    if not ratios:
        raise InvalidInputError("give at least one eta ratio")
    n_inits = check_positive_int("n_inits", n_inits)
    steps = check_positive_int("steps", steps)
    seed = check_seed(seed)
    chunk = n_inits if chunk_size is None else check_positive_int("chunk_size", chunk_size)
    opts = run_options(options)
    problem = problem_of(net)
    scale = initial_scale(problem, init_scale)
    config = _config(problem, n_inits, steps, seed, scale, eta_c, opts)
    path = writable_file(checkpoint, "checkpoint") if checkpoint is not None else None
    done = _read_checkpoint(path, config) if path is not None else {}
    if path is not None and not path.exists():
        with path.open("w") as fh:
            fh.write(json.dumps({"kind": "config", "config": config}) + "\n")
    rows = {c: dict(done[r], cell=c) for c, r in enumerate(ratios) if r in done}
    specs = []
    # eta = ratio * eta_C rounded once (0.9 * 1/5 -> 0.18, not 0.18000000000000002)
    etas = [float(Fraction(repr(r)) * eta_c_q) if eta_c_q is not None else r * eta_c for r in ratios]
    for cell, ratio in enumerate(ratios):
        if cell in rows:
            continue
        for lo in range(0, n_inits, chunk):
            specs.append({"cell": cell, "eta": etas[cell], "seed": seed, "n_inits": n_inits,
                          "init_scale": scale, "slice": (lo, min(n_inits, lo + chunk)), "steps": steps,
                          "options": opts})
    total = len(ratios)
    if progress is not None:
        progress(len(rows), total)
    parts = {}
    expected = {}
    for s in specs:
        expected[s["cell"]] = expected.get(s["cell"], 0) + 1

    def finish(part):
        cell = part["cell"]
        parts.setdefault(cell, []).append(part)
        if len(parts[cell]) == expected[cell]:
            row = _row(cell, ratios[cell], etas[cell], n_inits, parts.pop(cell))
            rows[cell] = row
            if path is not None:
                with path.open("a") as fh:
                    fh.write(json.dumps({"kind": "cell", "row": row}) + "\n")
            if progress is not None:
                progress(len(rows), total)

    if specs:
        if executor is None and (workers == 1 or len(specs) == 1):
            for s in specs:
                finish(run_cell(problem, s))
        else:
            _run_tasks(problem, specs, executor, workers, finish)
    ordered = tuple(rows[c] for c in range(len(ratios)))
    return SweepResult(widths=problem.widths, loss=net.loss, eta_C=eta_c, eta_C_exact=eta_c_exact,
                       n_inits=n_inits, steps=steps, seed=seed, init_scale=scale, rows=ordered)


def _run_tasks(problem, specs, executor, workers, finish) -> None:
    own = executor is None
    if own:
        if workers is not None:
            check_positive_int("workers", workers)
        executor = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        # larger tasks (higher ratios run to the end) first, for load balance
        pending = {executor.submit(run_cell, problem, s) for s in sorted(specs, key=lambda s: -s["eta"])}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                finish(fut.result())
    except BaseException:
        for fut in locals().get("pending", ()):
            fut.cancel()
        raise
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
