"""Result A6 at any number of starts: starts drawn block by block, chunks sized from a memory budget,
cells summarised as their chunks arrive, and the sweep's up-front time estimate.

* :func:`block_inits` -- the starts ``[lo, hi)`` of a cell without drawing the others:
  block 0 (the first :data:`BLOCK` starts) is the stream of ``SeedSequence(seed)``,
  so small sweeps keep their numbers; block ``b >= 1`` is drawn from
  ``SeedSequence(seed, spawn_key=(b,))``.
* :func:`bytes_per_start` and :func:`chunk_starts` -- how many starts fit a budget.
* :class:`CellSummary` -- a cell's counts, periods, rechecks and medians, merged
  chunk by chunk.  Medians are exact (numpy) while the cell's values fit
  :data:`EXACT_MEDIAN_VALUES`; beyond that they come from a logarithmic histogram
  with relative error at most :data:`SKETCH_RELATIVE_ERROR` (the row says which).
* :func:`sweep_cost` -- the time and memory of a sweep before it starts.

Everything here is numerical evidence (float64), as the sweep it serves (docs/theory.md, A6).
"""

from __future__ import annotations

import math

import numpy as np

from ..budget import Estimate
from .engine import STATUSES
from .runs import period_counts

__all__ = ["BLOCK", "EXACT_MEDIAN_VALUES", "SKETCH_RELATIVE_ERROR", "CellSummary", "block_inits",
           "bytes_per_start", "chunk_starts", "sweep_cost"]

#: Starts per block of the random stream.
BLOCK = 1 << 16

#: Values per cell up to which medians are exact.
EXACT_MEDIAN_VALUES = 1 << 22

#: Relative error of the histogram medians beyond :data:`EXACT_MEDIAN_VALUES`.
SKETCH_RELATIVE_ERROR = 1e-4

_GAMMA = (1 + SKETCH_RELATIVE_ERROR) / (1 - SKETCH_RELATIVE_ERROR)


def block_inits(num_params: int, seed: int, lo: int, hi: int, scale: float) -> np.ndarray:
    """Starts ``lo .. hi-1`` of a cell, ``(hi - lo, D)``, scaled by ``scale``; memory ``O(hi - lo)``.

    Examples
    --------
    >>> a = block_inits(3, 0, 0, 10, 1.0)
    >>> b = np.random.default_rng(np.random.SeedSequence(0)).standard_normal((10, 3))
    >>> bool((a == b).all()), bool((block_inits(3, 0, 70000, 70004, 1.0) == block_inits(3, 0, 0, 70004, 1.0)[70000:]).all())
    (True, True)
    """
    out = np.empty((hi - lo, num_params))
    b = lo // BLOCK
    while b * BLOCK < hi:
        start, stop = max(lo, b * BLOCK), min(hi, (b + 1) * BLOCK)
        ss = np.random.SeedSequence(seed) if b == 0 else np.random.SeedSequence(seed, spawn_key=(b,))
        rows = np.random.default_rng(ss).standard_normal((stop - b * BLOCK, num_params))
        out[start - lo:stop - lo] = rows[start - b * BLOCK:]
        b += 1
    out *= scale
    return out


