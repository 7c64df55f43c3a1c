"""Benchmark: det(I - eta H) by the dispatcher's exact methods, against today's Berkowitz and the write-out floor.

Times are CPU seconds of this process (``time.process_time``): the machine has 2 cores shared
with other work, and wall times there vary by up to 10x. Every row builds a fresh ``LinearNetwork`` (the Hessian polynomials are included) and runs,
in this process:

* ``new``: ``net.gd_jacobian_det()`` (the dispatcher; its method is printed);
* ``before``: the path before the dispatcher: ``charpoly_coefficients`` (Berkowitz over
  ``fmpz_mpoly``, or the scalar path when ``d_0 = d_H = 1``) then the assembly through
  Python dictionaries; skipped where it is known to take more than ``--budget`` seconds;
* ``floor``: the write-out floor, the time to build the same polynomial from its terms
  (``ctx.from_dict`` on the prepared dictionary: one C call per term).
* ``sparse``: ``method="sparse"`` (sparse interpolation in ``(theta, r)`` modulo primes, CRT, compose;
  symstab/detsparse.py), asserted equal to ``new``, on the cases of ``SPARSE`` (it is slower than the
  structured methods wherever they apply, and is measured to say by how much).

``cold``: (2,2,2) and (2,2,3) once each in a fresh child process (no in-process cache: the invariant
method caches its universal polynomial per (d0, d2, sigma) and its (theta, R, e) stage per widths, so
in this process a (2,.,2) row after another is warm). ``charpoly``: ``det(lam I - H)`` from
``P = det(I - eta H)`` by :func:`symstab.exact.poly.reverse_last` (C-level) against the Python
dictionary reversal it replaced.
``--largest`` also runs (1,2,2,2,1) and (1,3,3,1) in child processes (time and peak memory), by the
dispatcher (``"scalar-residual"`` for both); ``--one WIDTHS[:METHOD]`` runs one such child with any method.
The older baselines (sympy ``Matrix.det``, naive flint Bareiss, the A1 certificate) are kept.
Run: ``python benchmarks/bench_det.py [--quick] [--largest]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import sympy

from symstab import LinearNetwork
from symstab.exact.poly import reverse_last
from symstab.gdmap import charpoly_coefficients, det_polynomial, estimate_cost

GENERIC = {(1, 1): [[3]], (2, 2): [[1, 2], [3, 4]], (2, 1): [[1], [2]], (1, 2): [[1, 2]],
           (3, 2): [[1, 2], [3, 4], [5, 6]], (2, 3): [[1, 2, 3], [4, 5, 6]], (3, 1): [[1], [2], [3]]}


def fresh(widths, target=None):
    return LinearNetwork.whitened(widths, target if target is not None else GENERIC[(widths[-1], widths[0])])


def timed(fn):
    """CPU seconds of ``fn()`` (the engine is single-threaded; on a shared machine, wall time
    measures the other users' load more than this code)."""
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def before(widths, target=None):
    """The path before the dispatcher: Berkowitz / scalar coefficients, assembled through Python dicts."""
    net = fresh(widths, target)
    coeffs = charpoly_coefficients(net, force=True)
    ring = net.ring.extend("eta")
    terms = {}
    for k, c in enumerate(coeffs):
        for exps, v in c.to_dict().items():
            terms[exps + (k,)] = v
    return ring.ctx.from_dict(terms)


def floor(poly, sample: int = 200_000):
    """Seconds to build ``poly`` from its terms (prepared outside the timing).

    Above ``sample`` terms, the first ``sample`` terms are built and the time is scaled by
    ``len(poly) / sample`` (a Python dictionary of every term of a 10^7-term polynomial would
    need more memory than the polynomial itself by two orders of magnitude).
    """
    n = len(poly)
    ctx = poly.context()
    if n <= sample:
        terms = poly.to_dict()
        t, built = timed(lambda: ctx.from_dict(terms))
        assert built == poly
        return t
    terms = {poly.monomial(i): poly.coefficient(i) for i in range(sample)}
    t, _ = timed(lambda: ctx.from_dict(terms))
    return t * n / sample


# (2,2,3) is left out: its (theta, r) form is not sparse (r has 6 entries); "sparse" ran over 90 s there
METHOD_CASES = [((1, 2, 1), None), ((2, 1, 2), None), ((1, 2, 2, 1), None), ((2, 1, 2, 1), [[1, 2]]),
                ((2, 2, 2), None), ((1, 3, 2), None), ((2, 1, 1, 2), None), ((2, 1, 3), None), ((3, 1, 2), None),
                ((2, 1, 2, 2), None), ((2, 2, 1, 2), None), ((1, 1, 2, 3), None), ((1, 2, 1, 2, 1), None),
                ((2, 1, 2, 1, 2), None), ((3, 1, 1, 3), [[1, 2, 0], [0, 1, 2], [2, 0, 1]]), ((1, 2, 2, 2), None),
                ((2, 2, 3), None),
                ((3, 2, 2), None), ((2, 3, 2), None), ((2, 1, 2, 2, 1), None)]
SPARSE = {(1, 2, 1), (2, 1, 2), (1, 2, 2, 1), (2, 1, 2, 1), (2, 2, 2), (1, 3, 2), (1, 2, 2, 2), (2, 1, 1, 2),
          (2, 1, 2, 2)}


def method_rows(cases, budget):
    rows = []
    for widths, target in cases:
        t_new, p = timed(lambda: fresh(widths, target).gd_jacobian_det(force=True))
        if widths in SPARSE:
            t_sparse, q = timed(lambda: fresh(widths, target).gd_jacobian_det(force=True, method="sparse"))
            assert q.poly == p.poly, widths
        else:
            t_sparse = float("nan")
        est = estimate_cost(fresh(widths, target), "berkowitz")
        if est["seconds"] <= budget:
            t_old, ref = timed(lambda: before(widths, target))
            assert ref == p.poly, widths
        else:
            t_old = float("nan")
        rows.append((str(widths), p.method, p.nterms, t_new, t_old, floor(p.poly), t_sparse))
        print(f"  {widths}: {p.method} {t_new:.3f} s", file=sys.stderr, flush=True)
    return rows


ALL_METHODS = ("lowrank", "scalar-residual", "invariant", "schur", "residual", "sparse", "berkowitz")


class _Timeout(Exception):
    pass


def every_method(cases, limit: float):
    """``--methods``: every method that applies, per case, in CPU seconds (each on a fresh network, the exact
    spot check included), each stopped after ``limit`` seconds of wall time (SIGALRM); all results are
    asserted equal. The dispatcher's choice is marked with ``*``."""
    import signal

    from symstab.gdmap import method_applies

    def alarm(*_):
        raise _Timeout

    signal.signal(signal.SIGALRM, alarm)
    print(f"\nevery method (CPU s, each stopped after {limit:.0f} s; * = the dispatcher's choice)")
    print(f"{'case':14} {'terms':>9} " + " ".join(f"{m:>16}" for m in ALL_METHODS))
    for widths, target in cases:
        chosen = fresh(widths, target).gd_jacobian_det(force=True).method
        cells, reference = [], None
        for method in ALL_METHODS:
            net = fresh(widths, target)
            if not method_applies(net, method):
                cells.append("-")
                continue
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                t, p = timed(lambda: net.gd_jacobian_det(force=True, method=method))
                reference = reference if reference is not None else p.poly
                assert p.poly == reference, (widths, method)
                cells.append(f"{t:.3f}" + ("*" if method == chosen else ""))
            except _Timeout:
                cells.append(f"> {limit:.0f}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        terms = len(reference) if reference is not None else 0
        print(f"{str(widths):14} {terms:9d} " + " ".join(f"{c:>16}" for c in cells), flush=True)


def one(widths, method="auto"):
    """Child process: time, peak memory and terms of one large case."""
    net = fresh(widths)
    t, p = timed(lambda: net.gd_jacobian_det(force=True, method=method))
    t_floor = floor(p.poly)
    print(json.dumps({"widths": list(widths), "method": p.method, "terms": p.nterms, "seconds": t,
                      "floor": t_floor, "maxrss_gb": peak_gb()}))


def peak_gb() -> float:
    """Peak resident memory of this process since its exec (``VmHWM``; ``ru_maxrss`` would include the
    parent's peak, inherited through fork)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def sympy_det(widths, target):
    net = fresh(widths, target)
    eta = sympy.Symbol("eta")
    return sympy.expand((sympy.eye(net.num_params) - eta * net.hessian_matrix()).det())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--largest", action="store_true", help="also (1,2,2,2,1) and (1,3,3,1) (minutes, GBs)")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="skip the 'before' baseline where it is estimated above this many seconds")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--methods", type=float, metavar="SECONDS",
                        help="only the table of every applicable method per case, each stopped after SECONDS")
    args = parser.parse_args()
    if args.one:
        widths, _, method = args.one.partition(":")
        one(tuple(int(w) for w in widths.split(",")), method or "auto")
        return
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores); times are CPU seconds")
    if args.methods:
        every_method(METHOD_CASES, args.methods)
        return
    cases = [((1, 2, 1), None), ((2, 1, 2), None), ((1, 2, 2, 1), None), ((2, 1, 2, 1), [[1, 2]]),
             ((2, 2, 2), None), ((2, 2, 2), [[3, 0], [0, 1]]), ((1, 3, 2), None), ((2, 1, 1, 2), None),
             ((2, 1, 3), None)]
    if not args.quick:
        cases += [((2, 1, 2, 2), None), ((2, 2, 1, 2), None), ((1, 1, 2, 3), None), ((1, 2, 2, 2), None),
                  ((2, 3, 2), None), ((2, 2, 3), None), ((3, 2, 2), None)]
    rows = method_rows(cases, args.budget)
    print()
    print(f"{'case':20} {'method':16} {'terms':>10} {'new s':>9} {'before s':>9} {'speed-up':>9} "
          f"{'floor s':>9} {'new/floor':>9} {'sparse s':>9} {'sp/floor':>9}")
    for case, method, terms, t_new, t_old, t_floor, t_sparse in rows:
        old = f"{t_old:9.3f}" if t_old == t_old else f"{'-':>9}"
        up = f"{t_old / t_new:8.1f}x" if t_old == t_old else f"{'-':>9}"
        sp = f"{t_sparse:9.3f} {t_sparse / t_floor:8.1f}x" if t_sparse == t_sparse else f"{'-':>9} {'-':>9}"
        print(f"{case:20} {method:16} {terms:10d} {t_new:9.3f} {old} {up} {t_floor:9.3f} {t_new / t_floor:8.1f}x {sp}")

    print("\ncold: one fresh child process per case (no cached invariant polynomial)")
    for widths in ["2,2,2", "2,2,3"]:
        run = subprocess.run([sys.executable, __file__, "--one", widths], capture_output=True, text=True)
        r = json.loads(run.stdout)
        print(f"({widths}) {r['method']} {r['terms']} terms: {r['seconds']:.3f} s, floor {r['floor']:.3f} s "
              f"({r['seconds'] / r['floor']:.1f}x), peak {r['maxrss_gb']:.2f} GB")

    print("\ncharpoly det(lam I - H) from P(theta, eta): C-level reversal against the dict round trip")
    for widths in [(2, 2, 2)] + ([] if args.quick else [(2, 2, 3)]):
        net = fresh(widths)
        P, _ = det_polynomial(net, force=True)
        ring = net.ring.extend("lam")
        D = net.num_params
        t_c, c = timed(lambda: reverse_last(P, ring.ctx, D))
        t_d, d = timed(lambda: ring.ctx.from_dict({e[:-1] + (D - e[-1],): v for e, v in P.to_dict().items()}))
        assert c == d
        print(f"{str(widths):20} {len(P)} terms: reverse_last {t_c:.3f} s, dict {t_d:.3f} s ({t_d / t_c:.1f}x)")

    print("\nolder baselines: sympy Matrix.det on small cases, the A1 certificate")
    for widths, target in [((1, 2, 1), [[3]]), ((2, 1, 2), [[1, 2], [3, 4]])]:
        t_ours, p = timed(lambda: fresh(widths, target).gd_jacobian_det())
        t_sympy, ref = timed(lambda: sympy_det(widths, target))
        assert sympy.expand(p.as_expr() - ref) == 0
        print(f"{str(widths):20} sympy {t_sympy:.4f} s, symstab {t_ours:.4f} s ({t_sympy / t_ours:.0f}x)")
    target = [[1, 2, 3, 4], [0, 1, 0, 1], [2, 0, 1, 1], [1, 1, 1, 0]]
    t_cert, cert = timed(lambda: fresh((4, 8, 8, 4), target).nonsingularity_certificate(seed=0))
    assert cert.exceptional_etas == []
    print(f"{'(4, 8, 8, 4)':20} A1 certificate {t_cert:.3f} s")

    if args.largest:
        print("\nlargest cases, one child process each (time, write-out floor, peak RSS)")
        for widths in ["1,2,2,2,1", "1,3,3,1"]:  # the dispatcher takes "scalar-residual" for both
            run = subprocess.run([sys.executable, __file__, "--one", widths], capture_output=True, text=True)
            if run.returncode != 0:
                print(f"({widths}) failed: {run.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(run.stdout)
            print(f"({widths}) {r['method']} {r['terms']} terms: {r['seconds']:.1f} s, floor {r['floor']:.1f} s "
                  f"({r['seconds'] / r['floor']:.1f}x), peak {r['maxrss_gb']:.2f} GB")


if __name__ == "__main__":
    main()
