"""Coq export of certificates (results A1 and A5): scripts that replay the algebra with Coq's standard library.

``coq_script(cert)`` turns a certificate (the JSON dict of
:mod:`symstab.proofs.certificates`) into a ``.v`` file using only ``Reals``,
``field``, ``lra`` and ``nra``:

* **A1** (gcd 1, ``D <= 6``): ``det(I - eta H_k)`` written as the Leibniz expansion of
  the exact Hessian entries at each point, a Bezout identity ``sum_k u_k det_k = 1``
  proved by ``field``, and the theorem "for every eta some ``det(I - eta H_k) != 0``".
* **A5, lower end**: the equations ``g_j`` of M, the polynomial
  ``f = v^T H v - l* ||v||^2``, the identity ``m f = c + sigma + sum lambda_j g_j``
  (``field``), ``sigma >= 0`` term by term, and the theorem "on M, ``f >= 0`` and
  ``||v||^2 > 0``".

What Coq does not re-derive: that ``H_k`` (A1) and ``f`` (A5) come from the loss.
The scripts state them as definitions, computed from the network by the independent
checker :mod:`symstab.check`; the header of each file says so.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy
from sympy.combinatorics import Permutation

from ..check import Network, Poly, num, poly_of

__all__ = ["coq_script", "coq_supported"]

_PRELUDE = r"""Require Import Reals Lra Psatz.
Open Scope R_scope.

