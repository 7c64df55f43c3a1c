"""Result A5 where no closed form applies: a rigorous interval for ``eta_C``.

Lower end: ``2 / lambda_max`` at an exact point of M found by the search of
:mod:`~symstab.critical.search`. Upper end: ``2 / (2c lambda_min(Sigma) H
s_max^(2-2/H))`` (divided by a rank bound in the non-filling case, via
``lambda_max >= tr H / rank H``). Evidence ``"rigorous enclosure"``; the search's own best
value is reported separately as ``eta_C_numerical``, labelled not certified.
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint
import sympy

from ..exact.algebraic import ball_endpoints, eigenvalues_exact, enclose_algebraic
from ..exact.numbers import as_fmpq, as_fraction
from ..spectrum import hessian_rank_bound
from .closed_forms import eta_E
from .result import CriticalStepSizes
from .search import (algebraic_point_near, exact_lambda_max_upper, exact_point_near, lambda_max_upper_from_balls,
                     orbit_search, search_on_M)

__all__ = ["bounds"]


def bounds(net, M, seed, search_points, common) -> CriticalStepSizes:
    """Rigorous ``eta_C`` bounds when no closed form or exact reduction applies.

    The upper bound of ``min_M lambda_max`` is ``lambda_max`` at an exact point of
    M near the best point a numerical search found (:func:`~symstab.critical.search.search_on_M`); the
    search is a heuristic, so only the bound it yields is rigorous.
    """
    net.require_numeric("critical step sizes")
    H, kappa = net.depth, net.kappa
    value, theta_f = search_on_M(net, M, kappa, seed, search_points)
    # round to ~6 significant digits of the layers' size ||T||^(1/H), whatever the scale of the data
    size = max(abs(float(v)) for v in theta_f) if len(theta_f) else 1.0
    denominator = 10**6 * max(1, math.ceil(1 / size)) if size > 0 else 10**6
    algebraic = None
    if not M.points_exact and M.target_field == "algebraic":
        algebraic = algebraic_point_near(net, M, theta_f, denominator)
    if not M.points_exact and algebraic is None:
        witness = tuple(sympy.Float(float(v), 17) for v in theta_f)
        return CriticalStepSizes(
            eta_C=None, eta_C_interval=None, eta_E=None, lambda_star=None, witness=witness, witness_exact=False,
            escape_curve=None, eta_C_numerical=2 / value,
            method="numerical only: projected random search over M in float64 (the target is not known "
                   "exactly here, so there is no exact point of M to bound the minimum rigorously)",
            evidence="numerical", proof=None,
            notes=tuple(M.notes) + ("eta_C_numerical is the best value found by a local search, "
                                    "not a certified minimum",), **common)
    witness_exact = True
    if algebraic is not None:
        exact, balls = algebraic
        upper = lambda_max_upper_from_balls(net, balls)
        how = ("near the best point of a numerical search over M; layers rounded to rationals except a "
               "rational-times-exact factorisation of the irrational target at the bottleneck, so the point is "
               "algebraic and exactly on M; lambda_max there bounded in ball arithmetic (arb Hessian, Weyl)")
        if exact is not None:
            witness = tuple(exact)
        else:
            witness, witness_exact = tuple(sympy.Float(x.mid().str(32, radius=False), 30) for x in balls), False
            radius = max(float(x.rad()) for x in balls)
            how += (f"; the witness is that algebraic point, shown as 30-digit midpoints of enclosures of "
                    f"radius <= {radius:.1e}")
    else:
        exact = exact_point_near(net, M, theta_f, denominator)
        how = "near the best point of a numerical search over M, made exact by solving one layer"
        if exact is None:  # no layer can be solved exactly: move an exact point of M along the rescaling orbit
            exact = orbit_search(net, M, kappa, seed, search_points)
            how = "from a numerical search along the rescaling orbits of exact points of M, rounded to rationals"
        witness = tuple(exact)
        M.check_on_manifold(witness)
        upper = exact_lambda_max_upper(net, witness, M.filling)
    hi_eta = None
    notes = [f"eta_C's lower end: lambda_max at an exact point of M ({how}) bounds the minimum from above",
             "eta_C_numerical is the best value the search found, not a certified minimum"]
    lam_min_sigma = eigenvalues_exact(net.Sigma)[0]
    lo_s = enclose_algebraic(lam_min_sigma, Fraction(1, 10**30))[0]
    target = sympy.Matrix(M.target)
    if M.points_exact:
        sigma2 = eigenvalues_exact(target * target.T)[-1]
        lo_t = enclose_algebraic(sigma2, Fraction(1, 10**30))[0]
    else:  # s_max^2 >= ||target||_F^2 / rank (equality for rank 1)
        lo_t = enclose_algebraic(sympy.expand((target * target.T).trace()), Fraction(1, 10**30))[0] / M.rank
    with flint.ctx.workprec(200):
        power = flint.arb(as_fmpq(lo_t)) ** flint.arb(flint.fmpq(H - 1, H))
        lower = as_fraction(kappa) * lo_s * H * ball_endpoints(power)[0]
    if M.filling:
        notes.append("eta_C's upper end: lambda_max >= 2c lambda_min(Sigma) lambda_max(J J^T) >= "
                     "2c lambda_min(Sigma) H s_max^(2-2/H) (whitened minimum)")
    else:
        # tr H = tr(2c J^T (Sigma-weighted) J): the residual term has a zero diagonal (mu is linear
        # in each entry), and lambda_max >= tr H / rank H
        k = hessian_rank_bound(net, M)
        lower = lower / k
        notes.append(f"eta_C's upper end (non-filling): lambda_max >= tr H / rank H >= 2c lambda_min(Sigma) "
                     f"||J||_F^2 / {k} >= 2c lambda_min(Sigma) H s_max^(2-2/H) / {k} (the residual term is "
                     "traceless; rank H <= " + ("D - dim M" if M.is_smooth else "D") + ")")
    if lower > 0:
        hi_eta = 2 / lower
    eta_E_value, curve, more = eta_E(net, None, seed)
    notes.extend(more)
    return CriticalStepSizes(
        eta_C=None, eta_C_interval=(2 / upper, hi_eta), eta_E=eta_E_value, lambda_star=None, witness=witness,
        witness_exact=witness_exact, escape_curve=curve,
        method="bounds: lambda_max at an exact point of M found by a numerical search (upper bound of the "
               "minimum), Sigma-weighted whitened bound (lower bound)",
        evidence="rigorous enclosure", proof=None, eta_C_numerical=2 / min(value, float(upper)), notes=tuple(notes), **common)


