"""Result A6, numerically: GD trajectories in batched float64 and in high precision, and the phase transition.

This package shows result A6 (docs/theory.md, A6) happening: for ``eta < eta_C`` a
positive fraction of random initialisations converges to the set M of global
minima, and every limit has sharpness below ``2/eta`` (it lies in ``M_SS``);
for ``eta > eta_C`` the fraction is zero and the asymptotic gradient norm jumps.
Everything here is **numerical** evidence (float64 or multiprecision
midpoints); the exact statements live in :mod:`symstab.critical` and
:mod:`symstab.gdmap`.  ``eta_C`` itself comes from the exact layer
(:func:`symstab.critical.critical_step_sizes`, result A5) unless passed explicitly.

Three engines share one driver (:func:`~symstab.simulate.engine.drive`):

* **batched float64** -- the weights of K runs are stored batch-last,
  ``W_l`` of shape ``(d_l, d_{l-1}, K)``, and each small matrix product is a
  handful of broadcast multiply-adds over the batch axis, so one step costs
  ``O(sum d^3)`` numpy calls independent of K (no per-trajectory Python loop).
  Overflow is silenced with :func:`numpy.errstate` and classified as divergence.
* **high precision** -- python-flint ``arb_mat`` used as multiprecision floats:
  the ball is replaced by its midpoint after every step (iterating balls would
  blow the radius up), at ``dps`` decimal digits set by :func:`flint_precision`,
  a context manager that restores the previous precision.
* the high-precision engine also re-checks **borderline** float runs.

The driver checks every ``check_every`` steps: a run whose entries overflow or
exceed ``diverge_bound`` is *diverged*; a run with ``||grad L|| <= tol * g0``
and ``||mu - Wbar||_F <= tol * r0`` (``g0 = max(1, ||2c Y X^T||_F)``,
``r0 = max(1, ||Wbar||_F)``) is *converged* to M; both leave the active batch.
Runs still active after ``steps`` are classified from the last ``2 max_period``
iterates: *periodic* (smallest period ``p <= max_period`` with
``||theta_t - theta_{t-p}||_inf <= period_tol (1 + ||theta_t||_inf)``),
*origin* (``||theta||_2 <= origin_radius``: the origin is a strict saddle for
``H = 2`` and a non-strict one for ``H >= 3``, where linearisation cannot decide
-- never counted as converged), *saddle* (iterates stalled, ``period 1``, off M)
or *bounded* (none of these: chaotic, quasi-periodic or not yet converged).

Modules, bottom to top:

* :mod:`~symstab.simulate.engine` -- the problem data, the batched float64 engine and the driver;
* :mod:`~symstab.simulate.precision` -- :func:`flint_precision` and the high-precision (arb) engine;
* :mod:`~symstab.simulate.inputs` -- checks of step sizes, counts, run options and starting points;
* :mod:`~symstab.simulate.runs` -- :func:`gd`, :class:`GDRuns`, :func:`sharpness_trajectory` and
  :func:`trajectory_quantiles`;
* :mod:`~symstab.simulate.plots` -- :func:`plot_trajectory` and the sweep figure;
* :mod:`~symstab.simulate.sweep` -- :func:`convergence_sweep`, :class:`SweepResult`,
  :func:`critical_eta`, :func:`wilson_interval`, the worker task and checkpoints.

Every public name is re-exported here: ``from symstab import simulate; simulate.gd(...)``.

Examples
--------
>>> from symstab import LinearNetwork
>>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])      # eta_C = 1/||w*|| = 1/5
>>> runs = gd(net, 0.18, inits=64, steps=2000, seed=0)
>>> runs.counts()["converged"] > 0
True
>>> bool((runs.limit_sharpness[runs.converged] < 2 / 0.18).all())
True
"""

from __future__ import annotations

from .engine import STATUSES
from .plots import plot_trajectory
from .precision import flint_precision
from .runs import GDRuns, gd, sharpness_trajectory, trajectory_quantiles
from .sweep import SweepResult, convergence_sweep, critical_eta, wilson_interval

__all__ = [
    "STATUSES",
    "GDRuns",
    "SweepResult",
    "gd",
    "convergence_sweep",
    "critical_eta",
    "flint_precision",
    "wilson_interval",
    "sharpness_trajectory",
    "trajectory_quantiles",
    "plot_trajectory",
]
