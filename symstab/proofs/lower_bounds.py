"""Result A5 certificates: ``min_M lambda_max`` bounded below by a Positivstellensatz identity, above by a witness.

**Lower end** (docs/theory.md, "Certified bounds on eta_C"). For a polynomial direction
``v(theta)`` and ``l*``, the checker verifies on ``M = {mu(theta) = Wbar}``

* ``m (v^T H v - l* ||v||^2) = sigma + sum_j lambda_j g_j`` with ``m > 0`` and ``sigma`` a sum of squares, and
* ``||v||^2 = c + sigma' + sum_j lambda'_j g_j`` with ``c > 0``,

so ``lambda_max(H(theta)) >= l*`` at every point of M. Two constructions, both exact,
no SDP:

* depth 2 with ``X X^T = s I`` and rational top singular vectors ``u_1, v_1`` of the
  target (filling or not): ``dW_1 = W_2^T u_1 v_1^T``, ``dW_2 = u_1 v_1^T W_1^T``, for which
  ``u_1^T (J v) v_1 = ||v||^2`` identically and
  ``v^T H v - 2 kappa s s_1 ||v||^2 = kappa s (||Jv - ||v||^2 u_1 v_1^T||^2 + ||v||^2 ||W_1 v_1 - W_2^T u_1||^2) + (mod M)``;
* scalar depth 3 with a rational cube root ``rho`` of the target: ``v = grad mu``,
  ``S = ||v||^2``, and AM-GM for three squares as an exact sum of squares, with the
  positive multiplier ``m = S^2 + l S + l^2`` (``l = 3 rho^4``).

**Upper end**: a point of M, exact in a number field ``Q(alpha)``, with
``u I - H(theta) >= 0`` (exact LDL^T in ``Q(alpha)``); here the balanced point with
``u = l*``, which pins ``min_M lambda_max`` and ``eta_C = 2 / l*`` exactly.
"""

from __future__ import annotations

from dataclasses import replace

import sympy
from sympy.polys.numberfields import primitive_element, to_number_field

from ..critical import critical_step_sizes
from ..exact.algebraic import enclose_algebraic
from ..exact.numbers import as_fraction
from ..minima import minima
from .certificates import Certificate, NotCertified, finish, frac, minima_data, poly_terms

__all__ = ["MAX_PARAMS", "a5_certificate", "certify_critical", "lower_end", "upper_end"]

#: Largest number of parameters for which A5 certificates are attempted (sympy expansions).
MAX_PARAMS = 12


def _sos(entries, symbols, weight=1) -> list:
    return [{"weight": frac(weight), "squares": [poly_terms(e, symbols) for e in factors]}
            for factors in entries if all(sympy.expand(e) != 0 for e in factors)]


def _setup(net):
    symbols = sympy.symbols(net.param_names)
    Ws, k = [], 0
    for a, b in zip(net.widths, net.widths[1:]):
        Ws.append(sympy.Matrix(b, a, symbols[k:k + a * b]))
        k += a * b
    mu = Ws[0]
    for W in Ws[1:]:
        mu = W * mu
    Sigma = net.Sigma
    s = Sigma[0, 0]
    if Sigma != s * sympy.eye(Sigma.rows):
        raise NotCertified("the lower-bound constructions need X X^T = s I")
    target = sympy.Matrix(minima(net).target)
    g = [sympy.expand(e) for e in (mu - target)]
    return symbols, Ws, mu, s, target, g


def _ideal(multipliers, symbols) -> list:
    return [poly_terms(m, symbols) for m in multipliers]


