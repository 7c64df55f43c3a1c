"""Benchmark of symstab.simulate (issue 4 targets), baselines run in the same process.

(a) batched float64 GD on (2,2,2) whitened vs a plain per-trajectory numpy loop
    (target: >= 50x the loop's init-steps/s, and above ~5 M init-steps/s);
(b) a 50-digit trajectory on (2,2,2) (python-flint arb midpoints) vs a
    straightforward mpmath matrix loop (target: >= 10x steps/s);
(c) the full sweep for (1,1,2) and (2,2,2): 11 ratios x 1000 inits x 20000 steps
    (target: <= 2 minutes on 2 cores).

Run: ``python benchmarks/bench_simulate.py`` (``--quick``: smaller sizes).
"""

import argparse
import os
import time

import mpmath
import numpy as np

from symstab import LinearNetwork, simulate

TARGET = [[2, 1], [1, 2]]  # s_max = 3, eta_C = 1/3
ETA = 0.3  # 0.9 eta_C


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def loop_baseline(theta0, steps):
    """Per trajectory: 2x2 numpy matrices, one run after the other."""
    Ws = np.array(TARGET, dtype=float)
    for row in theta0:
        W1 = row[:4].reshape(2, 2).copy()
        W2 = row[4:].reshape(2, 2).copy()
        for _ in range(steps):
            P = W2 @ W1 - Ws
            g1 = W2.T @ P
            g2 = P @ W1.T
            W1 -= ETA * g1
            W2 -= ETA * g2


def matmul_prototype(theta0, steps):
    """A first batched prototype: ``np.matmul`` on a leading batch axis, shape (K, 2, 2)."""
    Ws = np.array(TARGET, dtype=float)
    W1 = theta0[:, :4].reshape(-1, 2, 2).copy()
    W2 = theta0[:, 4:].reshape(-1, 2, 2).copy()
    with np.errstate(all="ignore"):
        for _ in range(steps):
            P = W2 @ W1 - Ws
            g1 = W2.transpose(0, 2, 1) @ P
            g2 = P @ W1.transpose(0, 2, 1)
            W1 -= ETA * g1
            W2 -= ETA * g2


def mpmath_baseline(theta0, steps, dps=50):
    """A straightforward mpmath matrix loop at ``dps`` digits."""
    with mpmath.workdps(dps):
        W1 = mpmath.matrix(theta0[:4].reshape(2, 2).tolist())
        W2 = mpmath.matrix(theta0[4:].reshape(2, 2).tolist())
        Ws = mpmath.matrix(TARGET)
        eta = mpmath.mpf(3) / 10
        for _ in range(steps):
            P = W2 * W1 - Ws
            g1 = W2.T * P
            g2 = P * W1.T
            W1 = W1 - eta * g1
            W2 = W2 - eta * g2
        return W1, W2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    quick = args.quick
    net = LinearNetwork.whitened((2, 2, 2), TARGET)
    problem = simulate.engine.problem_of(net)
    rng = np.random.default_rng(0)
    rows = []

    # (a) float64 batched vs per-trajectory loop
    K_loop, steps_loop = (5, 1000) if quick else (20, 2000)
    theta_loop = rng.standard_normal((K_loop, 8)) * 0.8
    t_loop = best_of(lambda: loop_baseline(theta_loop, steps_loop), repeat=1 if quick else 2)
    loop_rate = K_loop * steps_loop / t_loop
    rows.append(("(a) per-trajectory numpy loop", f"{loop_rate / 1e6:.3f} M init-steps/s", "baseline"))
    steps_batch = 1000 if quick else 5000
    theta = rng.standard_normal((1000, 8)) * 0.8
    t = best_of(lambda: matmul_prototype(theta, steps_batch))
    rate = 1000 * steps_batch / t
    rows.append(("(a) batched np.matmul prototype, K = 1000", f"{rate / 1e6:.1f} M init-steps/s",
                 f"{rate / loop_rate:.0f}x"))
    for K in (1000, 4096):
        theta = rng.standard_normal((K, 8)) * 0.8

        def engine_run():
            eng = simulate.engine.FloatEngine(problem, ETA, theta)
            with np.errstate(all="ignore"):
                eng.advance(steps_batch)

        t = best_of(engine_run)
        rate = K * steps_batch / t
        rows.append((f"(a) batched engine, K = {K}", f"{rate / 1e6:.1f} M init-steps/s", f"{rate / loop_rate:.0f}x"))
    K, steps_gd = (1000, 4000) if quick else (1000, 20000)
    t = best_of(lambda: simulate.gd(net, 0.11 * 10 / 3, inits=K, steps=steps_gd, seed=0), repeat=1)
    rate = K * steps_gd / t
    rows.append((f"(a) gd(), 1.1 eta_C (runs do not retire), K = {K} x {steps_gd}",
                 f"{rate / 1e6:.1f} M init-steps/s ({t:.2f} s)", f"{rate / loop_rate:.0f}x"))

    # (b) 50 digits
    steps_mp = 300 if quick else 2000
    t_mp = best_of(lambda: mpmath_baseline(theta_loop[0], steps_mp), repeat=1)
    mp_rate = steps_mp / t_mp
    rows.append(("(b) mpmath matrix loop, 50 digits", f"{mp_rate / 1e3:.1f} k steps/s", "baseline"))
    steps_hp = 3000 if quick else 20000
    t_hp = best_of(lambda: simulate.gd(net, "3/10", inits=theta_loop[:1], steps=steps_hp, dps=50, tol=1e-80),
                   repeat=1)
    hp_rate = steps_hp / t_hp
    rows.append(("(b) gd(dps=50), arb midpoints", f"{hp_rate / 1e3:.1f} k steps/s", f"{hp_rate / mp_rate:.1f}x"))

    # (c) full sweeps
    ratios = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.3, 1.5]
    n_inits, steps = (1000, 2000) if quick else (1000, 20000)
    total = 0.0
    for widths, target, eta_c in (((1, 1, 2), [[3], [4]], "1/5"), ((2, 2, 2), TARGET, "1/3")):
        sweep_net = LinearNetwork.whitened(widths, target)
        start = time.perf_counter()
        sweep = simulate.convergence_sweep(sweep_net, ratios, n_inits=n_inits, steps=steps, seed=0, eta_C=eta_c,
                                           workers=2)
        seconds = time.perf_counter() - start
        total += seconds
        d = sweep.to_dict()["rows"]
        below = min(r["converged_fraction"] for r in d if r["eta_ratio"] < 1)
        above = max(r["converged_fraction"] for r in d if r["eta_ratio"] > 1)
        rows.append((f"(c) sweep {widths}: 11 x {n_inits} x {steps}, 2 workers", f"{seconds:.2f} s",
                     f"conv. fraction below eta_C >= {below:.3f}, above = {above:.3f}"))
    rows.append(("(c) both sweeps", f"{total:.2f} s", "target <= 120 s"))

    print(f"bench_simulate ({'quick' if quick else 'full'}), {os.cpu_count()} cores")
    print("| case | speed | ratio / note |")
    print("|---|---:|---|")
    for case, speed, ratio in rows:
        print(f"| {case} | {speed} | {ratio} |")


if __name__ == "__main__":
    main()
