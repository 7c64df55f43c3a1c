"""Benchmark: how far the exact 2-cycle solver (symstab.orbits.period_two) reaches, against baselines in this process.

Columns: the solver without and with the exact stable-eta intervals (wall and CPU seconds;
``ivl``: stable orbits that got an exact interval). Baselines: for scalar networks, the general Groebner path (``_general_cycles``) on the
same network, against the sign-balanced one-dimensional reduction; for the others, the
estimate that the size guard uses. Run: ``python benchmarks/bench_orbits.py [--quick] [--timeout S]``.

Every measurement runs in its own subprocess with a time budget (``--timeout``, default
120 s with ``--quick``, 600 s otherwise), so one case that does not finish cannot stop the
table: it is reported as ``>S s (timeout)``. Each row is printed as soon as its
measurements end. Times include no interpreter start-up (measured inside the child).
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction

from child import run_child

CASES = [((1, 1, 1), [[1]], "11/10"), ((1, 1, 2), [[3], [4]], "11/50"), ((1, 2, 1), [[1]], "11/10"),
         ((2, 1, 1), [[1, 1]], "3/5"), ((1, 1, 2), [[1], [2]], "1/2"), ((2, 1, 1), [[1, 2]], "1/2"),
         ((1, 1, 1, 1), [[1]], "7/10"), ((1, 1, 1, 1, 1), [[1]], "3/5"), ((1, 1, 1, 1, 1, 1), [[1]], "1/2")]
KINDS = ("estimate", "full", "intervals", "reduction", "groebner")


def measure(index: int, kind: str) -> dict:
    """One measurement of one case (run in a child process)."""
    from symstab import LinearNetwork
    from symstab.orbits import estimate_cost, period_two
    from symstab.orbits.cycles import _general_cycles, _scalar_cycles

    widths, target, eta = CASES[index]
    net = LinearNetwork.whitened(widths, target)
    if kind == "estimate":
        est = estimate_cost(net)
        return {"method": est["method"], "estimate_s": est["seconds"]}
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "full":
        res = period_two(net, eta, intervals=False)
        out = {"orbits": len(res.orbits), "stable": sum(o.stable for o in res.orbits)}
    elif kind == "intervals":
        res = period_two(net, eta)
        out = {"with_interval": sum(o.stable and o.stable_eta_interval != (None, None) for o in res.orbits)}
    elif kind == "reduction":
        _scalar_cycles(net, Fraction(eta))
        out = {}
    else:
        _general_cycles(net, Fraction(eta), 0)
        out = {}
    out["seconds"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    return out


def cell(m: dict | None, digits: int = 2) -> str:
    if m is None:
        return "-"
    if "timeout" in m:
        return f">{m['timeout']:.0f} s (timeout)"
    if "error" in m:
        return "error: " + m["error"][:40]
    return f"{m['seconds']:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the depth >= 3 Groebner baselines")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per measurement (120 quick, 600 full)")
    parser.add_argument("--child", nargs=2, metavar=("INDEX", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1])))
        return
    timeout = args.timeout or (120.0 if args.quick else 600.0)
    print(f"per-measurement budget {timeout:.0f} s; each row is printed when its measurements end", flush=True)
    print(f"{'widths':<16} {'eta':>6} {'method':>8} {'est. s':>8} {'orbits':>6} {'stable':>6} {'total s':>18} "
          f"{'with intervals s':>18} {'ivl':>5} {'cycles: reduction / Groebner (ratio)':>44}", flush=True)
    for index, (widths, _, eta) in enumerate(CASES):
        est = run_child(__file__, index, "estimate", timeout)
        scalar = est.get("method") == "scalar"
        full = run_child(__file__, index, "full", timeout)
        inter = run_child(__file__, index, "intervals", timeout)
        cycles = "-"
        if scalar and (len(widths) <= 3 or not args.quick):
            fast, slow = run_child(__file__, index, "reduction", timeout), run_child(__file__, index, "groebner", timeout)
            ratio = (f" ({slow['seconds'] / fast['seconds']:.0f}x)" if "seconds" in fast and "seconds" in slow
                     else (" (> {:.0f}x)".format(slow["timeout"] / fast["seconds"]) if "seconds" in fast else ""))
            cycles = f"{cell(fast, 3)} / {cell(slow)} s{ratio}"
        print(f"{str(widths):<16} {eta:>6} {est.get('method', '?'):>8} {est.get('estimate_s', float('nan')):>8.3g} "
              f"{full.get('orbits', '-'):>6} {full.get('stable', '-'):>6} {cell(full):>18} "
              f"{cell(inter) + ' (cpu ' + format(inter.get('cpu', float('nan')), '.1f') + ')':>18} "
              f"{inter.get('with_interval', '-'):>5} "
              f"{cycles:>44}", flush=True)
    from symstab import LinearNetwork
    from symstab.orbits import estimate_cost

    for widths in [(2, 2, 2), (1, 2, 2, 1), (2, 2, 1)]:
        est = estimate_cost(LinearNetwork.whitened(widths, [[1] * widths[0]] * widths[-1]))
        print(f"{str(widths):<16} refused up front: Bezout {est['bezout']}, estimated {est['seconds']:.3g} s", flush=True)


if __name__ == "__main__":
    main()
