"""Benchmark: writing a large det(I - eta H) polynomial out as JSON text and LaTeX.

Streamed (term by term from flint, :meth:`ExactPolynomial.text_chunks`) against the
baseline in this process: the sympy expression printed by ``sympy.sstr`` and
symstab's sympy LaTeX printer (what ``str(poly)`` and ``to_latex(poly.as_expr())`` do).  The time of the
computation that produced the polynomial is printed next to them.
Run: ``python benchmarks/bench_output.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import time

from symstab import LinearNetwork
from symstab.exact.latex import to_latex
from symstab.exact.poly import ExactPolynomial


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="(2,2,2) only")
    args = parser.parse_args()
    cases = [((2, 2, 2), [[1, 0], [0, 1]])]
    if not args.quick:
        cases.append(((2, 2, 2), [[1, 2], [3, 1]]))
    print(f"{'case':<28} {'terms':>7} {'compute':>9} {'stream':>9} {'sympy':>9} {'sympy/stream':>13} {'MB':>6}")
    for widths, target in cases:
        net = LinearNetwork.whitened(widths, target)
        t_compute, poly = timed(net.gd_jacobian_det)

        def stream():
            return sum(len(json.dumps(c)) for style in ("text", "latex") for c in poly.text_chunks(style))

        def baseline():  # a fresh object: its sympy expression is not cached yet
            fresh = ExactPolynomial(poly.poly, poly.ring, poly.kind, poly.num_params)
            return len(json.dumps(str(fresh))) + len(json.dumps(to_latex(fresh.as_expr())))

        t_stream, size = timed(stream)
        t_sympy, _ = timed(baseline)
        print(f"{str(widths) + ' ' + str(target):<28} {poly.nterms:>7} {t_compute:>8.2f}s {t_stream:>8.2f}s "
              f"{t_sympy:>8.2f}s {t_sympy / t_stream:>12.1f}x {size / 1e6:>6.1f}")


if __name__ == "__main__":
    main()
