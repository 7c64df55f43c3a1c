"""SGD linear stability at a minimum, paper B (Dexter et al., ICLR 2024): coherence B1, ``eta*`` B2, divergence B3.

At a minimum where every per-sample gradient vanishes, with per-sample Hessians
``H_i`` (PSD) and ``H = (1/n) sum_i H_i``, linearised SGD is
``w_{k+1} = (I - eta Hhat_k) w_k`` with ``Hhat_k`` the mini-batch Hessian
(docs/theory.md, B).  Three sampling models are supported (:data:`SAMPLINGS`):

``"bernoulli"``
    ``Hhat = (1/B) sum_i x_i H_i`` with ``x_i ~ Bernoulli(B/n)`` i.i.d. (the paper's model).
``"without_replacement"``
    ``Hhat`` is the mean over a uniform B-subset of ``{1..n}``.
``"with_replacement"``
    ``Hhat`` is the mean over B i.i.d. uniform indices (B may exceed n).

Split by result, data flowing one way (each module imports only those above it):

* :mod:`~symstab.sgd.hessians` -- input: validated per-sample Hessians, batch and
  step sizes, :func:`per_sample_hessians` from a network;
* :mod:`~symstab.sgd.formatting` -- how the exact numbers are printed;
* :mod:`~symstab.sgd.coherence` -- B1: the coherence measure sigma and the non-uniformity;
* :mod:`~symstab.sgd.threshold` -- B2: the exact mean-square threshold ``eta*``
  (exact, float64 and mpmath paths);
* :mod:`~symstab.sgd.analysis` -- B3: the sharpness and coherence divergence conditions, :func:`analyze`;
* :mod:`~symstab.sgd.construction` -- B3: the near-optimality construction, its
  closed-form threshold, the optimality gap;
* :mod:`~symstab.sgd.montecarlo` -- B3: the Monte Carlo check (mean square and almost sure);
* :mod:`~symstab.sgd.plots` -- the stability map: mean square exactly, almost sure by Monte Carlo.
"""

from .analysis import StabilityAnalysis, analyze
from .coherence import Coherence, coherence
from .construction import (OptimalityGap, coherence_construction, construction_lyapunov, construction_threshold,
                           optimality_gap)
from .hessians import SAMPLINGS, per_sample_hessians
from .montecarlo import MonteCarloResult, monte_carlo
from .plots import StabilityMap, plot_stability_map, stability_map
from .threshold import (DEFAULT_DPS, EXACT_RANGE_LIMIT, mean_square_threshold, second_moment_coefficients,
                        spectral_radius)

__all__ = [
    "DEFAULT_DPS",
    "EXACT_RANGE_LIMIT",
    "SAMPLINGS",
    "OptimalityGap",
    "Coherence",
    "StabilityAnalysis",
    "MonteCarloResult",
    "coherence",
    "per_sample_hessians",
    "analyze",
    "mean_square_threshold",
    "second_moment_coefficients",
    "spectral_radius",
    "coherence_construction",
    "construction_threshold",
    "construction_lyapunov",
    "monte_carlo",
    "optimality_gap",
    "plot_stability_map",
    "stability_map",
    "StabilityMap",
]
