"""Beyond the threshold: exact period-2 orbits of GD, the flip bifurcation at eta = 2/lambda, and exact invariants.

Above ``eta_C`` no minimum is stable (results A4-A6), and GD settles on other
attractors, most often 2-cycles. This package computes them exactly
(docs/theory.md, section 8, O1-O5):

* :mod:`~symstab.orbits.cycles` -- O1: :func:`period_two`, every real 2-cycle at a
  rational step, with exact points, Floquet multipliers, stability and (scalar
  networks, aligned cycles of (1,n,1), (1,1,n), (n,1,1)) the exact eta-interval of stability;
* :mod:`~symstab.orbits.intervals` -- O1: that interval (flint resultants, certified continuation);
* :mod:`~symstab.orbits.families` -- O1: the families of scalar networks in closed
  form in eta (:func:`cycle_families`);
* :mod:`~symstab.orbits.algebra` -- O1: primitive-element representation, exact multipliers;
* :mod:`~symstab.orbits.flip` -- O2: the flip (period-doubling) normal-form coefficient;
* :mod:`~symstab.orbits.invariants` -- O3: the imbalance and its exact drift under a GD
  step, and the sharpness of the gradient-flow solution (:func:`gf_sharpness`);
* :mod:`~symstab.orbits.diagram` -- O4, O5 (numerical): the bifurcation diagram and the
  sharpness-at-the-limit sweep against ``2/eta``.
"""

from __future__ import annotations

from .cycles import PeriodTwoOrbit, PeriodTwoOrbits, estimate_cost, period_two
from .families import cycle_families, cycle_map, is_scalar_network

__all__ = ["PeriodTwoOrbit", "PeriodTwoOrbits", "cycle_families", "cycle_map", "estimate_cost",
           "is_scalar_network", "period_two"]
