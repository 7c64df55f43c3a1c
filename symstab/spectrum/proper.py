"""Result A3, the dichotomy: the sharpness is proper on M (a proof), or it is not (an exact curve).

:func:`properness` returns a lower bound ``lambda_max >= b(||theta||^2) -> oo`` on M,
backed by exact identities, at depth 2 and whenever every middle layer has an
input or output of width ``rank mu``; otherwise it returns the
:class:`~symstab.spectrum.curves.BoundedSharpnessCurve` that disproves properness
(docs/theory.md, A3).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import sympy

from ..exact.algebraic import eigenvalues_exact
from ..exact.matrices import chain
from ..minima import minima
from .curves import BoundedSharpnessCurve, bounded_sharpness_curve

__all__ = ["ProperProof", "hessian_rank_bound", "jacobian_frobenius_squared", "properness"]


@dataclass(frozen=True)
class ProperProof:
    """A lower bound ``lambda_max >= bound(||theta||^2)`` on M that tends to infinity, or why there is none.

    ``bound`` is a sympy expression in the symbol ``R2`` (``||theta||^2``).
    ``proved`` is True only when the bound is backed by the exact identities
    named in ``argument`` (checked symbolically by :func:`properness`).
    ``counterexample`` is a :class:`BoundedSharpnessCurve` when properness is
    false for the architecture (``disproved``).
    """

    proved: bool
    bound: sympy.Expr | None
    argument: str
    counterexample: BoundedSharpnessCurve | None = None

    @property
    def disproved(self) -> bool:
        return self.counterexample is not None and self.counterexample.proved

    def radius(self, level) -> sympy.Expr | None:
        """``sup {||theta|| : bound(||theta||^2) < level}``: points of M with ``lambda_max < level`` lie inside."""
        if not self.proved:
            return None
        r2 = sympy.Symbol("R2", positive=True)
        sols = sympy.solve(sympy.Eq(self.bound, level), r2)
        return sympy.sqrt(max(sols, key=lambda v: sympy.N(v))) if sols else None

    def to_dict(self) -> dict:
        return {"proved": self.proved, "disproved": self.disproved,
                "bound": None if self.bound is None else sympy.sstr(self.bound),
                "variable": "R2 = ||theta||^2", "argument": self.argument,
                "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
                "evidence": ("exact identity + inequalities" if self.proved
                             else "exact counterexample curve" if self.disproved else None)}

    def __str__(self) -> str:
        if self.disproved:
            return (f"the sharpness is NOT proper on M (disproved, exact): {self.argument}\n"
                    + str(self.counterexample))
        if not self.proved:
            return f"properness not proved by symstab: {self.argument}"
        return f"lambda_max >= {sympy.sstr(self.bound)} on M (R2 = ||theta||^2): {self.argument}"


def jacobian_frobenius_squared(net, weights) -> sympy.Expr:
    """``||D mu||_F^2`` at symbolic ``weights``: the sum of squares of every entry's partial derivatives."""
    names = [v for W in weights for v in W]
    return sympy.expand(sum(sympy.diff(e, v) ** 2 for e in chain(weights, net.widths[0]) for v in names))


def hessian_rank_bound(net, M) -> int:
    """An upper bound ``k`` on ``rank Hess L`` at points of M (for ``lambda_max >= tr / k``).

    Filling: ``Hess L = 2c J^T (Sigma-weighted) J`` has rank at most ``rank J <=
    r (d_0 + d_H - r)`` (``mu`` maps into the rank-``<= r`` matrices, smooth at
    rank ``r``) and at most ``d_0 d_H``. Non-filling: ``D - dim M`` when M is
    smooth (its tangent space lies in the kernel), else ``D``.
    """
    d0, dH = net.widths[0], net.widths[-1]
    if M.filling:
        return min(d0 * dH, M.smooth_rank) if M.is_smooth else d0 * dH
    return net.num_params - M.dimension if M.is_smooth else net.num_params


