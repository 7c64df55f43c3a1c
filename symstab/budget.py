"""Budgets: up-front estimates of a job's time and memory, the guard that refuses a job above them, and sizes.

Every result module that can be asked for more than a machine can give states
its cost before it starts: an :class:`Estimate` (seconds and bytes, from a
model fitted on measured runs recorded in ``benchmarks/README.md``), checked by
:func:`guard`, which raises :class:`~symstab.errors.TooLargeError` with a
one-line message and the ``force`` hint.  Work whose size is the user's choice
(simulations) instead sizes its chunks from a memory budget
(:func:`memory_budget`, settable with :func:`parse_size`).

This module sits beside :mod:`symstab.errors` at the bottom of the layers, so any
result module (orbits, proofs, sweeps, ...) can use it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .errors import InvalidInputError, TooLargeError

__all__ = ["DEFAULT_MAX_SECONDS", "DEFAULT_MEMORY_BUDGET", "Estimate", "available_memory", "format_bytes",
           "format_seconds", "guard", "memory_budget", "parse_size", "power_law"]

#: Jobs estimated above this many seconds are refused unless forced.
DEFAULT_MAX_SECONDS = 600.0

#: Default memory budget of streamed work: 2 GiB, a quarter of what a 2-core, 24 GB
#: machine can spare per process when every core runs one.
DEFAULT_MEMORY_BUDGET = 2 * 1024**3

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text) -> int:
    """A byte count from ``"512M"``, ``"2G"``, ``"1.5g"``, ``"100000"`` (binary units, K/M/G/T).

    Examples
    --------
    >>> parse_size("2G"), parse_size("512m"), parse_size(2**20)
    (2147483648, 536870912, 1048576)
    >>> parse_size("lots")
    Traceback (most recent call last):
    ...
    symstab.errors.InvalidInputError: memory size must look like 512M, 2G or 1.5G (at least 1M), got 'lots'
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        m = re.fullmatch(r"\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([kKmMgGtT]?)[iI]?[bB]?\s*", str(text))
        if m is None:
            raise InvalidInputError(f"memory size must look like 512M, 2G or 1.5G (at least 1M), got {text!r}")
        value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if not 1024**2 <= value <= 1024**5:
        raise InvalidInputError(f"memory size must be between 1M and 1024T, got {text!r}")
    return value


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` of ``/proc/meminfo``), or None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_budget(budget=None) -> int:
    """The memory budget in bytes: ``budget`` if given (see :func:`parse_size`), else the
    environment variable ``SYMSTAB_MEMORY`` if set, else :data:`DEFAULT_MEMORY_BUDGET`.

    Examples
    --------
    >>> memory_budget("1G")
    1073741824
    """
    if budget is None:
        budget = os.environ.get("SYMSTAB_MEMORY") or DEFAULT_MEMORY_BUDGET
    return parse_size(budget)


def format_seconds(seconds: float) -> str:
    """``"~3 s"``, ``"~2.5 h"``, ``"~10^14 years"``.

    Examples
    --------
    >>> format_seconds(3.2), format_seconds(9000), format_seconds(1.1e6), format_seconds(1e30)
    ('~3.2 s', '~2.5 h', '~13 days', '~10^22.5 years')
    """
    if not math.isfinite(seconds):
        return "unbounded time"
    if seconds < 120:
        return f"~{seconds:.2g} s" if seconds < 10 else f"~{seconds:.0f} s"
    if seconds < 7200:
        return f"~{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"~{seconds / 3600:.2g} h"
    days = seconds / 86400
    if days < 365.25:
        return f"~{days:.0f} days"
    years = days / 365.25
    return f"~{years:.0f} years" if years < 1e4 else f"~10^{math.log10(years):.1f} years"


def format_bytes(n: float) -> str:
    """``"~12 MiB"``, ``"~61 GiB"``.

    Examples
    --------
    >>> format_bytes(61 * 1024**3), format_bytes(2e6)
    ('~61 GiB', '~1.9 MiB')
    """
    if not math.isfinite(n):
        return "unbounded memory"
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            v = n / size
            if v >= 1e4:
                return f"~10^{math.log10(n):.1f} bytes"
            return f"~{v:.2g} {unit}" if v < 10 else f"~{v:.0f} {unit}"
    return f"~{n:.0f} bytes"


def power_law(x: float, x0: float, y0: float, exponent: float) -> float:
    """``y0 (x / x0)^exponent``: a model through one measured point ``(x0, y0)`` with a fitted slope.

    Examples
    --------
    >>> power_law(20, 10, 1.0, 3)
    8.0
    """
    return y0 * (x / x0) ** exponent


@dataclass(frozen=True)
class Estimate:
    """An up-front estimate of a job: ``what`` it is, ``seconds`` and ``bytes`` (peak memory).

    Both are extrapolations of measured runs (``benchmarks/README.md``), not guarantees.
    ``size``, when given, is a further estimated size stated before them (e.g. the
    number of terms of a polynomial).

    Examples
    --------
    >>> str(Estimate("det", 90.0, 2e9, size="~10^6.1 terms"))
    'det is estimated at ~10^6.1 terms, ~90 s and ~1.9 GiB of memory'
    """

    what: str
    seconds: float
    bytes: float = 0.0
    size: str = ""

    def __str__(self) -> str:
        size = f"{self.size}, " if self.size else ""
        return (f"{self.what} is estimated at {size}{format_seconds(self.seconds)} and "
                f"{format_bytes(self.bytes)} of memory")


def guard(estimate: Estimate, force: bool = False, *, max_seconds: float = DEFAULT_MAX_SECONDS,
          max_bytes: float | None = None, hint: str = "") -> Estimate:
    """Refuse ``estimate`` when it is above the time or memory limit, unless ``force``.

    Parameters
    ----------
    estimate : Estimate
    force : bool
        Run anyway (the CLI's ``--force``).
    max_seconds : float
        Time limit (default :data:`DEFAULT_MAX_SECONDS`).
    max_bytes : float, optional
        Memory limit (default: the memory available now, or 16 GiB where unknown).
    hint : str
        A cheaper alternative, appended to the message.

    Returns
    -------
    Estimate
        ``estimate`` itself, when it passes.

    Raises
    ------
    TooLargeError
        One line: the estimate, the limit and ``pass force=True (CLI: --force)``.

    Examples
    --------
    >>> guard(Estimate("a sweep", 5.0, 1e6)).seconds
    5.0
    >>> guard(Estimate("a sweep", 1e9, 1e6))
    Traceback (most recent call last):
    ...
    symstab.errors.TooLargeError: a sweep is estimated at ~32 years and ~977 KiB of memory (limit ~10 min); pass force=True (CLI: --force) to run it anyway
    """
    if force:
        return estimate
    if max_bytes is None:
        max_bytes = available_memory() or 16 * 1024**3
    over = []
    if not estimate.seconds <= max_seconds:
        over.append(format_seconds(max_seconds))
    if not estimate.bytes <= max_bytes:
        over.append(format_bytes(max_bytes) + " of memory")
    if not over:
        return estimate
    tail = f"; {hint}" if hint else ""
    raise TooLargeError(f"{estimate} (limit {' and '.join(over)}); pass force=True (CLI: --force) "
                        f"to run it anyway{tail}")
