"""Benchmark: how far the exact 2-cycle solver (symstab.orbits.period_two) reaches, against baselines in this process.

Baselines: for scalar networks, the general Groebner path (``_general_cycles``) on the
same network, against the sign-balanced one-dimensional reduction; for the others, the
estimate that the size guard uses. Run: ``python benchmarks/bench_orbits.py [--quick]``.
Prints a table of times and ratios.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

from symstab import LinearNetwork
from symstab.orbits import estimate_cost, period_two
from symstab.orbits.cycles import _general_cycles, _scalar_cycles


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the depth-3 Groebner baseline (minutes)")
    args = parser.parse_args()
    rows = []
    cases = [((1, 1, 1), [[1]], "11/10"), ((1, 1, 2), [[3], [4]], "11/50"), ((1, 2, 1), [[1]], "11/10"),
             ((2, 1, 1), [[1, 1]], "3/5"), ((1, 1, 1, 1), [[1]], "7/10"), ((1, 1, 1, 1, 1), [[1]], "3/5")]
    for widths, target, eta in cases:
        net = LinearNetwork.whitened(widths, target)
        est = estimate_cost(net)
        t_full, res = timed(lambda: period_two(net, eta, intervals=False))
        t_int, _ = timed(lambda: period_two(net, eta)) if est["method"] == "scalar" and len(widths) <= 4 else (None, None)
        line = {"case": widths, "eta": eta, "method": est["method"], "estimate_s": est["seconds"],
                "orbits": len(res.orbits), "stable": sum(o.stable for o in res.orbits), "full_s": t_full,
                "with_intervals_s": t_int}
        if est["method"] == "scalar" and (len(widths) <= 3 or not args.quick):
            q = Fraction(eta)
            t_fast, _ = timed(lambda: _scalar_cycles(net, q))
            t_slow, _ = timed(lambda: _general_cycles(net, q, 0))
            line["cycles_only_s"] = (t_fast, t_slow)
        rows.append(line)
    print(f"{'widths':<16} {'eta':>6} {'method':>8} {'est. s':>8} {'orbits':>6} {'stable':>6} {'total s':>8} "
          f"{'+interval':>9} {'cycles: reduction / Groebner (ratio)':>38}")
    for r in rows:
        ci = r.get("cycles_only_s")
        cyc = "-" if ci is None else f"{ci[0]:.3f} / {ci[1]:.2f} s ({ci[1] / ci[0]:.0f}x)"
        wi = "-" if r["with_intervals_s"] is None else f"{r['with_intervals_s']:.2f}"
        print(f"{str(r['case']):<16} {r['eta']:>6} {r['method']:>8} {r['estimate_s']:>8.3g} {r['orbits']:>6} "
              f"{r['stable']:>6} {r['full_s']:>8.2f} {wi:>9} {cyc:>38}")
    for widths in [(2, 2, 2), (1, 2, 2, 1), (2, 2, 1)]:
        est = estimate_cost(LinearNetwork.whitened(widths, [[1] * widths[0]] * widths[-1]))
        print(f"{str(widths):<16} refused up front: Bezout {est['bezout']}, estimated {est['seconds']:.3g} s")


if __name__ == "__main__":
    main()
