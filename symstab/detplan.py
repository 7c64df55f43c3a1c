"""Result A1, the plan of the exact det(I - eta H): which method (the dispatcher) and at what cost (the size guard).

:func:`choose_method` picks the fastest exact method per architecture (benchmarks/bench_det.py);
:func:`estimate_cost` states the output terms (a fit on measured counts, or a count by
Berlekamp-Massey modulo a prime), memory and time before any work; :func:`guard_det` refuses a job
above the limits unless forced; :func:`certificate_cost` is the same for the A1 certificate.
Used by :mod:`symstab.gdmap`, which runs the chosen method.
"""

from __future__ import annotations

import math

from . import detpoly, detsparse
from .budget import Estimate, guard, power_law

__all__ = ["certificate_cost", "choose_method", "estimate_cost", "guard_det", "is_scalar_net"]


def is_scalar_net(net) -> bool:
    """``d_0 = d_H = 1`` and depth >= 2 (the scalar-output structured paths apply)."""
    return net.widths[0] == 1 and net.widths[-1] == 1 and net.depth >= 2


def choose_method(net) -> str:
    """The exact method the dispatcher uses for ``net`` (measured fastest; benchmarks/bench_det.py).

    * depth 1: ``"single-layer"`` (constant Hessian);
    * a family (symbolic data): ``"scalar"`` for ``d_0 = d_H = 1``, else ``"berkowitz"``;
    * ``"schur"`` when it needs no division (``k >= n``) and its determinant is at most ``8 x 8``
      ((2,1,2), (2,1,3), (4,1,4), (3,1,1,3));
    * depth 2 with ``Sigma = sigma I``, ``m = d_0 d_2 <= 4`` and no ``(theta, R, e)`` stage: ``"invariant"``
      ((1,3,2), (2,3,2));
    * ``d_0 = d_H = 1``: ``"scalar-residual"``;
    * depth 2 with ``m <= 4``: ``"lowrank"`` ((2,2,2): 0.05 s against 0.1-0.3 s for the others);
    * ``"schur"`` where its division is by at most ``b^3`` and its determinant at most ``8 x 8``
      ((2,2,3), (2,1,2,2), (1,1,2,3));
    * otherwise ``"lowrank"`` ((1,2,2,2), (2,1,2,2,1); for ``m > 4`` too: (3,2,2) with a non-scalar Sigma 12.9 s
      against 26 s, (2,2,1,1,3) 99 s against more than 120 s for Berkowitz; where Berkowitz wins at ``m > 4``,
      small ``D`` and a large ``m`` as in (4,1,4), the Schur complement needs no division and comes first).
    """
    if net.depth == 1:
        return "single-layer"
    if net.is_family:
        return "scalar" if is_scalar_net(net) else "berkowitz"
    m = net.widths[0] * net.widths[-1]
    exponent, size = detpoly.schur_exponent(net), detpoly.schur_size(net)
    if exponent >= 0 and size <= 8:  # no division at all: a small determinant
        return "schur"
    if detpoly.invariant_direct(net):
        return "invariant"
    if is_scalar_net(net):
        return "scalar-residual"
    if net.depth == 2 and m <= 4:
        return "lowrank"
    if exponent >= -3 and size <= 8:
        return "schur"
    return "lowrank"