def _depth2(net) -> dict:
    symbols, (W1, W2), mu, s, target, g = _setup(net)
    W_star = sympy.Matrix(minima(net).W_star)
    K = W_star.T * W_star
    top = max(K.eigenvals(), key=lambda e: float(e))
    s1 = sympy.sqrt(top)
    if not s1.is_Rational or s1 == 0:
        raise NotCertified("the target's top singular value is irrational (or 0): l* would be irrational")
    v1 = None
    for vec in (K - top * sympy.eye(K.rows)).nullspace():
        norm = sympy.sqrt(sum(x**2 for x in vec))
        if norm.is_Rational:
            v1 = vec / norm
            break
    if v1 is None:
        raise NotCertified("no rational unit top singular vector of the target")
    u1 = W_star * v1 / s1
    ks = net.kappa * s
    dW1, dW2 = W2.T * u1 * v1.T, u1 * v1.T * W1.T
    v = list(dW1) + list(dW2)
    norm2 = sympy.expand(sum(x**2 for x in v))
    A = dW2 * W1 + W2 * dW1
    Q = dW2 * dW1
    R = W_star - target
    if sympy.expand(sum(a * b for a, b in zip(R, Q))) != 0:
        raise NotCertified("the second-order term is not orthogonal to the residual")
    B = A - norm2 * u1 * v1.T
    diff = W1 * v1 - W2.T * u1
    sos = _sos([[e] for e in B], symbols, ks) + _sos([[x, e] for x in v for e in diff], symbols, ks)
    P = u1 * v1.T
    lams = [ks * (2 * norm2 * P[i] + 2 * Q[i]) for i in range(len(g))]
    positive = {"multiplier": {"constant": "1", "sos": []}, "constant": frac(2 * s1),
                "sos": _sos([[e] for e in diff], symbols), "ideal": _ideal([2 * P[i] for i in range(len(g))], symbols)}
    return {"l_star": frac(2 * ks * s1), "direction": [poly_terms(x, symbols) for x in v],
            "direction_nonzero": positive,
            "rayleigh": {"multiplier": {"constant": "1", "sos": []}, "constant": "0", "sos": sos,
                         "ideal": _ideal(lams, symbols)}}


def _scalar3(net) -> dict:
    symbols, _, mu, s, target, g = _setup(net)
    w = target[0, 0]
    rho = sympy.real_root(w, 3)
    if not rho.is_Rational or w == 0:
        raise NotCertified("the target has no rational cube root (or is 0): l* would be irrational")
    a, b, c = symbols
    m_ = mu[0, 0]
    p, q, r = b * c, a * c, a * b
    x, y, z = p**2, q**2, r**2
    S = x + y + z
    L0 = 3 * rho**4
    ks = net.kappa * s
    norm_theta = a**2 + b**2 + c**2
    sos = (_sos([[S, x - y], [S, y - z], [S, z - x]], symbols, ks / 2)
           + _sos([[pk, base, diff] for pk in (p, q, r) for base, diff in ((p, y - z), (q, z - x), (r, x - y))],
                  symbols, 3 * ks))
    m = S**2 + L0 * S + L0**2
    lam = ks * (27 * S * (m_**3 + m_**2 * w + m_ * w**2 + w**3) + 2 * m * m_ * norm_theta)
    rayleigh = {"multiplier": {"constant": frac(sympy.Rational(3, 4) * L0**2),
                               "sos": _sos([[S + L0 / 2]], symbols)},
                "constant": "0", "sos": sos, "ideal": _ideal([lam], symbols)}
    positive = {"multiplier": {"constant": "0", "sos": _sos([[a]], symbols)}, "constant": frac(w**2),
                "sos": _sos([[a * q], [a * r]], symbols), "ideal": _ideal([m_ + w], symbols)}
    return {"l_star": frac(ks * L0), "direction": [poly_terms(e, symbols) for e in (p, q, r)],
            "direction_nonzero": positive, "rayleigh": rayleigh}


def lower_end(net) -> dict:
    """The ``"lower"`` block: ``lambda_max >= l*`` on M; raise NotCertified when no construction applies."""
    if net.depth == 2:
        return _depth2(net)
    if net.depth == 3 and all(w == 1 for w in net.widths):
        return _scalar3(net)
    raise NotCertified("no lower-bound construction for this architecture (depth 2 with X X^T = s I, or scalar "
                       "depth 3); an SDP search is not implemented")


