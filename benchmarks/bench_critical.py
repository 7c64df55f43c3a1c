"""Timings for the exact spectra on M and the critical step sizes (issue 3), with in-process baselines.

Run ``python benchmarks/bench_critical.py`` (``--quick`` skips the D = 448 case).
Each row times symstab and a baseline in the same process and prints the ratio.
"""

from __future__ import annotations

import argparse
import random
import time

import mpmath
import sympy

from symstab import LinearNetwork
from symstab.critical.search import exact_lambda_max_upper, orbit_search
from symstab.exact.matrices import object_array
from symstab.network import hessian_from_weights


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def random_target(widths, seed):
    rng = random.Random(seed)
    return [[rng.randint(-3, 3) for _ in range(widths[0])] for _ in range(widths[-1])]


def golden_section_211(net, dps=50):
    """Baseline: 50-digit golden-section minimisation of lambda_max(full Hessian) along M for (2,1,1)."""
    with mpmath.workdps(dps + 20):
        w = [mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in net.minima().target]
        conv = lambda v: mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q  # noqa: E731
        Sigma = object_array([[conv(v) for v in row] for row in net.Sigma.tolist()])
        YXt = object_array([[conv(v) for v in row] for row in (net.Y * net.X.T).tolist()])
        c = mpmath.mpf(net.loss_scale.numerator) / net.loss_scale.denominator

        def f(u):
            a = mpmath.exp(u)
            Hs = hessian_from_weights([object_array([[x / a for x in w]]), object_array([[a]])], Sigma, YXt, c)
            return max(mpmath.eigsy(mpmath.matrix(Hs.tolist()), eigvals_only=True))

        lo, hi, g = mpmath.mpf(-10), mpmath.mpf(10), (mpmath.sqrt(5) - 1) / 2
        for _ in range(260):
            m1, m2 = hi - g * (hi - lo), lo + g * (hi - lo)
            if f(m1) < f(m2):
                hi = m2
            else:
                lo = m1
        return 2 / f((lo + hi) / 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = []

    # exact spectra at a point of M: normal operator vs the full D x D Hessian charpoly
    cases = [(2, 2, 2, 2), (2, 3, 3, 2), (4, 8, 8, 4)] + ([] if args.quick else [(6, 16, 16, 6)])
    for widths in cases:
        net = LinearNetwork.whitened(widths, random_target(widths, 1))
        theta = net.minima().point(seed=1)
        fast, t_fast = timed(lambda: net.spectrum_at(theta, method="normal"))
        slow, t_slow = timed(lambda: net.spectrum_at(theta, method="full"))
        assert fast.charpoly == slow.charpoly
        rows.append((f"exact spectrum on M, {widths}, D = {net.num_params}", "full Hessian charpoly",
                     t_slow, t_fast))

    # eta_C for (2,1,1) with a general Sigma: exact algebraic vs 50-digit numerical minimisation
    net = LinearNetwork((2, 1, 1), [[1, 0, 1], [0, 1, 1]], [[1, 2, 2]])
    cs, t_exact = timed(lambda: net.critical_step_sizes(prove=False))
    ref, t_ref = timed(lambda: golden_section_211(net))
    lo, hi = cs.eta_C_interval
    assert mpmath.mpf(lo.numerator) / lo.denominator - mpmath.mpf(10) ** -40 <= ref
    rows.append(("eta_C (2,1,1) general Sigma, exact CRootOf + 1e-40 enclosure",
                 "50-digit golden section (not rigorous)", t_ref, t_exact))

    # closed forms
    for widths, target in [((2, 2, 2), [[1, 2], [3, 4]]), ((2, 2, 2, 2), [[3, 0], [0, 1]]),
                           ((1, 1, 1, 1, 1), [[5]])]:
        net = LinearNetwork.whitened(widths, target)
        _, t = timed(lambda: net.critical_step_sizes(prove=False))
        rows.append((f"eta_C closed form {widths}", "-", None, t))

    # rigorous eta_C bounds: how tight is the lower end? (quality ratio, not time)
    for widths, X, Y in [((2, 3, 3, 2), [[1, 2, 0], [0, 1, 3]], [[1, 2, 3], [0, 1, 1]]),
                         ((2, 2, 2, 2), [[1, 0, 1], [0, 1, 1]], [[1, 2, 2], [0, 1, 3]])]:
        net = LinearNetwork(widths, X, Y)
        M = net.minima()
        cs, t_new = timed(lambda: net.critical_step_sizes(prove=False))
        old, t_old = timed(lambda: exact_lambda_max_upper(net, orbit_search(net, M, net.kappa, 0, 6), True))
        lo_new, lo_old = float(cs.eta_C_interval[0]), 2 / float(old)
        rows.append((f"eta_C lower end {widths}: {lo_new:.6g} (orbit-only {lo_old:.6g})",
                     "orbit-only search (previous method)", t_old, t_new))
        print(f"# {widths}: rigorous lower end of eta_C {lo_new:.8g} vs orbit-only {lo_old:.8g} "
              f"({lo_new / lo_old:.3f}x tighter)")

    # non-filling, irrational best rank-r part: rigorous interval at an exact algebraic point (arb Hessian)
    import numpy as np

    def scan_212(net):
        """Baseline: float64 1-D scan of lambda_max(full Hessian) along M = {W_1 = t v^T, W_2 = s u / t}."""
        W = np.array(net.minima().W_star.tolist(), dtype=float)
        U, S, Vt = np.linalg.svd(W)
        Sigma, YXt = np.array(net.Sigma.tolist(), dtype=float), np.array((net.Y * net.X.T).tolist(), dtype=float)
        best = min(np.linalg.eigvalsh(hessian_from_weights([t * Vt[:1], S[0] * U[:, :1] / t], Sigma, YXt, 0.5))[-1]
                   for t in np.linspace(0.2, 5.0, 48001))
        return 2 / best

    for widths, T, ref in [((2, 1, 2), [[1, 2], [3, 4]], scan_212), ((2, 1, 1, 2), [[1, 2], [3, 4]], None),
                           ((3, 2, 3), [[1, 2, 0], [0, 1, 1], [1, 0, 3]], None)]:
        net = LinearNetwork.whitened(widths, T)
        cs, t_new = timed(lambda: net.critical_step_sizes(prove=False))
        lo, hi = (float(v) for v in cs.eta_C_interval)
        base, t_ref = timed(lambda: ref(net)) if ref is not None else (None, None)
        kind = "exact witness" if cs.witness_exact else "enclosed witness"
        rows.append((f"eta_C in [{lo:.9g}, {hi:.4g}] {widths} non-filling, {kind}",
                     f"float64 1-D scan along M: {base:.9g}" if base is not None else "-", t_ref, t_new))

    print(f"{'case':<72} {'baseline':<40} {'base s':>8} {'symstab s':>10} {'ratio':>8}")
    for case, base, tb, ts in rows:
        ratio = f"{tb / ts:8.1f}x" if tb is not None else "       -"
        tb_s = f"{tb:8.3f}" if tb is not None else "       -"
        print(f"{case:<72} {base:<40} {tb_s} {ts:10.3f} {ratio}")


if __name__ == "__main__":
    main()
