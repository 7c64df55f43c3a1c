"""Certificates for results A1-A4 and B2: exact witness data that :mod:`symstab.check` re-verifies.

Each builder returns a :class:`Certificate`, whose ``data`` is the versioned JSON
object of docs/theory.md ("Certificates"): the claim in words, the network or SGD
problem, and the witnesses (exact numbers as strings ``"p/q"``, polynomials as
lists of ``[coefficient, exponents]``, algebraic numbers as a minimal polynomial
with an isolating interval). A certificate is only returned once the independent
checker has accepted it; otherwise :class:`NotCertified` says why. The result A5
certificates (eta_C's bounds) are in :mod:`symstab.proofs.lower_bounds`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import sympy

from ..check import FORMAT, VERSION, CheckFailed, second_moment_charpoly, verified_claim
from ..errors import InvalidInputError, SymstabError
from ..exact.algebraic import enclose_algebraic, real_root_boxes, top_eigenvalue_upper
from ..exact.numberfield import AlgebraicPoint
from ..exact.numbers import as_fmpq, as_fraction, simplest_between
from ..gdmap import nonsingularity_certificate
from ..minima import minima, product_jacobian
from ..sgd.hessians import validate_batch, validate_hessians
from ..sgd.threshold import compute_threshold
from ..spectrum import bounded_sharpness_curve
from ..stability import classify

__all__ = ["Certificate", "NotCertified", "a1_certificate", "a2_certificate", "a3_certificate",
           "a4_certificate", "b_certificate", "finish", "frac", "minima_data", "network_data", "poly_terms"]


class NotCertified(SymstabError):
    """No certificate of this kind could be built for this input; the message says why."""


@dataclass(frozen=True)
class Certificate:
    """A certificate accepted by :func:`symstab.check.check_certificate`.

    Attributes
    ----------
    result : str
        ``"A1"`` ... ``"A5"`` or ``"B"``.
    claim : str
        What it certifies, in words (rebuilt by the checker from the verified data).
    data : dict
        The JSON object.
    """

    result: str
    claim: str
    data: dict = field(repr=False)
    evidence: str = "certified"

    def to_json(self) -> str:
        return json.dumps(self.data, indent=1)

    def write(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_json() + "\n")


# ------------------------------------------------------------------------------------------ serialisation
def frac(x) -> str:
    """An exact rational as ``"p"`` or ``"p/q"``."""
    q = as_fraction(x)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _matrix(rows) -> list:
    return [[frac(v) for v in row] for row in rows]


def poly_terms(expr, symbols) -> list:
    """A sympy polynomial as ``[[coefficient, exponents], ...]`` over ``symbols``."""
    poly = sympy.Poly(sympy.expand(expr), *symbols)
    return [[frac(c), list(m)] for m, c in poly.terms() if c != 0]


def coefficients(poly) -> list:
    """An fmpq_poly's coefficients, ascending, as strings."""
    return [frac(Fraction(int(c.p), int(c.q))) for c in poly.coeffs()]


def network_data(net) -> dict:
    if net.loss not in ("half", "sum"):
        raise NotCertified(f"the checker supports the losses 'half' and 'sum', not {net.loss!r}")
    net.require_numeric("a certificate")
    return {"widths": list(net.widths), "X": _matrix(net.X.tolist()), "Y": _matrix(net.Y.tolist()),
            "loss": net.loss}


def minima_data(net) -> dict:
    """``{"product": Wbar}``, plus the singular-value gap when M is non-filling (Eckart-Young)."""
    M = minima(net)
    target = sympy.Matrix(M.target)
    if any(not v.is_Rational for v in target):
        raise NotCertified("the product on M is irrational: M has no rational description for the checker")
    data = {"product": _matrix(target.tolist())}
    if M.filling:
        return data
    Sigma = net.Sigma
    if Sigma != Sigma[0, 0] * sympy.eye(Sigma.rows):
        raise NotCertified("non-filling certificates need X X^T = s I")
    R = sympy.Matrix(M.W_star) - target
    top_r = top_eigenvalue_upper(flint.fmpq_mat([[as_fmpq(v) for v in row] for row in (R.T * R).tolist()]))
    kept = [e for e in (target.T * target).eigenvals(multiple=True) if e != 0]
    low = enclose_algebraic(min(kept, key=lambda e: float(e)), Fraction(1, 10**12))[0]
    if not top_r < low:
        raise NotCertified("no singular-value gap at the bottleneck: the best approximation is not unique")
    data["gap"] = [frac(top_r), frac((top_r + low) / 2)]
    return data


