"""LaTeX fragments of certificates: the claim, its evidence, and the data a reader needs to re-check it.

:func:`certificate_latex` renders the JSON object of a certificate (results A1-A5
and B2) as a fragment for ``\\input``: the network, the product on M, the points,
polynomials, witnesses and intervals, with sizes stated for identities too long to
typeset usefully (the JSON file holds them in full).
"""

from __future__ import annotations

import sympy

from ..exact.latex import latex_name, to_latex
from ..exact.latex import text as latex_text

__all__ = ["certificate_latex"]

_LAM = sympy.Symbol("lam")


def _q(s) -> str:
    return to_latex(sympy.Rational(s))


def _matrix(rows) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(_q(x) for x in row) for row in rows) + r"\end{bmatrix}"


def _vector(values) -> str:
    return r"\left(" + ", ".join(_q(x) for x in values) + r"\right)"


def _upoly(coeffs, var=_LAM) -> str:
    return to_latex(sum(sympy.Rational(c) * var**i for i, c in enumerate(coeffs)))


def _poly(terms, names) -> str:
    syms = sympy.symbols(names)
    expr = sum(sympy.Rational(c) * sympy.Mul(*[s**k for s, k in zip(syms, e)]) for c, e in terms)
    return to_latex(expr)


def _names(widths) -> list:
    return [f"W{l}_{i}_{j}" for l in range(1, len(widths)) for i in range(widths[l]) for j in range(widths[l - 1])]


def _sos_size(block) -> int:
    return len(block["sos"]) + len(block["multiplier"]["sos"]) + sum(1 for m in block["ideal"] if m)


