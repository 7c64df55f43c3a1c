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
from ..budget import guard, memory_budget
from ..errors import InvalidInputError
from ..exact.numbers import check_seed
from ..files import writable_file
from .engine import STATUSES, Problem, problem_of
from .plots import plot_sweep
from .inputs import check_positive_int, initial_scale, parse_eta, run_options
from .runs import SHARPNESS_MARGIN, json_float, run_problem
from .streaming import CellSummary, block_inits, chunk_starts, sweep_cost

__all__ = ["SweepResult", "convergence_sweep", "critical_eta", "run_cell", "wilson_interval"]

_Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal


# --------------------------------------------------------------------------- eta_C


def critical_eta(net, eta_C=None, *, force: bool = False) -> tuple:
    """``(eta_C as float, exact text or None)`` from an override or :func:`symstab.critical.critical_step_sizes`.

    Parameters
    ----------
    net : LinearNetwork
    eta_C : number, optional
        An override (float or exact); otherwise ``eta_C`` comes from the exact
        layer (result A5, without z3 proofs).
    force : bool
        Compute ``eta_C`` even when its up-front estimate is above the limit.

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
    crit = critical_step_sizes(net, prove=False, force=force)
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


def _cell_inits(problem: Problem, seed: int, lo: int, hi: int, init_scale) -> np.ndarray:
    """Starts ``lo..hi-1`` of every cell (common random numbers), independent of chunking (:func:`block_inits`)."""
    return block_inits(problem.num_params, seed, lo, hi, initial_scale(problem, init_scale))


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
        ``cell``, ``slice``, and per run (numpy arrays) ``status`` (indices into
        :data:`STATUSES`), ``grad``, ``sharpness``, ``period``; ``rechecks`` with
        indices in the cell.

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
    lo, hi = spec["slice"]
    theta0 = _cell_inits(problem, spec["seed"], lo, hi, spec["init_scale"])
    runs = run_problem(problem, spec["eta"], None, theta0, spec["steps"], spec["options"])
    return {
        "cell": spec["cell"], "slice": [lo, hi],
        "status": _status_codes(runs.status),
        "grad": np.asarray(runs.final_grad_norm, dtype=float),
        "sharpness": np.asarray(runs.limit_sharpness, dtype=float),
        "period": np.asarray(runs.period, dtype=np.int64),
        "rechecks": [dict(r, index=r["index"] + lo) for r in runs.rechecks],
    }


def _status_codes(status) -> np.ndarray:
    names = np.array(status, dtype=object)
    codes = np.full(len(status), -1, dtype=np.int8)
    for i, s in enumerate(STATUSES):
        codes[names == s] = i
    return codes


def _maybe(x):
    return None if x is None else json_float(x)


def _row(cell: int, eta_ratio: float, eta: float, summary: CellSummary) -> dict:
    n = summary.n
    counts = summary.counts
    k = counts["converged"]
    period2 = summary.periods.get("2", 0)  # periodic runs of period 2 (docs/theory.md, O4)
    return {
        "cell": cell,
        "eta_ratio": eta_ratio,
        "eta": eta,
        "n_inits": n,
        "converged_fraction": k / n,
        "converged_ci": list(wilson_interval(k, n)),
        "diverged_fraction": counts["diverged"] / n,
        "diverged_ci": list(wilson_interval(counts["diverged"], n)),
        "period2_fraction": period2 / n,
        "period2_ci": list(wilson_interval(period2, n)),
        "other_bounded_fraction": (n - k - counts["diverged"] - period2) / n,
        "other_bounded_ci": list(wilson_interval(n - k - counts["diverged"] - period2, n)),
        "median_grad_norm": _maybe(summary.grad.median()),
        "median_sharpness_ratio": _maybe(summary.ratio.median()),
        "max_sharpness_ratio": _maybe(summary.max_ratio),
        "median_relative_error": summary.median_relative_error,
        "sharpness_violations": summary.violations,
        "counts": dict(counts),
        "periods": {p: summary.periods[p] for p in sorted(summary.periods, key=int)},
        "rechecks": sorted(summary.rechecks, key=lambda r: r["index"]),
    }


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The phase-transition experiment: one row per ``eta / eta_C`` (numerical, float64).

    Row keys: ``eta_ratio``, ``eta``, ``n_inits``, ``converged_fraction``,
    ``converged_ci`` (Wilson 95%), ``diverged_fraction`` with ``diverged_ci``, ``period2_fraction`` (runs
    ending on a 2-cycle) with ``period2_ci``, ``other_bounded_fraction`` (neither
    converged, period 2 nor diverged: other periods, bounded, saddle, origin; the four
    fractions add up to 1) with ``other_bounded_ci``, ``median_grad_norm``
    (over non-diverged runs), ``median_sharpness_ratio`` and ``max_sharpness_ratio``
    (limit sharpness x eta/2 over converged runs), ``median_relative_error`` (0: exact
    medians; beyond 4M values per cell they come from a bounded histogram), ``sharpness_violations``
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
        """Outcome fractions (with Wilson intervals), limit sharpness x eta/2 and final gradient norm vs eta/eta_C.

        Three panels sharing the axis ``eta / eta_C``, legends outside the data, a labelled
        line at ``eta = eta_C``.  Returns a bare Figure (Agg canvas);
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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not a symstab checkpoint (not UTF-8 text)") from None
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
        if not isinstance(record, dict):
            raise InvalidInputError(f"{path}: not a symstab checkpoint")
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
                      workers=None, chunk_size=None, progress=None, memory=None, force: bool = False,
                      **options) -> SweepResult:
    """The phase-transition experiment of A6: GD from ``n_inits`` random starts at each ``eta = ratio * eta_C``.

    Each ratio is a *cell*. Every cell starts from the same ``n_inits`` points,
    drawn from ``numpy.random.SeedSequence(seed)`` (common random numbers: the
    transition compares the same initialisations at each eta), so a row depends
    only on the settings and its ratio, never on the other ratios, the executor,
    the chunking or on resuming. A cell is split into tasks of ``chunk_size`` starts,
    by default as many as fit the memory budget, and summarised as its tasks finish,
    so memory stays bounded for any ``n_inits``.

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
        Starts per task (default: as many as fit ``memory`` with every worker busy,
        :func:`~symstab.simulate.streaming.chunk_starts`).
    progress : callable ``(done, total)``, optional
        Called with the runs finished and the runs in all, as tasks finish.
    memory : int or str, optional
        Memory budget of the tasks in flight (``"4G"``; default 2 GiB or ``$SYMSTAB_MEMORY``,
        :func:`symstab.budget.memory_budget`).
    force : bool
        Run even when :func:`~symstab.simulate.streaming.sweep_cost`, or the estimate of the
        exact ``eta_C`` (when ``eta_C`` is not given), is above the limit of
        :func:`symstab.budget.guard` (otherwise :class:`TooLargeError`).
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
    eta_c, eta_c_exact = critical_eta(net, eta_C, force=force)
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
    opts = run_options(options)
    problem = problem_of(net)
    if workers is not None:
        workers = check_positive_int("workers", workers)
    lanes = 1 if workers == 1 else (workers or os.cpu_count() or 1)
    if chunk_size is None:
        chunk = chunk_starts(problem.num_params, steps, opts["max_period"], memory_budget(memory), lanes)
    else:
        chunk = check_positive_int("chunk_size", chunk_size)
    guard(sweep_cost(problem.num_params, len(ratios), n_inits, steps, lanes, chunk, opts["max_period"]), force)
    scale = initial_scale(problem, init_scale)
    config = _config(problem, n_inits, steps, seed, scale, eta_c, opts)
    path = writable_file(checkpoint, "checkpoint") if checkpoint is not None else None
    done = _read_checkpoint(path, config) if path is not None else {}
    if path is not None and not path.exists():
        with path.open("w") as fh:
            fh.write(json.dumps({"kind": "config", "config": config}) + "\n")
    rows = {c: dict(done[r], cell=c) for c, r in enumerate(ratios) if r in done}
    # eta = ratio * eta_C rounded once (0.9 * 1/5 -> 0.18, not 0.18000000000000002)
    etas = [float(Fraction(repr(r)) * eta_c_q) if eta_c_q is not None else r * eta_c for r in ratios]
    todo = [cell for cell in range(len(ratios)) if cell not in rows]

    def specs(order):
        for cell in order:
            for lo in range(0, n_inits, chunk):
                yield {"cell": cell, "eta": etas[cell], "seed": seed, "n_inits": n_inits, "init_scale": scale,
                       "slice": (lo, min(n_inits, lo + chunk)), "steps": steps, "options": opts}

    total = len(ratios) * n_inits
    done_runs = [len(rows) * n_inits]
    if progress is not None:
        progress(done_runs[0], total)
    summaries = {cell: CellSummary(etas[cell]) for cell in todo}

    def finish(part):
        cell = part["cell"]
        summary = summaries[cell]
        summary.add(part, SHARPNESS_MARGIN)
        done_runs[0] += len(part["status"])
        if summary.n == n_inits:
            row = _row(cell, ratios[cell], etas[cell], summaries.pop(cell))
            rows[cell] = row
            if path is not None:
                with path.open("a") as fh:
                    fh.write(json.dumps({"kind": "cell", "row": row}) + "\n")
        if progress is not None:
            progress(done_runs[0], total)

    if todo:
        if executor is None and (workers == 1 or (len(todo) == 1 and chunk >= n_inits)):
            for s in specs(todo):
                finish(run_cell(problem, s))
        else:  # higher ratios run longer: first, for load balance
            _run_tasks(problem, specs(sorted(todo, key=lambda c: -etas[c])), executor, lanes, finish)
    ordered = tuple(rows[c] for c in range(len(ratios)))
    return SweepResult(widths=problem.widths, loss=net.loss, eta_C=eta_c, eta_C_exact=eta_c_exact,
                       n_inits=n_inits, steps=steps, seed=seed, init_scale=scale, rows=ordered)


def _run_tasks(problem, specs, executor, lanes, finish) -> None:
    """Run the tasks ``specs`` (an iterator) with at most ``2 lanes`` in flight, so memory stays bounded."""
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(max_workers=lanes)
    pending = set()
    try:
        for spec in specs:
            pending.add(executor.submit(run_cell, problem, spec))
            while len(pending) >= 2 * lanes:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    finish(fut.result())
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                finish(fut.result())
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
