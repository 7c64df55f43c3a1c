"""Benchmark: det(I - eta H) and the A1 certificate, against baselines run in this process.

Baselines: sympy's ``Matrix.det`` (on sizes where it finishes) and a naive
fraction-free Bareiss elimination over python-flint polynomials in (theta, eta).
Run: ``python benchmarks/bench_det.py [--quick]``. Prints a table of times and ratios.
"""

from __future__ import annotations

import argparse
import time

import sympy

from symstab import LinearNetwork
from symstab.gdmap import charpoly_coefficients


def fresh(widths, target):
    return LinearNetwork.whitened(widths, target)


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def ours(widths, target):
    net = fresh(widths, target)  # a new network: nothing cached, the Hessian is built too
    return net.gd_jacobian_det()


def sympy_det(widths, target):
    net = fresh(widths, target)
    eta = sympy.Symbol("eta")
    M = sympy.eye(net.num_params) - eta * net.hessian_matrix()
    return sympy.expand(M.det())


def naive_bareiss(widths, target):
    """Fraction-free Bareiss on I - eta H over fmpq_mpoly in (theta, eta), no pivoting tricks."""
    net = fresh(widths, target)
    ring = net.ring.extend("eta")
    eta = ring.gens[-1]
    D = net.num_params
    H = [[ring.embed(h, net.ring) for h in row] for row in net.hessian_polys]
    M = [[(ring.ctx.constant(1) if i == j else ring.ctx.constant(0)) - eta * H[i][j] for j in range(D)]
         for i in range(D)]
    prev = None
    for k in range(D - 1):
        for i in range(k + 1, D):
            for j in range(k + 1, D):
                v = M[i][j] * M[k][k] - M[i][k] * M[k][j]
                M[i][j] = v if prev is None else v / prev
        prev = M[k][k]
    return M[D - 1][D - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the slow baselines")
    parser.add_argument("--largest", action="store_true",
                        help="also the largest sizes reached: (1,3,3,1) D=15 and (1,2,2,2,1) D=12 (minutes)")
    args = parser.parse_args()
    rows = []
    generic = {2: [[1, 2], [3, 4]], 1: [[3]]}

    print("det(I - eta H): symstab (Berkowitz over flint) vs sympy Matrix.det")
    for widths, target in [((1, 2, 1), [[3]]), ((1, 3, 1), [[3]]), ((2, 1, 2), [[1, 2], [3, 4]])]:
        t_ours, p = best_of(lambda: ours(widths, target), 5)
        t_sympy, ref = best_of(lambda: sympy_det(widths, target), 1)
        assert sympy.expand(p.as_expr() - ref) == 0
        rows.append((str(widths), "sympy Matrix.det", t_sympy, t_ours, p.nterms))

    print("det(I - eta H): symstab vs naive flint Bareiss")
    for widths in [(2, 2, 2), (1, 2, 2, 1)]:
        target = generic[widths[0]] if widths[-1] == widths[0] else [[3]]
        t_ours, p = best_of(lambda: ours(widths, target), 3)
        if args.quick:
            rows.append((str(widths), "-", float("nan"), t_ours, p.nterms))
            continue
        t_naive, ref = best_of(lambda: naive_bareiss(widths, target), 1)
        assert ref == p.poly
        rows.append((str(widths), "naive flint Bareiss", t_naive, t_ours, p.nterms))

    for widths, target in [((2, 2, 2), [[3, 0], [0, 1]])]:
        t_ours, p = best_of(lambda: ours(widths, target), 3)
        rows.append((str(widths) + " W*=diag(3,1)", "-", float("nan"), t_ours, p.nterms))

    if not args.quick:
        for widths, target in [((1, 3, 2), [[1], [2]]), ((2, 2, 3), [[1, 2], [3, 4], [5, 6]])]:
            net = fresh(widths, target)
            t0 = time.perf_counter()
            coeffs = charpoly_coefficients(net, force=True)
            rows.append((str(widths) + f" D={net.num_params}", "-", float("nan"),
                         time.perf_counter() - t0, sum(len(c) for c in coeffs)))

    if args.largest:
        for widths in [(1, 3, 3, 1), (1, 2, 2, 2, 1)]:
            net = fresh(widths, [[3]])
            t0 = time.perf_counter()
            coeffs = charpoly_coefficients(net, force=True)
            rows.append((str(widths) + f" D={net.num_params}", "-", float("nan"),
                         time.perf_counter() - t0, sum(len(c) for c in coeffs)))

    target = [[1, 2, 3, 4], [0, 1, 0, 1], [2, 0, 1, 1], [1, 1, 1, 0]]
    t_cert, cert = best_of(lambda: fresh((4, 8, 8, 4), target).nonsingularity_certificate(seed=0), 3)
    assert cert.exceptional_etas == []
    rows.append(("(4, 8, 8, 4) certificate", "-", float("nan"), t_cert, len(cert.points)))

    print()
    print(f"{'case':32} {'baseline':22} {'baseline s':>11} {'symstab s':>10} {'ratio':>9} {'terms':>8}")
    for case, base, tb, to, terms in rows:
        ratio = tb / to if tb == tb else float("nan")
        tb_s = f"{tb:11.4f}" if tb == tb else f"{'-':>11}"
        ratio_s = f"{ratio:8.1f}x" if ratio == ratio else f"{'-':>9}"
        print(f"{case:32} {base:22} {tb_s} {to:10.4f} {ratio_s} {terms:8d}")


if __name__ == "__main__":
    main()