def finish(result: str, body: dict, net=None) -> Certificate:
    """Assemble, run the independent checker, and return the certificate (or raise NotCertified)."""
    data = {"format": FORMAT, "version": VERSION, "result": result, "claim": ""}
    if net is not None:
        data["network"] = network_data(net)
    data.update(body)
    try:
        data["claim"] = verified_claim(data)  # the checker's own words for what the data establish
    except CheckFailed as err:
        raise NotCertified(f"the independent checker rejected the certificate: {err}") from None
    return Certificate(result=result, claim=data["claim"], data=data)


# ---------------------------------------------------------------------------------------------- A1 - A4
def a1_certificate(net, seed: int = 0) -> Certificate:
    """A1: exact points whose Hessian characteristic polynomials have a gcd with no positive root."""
    cert = nonsingularity_certificate(net, seed=seed, decide=False)
    gcd = sympy.Poly(cert.gcd, sympy.Symbol("lam")).monic()
    roots = len({r for r in gcd.real_roots() if r > 0}) if gcd.degree() > 0 else 0
    charpolys = [coefficients(net.hessian_at(p).charpoly()) for p in cert.points]
    return finish("A1", {"points": [[frac(v) for v in p] for p in cert.points], "charpolys": charpolys,
                         "gcd": [frac(c) for c in reversed(gcd.all_coeffs())], "positive_roots": roots}, net)


def a2_certificate(net, seed: int = 0) -> Certificate:
    """A2: a point of M and a non-zero maximal minor of ``D mu`` there."""
    M = minima(net)
    body = {"minima": minima_data(net)}
    if M.bottleneck != sympy.Matrix(M.target).rank():
        raise NotCertified("rank(target) < bottleneck: D mu does not have constant rank on M")
    theta = M.point(seed=seed)
    J = product_jacobian(net, theta)
    rows, cols = _independent(J)
    if len(rows) != M.smooth_rank:
        raise NotCertified(f"D mu has rank {len(rows)} at the point, not {M.smooth_rank}")
    value = flint.fmpq_mat([[J[r, c] for c in cols] for r in rows]).det()
    body.update({"point": [frac(v) for v in theta], "rank": len(rows),
                 "minor": {"rows": rows, "cols": cols, "value": frac(Fraction(int(value.p), int(value.q)))}})
    return finish("A2", body, net)


def _independent(J) -> tuple:
    """Row and column indices of a non-zero maximal minor of an fmpq_mat."""
    A = sympy.Matrix(J.nrows(), J.ncols(), [sympy.Rational(int(v.p), int(v.q)) for v in J.entries()])
    cols = list(A.rref()[1])
    rows = list(A[:, cols].T.rref()[1])
    return rows, cols


def a3_certificate(net) -> Certificate:
    """A3: ``tr H - k ||theta||^2 >= 0`` on M (depth 2, ``X X^T = s I``), or a bounded-sharpness curve."""
    if net.depth == 2:
        Sigma = net.Sigma
        s = Sigma[0, 0]
        if Sigma != s * sympy.eye(Sigma.rows):
            raise NotCertified("the trace bound is built for X X^T = s I")
        d0, dH = net.widths[0], net.widths[-1]
        k = net.kappa * s * min(d0, dH)
        # on M, tr H = kappa s (d_H ||W_1||^2 + d_0 ||W_2||^2) exactly (d^2 mu / d theta_i^2 = 0 at depth 2)
        weights = [net.kappa * s * (dH - min(d0, dH))] * (d0 * net.widths[1]) \
            + [net.kappa * s * (d0 - min(d0, dH))] * (net.widths[1] * dH)
        D = net.num_params
        sos = [{"weight": frac(w), "squares": [[["1", [int(i == j) for i in range(D)]]]]}
               for j, w in enumerate(weights) if w != 0]
        n_eq = d0 * dH
        body = {"minima": minima_data(net), "k": frac(k),
                "trace_bound": {"multiplier": {"constant": "1", "sos": []}, "constant": "0", "sos": sos,
                                "ideal": [[] for _ in range(n_eq)]}}
        return finish("A3", body, net)
    curve = bounded_sharpness_curve(net)
    if curve is None:
        raise NotCertified("no bounded-sharpness curve and no trace bound at depth >= 3")
    tau = next(iter(set().union(*(sympy.sympify(v).free_symbols for v in curve.theta))))
    terms = []
    for v in curve.theta:
        num_, den = sympy.fraction(sympy.together(v))
        den_poly = sympy.Poly(den, tau)
        if len(den_poly.terms()) != 1:
            raise NotCertified("the curve is not a Laurent polynomial in tau")
        (shift,), c = den_poly.terms()[0]
        terms.append([[frac(a / c), [m[0] - shift]] for m, a in sympy.Poly(num_, tau).terms() if a != 0])
    cp = sympy.Poly(curve.charpoly, sympy.Symbol("x"))
    full = cp.as_expr() * sympy.Symbol("x") ** (net.num_params - cp.degree())
    body = {"minima": minima_data(net), "curve": terms,
            "charpoly": [frac(c) for c in reversed(sympy.Poly(full, sympy.Symbol("x")).all_coeffs())]}
    return finish("A3", body, net)