# The size guard (benchmarks/bench_det.py, benchmarks/README.md; 2 cores, 24 GB). The output size is
# estimated from measured term counts of det(I - eta H) for 35 architectures with at least 1,000 terms
# (D = 5..15, depth 2 to 6, up to 84 M terms), fitted as
# log10(terms) = -2.831 + 0.571 D + 0.771 H + 0.137 d_0 d_H - 0.316 (hidden layers of width 1):
# within 0.7 of every one but two small bottleneck cases, (1,3,3) and (1,1,2,3), over-estimated by 1.2 and 0.8
# (the previous fit without the bottleneck term over-estimated (4,1,4) by 2.1); time and memory follow from
# the output size and the measured cost per term of each method.
_MAX_SECONDS = 60.0
_MAX_BYTES = 12e9
_TERMS_FIT = (-2.831, 0.571, 0.771, 0.137, -0.316)
_FIT_RESIDUAL = 0.7
# seconds per output term (measured, loaded 2-core machine), and a fixed overhead in seconds
# (CPU seconds, benchmarks/README.md: (2,3,2) invariant 1.0 us/term, (2,2,2) residual 11 us but (2,2,3) ~100 us;
# schur: (2,2,3) 4.6 us, (2,1,2,2) 3.8 us)
_SECONDS_PER_TERM = {"invariant": (2e-6, 0.3), "residual": (1.5e-4, 0.05), "schur": (5e-6, 0.05)}
# peak memory per output term, in units of one packed term (exponent words plus a coefficient word):
# (2,3,2) invariant 1.2 GB for 6.3 M terms of 24 bytes (8 copies); the rank-one paths compose eta-slice by
# eta-slice: (1,3,3,1) 5.5 GB for 84 M terms of 32 bytes, (1,2,2,2,1) 0.84 GB for 15 M terms of 24 bytes
_PEAK_COPIES = 8
_PEAK_COPIES_BY_METHOD = {"sparse": 3, "lowrank": 3, "scalar-residual": 3}
_STAGE_BYTES_PER_SECOND = 1e7  # the (theta, r) stage of the rank-one paths ((2,2,2,2): 6.7 GB after 138 s)
_COUNT_SECONDS = 0.2  # CPU budget of the term count (Berlekamp-Massey) before a refusal


def _log10_terms(net) -> float:
    """Estimated log10 of the number of terms of det(I - eta H) (the output, before any work)."""
    D, H = net.num_params, net.depth
    if H == 1:  # (det(I - eta 2c Sigma))^{d_1}: a polynomial in eta (and data symbols) only
        return math.log10(D + 1) + 0.5 * len(net.symbols)
    a, b, c, d, e = _TERMS_FIT
    bottlenecks = sum(1 for w in net.widths[1:-1] if w == 1)
    return a + b * D + c * H + d * net.widths[0] * net.widths[-1] + e * bottlenecks + 0.5 * len(net.symbols)


def _berkowitz_log10_seconds(net) -> float:
    """The time model of Berkowitz and the scalar path (measured runs, benchmarks/README.md)."""
    D, H = net.num_params, net.depth
    # depth 2: D=4 0.001 s, D=8 0.2 s, D=9 1.0 s, D=10 18 s, D=12 > 150 s;
    # deeper: (2,1,2,1,2) D=8 9.7 s, (1,2,2,2) D=10 > 600 s.
    if H <= 1:
        d0 = net.widths[0]
        return math.log10(1e-4 + 1e-7 * d0**4 + 1e-6 * D**2) + 0.5 * len(net.symbols)
    if is_scalar_net(net):
        # structured path: (1,2,2,1) 0.02 s, (1,3,3,1) 95 s, (1,2,2,2,1) 149 s
        return -1.7 + 0.53 * (D - 8) + 1.75 * (H - 3) + 0.5 * len(net.symbols)
    slope = 0.6 if D <= 8 else 1.1
    return -0.7 + slope * (D - 8) + 0.85 * (H - 2) + 0.5 * len(net.symbols)


