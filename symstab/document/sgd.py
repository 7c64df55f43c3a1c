"""The compiled report for SGD input: Theorems B1 (coherence), B2 (mean-square threshold), B3 (divergence conditions).

Paper B's SGD linear stability (:func:`symstab.sgd.analyze`) with its evidence and,
for exact input, the checked B2 certificate (interface layer).
"""

from __future__ import annotations

import json

import sympy

from .latex import (Document, Formulas, certificate_text, evidence, expr_latex, matrix, number, preamble, text)

__all__ = ["sgd_document"]


def _entry(v):
    """A Hessian entry as given: exact (int, Fraction, ``"p/q"`` text) or a float (shown to 6 digits)."""
    if isinstance(v, float):
        return sympy.Float(v, 6)
    return sympy.Rational(str(v)) if not isinstance(v, sympy.Basic) else v

def _exact(v) -> bool:
    return isinstance(v, sympy.Basic) and not v.atoms(sympy.Float)


def sgd_document(result, *, hessians=None, source: str = "", certificate=None,
                 formulas_file: str = "report.formulas.json") -> Document:
    """The appendix for paper B's SGD analysis: Theorems B1 (coherence), B2 (mean-square threshold), B3
    (divergence conditions).

    Parameters
    ----------
    result : StabilityAnalysis
        From :func:`symstab.sgd.analyze` or :func:`symstab.sgd.construction.construction_analysis`.
    hessians : list of matrices, optional
        The per-sample Hessians, typeset when small (else stated by size and written to the formulas file).
    source : str
        Where the Hessians come from, in words.
    certificate : dict, optional
        ``{"status", "claim", "data"}`` of the B2 certificate (:func:`symstab.proofs.certificates.b_certificate`).
    formulas_file : str

    Returns
    -------
    Document
    """
    doc = Document()
    f = Formulas(doc, formulas_file)
    r = result
    exact = r.threshold_method == "exact"
    out = preamble("Appendix: linear stability of stochastic gradient descent", False)
    sampling = {"bernoulli": "each sample independently with probability $B/n$ (Bernoulli)",
                "without_replacement": "a uniform subset of $B$ samples (without replacement)",
                "with_replacement": "$B$ independent uniform indices (with replacement)"}[r.sampling]
    setting = (r"\subsection*{Setting}" "\n"
               f"At a minimum where every per-sample gradient vanishes, let $H_1, \\dots, H_n \\succeq 0$ be the "
               f"per-sample Hessians ($n = {r.n}$) and $H = \\frac1n \\sum_i H_i$. Linearised SGD is "
               r"$w_{k+1} = (I - \eta \hat H_k) w_k$, where the mini-batch Hessian $\hat H_k$ averages the $H_i$ over "
               f"a batch of size $B = {r.batch}$ that selects {sampling}. ")
    if source:
        setting += f"The Hessians are {text(source)}."
    if hessians is not None:
        mats = [[[_entry(v) for v in row] for row in h] for h in hessians]
        f.record("B.hessians", "the per-sample Hessians H_1, ..., H_n",
                 json.dumps([[[sympy.sstr(v) for v in row] for row in m] for m in mats]),
                 n=len(mats), d=len(mats[0]) if mats else 0)
        if len(mats) <= 8 and all(len(m) <= 4 for m in mats):
            setting += "\n\\begin{gather*}\n" + r",\quad ".join(
                f"H_{{{i + 1}}} = {matrix(m)}" + (r" \\" if i % 4 == 3 and i + 1 < len(mats) else "")
                for i, m in enumerate(mats)).replace(r"\\,\quad", r"\\") + "\n\\end{gather*}"
        else:
            setting += " " + f.too_large("B.hessians", "The list of Hessians",
                                         f"$n = {len(mats)}$ matrices of size ${len(mats[0])} \\times {len(mats[0])}$")
    out.append(setting)

    def val(v, vf):
        return number(v) if isinstance(v, sympy.Basic) else f"{vf:.6g}"

    inexact = [name for name, v in ((r"$\sigma$", r.sigma), (r"$\lambda_1(H)$", r.lambda_1), ("$s$", r.nonuniformity))
               if not _exact(v)]
    b1_detail = (", ".join(inexact) + (" is" if len(inexact) == 1 else " are") + " computed in floating point "
                 "(e.g. an irrational $S_{ij}$); the rest is exact.") if inexact else ""
    out += [r"\subsection*{B1. Coherence}",
            "\\setcounter{resultB}{0}\\begin{resultB}[coherence]\\label{thm:B1}\n"
            r"With $S_{ij} = \sqrt{\operatorname{tr}(H_i H_j)}$, the coherence measure "
            r"$\sigma = \lambda_1(S) / \max_i \lambda_1(H_i)$, the sharpness $\lambda_1(H)$ and the "
            r"non-uniformity $s = \sqrt{\lambda_{\max}(\frac1n \sum_i H_i^2 - H^2)}$ are" + "\n\\begin{align*}\n"
            f"\\sigma &= {val(r.sigma, r.sigma_float)}, & \\lambda_1(H) &= {val(r.lambda_1, r.lambda_1_float)}, & "
            f"s &= {val(r.nonuniformity, r.nonuniformity_float)}.\n\\end{{align*}}\n\\end{{resultB}}",
            evidence("numerical" if inexact else "exact", b1_detail)]
    thr_kind = "certified" if (certificate or {}).get("status") == "certified" else ("exact" if exact else "numerical")
    star = (number(r.eta_star) if isinstance(r.eta_star, sympy.Basic) else f"{r.eta_star_float:.10g}")
    verdict = ""
    if r.eta is not None:
        eta = r.eta if isinstance(r.eta, sympy.Basic) else sympy.Float(r.eta, 10)
        word = "mean-square stable" if r.stable else ("marginal (not stable)" if r.marginal else "mean-square divergent")
        verdict = f" At the step size $\\eta = {expr_latex(eta)}$ linearised SGD is \\emph{{{word}}}."
    out += [r"\subsection*{B2. The exact mean-square threshold}",
            "\\begin{resultB}[mean-square threshold]\\label{thm:B2}\n"
            r"The second moment $\mathbb{E}[w_k w_k^\top]$ tends to $0$ for every $w_0$ if and only if "
            f"$\\eta < \\eta^*$, where\n\\begin{{equation*}}\n\\eta^* = {star}\n\\end{{equation*}}\n"
            r"is $2/\lambda_{\max}(C^+ D)$ for the second-moment operator $Q(\eta) = I - 2\eta C + \eta^2 D$."
            + verdict + "\n\\end{resultB}",
            evidence(thr_kind, f"Computed by the {text(r.threshold_method)} path."
                      + ("" if certificate else " No certificate was built for this input.")),
            certificate_text(certificate, "B2") if certificate else ""]
    rows = []
    names = {"sharpness": r"sharpness: $\eta\,\lambda_1(H)\,(1 + 1/B - 1/n) > 2$" if r.sampling == "bernoulli"
             else r"sharpness: $\lambda_1(H) > 2/\eta$",
             "coherence": r"coherence (paper B): $\lambda_1(H) > (\sigma/\eta)(n/B - 1)^{-1/2}$"}
    tight = r.tightness
    for name, t in r.implied_thresholds.items():
        holds = "" if r.eta is None else (" (holds at the given $\\eta$)" if r.conditions.get(name) else
                                          " (does not hold at the given $\\eta$)")
        ratio = "" if tight.get(name) is None else f"; $\\eta^*/t = {tight[name]:.4g}$"
        rows.append(f"\\item {names.get(name, text(name))} holds if and only if $\\eta > t = {number(t)}$"
                    + ratio + holds + ".")
    b3_exact = exact and all(_exact(t) for t in r.implied_thresholds.values())
    out += [r"\subsection*{B3. Sufficient conditions for divergence}",
            "\\begin{resultB}[divergence conditions]\\label{thm:B3}\n"
            r"Each of the following implies that linearised SGD diverges in mean square; each threshold $t$ "
            r"is at least $\eta^*$ of Theorem~\ref{thm:B2}." + "\n\\begin{enumerate}\n" + "\n".join(rows)
            + "\n\\end{enumerate}\n\\end{resultB}",
            evidence("exact" if b3_exact else "numerical", ("" if b3_exact else "Here some threshold is a float "
                     "(the coherence threshold uses the floating-point $\\sigma$ of Theorem~\\ref{thm:B1}). ") +
                      "The thresholds are evaluated exactly where the input is exact. The sharpness condition is "
                      "derived from the mean and the top eigenvector; the coherence condition is paper B's "
                      "and symstab does not prove it (it is tested never to fall below $\\eta^*$)."),
            r"\end{document}", ""]
    doc.tex = "\n\n".join(p for p in out if p)
    return doc