def bytes_per_start(num_params: int, steps: int, max_period: int) -> int:
    """Peak bytes one start holds in the float64 engine: its iterates over the last ``2 max_period``
    steps, the layer products and per-run outputs (fitted on measured peak RSS, ``benchmarks/README.md``).

    Examples
    --------
    >>> bytes_per_start(3, 10, 32)
    1040
    """
    window = 2 * min(max_period, steps // 2)
    return 16 * num_params * (window + 8) + 176


def chunk_starts(num_params: int, steps: int, max_period: int, budget: int, workers: int) -> int:
    """Starts per task so that ``workers`` tasks in flight fit ``budget`` bytes (at least 1).

    Examples
    --------
    >>> chunk_starts(3, 10, 32, 2 * 1024**3, 2)
    1032444
    """
    per_task = budget // max(workers, 1)
    return max(1, per_task // bytes_per_start(num_params, steps, max_period))


# CPU seconds per (start x step x parameter) of the float64 engine when no run stops early, and per
# start for drawing and classifying it; measured on (1,1,2) and (2,2,2) (benchmarks/README.md:
# 1.3e-8 to 1.9e-8 and 3.5e-6), doubled for a shared machine.
_SECONDS_PER_UNIT = 4e-8
_SECONDS_PER_START = 7e-6


def sweep_cost(num_params: int, cells: int, n_inits: int, steps: int, workers: int, chunk: int,
               max_period: int) -> Estimate:
    """Up-front time (no run retired early: an upper estimate) and memory of a sweep.

    Examples
    --------
    >>> est = sweep_cost(3, 1, 10**14, 10, 2, 10**6, 32)
    >>> est.seconds > 1e6
    True
    """
    per_start = steps * num_params * _SECONDS_PER_UNIT + _SECONDS_PER_START
    seconds = float(cells) * n_inits * per_start / max(1, min(workers, math.ceil(cells * n_inits / chunk)))
    memory = 150e6 * workers + min(chunk, n_inits) * bytes_per_start(num_params, steps, max_period) * workers
    return Estimate(f"a sweep of {cells} x {n_inits} starts x {steps} steps (D = {num_params})", seconds, memory)


class _Median:
    """Values whose median is wanted: exact up to a size, then a log-histogram of bounded size."""

    def __init__(self):
        self.parts, self.n, self.zeros, self.hist = [], 0, 0, None

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        self.n += values.size
        if self.hist is None:
            self.parts.append(values)
            if self.n > EXACT_MEDIAN_VALUES:
                self.hist = {}
                for part in self.parts:
                    self._bin(part)
                self.parts = []
        else:
            self._bin(values)

    def _bin(self, values: np.ndarray) -> None:
        pos = values[values > 0]
        self.zeros += values.size - pos.size
        keys, counts = np.unique(np.ceil(np.log(pos) / math.log(_GAMMA)).astype(np.int64), return_counts=True)
        for k, c in zip(keys.tolist(), counts.tolist()):
            self.hist[k] = self.hist.get(k, 0) + c

    @property
    def exact(self) -> bool:
        return self.hist is None

    def median(self):
        if self.n == 0:
            return None
        if self.hist is None:
            return float(np.median(np.concatenate(self.parts)))
        rank, seen = (self.n - 1) // 2, self.zeros
        if rank < seen:
            return 0.0
        for k in sorted(self.hist):
            seen += self.hist[k]
            if rank < seen:  # bucket (gamma^(k-1), gamma^k]: its midpoint in relative terms
                return 2 * _GAMMA ** k / (_GAMMA + 1)
        return None  # pragma: no cover


class CellSummary:
    """What a row of the sweep needs from a cell, merged from its chunks in any order, in bounded memory.

    Examples
    --------
    >>> s = CellSummary(eta=0.2)
    >>> s.add({"slice": [0, 2], "status": [0, 1], "grad": [1e-12, np.inf], "sharpness": [9.0, np.nan],
    ...        "period": [0, 0], "rechecks": []})
    >>> s.n, s.counts["converged"], s.max_ratio
    (2, 1, 0.9)
    """

    def __init__(self, eta: float):
        self.eta = eta
        self.n = 0
        self.counts = {s: 0 for s in STATUSES}
        self.periods = {}
        self.rechecks = []
        self.grad = _Median()
        self.ratio = _Median()
        self.max_ratio = None
        self.violations = 0

    def add(self, part: dict, margin: float = 0.0) -> None:
        status = np.asarray(part["status"], dtype=int)
        grad = np.asarray(part["grad"], dtype=float)
        sharp = np.asarray(part["sharpness"], dtype=float)
        period = np.asarray(part["period"], dtype=int)
        self.n += status.size
        for i, s in enumerate(STATUSES):
            self.counts[s] += int((status == i).sum())
        for p, c in period_counts(period).items():
            self.periods[p] = self.periods.get(p, 0) + c
        self.rechecks.extend(part["rechecks"])
        self.grad.add(grad[status != 1])
        ratio = sharp[status == 0] * self.eta / 2
        self.ratio.add(ratio)
        if ratio.size:
            top = float(np.max(ratio))
            self.max_ratio = top if self.max_ratio is None else max(self.max_ratio, top)
        self.violations += int((ratio >= 1 - margin).sum())

    @property
    def median_relative_error(self) -> float:
        """0 when both medians are exact, else the histogram's relative error."""
        return 0.0 if self.grad.exact and self.ratio.exact else SKETCH_RELATIVE_ERROR
