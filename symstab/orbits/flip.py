"""Beyond the threshold (O2): the flip (period-doubling) bifurcation of GD at ``eta = 2/lambda``, its normal-form sign.

For ``x -> x - eta f'(x)`` at a minimum ``x_0`` with ``eta f''(x_0) = 2`` the multiplier
passes ``-1``; the flip normal-form coefficient has the sign of
``3 f'''(x_0)^2 - f''(x_0) f''''(x_0)`` (Chen & Bruna, ICML 2023): positive means a
*stable* 2-cycle is born for eta just above ``2/f''`` (supercritical), negative an
unstable one exists just below (subcritical) (docs/theory.md, O2).
:func:`flip_coefficient_1d` computes it exactly for a sympy function.

For a network, :func:`flip_coefficient` reduces GD to its centre manifold at a minimum
``theta_0`` where ``eta lambda_max = 2`` (Kuznetsov's flip coefficient for maps, with the
manifold of minima M as parameters; docs/theory.md, O2). With ``q`` the unit top
eigenvector, ``T = D^3 L(theta_0)[q, q, .]`` and ``L4 = D^4 L(theta_0)[q, q, q, q]``:

* ``drift = P T``, the part of ``T`` in ``ker H`` (the tangent space of M). One GD step
  from ``theta_0 + x q`` moves along M by ``-(eta/2) x^2 drift + O(x^3)``. When it is not
  zero, no 2-cycle shrinks to ``theta_0``: GD drifts along M instead;
* ``coefficient = lambda (3 T_r^T H^+ T_r - L4)`` with ``T_r = T - drift``: the flip
  coefficient transverse to M, scaled to equal ``3 f'''^2 - f'' f''''`` in one dimension.
  The restriction to the line ``theta_0 + t q`` alone (``line_coefficient``, the same
  expression for ``f(t) = L(theta_0 + t q)``) misses the coupling
  ``3 lambda sum_i (T . v_i)^2 / lambda_i`` through the other eigendirections ``v_i``.

Everything is exact, at rational points and at exact algebraic points of M: the top
eigenvalue is adjoined to the field of the point
(:func:`~symstab.exact.numberfield.adjoin_root`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy

from ..errors import InvalidInputError
from ..exact.fieldspectrum import field_spectrum
from ..exact.latex import LatexDisplay, align_rows, sum_terms, to_latex, tuple_terms
from ..exact.latex import text as latex_text
from ..exact.numberfield import (
    AlgebraicPoint,
    adjoin_root,
    field_from_sympy,
    field_rref,
)

__all__ = ["FlipCoefficient", "flip_coefficient", "flip_coefficient_1d"]


@dataclass(frozen=True)
class FlipCoefficient(LatexDisplay):
    """The flip coefficient at a minimum, the step ``eta = 2/f''`` (``2/lambda_max``) and the verdict.

    One dimension: ``coefficient = 3 f'''^2 - f'' f''''``. Network: ``coefficient`` is the
    coefficient transverse to M, ``line_coefficient`` the line restriction and ``drift``
    the second-order drift along M (module docstring).
    """

    coefficient: object
    eta: object
    f2: object
    f3: object
    f4: object
    verdict: str
    direction: tuple = ()
    evidence: str = "exact"
    line_coefficient: object = None
    drift: tuple = ()

    @property
    def drift_vanishes(self) -> bool:
        """No second-order drift along M (always True in one dimension)."""
        return all(v == 0 for v in self.drift)

    def to_dict(self) -> dict:
        out = {"coefficient": sympy.sstr(self.coefficient), "coefficient_float": float(self.coefficient),
               "eta": sympy.sstr(self.eta), "eta_float": float(self.eta), "verdict": self.verdict,
               "f2": sympy.sstr(self.f2), "f3": sympy.sstr(self.f3), "f4": sympy.sstr(self.f4),
               "direction": [sympy.sstr(v) for v in self.direction], "evidence": self.evidence}
        if self.line_coefficient is not None:
            out.update(line_coefficient=sympy.sstr(self.line_coefficient),
                       drift=[sympy.sstr(v) for v in self.drift], drift_float=[float(v) for v in self.drift],
                       drift_vanishes=self.drift_vanishes)
        return out

    def latex_formula(self) -> str:
        """Math mode: the coefficient at the step ``eta = 2/lambda``."""
        return rf"\kappa {_rel(self.coefficient)} \quad \text{{at }} \eta {_rel(self.eta)}"

    def latex(self) -> str:
        """A text-mode fragment: the step, the coefficient(s), the drift and the verdict, with its evidence."""
        verdict = latex_text(self.verdict[0].upper() + self.verdict[1:])
        if self.line_coefficient is None:
            return (rf"Flip at $\eta = 2/f'' {_rel(self.eta)}$: $3 f'''^2 - f'' f'''' {_rel(self.coefficient)}$."
                    rf" {verdict} ({latex_text(self.evidence)}).")
        values = (self.eta, self.coefficient, self.line_coefficient, *self.drift)
        shown = [v if len(sympy.sstr(v)) <= _TEX_CHARS else sympy.Float(float(v), 6) for v in values]
        rounded = [isinstance(v, sympy.Float) for v in shown]
        rows = []
        for lhs, v, r in zip((r"\eta = 2/\lambda_{\max}", r"\kappa", r"\kappa_{\mathrm{line}}"), shown, rounded):
            rows += align_rows(lhs, sum_terms(v), relation=r"\approx" if r else "=")
        if self.drift_vanishes:
            rows += align_rows("P T", ["0"])
        else:
            rows += align_rows("P T", tuple_terms(shown[3:]), relation=r"\approx" if any(rounded[3:]) else "=")
        rounded = any(rounded)
        note = "; long values are rounded here to 6 digits, exact in the JSON output" if rounded else ""
        return (r"Flip of GD at a minimum: the step, the coefficient $\kappa = \lambda (3 T_r^\top H^+ T_r - L_4)$"
                r" transverse to $M$, its restriction $\kappa_{\mathrm{line}}$ to the top eigenvector line, and the"
                " drift $P T$ along $M$:\n\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
                + f"{verdict} ({latex_text(self.evidence)}{note}).")

    def __str__(self) -> str:
        if self.line_coefficient is None:
            return (f"flip at eta = 2/f'' = {self.eta}: 3 f'''^2 - f'' f'''' = {self.coefficient} -> {self.verdict}"
                    f" [{self.evidence}]")
        drift = "0" if self.drift_vanishes else "(" + ", ".join(_short(v) for v in self.drift) + ")"
        return (f"flip at eta = 2/lambda_max = {_short(self.eta)}: transverse coefficient {_short(self.coefficient)}"
                f" (line restriction {_short(self.line_coefficient)}), drift along M {drift} -> {self.verdict}"
                f" [{self.evidence}; exact values: to_dict(), --json]")


def _rel(value) -> str:
    """``= exact`` in LaTeX, or ``\\approx float`` when the exact form is too long to typeset."""
    text = sympy.sstr(value)
    return "= " + to_latex(value) if len(text) <= _TEX_CHARS else rf"\approx {float(value):.6g}"


def _short(value, width: int = 40) -> str:
    """The exact value when it is short, else ``~float``."""
    text = sympy.sstr(value)
    return text if len(text) <= width else f"~{float(value):.6g}"


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


_TEX_CHARS = 160
_NETWORK_VERDICTS = {
    1: "supercritical transverse to M: small 2-cycles near this point lie above 2/lambda at their base point and are "
       "stable in the flip direction (stability along M is decided at higher order)",
    -1: "subcritical transverse to M: small 2-cycles near this point lie below 2/lambda at their base point and are "
        "unstable",
    0: "degenerate: higher-order terms decide"}
_DRIFT_VERDICT = "drift along M: no 2-cycle shrinks to this point (GD moves along the manifold of minima instead)"


def _taylor(values_at, degree: int) -> list:
    """Coefficient vectors ``c_0..c_degree`` of a vector polynomial in ``t`` (over a field) from its values at ``t = 0..degree``."""
    Vinv = flint.fmpq_mat([[flint.fmpq(t) ** k for k in range(degree + 1)] for t in range(degree + 1)]).inv()
    values = [list(values_at(t)) for t in range(degree + 1)]
    out = []
    for k in range(degree + 1):
        acc = [v * 0 for v in values[0]]
        for j, value in enumerate(values):
            w = Vinv[k, j]
            if w != 0:
                w = Fraction(int(w.p), int(w.q))
                acc = [a + b * w for a, b in zip(acc, value)]
        out.append(acc)
    return out


def _dot(u, v):
    out = u[0] * 0
    for a, b in zip(u, v):
        out = out + a * b
    return out


def _nullspace(rows) -> list:
    """A basis of the null space of a square matrix over an exact field."""
    R, pivots = field_rref(rows)
    n = len(rows[0])
    zero = rows[0][0] * 0
    basis = []
    for f in (j for j in range(n) if j not in pivots):
        v = [zero] * n
        v[f] = zero + 1
        for i, p in enumerate(pivots):
            v[p] = -R[i][f]
        basis.append(v)
    return basis


def _split(T, basis) -> tuple:
    """``(T - P T, P T)``, ``P`` the orthogonal projection onto the span of ``basis``."""
    zero = T[0] * 0
    if not basis:
        return list(T), [zero] * len(T)
    k = len(basis)
    R, _ = field_rref([[_dot(basis[i], basis[j]) for j in range(k)] + [_dot(basis[i], T)] for i in range(k)])
    proj = [sum((R[i][k] * basis[i][j] for i in range(k)), zero) for j in range(len(T))]
    return [a - b for a, b in zip(T, proj)], proj


def _solve_in_range(H, rhs) -> list:
    """One solution ``w`` of ``H w = rhs`` (``rhs`` in the range of ``H``)."""
    n = len(rhs)
    R, pivots = field_rref([list(H[i]) + [rhs[i]] for i in range(n)])
    if n in pivots:
        raise ArithmeticError("the right-hand side is not in the range of H")  # cannot happen: rhs is projected
    w = [rhs[0] * 0] * n
    for i, p in enumerate(pivots):
        w[p] = R[i][n]
    return w


def flip_coefficient(net, theta) -> FlipCoefficient:
    """The flip coefficient of GD at a minimum ``theta``, reduced to the centre manifold (exact).

    ``theta`` is an exact point with zero gradient: rationals, or an exact algebraic point
    of M (``M.point(seed)`` for an irrational target). The top Hessian eigenvalue must be
    simple; the step is ``eta = 2 / lambda_max``. ``coefficient`` is the flip coefficient
    transverse to M, ``drift`` the second-order drift along M (zero where a 2-cycle can
    bifurcate), ``line_coefficient`` the restriction to the top eigenvector line (module
    docstring; docs/theory.md, O2).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 1), [[1]])
    >>> r = flip_coefficient(net, [1, 1])
    >>> r.eta, r.coefficient, r.drift_vanishes
    (1, 48, True)
    >>> flip_coefficient(net, [2, "1/2"]).verdict.startswith("drift along M")
    True
    """
    point = net.exact_point(theta)
    if isinstance(point, AlgebraicPoint):
        K, coords, rows = point.field, list(point), net.hessian_at(point)
    else:
        K = field_from_sympy([])
        coords = [K(v) for v in point]
        rows = [[Fraction(int(v.p), int(v.q)) for v in row] for row in net.hessian_at(point).tolist()]
    if any(g != 0 for g in net.gradient_at(point)):
        raise InvalidInputError("theta is not a critical point of the loss (the gradient is not zero)")
    _, kernel, eig = field_spectrum(rows, K)
    if not eig:
        raise InvalidInputError("the Hessian is zero at theta: no flip at a finite step")
    if eig[0][3][1] < 0:
        raise InvalidInputError("theta is a saddle (the Hessian has a negative eigenvalue), not a minimum")
    M = net.minima()
    if not M.check_on_manifold(point):
        raise InvalidInputError("theta is a critical point but not a global minimum (not on M)")
    if M.dimension is not None and kernel != M.dimension:
        raise InvalidInputError(f"ker H has dimension {kernel} at theta but M has dimension {M.dimension}: the "
                                "reduction with M as parameters needs ker H = the tangent space of M")
    g, index, mult, _ = eig[-1]
    if mult != 1:
        raise InvalidInputError(f"the top Hessian eigenvalue (real root {index + 1} of {g}) is not simple "
                                f"(multiplicity {mult})")
    L, embed, lam = adjoin_root(K, g, index)
    if lam.sign() <= 0:
        raise InvalidInputError("the top Hessian eigenvalue at theta is not positive: no flip at a positive step")
    x = [embed(v) for v in coords]
    H = [[embed(v) for v in row] for row in rows]
    n = len(x)
    v = _nullspace([[H[i][j] - lam if i == j else H[i][j] for j in range(n)] for i in range(n)])[0]
    vv = _dot(v, v)

    def shifted(t):
        return AlgebraicPoint([a + b * t for a, b in zip(x, v)], L)

    grad = _taylor(lambda t: [L(c) for c in net.gradient_at(shifted(t))], 2 * net.depth - 1)
    T = [2 * grad[2][i] for i in range(n)]                 # D^3 L[v, v, .]
    loss = _taylor(lambda t: [L(net.loss_at(shifted(t)))], 2 * net.depth)
    L3, L4 = 6 * loss[3][0], 24 * loss[4][0]                     # D^3 L[v, v, v], D^4 L[v, v, v, v]
    T_r, drift = _split(T, _nullspace(H))
    w = _solve_in_range(H, T_r)
    coeff = lam * (3 * _dot(T_r, w) - L4) / (vv * vv)      # scaled back to the unit vector q = v/|v|
    line = (3 * L3 * L3 / vv - lam * L4) / (vv * vv)
    drift = [d / vv for d in drift]
    verdict = _NETWORK_VERDICTS[coeff.sign()] if not any(d != 0 for d in drift) else _DRIFT_VERDICT
    norm = sympy.sqrt(vv.to_sympy())
    return FlipCoefficient(coefficient=coeff.to_sympy(), eta=(2 / lam).to_sympy(), f2=lam.to_sympy(),
                           f3=sympy.radsimp(L3.to_sympy() / norm ** 3), f4=(L4 / (vv * vv)).to_sympy(),
                           verdict=verdict, direction=tuple(sympy.radsimp(c.to_sympy() / norm) for c in v),
                           evidence="exact (centre-manifold reduction transverse to M, with the drift along M)",
                           line_coefficient=line.to_sympy(), drift=tuple(d.to_sympy() for d in drift))