def upper_end(net, u=None, critical=None) -> dict:
    """The ``"upper"`` block: an exact point of M (in ``Q(alpha)``) with ``lambda_max <= u``.

    ``critical`` is the :class:`~symstab.critical.CriticalStepSizes` of ``net`` when already computed.
    """
    cs = critical if critical is not None else critical_step_sizes(net, prove=False)
    if cs.witness is None or not cs.witness_exact:
        raise NotCertified("no exact witness point on M")
    point = [sympy.nsimplify(v) for v in cs.witness]
    if u is None:
        star = cs.lambda_star
        if star is None:
            raise NotCertified("no exact value of lambda_max at the witness")
        u = star if star.is_Rational else sympy.Rational(as_fraction(enclose_algebraic(star, sympy.Rational(1, 10**9))[1]))
    x = sympy.Symbol("x")
    irrational = [v for v in point if not v.is_Rational]
    if irrational:
        minpoly, _ = primitive_element(irrational, x)
        alpha = None
        for k in range(1, 4):  # alpha = a primitive element with a simple combination
            cand = sum(sympy.Integer(k) ** i * e for i, e in enumerate(sorted(set(irrational), key=str)))
            if sympy.degree(sympy.minimal_polynomial(cand, x), x) == sympy.degree(minpoly, x):
                alpha = cand
                break
        if alpha is None:
            raise NotCertified("could not find a primitive element for the witness")
        minpoly = sympy.Poly(sympy.minimal_polynomial(alpha, x), x)
        coords = [_in_field(v, alpha) for v in point]
    else:
        minpoly, alpha, coords = sympy.Poly(x, x), sympy.Integer(0), [[frac(v)] for v in point]
    lo, hi = next((a, b) for (a, b), _m in minpoly.intervals() if a <= float(alpha) <= b)
    if lo == hi:
        lo, hi = lo - 1, hi
    return {"field": {"minimal_polynomial": [frac(c) for c in reversed(minpoly.all_coeffs())],
                      "interval": [frac(lo), frac(hi)]},
            "point": coords, "u": frac(u)}


def _in_field(value, alpha) -> list:
    if value.is_Rational:
        return [frac(value)]
    an = to_number_field(value, alpha)
    return [frac(c) for c in reversed(an.coeffs())]


def a5_certificate(net, critical=None) -> Certificate:
    """A5: both ends of ``min_M lambda_max`` that can be certified; NotCertified with both reasons otherwise."""
    if net.num_params > MAX_PARAMS:
        raise NotCertified(f"D = {net.num_params} > {MAX_PARAMS}: the certificate constructions are for small networks")
    body, reasons = {"minima": minima_data(net)}, []
    for key, build in (("lower", lower_end), ("upper", lambda n: upper_end(n, critical=critical))):
        try:
            body[key] = build(net)
        except NotCertified as err:
            reasons.append(f"{key} end: {err}")
    if "lower" not in body and "upper" not in body:
        raise NotCertified("; ".join(reasons))
    cert = finish("A5", body, net)
    return Certificate(result=cert.result, claim=cert.claim, data=cert.data,
                       evidence="certified" if not reasons else "certified (" + "; ".join(reasons) + ")")


def certify_critical(net, critical) -> tuple:
    """``(critical', summary)``: ``critical`` with ``evidence = "certified"`` when a checked certificate pins
    ``min_M lambda_max`` exactly, and a JSON-ready summary of the certificate (or of why there is none)."""
    try:
        cert = a5_certificate(net, critical=critical)
    except NotCertified as err:
        return critical, {"status": "not certified", "reason": str(err)}
    lower, upper = cert.data.get("lower", {}).get("l_star"), cert.data.get("upper", {}).get("u")
    pinned = lower is not None and lower == upper and critical.lambda_star is not None \
        and sympy.Rational(lower) == critical.lambda_star
    summary = {"status": "certified" if pinned else "certified (one end)", "claim": cert.claim,
               "lambda_lower": lower, "lambda_upper": upper, "checker": "symstab.check"}
    if not pinned:
        summary["reason"] = cert.evidence
        return critical, summary
    return replace(critical, evidence="certified"), summary
