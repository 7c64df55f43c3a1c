"""Regenerate the README's figures from the public API: ``python docs/make_figures.py``.

Every figure is numerical (float64 Monte Carlo / GD; the 2-cycle branches drawn exactly), seeded, and takes a few
seconds on two cores. Pass ``--only NAME`` to redo one of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def simulate_sweep(path):
    from symstab import LinearNetwork, simulate

    net = LinearNetwork.whitened((2, 2, 2), [[2, 1], [1, 2]])  # eta_C = 1/3
    ratios = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.3, 1.5]
    sweep = simulate.convergence_sweep(net, ratios, n_inits=1000, steps=20000, seed=0)
    sweep.plot(path)
    print(sweep.table())


def simulate_trajectory(path):
    from symstab import LinearNetwork, simulate

    net = LinearNetwork.whitened((2, 2, 2), [[2, 1], [1, 2]])  # eta_C = 1/3; period-2 orbits just above it
    simulate.plot_trajectory(net, ["3/10", "11/30"], steps=300, inits=200, seed=0, eta_C="1/3", path=path)


def sgd_stability_map(path):
    from symstab import sgd

    result = sgd.stability_map(n=12, eta="3/2", runs=200, steps=500, seed=0)
    result.plot(path)
    print(result.counts())


def sgd_optimality_gap(path):
    from symstab import sgd

    sgd.optimality_gap(12, sigmas=(1, 2, 3, 6, 12), batches=(1, 2, 3, 4, 6, 8, 11)).plot(path)


def orbits_bifurcation(path):
    from symstab import LinearNetwork
    from symstab.orbits.diagram import bifurcation_diagram, plot_bifurcation

    net = LinearNetwork.whitened((1, 1, 1), [[1]])  # eta_C = 1; stable 2-cycle exactly for 1 < eta < sqrt(5) - 1
    plot_bifurcation(bifurcation_diagram(net, "4/5", "8/5", n_eta=240, inits=8, steps=2000, keep=16, seed=0), path)


FIGURES = {"simulate_sweep": simulate_sweep, "orbits_bifurcation": orbits_bifurcation, "simulate_trajectory": simulate_trajectory,
           "sgd_stability_map": sgd_stability_map, "sgd_optimality_gap": sgd_optimality_gap}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=sorted(FIGURES), action="append")
    p.add_argument("--out", default=str(HERE), help="output directory (default: docs/)")
    args = p.parse_args(argv)
    for name in args.only or FIGURES:
        target = Path(args.out) / f"{name}.png"
        FIGURES[name](target)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