def _rank_one_cost(net, method: str, terms: float) -> tuple:
    """``(seconds, stage bytes)``: the time model of ``"lowrank"`` and ``"scalar-residual"`` (CPU seconds on
    2 cores, benchmarks/README.md) and the memory of their ``(theta, r)`` stage.

    ``"lowrank"``: ``10^(-7.106 + 0.372 m + 0.409 (H - 2))`` seconds per output term (``m = d_0 d_H``), a
    least-squares fit on 20 measured runs, whitened and not, ``m`` = 2 to 8, depth 2 to 4: within a factor
    4.2 of each ((2,2,2) 2.6 us, (1,2,2,2) 0.7 us, (3,2,2) with a non-scalar Sigma 26 us, (4,1,1,1,2) 171 us
    per term). One case is far above it: (2,2,2,2) spent 631 s in its ``(theta, r)`` stage alone (30 M terms
    there, 6.7 GB), which the extra ``10^(D - 11)`` for ``H >= 3``, ``m >= 4``, ``D >= 12`` reproduces at the
    fitted 10^7.0 output terms; it is one measured point, not a fit. ``"scalar-residual"``: Berkowitz on
    ``K(theta)`` ((1,3,3,1) 0.013 us, (1,2,2,2,1) 0.5 us per term; depth 5 and more is taken as depth 4.5, as no
    larger deep case was measured), composition 0.5 us per term. Both add the
    exact spot check, 0.3 us per term and point (one point above 10^7 terms, two below). Memory: the stage
    held 6.7 GB after 138 s of (2,2,2,2), so 10 MB per second of work is added (a floor).
    """
    D, H = net.num_params, net.depth
    m = net.widths[0] * net.widths[-1]
    if method == "scalar-residual":
        work = 10 ** (-7.5 + 1.2 * min(max(H - 3, 0), 1.5)) + 0.5e-6  # depth > 4 not measured above 10^4 terms
    else:
        steep = (D - 11) if H >= 3 and m >= 4 and D >= 12 else 0
        work = 10 ** (-7.106 + 0.372 * m + 0.409 * (H - 2) + steep)
    points = 1 if terms > 1e7 else 2
    return 0.05 + terms * (work + 0.3e-6 * points), terms * work * _STAGE_BYTES_PER_SECOND


def estimate_cost(net, method: str = "auto", *, count: float = 0.0) -> dict:
    """A-priori size of det(I - eta H): output terms, memory and time, before any work.

    ``log10_terms`` is the estimated number of terms of the output (a fit on measured
    counts, within about ``+-0.7`` in log10 on the 35 measured architectures, given as
    ``log10_terms_range``); ``bytes`` the estimated peak memory (8 times the packed output, as
    measured on (2,3,2); 3 times for the slice-by-slice paths ``"lowrank"``, ``"scalar-residual"``, ``"sparse"``); ``seconds`` the estimated time of
    ``method`` (default: the dispatcher's) on a 2-core machine. ``log10_terms_bound`` is the
    crude upper bound (monomials of degree <= ``degree_bound`` in D variables). Estimates,
    not guarantees.

    ``count > 0``: also count the terms within ``count`` CPU seconds
    (:func:`symstab.detsparse.count_terms`, Berlekamp-Massey modulo a prime; numeric data):
    ``counted`` is ``"exact"`` when the sequence terminated (the count replaces the fit; exact with
    high probability) or ``"lower bound"`` (the estimate is then at least the count).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> est = estimate_cost(LinearNetwork.whitened((2, 2, 2), [[1, 0], [0, 1]]))
    >>> est["num_params"], est["seconds"] < 5, 3.5 < est["log10_terms"] < 5   # 12,923 terms: 10^4.1
    (8, True, True)
    """
    D, H = net.num_params, net.depth
    chosen = choose_method(net) if method == "auto" else method
    degree = D * max(2 * (H - 1), 0)
    log10_bound = (math.lgamma(D + degree + 1) - math.lgamma(D + 1) - math.lgamma(degree + 1)) / math.log(10)
    log10_terms = min(_log10_terms(net), log10_bound + 1e-9) if H > 1 else _log10_terms(net)
    log10_range = (log10_terms - _FIT_RESIDUAL, log10_terms + _FIT_RESIDUAL)
    counted = detsparse.count_terms(net, seconds=count) if count > 0 and H > 1 and not net.is_family else None
    if counted is not None:
        log10_count = math.log10(max(counted[0], 1))
        if counted[1]:
            log10_terms, log10_range = log10_count, (log10_count, log10_count)
        else:
            log10_terms = max(log10_terms, log10_count)
            log10_range = (max(log10_range[0], log10_count), max(log10_range[1], log10_count))
    terms = 10**log10_terms if log10_terms < 300 else math.inf
    bytes_per_term = 8 * math.ceil((D + 1) / 8) + 8
    log10_bytes = log10_terms + math.log10(_PEAK_COPIES_BY_METHOD.get(chosen, _PEAK_COPIES) * bytes_per_term)
    if chosen == "sparse":  # its cost follows the (theta, r) terms: (1,2,2,2) 14 s, (1,2,2,2,1) 105 s, (1,3,3,1) 111 s
        log10_seconds = math.log10(power_law(max(terms, 1.0), 454181, 14.0, 0.4))
    elif chosen in ("lowrank", "scalar-residual"):
        seconds, stage_bytes = _rank_one_cost(net, chosen, min(terms, 1e300))
        log10_seconds = math.log10(seconds)
        log10_bytes = math.log10(10**log10_bytes + stage_bytes) if log10_bytes < 300 else log10_bytes
    elif chosen in _SECONDS_PER_TERM:
        per_term, overhead = _SECONDS_PER_TERM[chosen]
        log10_seconds = math.log10(overhead + per_term * min(terms, 1e300))
    else:
        log10_seconds = _berkowitz_log10_seconds(net)
    return {"num_params": D, "method": chosen, "degree_bound": degree + D,
            "log10_terms_bound": log10_bound, "log10_terms": log10_terms,
            "log10_terms_range": log10_range, "counted": None if counted is None else
            ("exact" if counted[1] else "lower bound"), "count": None if counted is None else counted[0],
            "terms": terms, "log10_bytes": log10_bytes, "bytes": 10**log10_bytes if log10_bytes < 300 else math.inf,
            "log10_seconds": log10_seconds, "seconds": 10**log10_seconds if log10_seconds < 300 else math.inf}


