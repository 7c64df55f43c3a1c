"""Benchmark of symstab.sgd.mean_square_threshold (issue 5 targets: <= 5 s each).

Exact eta* for n = 12 rational Hessians of size d <= 6 (rank 2 each, so H has full
range), float eta* for n = 100, d = 20, and the mpmath path (``dps=30``) for n = 12
rational Hessians of size d = 13, 16 (rank of H above EXACT_RANGE_LIMIT).
Run: ``python benchmarks/bench_sgd.py``.
"""

import random
import time
from fractions import Fraction

import numpy as np

from symstab import sgd


def rational_psd(rng, d, rank):
    vs = [[Fraction(rng.randint(-3, 3), rng.randint(1, 3)) for _ in range(d)] for _ in range(rank)]
    return [[sum(v[i] * v[j] for v in vs) for j in range(d)] for i in range(d)]


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def bisection_baseline(hs, batch, iterations=60):
    """The plain approach: spectral radius of the full d^2 x d^2 operator
    Q(eta) = (I - eta H) (x) (I - eta H) + eta^2 (1/B - 1/n)(1/n) sum H_i (x) H_i (Bernoulli),
    bisected on eta (no symmetric-subspace reduction, no generalized eigenproblem)."""
    n, d, _ = hs.shape
    H = hs.mean(axis=0)
    I = np.eye(d)
    S = sum(np.kron(h, h) for h in hs) / n
    beta = 1 / batch - 1 / n

    def rho(eta):
        A = I - eta * H
        return np.abs(np.linalg.eigvals(np.kron(A, A) + eta**2 * beta * S)).max()

    lo, hi = 0.0, 2.0 / np.linalg.eigvalsh(H)[-1]
    for _ in range(iterations):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rho(mid) < 1 else (lo, mid)
    return (lo + hi) / 2


def main():
    rng = random.Random(0)
    rows = []
    for d in (2, 4, 6):
        hs = [rational_psd(rng, d, 2) for _ in range(12)]
        for sampling in sgd.SAMPLINGS:
            value, seconds = timed(lambda: sgd.mean_square_threshold(hs, batch=4, sampling=sampling))
            rows.append(("exact", 12, d, sampling, float(value), seconds))
    for d in (13, 16):
        hs = [rational_psd(rng, d, 2) for _ in range(12)]
        value, seconds = timed(lambda: sgd.mean_square_threshold(hs, batch=4, dps=30))
        rows.append(("mpmath", 12, d, "bernoulli", float(value), seconds))
    nrng = np.random.default_rng(0)
    vs = nrng.standard_normal((100, 20, 3))
    hs = np.einsum("kia,kja->kij", vs, vs)
    for sampling in sgd.SAMPLINGS:
        value, seconds = timed(lambda: sgd.mean_square_threshold(hs, batch=10, sampling=sampling))
        rows.append(("float", 100, 20, sampling, value, seconds))
    print(f"{'path':6} {'n':>4} {'d':>3} {'sampling':20} {'eta*':>12} {'seconds':>8}")
    for path, n, d, sampling, value, seconds in rows:
        print(f"{path:6} {n:4d} {d:3d} {sampling:20} {value:12.6g} {seconds:8.3f}")
    ours, t_ours = timed(lambda: sgd.mean_square_threshold(hs, batch=10, sampling="bernoulli"))
    base, t_base = timed(lambda: bisection_baseline(hs, batch=10))
    print()
    print("float eta*, n = 100, d = 20, Bernoulli: symstab vs bisection on the full d^2 x d^2 operator")
    print(f"{'':10} {'eta*':>14} {'seconds':>9}")
    print(f"{'baseline':10} {base:14.10g} {t_base:9.3f}")
    print(f"{'symstab':10} {float(ours):14.10g} {t_ours:9.3f}")
    print(f"ratio {t_base / t_ours:.1f}x, |difference| {abs(base - float(ours)):.1e}")


if __name__ == "__main__":
    main()
