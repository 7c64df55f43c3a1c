"""Beyond the threshold (O2): the flip (period-doubling) bifurcation of GD at ``eta = 2/lambda``, its normal-form sign.

For ``x -> x - eta f'(x)`` at a minimum ``x_0`` with ``eta f''(x_0) = 2`` the multiplier
passes ``-1``; the flip normal-form coefficient has the sign of
``3 f'''(x_0)^2 - f''(x_0) f''''(x_0)`` (Chen & Bruna, ICML 2023): positive means a
*stable* 2-cycle is born for eta just above ``2/f''`` (supercritical), negative an
unstable one exists just below (subcritical) (docs/theory.md, O2).
:func:`flip_coefficient_1d` computes it exactly for a sympy function.

For a network, :func:`flip_coefficient` restricts the loss to the line through a
minimum along the top Hessian eigenvector ``v`` (unit length),
``f(t) = L(theta_0 + t v)``, and returns the same expression, exactly. This is the
coefficient *along the top eigendirection*: the full centre-manifold reduction would
add the coupling of the quadratic terms into the other directions (including the
tangent directions of M, where ``DG`` has eigenvalue 1), which this does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..errors import InvalidInputError
from ..exact.numberfield import AlgebraicPoint, FieldElement
from ..exact.numbers import as_rational, to_exact

__all__ = ["FlipCoefficient", "flip_coefficient", "flip_coefficient_1d"]


@dataclass(frozen=True)
class FlipCoefficient:
    """``coefficient = 3 f'''^2 - f'' f''''`` at the minimum, the step ``eta = 2/f''`` and the verdict."""

    coefficient: object
    eta: object
    f2: object
    f3: object
    f4: object
    verdict: str
    direction: tuple = ()
    evidence: str = "exact"

    def to_dict(self) -> dict:
        return {"coefficient": sympy.sstr(self.coefficient), "coefficient_float": float(self.coefficient),
                "eta": sympy.sstr(self.eta), "eta_float": float(self.eta), "verdict": self.verdict,
                "f2": sympy.sstr(self.f2), "f3": sympy.sstr(self.f3), "f4": sympy.sstr(self.f4),
                "direction": [sympy.sstr(v) for v in self.direction], "evidence": self.evidence}

    def __str__(self) -> str:
        return (f"flip at eta = 2/f'' = {self.eta}: 3 f'''^2 - f'' f'''' = {self.coefficient} -> {self.verdict}"
                f" [{self.evidence}]")


def _verdict(value) -> str:
    sign = sympy.sign(sympy.nsimplify(value)) if value.is_number else None
    if sign is None:
        return "sign depends on the parameters"
    return {1: "supercritical: a stable 2-cycle is born above 2/f''",
            -1: "subcritical: an unstable 2-cycle exists below 2/f''",
            0: "degenerate: higher-order terms decide"}[int(sign)]


def flip_coefficient_1d(f, x, x0) -> FlipCoefficient:
    """``3 f'''(x0)^2 - f''(x0) f''''(x0)`` for a sympy expression ``f`` in ``x`` (exact, may be symbolic).

    Examples
    --------
    >>> x, mu = sympy.symbols("x mu", positive=True)
    >>> flip_coefficient_1d((x**2 - mu)**2 / 4, x, sympy.sqrt(mu)).coefficient
    96*mu
    """
    d = [sympy.simplify(sympy.diff(f, x, k).subs(x, x0)) for k in (2, 3, 4)]
    coeff = sympy.simplify(3 * d[1] ** 2 - d[0] * d[2])
    if d[0] == 0:
        raise InvalidInputError("f''(x0) = 0: no flip at a finite step")
    return FlipCoefficient(coefficient=coeff, eta=sympy.simplify(2 / d[0]), f2=d[0], f3=d[1], f4=d[2],
                           verdict=_verdict(coeff))


def flip_coefficient(net, theta) -> FlipCoefficient:
    """The flip coefficient of GD at a minimum ``theta`` along the top Hessian eigendirection (exact).

    ``theta`` must be a rational point with zero gradient; the top eigenvalue must be
    simple. The step is ``eta = 2 / lambda_max``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> r = flip_coefficient(LinearNetwork.whitened((1, 1, 1), [[1]]), [1, 1])
    >>> r.eta, r.coefficient
    (1, 48)
    """
    if isinstance(theta, AlgebraicPoint) and not all(v.is_rational() for v in theta):
        raise InvalidInputError("flip_coefficient takes rational points of M; exact algebraic points (irrational "
                                "targets) are not supported yet")
    point = [as_rational(to_exact(t.to_fraction() if isinstance(t, FieldElement) else t, where="theta"))
             for t in theta]
    if any(g != 0 for g in net.gradient_at(point)):
        raise InvalidInputError("theta is not a critical point of the loss (the gradient is not zero)")
    Hm = sympy.Matrix(net.hessian_at(point).tolist()).applyfunc(as_rational)
    eig = Hm.eigenvects()
    lam, mult, vecs = max(eig, key=lambda e: sympy.N(e[0], 40))
    if mult != 1:
        raise InvalidInputError(f"the top Hessian eigenvalue {lam} is not simple (multiplicity {mult})")
    v = vecs[0]
    v = v / sympy.sqrt(sum(c ** 2 for c in v))
    t = sympy.Symbol("t")
    loss = net.loss_expr()
    subs = {p: point[i] + t * v[i] for i, p in enumerate(net.parameter_symbols)}
    f = sympy.expand(loss.subs(subs, simultaneous=True))
    out = flip_coefficient_1d(f, t, 0)
    return FlipCoefficient(coefficient=out.coefficient, eta=out.eta, f2=out.f2, f3=out.f3, f4=out.f4,
                           verdict=out.verdict, direction=tuple(sympy.radsimp(c) for c in v),
                           evidence="exact (line restriction along the top eigenvector, not the full centre manifold)")