def certificate_latex(cert: dict, name: str = "") -> str:
    """A LaTeX fragment (text mode) for one certificate's JSON object."""
    kind = cert["result"]
    out = [r"\paragraph{Certificate " + name.replace("_", r"\_") + r".}",
           r"\emph{Claim (certified: accepted by the independent checker \texttt{symstab check}).} "
           + latex_text(cert["claim"])]
    if kind == "B":
        mats = ", ".join(f"$H_{{{i + 1}}} = {_matrix(h)}$" for i, h in enumerate(cert["hessians"]))
        sampling = cert["sampling"].replace("_", r"\_")
        out.append(f"Per-sample Hessians {mats}; batch size $B = {cert['batch']}$, sampling \\texttt{{{sampling}}}.")
        out.append(_root_text(cert["rho"], r"\rho", r"\det(\lambda C - D)"))
        return "\n\n".join(out) + "\n"
    net = cert["network"]
    names = _names(net["widths"])
    half = r"\tfrac12" if net["loss"] == "half" else ""
    out.append(f"Network: widths $({', '.join(map(str, net['widths']))})$, $X = {_matrix(net['X'])}$, "
               f"$Y = {_matrix(net['Y'])}$, loss \\texttt{{{net['loss']}}} "
               f"(${half}\\|\\mu(\\theta)X - Y\\|_F^2$). "
               f"Parameters $\\theta = ({', '.join(map(latex_name, names))})$, where $W_{{l}}(i,j)$ is entry $(i,j)$ of $W_l$.")
    if "minima" in cert:
        text = f"$M = \\{{\\theta : \\mu(\\theta) = \\bar W\\}}$ with $\\bar W = {_matrix(cert['minima']['product'])}$"
        if "gap" in cert["minima"]:
            lo, hi = cert["minima"]["gap"]
            text += (f" (non-filling: Eckart--Young, with $R^\\top R \\preceq {_q(lo)} I$ for $R = W^* - \\bar W$ "
                     f"and every non-zero eigenvalue of $\\bar W^\\top \\bar W$ at least ${_q(hi)}$)")
        out.append(text + ".")
    if kind == "A1":
        pts = "; ".join(f"$\\theta_{{{k + 1}}} = {_vector(p)}$" for k, p in enumerate(cert["points"]))
        out.append(f"Points: {pts}. The gcd of $\\chi_{{H(\\theta_k)}}(\\lambda)/\\lambda^{{m_k}}$ is "
                   f"${_upoly(cert['gcd'])}$, with {cert['positive_roots']} positive root(s).")
    elif kind == "A2":
        out.append(f"Point $\\theta = {_vector(cert['point'])}$; the minor of $D\\mu(\\theta)$ on rows "
                   f"${cert['minor']['rows']}$ and columns ${cert['minor']['cols']}$ is non-zero, so "
                   f"$\\operatorname{{rank}} D\\mu(\\theta) = {cert['rank']}$.")
    elif kind == "A3" and "curve" in cert:
        tau = sympy.Symbol("tau")
        curve = [to_latex(sum(sympy.Rational(c) * tau**e[0] for c, e in p)) for p in cert["curve"]]
        out.append(f"Curve $\\theta(\\tau) = ({', '.join(curve)})$, $\\tau > 0$; characteristic polynomial of "
                   f"$\\nabla^2 L(\\theta(\\tau))$: ${_upoly(cert['charpoly'])}$ for every $\\tau$.")
    elif kind == "A3":
        lhs = f"$\\operatorname{{tr}} \\nabla^2 L(\\theta) - {_q(cert['k'])} \\|\\theta\\|^2$"
        squares = _sos_size(cert["trace_bound"])
        out.append(f"Identity: {lhs} is identically zero (no squares are needed)." if squares == 0 and cert["trace_bound"]["constant"] == "0" else
                   f"Identity: {lhs} is a sum of {squares} weighted squares modulo the equations of $M$.")
    elif kind == "A4":
        out.append(f"Point $\\theta = {_vector(cert['point'])}$, $\\eta = {_q(cert['eta'])}$, verdict: "
                   f"\\textbf{{{cert['verdict']}}}. " + _root_text(cert["lambda_max"], r"\lambda_{\max}",
                                                               r"\chi_{\nabla^2 L(\theta)}"))
    elif kind == "A5":
        if "lower" in cert:
            low = cert["lower"]
            v = ", ".join(_poly(p, names) for p in low["direction"])
            out.append(f"Lower end: direction $v(\\theta) = ({v})$ and $\\ell^* = {_q(low['l_star'])}$. Identities "
                       f"$m\\,(v^\\top \\nabla^2 L\\, v - \\ell^* \\|v\\|^2) = \\sigma + \\sum_j \\lambda_j g_j$ "
                       f"({_sos_size(low['rayleigh'])} terms, $m > 0$) and "
                       f"$m'\\|v\\|^2 = c + \\sigma' + \\sum_j \\lambda'_j g_j$ with $c = {_q(low['direction_nonzero']['constant'])}$ "
                       f"({_sos_size(low['direction_nonzero'])} terms); $g_j$ the entries of $\\mu(\\theta) - \\bar W$.")
        if "upper" in cert:
            up = cert["upper"]
            alpha = sympy.Symbol("alpha")
            field = up["field"]
            pts = ", ".join(_upoly(c, alpha) for c in up["point"])
            out.append(f"Upper end: in $\\mathbb{{Q}}(\\alpha)$, $\\alpha$ the root of ${_upoly(field['minimal_polynomial'], alpha)}$ "
                       f"in $({_q(field['interval'][0])}, {_q(field['interval'][1])}]$, the point $({pts})$ of $M$ has "
                       f"${_q(up['u'])}\\, I - \\nabla^2 L \\succeq 0$ (exact $LDL^\\top$).")
    return "\n\n".join(out) + "\n"


def _root_text(data, name, poly) -> str:
    lo, hi = data["interval"]
    return (f"${name}$ is the root of ${_upoly(data['factor'])}$ (a factor of ${poly}$) in "
            f"$({_q(lo)}, {_q(hi)}]$, the largest real root.")