Lemma term_nonneg : forall w x, 0 <= w -> 0 <= w * x^2.
Proof. intros w x Hw. apply Rmult_le_pos; [exact Hw | apply pow2_ge_0]. Qed.
Lemma pos_rule : forall m f s, 0 < m -> 0 <= s -> m * f = s -> 0 <= f.
Proof. intros m f s Hm Hs Hf. nra. Qed.
Lemma pos_rule_strict : forall m f c s, 0 <= m -> 0 < c -> 0 <= s -> m * f = c + s -> 0 < f.
Proof. intros. nra. Qed.
"""


def _q(c) -> str:
    c = Fraction(c)
    if c.denominator == 1:
        return f"({c.numerator})"
    return f"({c.numerator}/{c.denominator})"


def _poly(p: Poly, names) -> str:
    if p.is_zero():
        return "0"
    parts = []
    for e, c in sorted(p.t.items()):
        factors = [_q(c)] + [(f"{n}^{k}" if k > 1 else n) for n, k in zip(names, e) if k]
        parts.append(" * ".join(factors))
    return "(" + " + ".join(parts) + ")"


def _sos(terms, n, names) -> str:
    """A sum of ``w * (q_1 ... q_k)^2`` terms (Gram terms are not exported)."""
    out = []
    for term in terms:
        if "gram" in term:
            raise ValueError("Gram-matrix terms are not exported to Coq")
        prod = Poly(n) + 1
        for q in term.get("squares", []):
            prod = prod * poly_of(q, n)
        out.append(f"{_q(num(term['weight']))} * {_poly(prod, names)}^2")
    return "(" + " + ".join(out + ["0"]) + ")"


_SOS_TAC = "repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra)"


def coq_supported(cert) -> str | None:
    """None when :func:`coq_script` applies to ``cert``, else the reason it does not."""
    kind = cert.get("result")
    if kind == "A5":
        return None if "lower" in cert else "only the lower end of A5 is exported (the upper end needs Q(alpha))"
    if kind == "A1":
        if [num(c) for c in cert["gcd"]] != [1]:
            return "the gcd is not 1 (an exceptional step may exist)"
        D = Network(cert["network"]).D
        return None if D <= 6 else f"D = {D} > 6: the Leibniz expansion is too large"
    return f"no Coq export for result {kind}"


def coq_script(cert) -> str:
    """The ``.v`` text for a certificate; raises ValueError when :func:`coq_supported` says no."""
    reason = coq_supported(cert)
    if reason:
        raise ValueError(reason)
    header = (f"(* symstab certificate, result {cert['result']}: {cert['claim']} *)\n"
              "(* Replayed here: the identities and inequalities below. Taken as definitions, computed from\n"
              "   the network by the independent checker symstab.check: the Hessian entries (A1) and the\n"
              "   polynomial f = v^T H v - l* ||v||^2 (A5). *)\n")
    body = _a1(cert) if cert["result"] == "A1" else _a5(cert)
    return header + _PRELUDE + body


def _a1(cert) -> str:
    net = Network(cert["network"])
    eta = sympy.Symbol("eta")
    dets = []
    for point in cert["points"]:
        H = net.hessian([num(x) for x in point])
        D = len(H)
        terms = []
        for perm in itertools.permutations(range(D)):
            sign = Permutation(list(perm)).signature()
            factors = [f"({int(i == j)} - eta * {_q(H[i][j])})" for i, j in enumerate(perm)]
            terms.append(("- " if sign < 0 else "+ ") + " * ".join(factors))
        expr = sympy.Matrix(D, D, lambda i, j: int(i == j) - eta * sympy.Rational(H[i][j])).det(method="berkowitz")
        dets.append((" ".join(terms), sympy.Poly(sympy.expand(expr), eta)))
    us = _bezout([p for _, p in dets], eta)
    lines = []
    for k, (leibniz, _) in enumerate(dets, 1):
        lines.append(f"(* det(I - eta H_{k}), H_{k} the Hessian at point {k}: {cert['points'][k - 1]} *)")
        lines.append(f"Definition det{k} (eta : R) : R := 0 {leibniz}.")
        lines.append(f"Definition u{k} (eta : R) : R := {_upoly(us[k - 1])}.")
    k = len(dets)
    combo = " + ".join(f"u{i} eta * det{i} eta" for i in range(1, k + 1))
    unfolds = ", ".join([f"det{i}" for i in range(1, k + 1)] + [f"u{i}" for i in range(1, k + 1)])
    lines += [f"Lemma bezout : forall eta, {combo} = 1.", f"Proof. intro eta. unfold {unfolds}. field. Qed.", ""]
    claim = " \\/ ".join(f"det{i} eta <> 0" for i in range(1, k + 1))
    lines += [f"Theorem a1_nonsingular : forall eta, {claim}.", "Proof.", "  intro eta. pose proof (bezout eta) as Hb."]
    for i in range(1, k + 1):
        pick = "left; exact Z" if i < k else "exact Z"
        lines.append(f"  destruct (Req_dec (det{i} eta) 0) as [Z{i}|Z{i}]; [| {'right; ' * (i - 1)}{pick}{i}].")
    zs = ", ".join(f"Z{i}" for i in range(1, k + 1))
    lines += [f"  exfalso. rewrite {zs} in Hb. rewrite ?Rmult_0_r, ?Rplus_0_r, ?Rplus_0_l in Hb. lra.", "Qed.", ""]
    return "\n".join(lines)


def _bezout(polys, eta) -> list:
    """``u_k`` with ``sum u_k p_k = 1`` (the p_k have gcd 1)."""
    g, us = polys[0], [sympy.Poly(1, eta)]
    for p in polys[1:]:
        s, t, h = sympy.gcdex(g, p)
        us = [u * s for u in us] + [t]
        g = h
    if g.degree() > 0:
        raise ValueError("the determinants have a common factor: no Bezout identity with 1")
    return [sympy.Poly(u.as_expr() / g.as_expr(), eta) for u in us]


def _upoly(p) -> str:
    terms = [f"{_q(Fraction(int(c.p), int(c.q)))} * eta^{k}" for (k,), c in p.terms()]
    return "(" + " + ".join(terms or ["0"]) + ")"


def _a5(cert) -> str:
    net = Network(cert["network"])
    low = cert["lower"]
    names = [f"W{l}_{i}_{j}" for l in range(1, len(net.widths)) for i in range(net.widths[l])
             for j in range(net.widths[l - 1])]
    n = net.D
    theta = [Poly(n, {tuple(int(i == k) for i in range(n)): Fraction(1)}) for k in range(n)]
    Wbar = [[num(x) for x in row] for row in cert["minima"]["product"]]
    gens = [a - w for ra, rw in zip(net.product(theta), Wbar) for a, w in zip(ra, rw)]
    v = [poly_of(p, n) for p in low["direction"]]
    norm2 = sum((x * x for x in v), Poly(n))
    f = net.quadratic_form(theta, v) - norm2 * num(low["l_star"])
    lines = ["Section A5.", f"Variables {' '.join(names)} : R.", ""]
    lines += [f"Definition g{j} := {_poly(g, names)}." for j, g in enumerate(gens, 1)]
    hyps = " -> ".join(f"g{j} = 0" for j in range(1, len(gens) + 1))
    for tag, fpoly, data in (("f", f, low["rayleigh"]), ("n", norm2, low["direction_nonzero"])):
        m0, c = num(data["multiplier"]["constant"]), num(data["constant"])
        lam = [poly_of(p, n) for p in data["ideal"]]
        lines += [f"Definition {tag} := {_poly(fpoly, names)}.",
                  f"Definition {tag}_sm := {_sos(data['multiplier']['sos'], n, names)}.",
                  f"Definition {tag}_m := {_q(m0)} + {tag}_sm.",
                  f"Definition {tag}_s := {_sos(data['sos'], n, names)}."]
        ideal = " + ".join(f"{_poly(l, names)} * g{j}" for j, l in enumerate(lam, 1)) or "0"
        gdefs = ", ".join(f"g{j}" for j in range(1, len(gens) + 1))
        lines += [f"Lemma {tag}_identity : {tag}_m * {tag} = {_q(c)} + {tag}_s + ({ideal}).",
                  f"Proof. unfold {tag}_m, {tag}_sm, {tag}, {tag}_s, {gdefs}. field. Qed.",
                  f"Lemma {tag}_s_nonneg : 0 <= {tag}_s.", f"Proof. unfold {tag}_s. {_SOS_TAC}. Qed.",
                  f"Lemma {tag}_sm_nonneg : 0 <= {tag}_sm.", f"Proof. unfold {tag}_sm. {_SOS_TAC}. Qed."]
        rewrite = " ".join(f"rewrite H{j};" for j in range(1, len(gens) + 1))
        intros = " ".join(f"H{j}" for j in range(1, len(gens) + 1))
        if c > 0:
            lines += [f"Theorem {tag}_positive : {hyps} -> 0 < {tag}.",
                      f"Proof. intros {intros}. apply (pos_rule_strict {tag}_m {tag} {_q(c)} {tag}_s).",
                      f"  - unfold {tag}_m. pose proof {tag}_sm_nonneg. lra.", "  - lra.", f"  - exact {tag}_s_nonneg.",
                      f"  - rewrite {tag}_identity. {rewrite} ring.", "Qed."]
        else:
            lines += [f"Theorem {tag}_nonneg : {hyps} -> 0 <= {tag}.",
                      f"Proof. intros {intros}. apply (pos_rule {tag}_m {tag} ({_q(c)} + {tag}_s)).",
                      f"  - unfold {tag}_m. pose proof {tag}_sm_nonneg. lra.",
                      f"  - pose proof {tag}_s_nonneg. lra.",
                      f"  - rewrite {tag}_identity. {rewrite} ring.", "Qed."]
    lines += ["End A5.", ""]
    return "\n".join(lines)