def properness(net) -> ProperProof:
    """A proof that the sharpness is proper on M: ``lambda_max >= b(||theta||^2) -> oo``.

    At a global minimum the Hessian is positive semi-definite and equals
    ``2c J^T (Sigma-weighted) J`` plus a residual term (non-filling only) whose
    diagonal vanishes (``mu`` is linear in each entry), so
    ``lambda_max >= tr H / k >= 2c lambda_min(Sigma) ||J||_F^2 / k`` with ``k``
    from :func:`hessian_rank_bound`, and ``||J||_F^2 = sum_l ||W_{>l}||_F^2 ||W_{<l}||_F^2``.

    * Depth 2 (filling or not): ``||J||_F^2 = d_0 ||W_2||^2 + d_H ||W_1||^2``
      (an exact identity, checked with generic symbols), so
      ``lambda_max >= 2c lambda_min(Sigma) min(d_0, d_H) ||theta||^2 / k``.
    * Depth ``H >= 3``, product ``mu`` on M exact of rank ``r >= 1``, every middle
      layer ``W_l`` (``2 <= l <= H-1``) with ``min(d_(l-1), d_l) = r`` (otherwise,
      in the filling case, :func:`bounded_sharpness_curve` disproves properness).
      With ``a_m = ||A_m||_F``, ``b_m = ||B_m||_F`` (``A_m = W_H..W_(m+1)``,
      ``B_m = W_(m-1)..W_1``), ``f = ||J||_F^2 = sum_m a_m^2 b_m^2`` gives
      ``a_m b_m <= sqrt f``; ``mu = A_(m-1) B_m`` gives ``tau <= a_(m-1) b_m``
      (``tau = ||mu||_F``), hence ``b_m >= sqrt(d_0) (tau/sqrt f)^(m-1)``,
      ``a_m <= f^(m/2) / (sqrt(d_0) tau^(m-1))`` and symmetrically
      ``b_m <= f^((H-m+1)/2) / (sqrt(d_H) tau^(H-m))``. A middle layer with
      ``d_(l-1) = r`` is ``W_l = B_(l+1) B_l^+`` with ``sigma_r(B_l) >=
      sigma_r(mu) / a_(l-1)`` (and ``d_l = r`` is symmetric), so
      ``||W_l||_F <= a_(l-1) b_(l+1) / sigma_r(mu)``; ``W_1 = B_2``, ``W_H = A_(H-1)``.
      Summing, ``||theta||^2 <= C f^(H-1)`` with
      ``C = (1/d_0 + 1/d_H) / tau^(2(H-2)) + (H-2) / (d_0 d_H tau^(2(H-3)) sigma_r(mu)^2)``,
      and ``lambda_max >= 2c lambda_min(Sigma) (||theta||^2 / C)^(1/(H-1)) / k``.
      For scalar chains this is ``2c s p^2 (||theta||^2/(H p^2))^(1/(H-1))``.

    Parameters
    ----------
    net : LinearNetwork

    Returns
    -------
    ProperProof

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> print(properness(LinearNetwork.whitened((1, 1, 2), [[3], [4]])))
    lambda_max >= R2/2 on M (R2 = ||theta||^2): ...
    """
    M = minima(net)
    H, d0, dH = net.depth, net.widths[0], net.widths[-1]
    r2 = sympy.Symbol("R2", positive=True)
    if net.is_family:
        return ProperProof(False, None, "data is a family; substitute values")
    kappa = net.kappa
    lam_min = eigenvalues_exact(net.Sigma)[0]
    if H == 1:
        return ProperProof(True, kappa * lam_min, "depth 1: M is one point (bounded)")
    k = hessian_rank_bound(net, M)
    how = ("Hess L = 2c J^T (Sigma-weighted) J on M" if M.filling else
           "Hess L >= 0 on M and its residual term is traceless, so tr Hess L = 2c tr(J^T (Sigma-weighted) J)")
    if H == 2:
        names = sympy.symbols(" ".join(net.param_names))
        weights = [sympy.Matrix(W.tolist()) for W in net.split(list(names))]
        identity = sympy.expand(jacobian_frobenius_squared(net, weights)
                                - d0 * sum(v**2 for v in weights[1]) - dH * sum(v**2 for v in weights[0]))
        if identity != 0:
            raise RuntimeError("internal error: trace identity failed")
        bound = kappa * lam_min * min(d0, dH) * r2 / k
        return ProperProof(True, sympy.radsimp(bound), (
            f"{how}; ||J||_F^2 = {d0} ||W_2||^2 + {dH} ||W_1||^2 (exact identity); "
            f"lambda_max >= tr / {k} >= 2c lambda_min(Sigma) ||J||_F^2 / {k}"))
    if M.target is None or not M.target_exact:
        return ProperProof(False, None, "the product on M is not exact here; no symbolic bound")
    target = sympy.Matrix(M.target)
    r = target.rank()
    narrow = all(min(net.widths[l - 1], net.widths[l]) == r for l in range(2, H))
    if r > 0 and narrow:
        gram = target * target.T
        tau2 = sympy.radsimp(sympy.expand(gram.trace()))
        if r == 1:
            s2, s2_note = tau2, ""
        elif M.target_field == "rational":
            s2, s2_note = eigenvalues_exact(gram)[-r], ""  # the smallest non-zero squared singular value
        else:  # sigma_r^2 = e_r / prod_(i<r) sigma_i^2 >= e_r / tau^(2(r-1)), e_r the sum of principal r-minors
            e_r = sum(gram.extract(list(c), list(c)).det() for c in combinations(range(gram.rows), r))
            s2 = sympy.radsimp(sympy.expand(e_r)) / tau2 ** (r - 1)
            s2_note = " (sigma_r(mu)^2 >= e_r(mu mu^T) / tau^(2(r-1)))"
        C = sympy.radsimp((sympy.Rational(1, d0) + sympy.Rational(1, dH)) / tau2 ** (H - 2)
                          + sympy.Rational(H - 2, d0 * dH) / (tau2 ** (H - 3) * s2))
        bound = kappa * lam_min * (r2 / C) ** sympy.Rational(1, H - 1) / k
        return ProperProof(True, bound, (
            f"{how}; f = ||J||_F^2 = sum_l ||A_l||^2 ||B_l||^2 (A_l = W_H..W_(l+1), B_l = W_(l-1)..W_1); "
            f"every middle layer has an input or output of width rank mu = {r}, so W_l = B_(l+1) B_l^+ or "
            "A_l^+ A_(l-1) and ||W_l|| <= ||A_(l-1)|| ||B_(l+1)|| / sigma_r(mu); tau = ||mu||_F <= ||A_(m-1)|| ||B_m|| "
            "and ||A_m|| ||B_m|| <= sqrt f bound every partial product, giving ||theta||^2 <= C f^(H-1) with "
            f"C = {sympy.sstr(C)}{s2_note}; lambda_max >= tr / {k} >= 2c lambda_min(Sigma) f / {k}"))
    curve = bounded_sharpness_curve(net)
    if curve is not None and curve.proved:
        return ProperProof(False, None, (
            f"along an exact curve in M the norm diverges while lambda_max = {sympy.sstr(curve.lambda_max)} stays "
            "fixed, so M_SS(eta) is unbounded once 2/eta exceeds it (docs/theory.md, A3: properness fails "
            "for depth >= 3 when a middle layer's input and output are both wider than rank W*)"), curve)
    if r == 0:
        return ProperProof(False, None, "product 0 on M: M is not a manifold and contains the origin")
    return ProperProof(False, None, (
        f"not proved: a middle layer of {net.widths} has input and output wider than rank mu = {r}, and the "
        "bounded-sharpness construction needs a rational product on M (an exact rational base point)"))