def guard_det(net, force: bool, what: str, method: str = "auto") -> None:
    """Refuse (:class:`~symstab.errors.TooLargeError`, with terms, time and memory) a det(I - eta H) job
    estimated above 60 s or 12 GB, after counting its terms when the fit is near the limit; ``force`` skips."""
    if force:
        return
    est = estimate_cost(net, method)
    # about to refuse: count the terms first (it can only rescue a fit that is off by orders of magnitude)
    if (est["seconds"] > _MAX_SECONDS or est["bytes"] > _MAX_BYTES) and est["log10_terms_range"][0] <= 8:
        est = estimate_cost(net, method, count=_COUNT_SECONDS)
    lo, hi = est["log10_terms_range"]
    counted = f"; at least {est['count']:,} counted in {_COUNT_SECONDS} s" if est["counted"] else ""
    size = f"~10^{est['log10_terms']:.1f} terms (10^{lo:.1f}-10^{hi:.1f}{counted})"
    if est["counted"] == "exact":
        size = f"{est['count']:,} terms (counted modulo a prime)"
    guard(Estimate(f"{what} for widths {net.widths} (D = {est['num_params']}, method {est['method']})",
                   est["seconds"], est["bytes"], size=size),
          max_seconds=_MAX_SECONDS, max_bytes=_MAX_BYTES, hint="or use the A1 certificate, which needs only exact points")


def certificate_cost(net) -> Estimate:
    """Up-front time and memory of :func:`nonsingularity_certificate`: dominated by the
    characteristic polynomial of the exact ``D x D`` Hessian at a few integer points.

    Fitted on measured runs (``benchmarks/README.md``, 2 shared cores): (1,20,20,1),
    D = 440, 9.2 s; (1,28,28,1), D = 840, 138 s, i.e. ``~D^4.2``; peak memory about
    80 MB plus 100 bytes per Hessian entry.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> est = certificate_cost(LinearNetwork.whitened((1, 300, 300, 1), [[1]]))
    >>> est.seconds > 1e6, est.bytes > 2**39
    (True, True)
    """
    D = net.num_params
    return Estimate(f"the A1 certificate for widths {net.widths} (D = {D})",
                    seconds=power_law(max(D, 1), 840, 138.0, 4.2), bytes=80e6 + 100.0 * D * D)
