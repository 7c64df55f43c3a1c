"""Result A5, the entry point: :func:`critical_step_sizes` picks the strongest method that applies.

Closed forms (:mod:`~symstab.critical.closed_forms`), the one-parameter
reduction for ``(d, k, 1)`` (:mod:`~symstab.critical.reduction`), or rigorous
bounds from a search on M (:mod:`~symstab.critical.bounds`); then ``eta_E`` and,
on tiny cases, z3's verdict (:mod:`symstab.proofs.solver`).
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from ..budget import guard
from ..errors import InvalidInputError
from ..exact.matrices import scalar_identity_factor
from ..exact.numbers import check_seed
from ..minima import minima
from ..proofs.solver import z3_critical_proof
from .bounds import bounds
from .closed_forms import depth_one, eta_E, family, scalar_sigma_closed_form
from .cost import critical_cost
from .reduction import one_parameter
from .result import CriticalStepSizes

__all__ = ["critical_step_sizes"]

_L = sympy.Symbol("lam")


def critical_step_sizes(net, *, dps: int = 50, prove: bool = True, z3_timeout: float = 10.0,
                        seed: int = 0, search_points: int = 6, force: bool = False) -> CriticalStepSizes:
    """The critical step sizes ``eta_C`` and ``eta_E`` of ``net`` (result A5, docs/theory.md).

    Methods, tried in order:

    * depth 1: M is one point and ``H = 2c (I (x) Sigma)``: exact eigenvalues of Sigma;
    * target 0 (depth >= 2): the origin is in M with ``H = 0``, so ``eta_C = oo``;
    * ``Sigma = s I`` (whitened data, scalar input, scalar networks), filling or not:
      ``min_M lambda_max = 2c s H s_max(W*)^(2 - 2/H)``, attained at the
      balanced factorisation of the target (closed form; families supported; the
      non-filling case is proved in docs/theory.md, "eta_C for whitened non-filling networks");
    * widths ``(d, k, 1)`` with general Sigma, filling:
      ``min_t lambda_max(2c (t Sigma + v v^T / t))``, ``v = Sigma^(1/2) w*``
      (docs/theory.md, A5). The minimum is a root of resultants of the critical-point
      equations; the right root is identified exactly by deciding
      ``exists t > 0 : lambda_max(t) < l`` for rational ``l`` (Sylvester
      minors, exact one-dimensional cell decomposition). Exact algebraic answer;
    * otherwise: rigorous bounds. Upper bound of the minimum from an exact
      rational point of M found by a numerical search along the orbit of the
      rescaling group (``W_l -> G_l W_l G_{l-1}^{-1}`` keeps the product exactly);
      lower bound ``2c lambda_min(Sigma) H s_max^(2-2/H)`` (filling case).

    ``eta_E = eta_C`` for ``d_0 = d_H = 1``; for ``d_0 d_H >= 2``, ``eta_E = oo``
    with an :class:`~symstab.spectrum.EscapeCurve` checked exactly. For tiny
    cases (``D <= 6``) z3 is asked to prove that no point of M has
    ``lambda_max < 2/eta`` when ``eta > eta_C``.

    Parameters
    ----------
    net : LinearNetwork
    dps : int
        Digits for numerical witnesses and checks; enclosures are refined to
        width below ``10^-(dps - 10)``.
    prove : bool
        Run z3 on tiny cases.
    z3_timeout : float
        Seconds given to z3 (``unknown`` on timeout: not proved).
    seed : int
        Seed of the search in the bounds method and of the base point of the escape curve.
    search_points : int
        Starting points for the bounds method.
    force : bool
        Compute even when :func:`~symstab.critical.cost.critical_cost` estimates the job
        above ten minutes or the available memory (otherwise refused up front).

    Returns
    -------
    CriticalStepSizes

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> cs = LinearNetwork.whitened((1, 1, 2), [[3], [4]]).critical_step_sizes(prove=False)
    >>> cs.eta_C, cs.eta_E, cs.method
    (1/5, oo, 'closed form (Sigma = s I, balanced factorisation)')
    >>> y = sympy.Symbol("y", positive=True)
    >>> LinearNetwork.whitened((1, 1, 1, 1), [[y]]).critical_step_sizes().eta_C
    2/(3*y**(4/3))
    """
    if dps < 20:
        raise InvalidInputError(f"dps must be at least 20, got {dps}")
    seed = check_seed(seed)
    guard(critical_cost(net), force)
    M = minima(net, dps=dps)
    H, dH = net.depth, net.widths[-1]
    common = dict(widths=net.widths, loss=net.loss, dimension=M.dimension, filling=M.filling)
    eps = Fraction(1, 10 ** (dps - 10))
    notes = []

    if H == 1:
        return depth_one(net, M, eps, common)
    if net.is_family:
        return family(net, M, common)
    s = scalar_identity_factor(net.Sigma)
    if not M.filling and s is None:
        return bounds(net, M, seed, search_points, common)
    T = sympy.Matrix(M.target)
    if all(v == 0 for v in T):
        return CriticalStepSizes(
            eta_C=sympy.oo, eta_C_interval=None, eta_E=sympy.oo, lambda_star=sympy.Integer(0),
            witness=tuple(sympy.Integer(0) for _ in range(net.num_params)), witness_exact=True,
            escape_curve=None, method="target 0: the origin is a minimum with Hess L = 0",
            evidence="exact", proof=None,
            notes=("every eta > 0 leaves the origin stable (lambda_max = 0 there)",), **common)
    if s is not None:  # filling or not (docs/theory.md, "eta_C for whitened non-filling networks")
        result = scalar_sigma_closed_form(net, T, s, eps, dps, M.W_star,
                                          rank=M.rank if M.target_field == "algebraic" else None)
    elif H == 2 and dH == 1:
        result = one_parameter(net, M, eps, dps)
    else:
        return bounds(net, M, seed, search_points, common)
    eta_E_value, curve, more = eta_E(net, result["eta_C"], seed)
    notes.extend(more)
    proof = None
    lam_star = result["lambda_star"]
    if prove and net.num_params <= 6:
        degree = 1 if lam_star.is_Rational else sympy.degree(sympy.minimal_polynomial(lam_star, _L), _L)
        if degree <= 3:
            proof = z3_critical_proof(net, M, lam_star, timeout=z3_timeout)
        else:
            notes.append(f"z3 not run: lambda* has algebraic degree {degree} > 3 (nlsat times out)")
    return CriticalStepSizes(eta_E=eta_E_value, escape_curve=curve, proof=proof, notes=tuple(notes),
                             **result, **common)


