"""Independent float64 references shared by several test files (plain numpy on the Hessian formula)."""

import numpy as np

from symstab.network import hessian_from_weights


def float_lambda_max(net, theta) -> float:
    """``lambda_max`` of the full Hessian (residual term included) at ``theta``, in float64."""
    weights = net.split([float(v) for v in theta], dtype=float)
    Hess = hessian_from_weights(weights, np.array(net.Sigma.tolist(), dtype=float),
                                np.array((net.Y * net.X.T).tolist(), dtype=float), float(net.loss_scale))
    return np.linalg.eigvalsh(Hess)[-1]
