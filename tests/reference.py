"""Independent float64 references shared by several test files (plain numpy on the Hessian formula)."""

import numpy as np

from symstab.network import hessian_from_weights


def float_lambda_max(net, theta) -> float:
    """``lambda_max`` of the full Hessian (residual term included) at ``theta``, in float64."""
    weights = net.split([float(v) for v in theta], dtype=float)
    Hess = hessian_from_weights(weights, np.array(net.Sigma.tolist(), dtype=float),
                                np.array((net.Y * net.X.T).tolist(), dtype=float), float(net.loss_scale))
    return np.linalg.eigvalsh(Hess)[-1]


def mp_hessian(net, values, dps: int = 60):
    """The Hessian at real algebraic sympy ``values`` (radicals), independently: sympy's differentiation of the
    loss expression, substituted and evaluated with mpmath at ``dps`` digits (an ``mpmath.matrix``)."""
    import mpmath
    import sympy

    syms = [sympy.Symbol(n) for n in net.param_names]
    at = dict(zip(syms, values))
    H = sympy.hessian(net.loss_expr(), syms).subs(at)
    with mpmath.workdps(dps):
        return mpmath.matrix([[mpmath.mpf(sympy.N(H[i, j], dps + 10)) for j in range(len(syms))]
                              for i in range(len(syms))])


def mp_eigenvalues(net, values, dps: int = 60) -> list:
    """Ascending eigenvalues of :func:`mp_hessian` (mpmath ``eigsy`` at ``dps`` digits)."""
    import mpmath

    with mpmath.workdps(dps):
        return sorted(mpmath.eigsy(mp_hessian(net, values, dps), eigvals_only=True))
