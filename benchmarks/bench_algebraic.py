"""Benchmark: exact spectra at algebraic points of M (spectrum_at over Q(alpha)) against sympy in this process.

symstab: ``Minima.point`` (an AlgebraicPoint) then ``spectrum_at`` (Hessenberg charpoly over K,
norm over Q, gcds over K, certified root selection: every eigenvalue exact). Baseline: sympy's
``DomainMatrix.charpoly`` over ``QQ.algebraic_field(alpha)`` on the same Hessian: the
characteristic polynomial only, no factoring or root selection, so a lower bound on sympy's
cost. Each measurement runs in a subprocess with a time budget (``--timeout``, default 120 s).
Run: ``python benchmarks/bench_algebraic.py``.
"""

from __future__ import annotations

import argparse
import json
import time

from child import run_child

CASES = [((2, 1, 2), [[1, 2], [3, 4]]), ((3, 1, 3), [[2, 1, 0], [1, 3, 1], [0, 1, 4]]),
         ((2, 1, 1, 2), [[1, 2], [3, 4]]), ((3, 2, 3), [[1, 2, 0], [3, 4, 1], [0, 1, 5]])]


def measure(index: int, kind: str) -> dict:
    import sympy
    from sympy.polys.matrices import DomainMatrix

    from symstab import LinearNetwork

    net = LinearNetwork.whitened(*CASES[index])
    M = net.minima()
    p = M.point(seed=0)
    if kind == "symstab":
        t0 = time.perf_counter()
        s = net.spectrum_at(p)
        return {"seconds": time.perf_counter() - t0, "degree": p.field.degree, "D": net.num_params,
                "eigenvalues": len(s.eigenvalues)}
    H = net.hessian_at(p)
    K = sympy.QQ.algebraic_field(p.field.generator)
    t0 = time.perf_counter()
    DomainMatrix([[K.from_sympy(v.to_sympy()) for v in row] for row in H], (len(H), len(H)), K).charpoly()
    return {"seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1])))
        return
    print(f"{'widths':<14} {'D':>3} {'deg K':>5} {'symstab spectrum s':>19} {'sympy charpoly s':>18} {'ratio':>8}", flush=True)
    for i, (widths, _) in enumerate(CASES):
        ours, base = run_child(__file__, i, "symstab", args.timeout), run_child(__file__, i, "sympy", args.timeout)
        b = f"{base['seconds']:.2f}" if "seconds" in base else (f">{base['timeout']:.0f} (timeout)" if "timeout" in base
                                                                else "error")
        o = f"{ours['seconds']:.2f}" if "seconds" in ours else str(ours)[:30]
        ratio = (f"{base['seconds'] / ours['seconds']:.1f}x" if "seconds" in base and "seconds" in ours
                 else (f">{base['timeout'] / ours['seconds']:.0f}x" if "seconds" in ours else "-"))
        print(f"{str(widths):<14} {ours.get('D', '-'):>3} {ours.get('degree', '-'):>5} {o:>19} {b:>18} {ratio:>8}",
              flush=True)


if __name__ == "__main__":
    main()
