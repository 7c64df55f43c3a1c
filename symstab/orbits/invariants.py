"""Beyond the threshold (O3): exact invariants of gradient flow and their drift under a GD step; the GF-solution sharpness.

* Imbalance ``D_l = W_(l+1)^T W_(l+1) - W_l W_l^T`` (``l = 1..H-1``) is conserved by
  gradient flow. Under one GD step ``W_l -> W_l - eta G_l`` (``G_l = dL/dW_l``) the
  first-order terms cancel (``W_(l+1)^T G_(l+1) = G_l W_l^T``) and exactly
  ``D_l' = D_l + eta^2 (G_(l+1)^T G_(l+1) - G_l G_l^T)`` (docs/theory.md, O3):
  :func:`imbalance_drift` returns it symbolically, :func:`imbalance_at` evaluates at a
  rational point.
* For scalar networks, gradient flow keeps every ``w_l^2 - w_k^2`` and (when it
  converges to M) ends at the minimum with those differences; its sharpness is
  :func:`gf_sharpness`: for depth 2, ``2 c s_x sqrt((a^2 - b^2)^2 + 4 w*^2)``, exact; for
  depth ``H``, ``2 c s_x w*^2 sum_l 1/q_l`` with ``q_l = w_l^2`` at the limit, ``q_1`` the
  positive root of ``prod_l (q_1 + w_l^2 - w_1^2) = w*^2`` (exact algebraic).
  Kreisler et al. (ICML 2023): along GD, ``gf_sharpness`` decreases whenever
  ``0 < eta |g| < sqrt 2`` (``g = dL/dmu``) and the point is not balanced;
  :func:`gf_sharpness_along` checks that on exact rational GD trajectories and reports
  the steps above the bound where it fails.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from ..errors import InvalidInputError
from ..exact.matrices import object_array, sympy_matrix
from ..exact.numbers import as_rational, to_exact
from ..gdmap import gd_step
from ..network import gradient_from_weights
from .families import is_scalar_network

__all__ = ["gf_sharpness", "gf_sharpness_along", "imbalance", "imbalance_at", "imbalance_drift"]


def imbalance(weights) -> list:
    """``[W_(l+1)^T W_(l+1) - W_l W_l^T for l = 1..H-1]`` for sympy matrices ``weights``.

    Examples
    --------
    >>> imbalance([sympy.Matrix([[2]]), sympy.Matrix([[3]])])
    [Matrix([[5]])]
    """
    return [weights[l + 1].T * weights[l + 1] - weights[l] * weights[l].T for l in range(len(weights) - 1)]


def _sympy_data(net):
    Sigma = net.Sigma
    YXt = net.Y * net.X.T
    c = as_rational(net.loss_scale)
    return Sigma, YXt, c


def _gradient_blocks(net, weights) -> list:
    """``G_l = dL/dW_l`` as sympy matrices, from the network's one gradient formula."""
    Sigma, YXt, c = _sympy_data(net)
    blocks = gradient_from_weights([_obj(sympy.Matrix(W)) for W in weights], _obj(Sigma), _obj(YXt), c)
    return [sympy.Matrix(b.tolist()) for b in blocks]


def _obj(M):
    return object_array(M.tolist())


def imbalance_drift(net) -> list:
    """The exact change of each ``D_l`` under one GD step, symbolic in the parameters and ``eta``.

    Returns a list of dicts, one per hidden layer ``l``: ``imbalance`` (``D_l``) and
    ``drift`` (``eta^2 (G_(l+1)^T G_(l+1) - G_l G_l^T)``), sympy matrices.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> d = imbalance_drift(LinearNetwork.whitened((1, 1, 1), [[1]]))
    >>> sympy.factor(d[0]["drift"][0, 0])
    eta**2*(W1_0_0 - W2_0_0)*(W1_0_0 + W2_0_0)*(W1_0_0*W2_0_0 - 1)**2
    """
    eta = sympy.Symbol("eta")
    syms = net.split(list(net.parameter_symbols))
    weights = [sympy.Matrix(W.tolist()) for W in syms]
    G = _gradient_blocks(net, weights)
    D = imbalance(weights)
    return [{"layer": l + 1, "imbalance": D[l],
             "drift": (eta ** 2 * (G[l + 1].T * G[l + 1] - G[l] * G[l].T)).applyfunc(sympy.expand)}
            for l in range(len(D))]


