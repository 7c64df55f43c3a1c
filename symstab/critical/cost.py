"""Result A5's cost: the up-front time and memory estimate of :func:`~symstab.critical.critical_step_sizes`.

Two parts dominate, both fitted on measured runs (``benchmarks/bench_critical_cost.py``,
figures in ``benchmarks/README.md``, "critical and analyze"):

* the exact witness (balanced factorisation) and its numerical re-evaluation, linear
  in the number of parameters ``D`` (about 25 microseconds per parameter; (1,300,300,1),
  D = 90,600, takes about 2 s);
* for ``2 <= d_0 d_H <= 16`` (filling), the search for an exact escape curve
  (``eta_E``): candidate rescalings of a hidden layer, each with a symbolic
  ``d_0 d_H x d_0 d_H`` charpoly in ``tau`` and sums over all ``D`` parameters; fitted as
  ``a (d_0 d_H)^q D^p`` seconds with a = 0.015, q = 0.9, p = 1.0 (least squares in log
  space on eight runs from (2,4,4,2) to (3,40,40,3), rounded; within a factor 1.5 of each).

Memory is flat: about 100 MB of interpreter and libraries plus a few hundred bytes per
parameter (sympy objects of the witness).
"""

from __future__ import annotations

from ..budget import Estimate

__all__ = ["critical_cost"]

#: Seconds of every call (minima, the closed form, imports already done), and per parameter.
_BASE_SECONDS = 1.0
_SECONDS_PER_PARAM = 2.5e-5
#: The escape-curve search: ``_ESCAPE_A (d_0 d_H)^_ESCAPE_Q D^_ESCAPE_P`` seconds.
_ESCAPE_A, _ESCAPE_Q, _ESCAPE_P = 0.015, 0.9, 1.0
_ESCAPE_MAX_SIZE = 16  # symstab.spectrum.escape_curve's max_size: larger d_0 d_H is not searched
_BASE_BYTES, _BYTES_PER_PARAM = 100e6, 400.0


def critical_cost(net) -> Estimate:
    """Up-front time and memory of :func:`~symstab.critical.critical_step_sizes` on ``net``.

    Parameters
    ----------
    net : LinearNetwork

    Returns
    -------
    Estimate
        Seconds (CPU, one core) and peak bytes; an extrapolation of measured runs, not a bound.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> critical_cost(LinearNetwork.whitened((1, 300, 300, 1), [[1]])).seconds < 10
    True
    >>> critical_cost(LinearNetwork.whitened((4, 150, 150, 4), [[1, 0, 0, 0]] * 4)).seconds > 600
    True
    """
    D = net.num_params
    d0, dH = net.widths[0], net.widths[-1]
    seconds = _BASE_SECONDS + _SECONDS_PER_PARAM * D
    k = d0 * dH
    if net.depth >= 2 and not net.is_family and 2 <= k <= _ESCAPE_MAX_SIZE:
        seconds += _ESCAPE_A * k**_ESCAPE_Q * D**_ESCAPE_P
    return Estimate(f"eta_C and eta_E for widths {net.widths} (D = {D})", seconds,
                    _BASE_BYTES + _BYTES_PER_PARAM * D)