def largest_root_data(poly) -> dict:
    """``{"factor", "interval"}``: the irreducible factor of an fmpq_poly carrying its largest real root.

    The interval ``(lo, hi]`` holds that root and no other root of ``poly``; its ends are
    the simplest rationals that do (a rational root is its own upper end).
    """
    sqf = poly / poly.gcd(poly.derivative())
    boxes = real_root_boxes(sqf)
    a, b = boxes[-1]
    prev = boxes[-2][1] if len(boxes) > 1 else a - 1
    if a == b:  # a rational root r: the factor x - r, and (lo, r]
        factor, hi = flint.fmpq_poly([-flint.fmpq(a.numerator, a.denominator), 1]), a
        lo_range = ((3 * prev + a) / 4, (prev + 3 * a) / 4)
    else:
        factor = next(f for f, _m in poly.factor()[1] if any(a <= x and y <= b for x, y in real_root_boxes(f)))
        hi = simplest_between(b, b + 1) if b >= 0 else b
        lo_range = ((prev + a) / 2, a)
    lo = simplest_between(*lo_range) if lo_range[0] >= 0 else lo_range[1]
    return {"factor": coefficients(factor), "interval": [frac(lo), frac(hi)]}


def a4_certificate(net, theta, eta) -> Certificate:
    """A4: the verdict of :func:`~symstab.stability.classify` at an exact point of M."""
    if isinstance(theta, AlgebraicPoint):
        raise NotCertified("A4 certificates take rational points; this point of M has irrational coordinates")
    verdict = classify(net, theta, eta)
    point = [as_fraction(v) for v in verdict.theta]
    cp = net.hessian_at(point).charpoly()
    body = {"minima": minima_data(net), "point": [frac(v) for v in point], "eta": frac(verdict.eta),
            "verdict": verdict.verdict, "lambda_max": largest_root_data(cp)}
    return finish("A4", body, net)


def b_certificate(hessians, batch: int, sampling: str = "bernoulli") -> Certificate:
    """B2: the exact mean-square threshold, from ``det(lam C - D)`` and an isolating interval."""
    hs = validate_hessians(hessians)
    if hs.exact is None:
        raise NotCertified("the mean-square certificate needs exact rational Hessians")
    threshold = compute_threshold(hs, validate_batch(hs.n, batch, sampling), sampling, "exact")
    if threshold.lam is None:
        raise InvalidInputError("the threshold is infinite (H = 0): nothing to certify")
    mats = [[[Fraction(int(v.p), int(v.q)) for v in m.table()[i]] for i in range(m.nrows())] for m in hs.exact]
    charpoly = second_moment_charpoly(mats, int(batch), sampling)
    # rho's interval must isolate it among all roots of the charpoly, not only of its own factor
    rho = largest_root_data(flint.fmpq_poly([as_fmpq(c) for c in charpoly]))
    body = {"hessians": [[[frac(v) for v in row] for row in m] for m in mats], "batch": int(batch),
            "sampling": sampling, "rho": rho, "charpoly": [frac(c) for c in charpoly]}
    return finish("B", body)