def imbalance_at(net, theta, eta) -> list:
    """At an exact point: ``D_l(theta)``, ``D_l(G(theta))`` and the predicted drift, exact (sympy matrices:
    Rationals at a rational point, radicals or ``CRootOf`` expressions at an algebraic point of M).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> r = imbalance_at(LinearNetwork.whitened((1, 1, 1), [[1]]), [2, 1], "1/2")[0]
    >>> r["after"] - r["before"] == r["drift"]
    True
    """
    step = to_exact(eta, where="eta")
    weights = [sympy_matrix(W) for W in net.exact_weights(theta)]
    nxt = [sympy_matrix(W) for W in net.exact_weights(gd_step(net, theta, step))]
    G = _gradient_blocks(net, weights)
    e = as_rational(step)
    before, after = imbalance(weights), imbalance(nxt)
    out = [{"layer": l + 1, "before": before[l], "after": after[l],
            "drift": e ** 2 * (G[l + 1].T * G[l + 1] - G[l] * G[l].T)} for l in range(len(before))]
    if any(not v.is_Rational for W in weights for v in W):  # an algebraic point: radicals, exact
        out = [{k: (v.applyfunc(lambda x: sympy.radsimp(sympy.expand(x))) if isinstance(v, sympy.MatrixBase) else v)
                for k, v in row.items()} for row in out]
    return out


def _scalar_data(net):
    if not is_scalar_network(net):
        raise InvalidInputError(f"gf_sharpness needs a scalar network (every width 1), got widths {net.widths}")
    net.require_numeric("gf_sharpness")
    s_x = as_rational(net.Sigma[0, 0])
    w = as_rational((net.Y * net.X.T)[0, 0])
    return s_x, w / s_x, as_rational(net.loss_scale)


def gf_sharpness(net, theta):
    """Sharpness of the gradient-flow solution through ``theta`` (scalar networks; exact algebraic).

    Assumes the flow converges to M (it does unless it ends at a saddle such as the origin).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> gf_sharpness(LinearNetwork.whitened((1, 1, 1), [[2]]), [3, 1])
    4*sqrt(5)
    """
    s_x, wstar, c = _scalar_data(net)
    w = [as_rational(to_exact(t, where="theta")) for t in theta]
    if len(w) != net.depth:
        raise InvalidInputError(f"theta has {len(w)} entries, the network has {net.depth}")
    if net.depth == 1:
        return 2 * c * s_x
    if net.depth == 2:
        return sympy.radsimp(2 * c * s_x * sympy.sqrt((w[0] ** 2 - w[1] ** 2) ** 2 + 4 * wstar ** 2))
    q1 = sympy.Symbol("q1")
    shifts = [wl ** 2 - w[0] ** 2 for wl in w]
    poly = sympy.Poly(sympy.prod([q1 + d for d in shifts]) - wstar ** 2, q1)
    low = max(-d for d in shifts)  # every q_l = q_1 + d_l > 0
    roots = [r for r in poly.real_roots() if r > low]
    if len(roots) != 1:
        raise InvalidInputError("the gradient-flow limit is not unique for this point")
    q = [roots[0] + d for d in shifts]
    return 2 * c * s_x * wstar ** 2 * sum(1 / qi for qi in q)


def gf_sharpness_along(net, theta0, eta, steps: int = 20) -> dict:
    """Exact GD trajectory from a rational ``theta0`` and the GF-solution sharpness at each iterate (Kreisler et al.).

    Returns ``sharpness`` (exact), ``bound`` (``eta |g|`` at each step, exact), ``violations``:
    the steps where the theorem's hypothesis held (``0 < eta |g| < sqrt 2``, not balanced) and
    the sharpness did not decrease (counterexamples; the tests find none), and
    ``above_bound``: the steps with ``eta |g| >= sqrt 2`` where it did not decrease (allowed).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> r = gf_sharpness_along(LinearNetwork.whitened((1, 1, 1), [[1]]), [2, "1/3"], "1/4", steps=2)
    >>> r["violations"], r["sharpness"][2] < r["sharpness"][0]
    ([], True)
    """
    s_x, wstar, c = _scalar_data(net)
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError("eta must be an exact positive number")
    theta = [to_exact(t, where="theta") for t in theta0]
    values, bounds, violations, above = [gf_sharpness(net, theta)], [], [], []
    for k in range(steps):
        mu = sympy.prod([as_rational(t) for t in theta])
        g = 2 * c * s_x * (mu - wstar)
        bound = abs(as_rational(step) * g)
        balanced = len({abs(t) for t in theta}) == 1
        theta = gd_step(net, theta, step)
        values.append(gf_sharpness(net, theta))
        bounds.append(bound)
        if not sympy.simplify(values[-1] - values[-2]).is_negative:
            record = {"step": k, "bound": bound, "balanced": balanced}
            if 0 < bound ** 2 < 2 and not balanced:
                violations.append(record)
            elif bound ** 2 >= 2:
                above.append(record)
    return {"sharpness": values, "bound": bounds, "violations": violations, "above_bound": above}
