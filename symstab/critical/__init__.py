"""Result A5: the critical step sizes ``eta_C = 2 / min_M lambda_max`` and ``eta_E = 2 / inf_M lambda_min^+``.

Split by method:

* :mod:`~symstab.critical.steps` -- :func:`critical_step_sizes`, which picks the method;
* :mod:`~symstab.critical.closed_forms` -- depth 1, ``Sigma = s I`` (balanced factorisations), families, ``eta_E``;
* :mod:`~symstab.critical.reduction` -- widths ``(d, k, 1)`` with a general Sigma: an exact algebraic number;
* :mod:`~symstab.critical.search` -- the numerical search on M and the exact points of M it leads to;
* :mod:`~symstab.critical.bounds` -- rigorous intervals where nothing exact applies;
* :mod:`~symstab.critical.result` -- the :class:`CriticalStepSizes` result object.
"""

from .result import CriticalStepSizes
from .search import exact_point_near
from .steps import critical_step_sizes

__all__ = ["CriticalStepSizes", "critical_step_sizes", "exact_point_near"]
