"""The compiled report for a network: setting, Theorems A1-A5 and Observation A6 (interface layer).

:func:`network_document` typesets an analysis (:func:`symstab.report.analyze` with
``document=True``) in the order A1, A2, A3, A4, A5, A6: each statement, then its
evidence, then the data of its checked certificate. The points are labelled
``theta^(1)`` (A2), ``theta^(2)`` (A4) and ``theta^*`` (A5).
"""

from __future__ import annotations

import sympy

from ..exact.numberfield import AlgebraicPoint
from .latex import (
    approx, certificate_text, decimal, display, Document, evidence, expr_latex, expr_terms, Formulas,
    fragment_body, INLINE, LAM, LINE, matrix, monic, number, point_equation, preamble, TERMS, text, weights, width)

__all__ = ["network_document"]


def network_document(report, *, formulas_file: str = "report.formulas.json", sweep=None,
                     figure: str | None = None) -> Document:
    """The appendix for one network: setting, Theorems A1-A5 and, with ``sweep``, Observation A6.

    Parameters
    ----------
    report : Report
        From :func:`symstab.report.analyze` (``document=True`` adds the certificates and ``p``).
    formulas_file : str
        Name of the formulas file the document refers to (written next to it by :func:`write_document`).
    sweep : SweepResult, optional
        The phase-transition sweep of A6.
    figure : str, optional
        File name of the sweep figure (included with ``\\includegraphics``); its Figure is in ``figures``.

    Returns
    -------
    Document
    """
    doc = Document()
    f = Formulas(doc, formulas_file)
    net, parts = report.net, report.parts
    certs = parts.get("certificates", {})
    widths = net.widths
    w = ",".join(map(str, widths))
    out = preamble(f"Appendix: gradient-descent stability of the linear network $({w})$", figure is not None)
    out += _setting(net)
    out += _a1(net, parts, certs, f)
    out += _a2(net, parts, certs)
    out += _a3(net, parts, certs, f)
    out += _a4(net, parts, certs, f)
    out += _a5(net, parts, certs, f)
    if sweep is not None:
        out += _a6(sweep, figure)
        if figure is not None:
            doc.figures[figure] = sweep.plot()
    out += [r"\end{document}", ""]
    doc.tex = "\n\n".join(out)
    return doc


def _setting(net) -> list:
    H = len(net.widths) - 1
    whitened = net.X == sympy.eye(net.X.rows)
    data = (f"$X = I$ (whitened data) and $Y = W^* = {matrix(net.Y.tolist())}$" if whitened
            else f"$X = {matrix(net.X.tolist())}$, $Y = {matrix(net.Y.tolist())}$")
    return [r"\subsection*{Setting}",
            f"The network maps $x \\mapsto \\mu(\\theta) x$ with $\\mu(\\theta) = W_{H} \\cdots W_1$, "
            f"$W_l \\in \\R^{{d_l \\times d_{{l-1}}}}$ and widths $(d_0, \\dots, d_{H}) = ({', '.join(map(str, net.widths))})$; "
            f"the parameter $\\theta = (W_1, \\dots, W_{H})$ has $D = {net.num_params}$ entries (each $W_l$ read row by row), "
            f"and $w_{{l,ij}}$ is the entry $(i, j)$ of $W_l$. "
            f"The data are {data}, $\\Sigma = X X^\\top$, and the loss is $L(\\theta) = {net.loss_latex}$. "
            r"Gradient descent with step $\eta > 0$ is the map $G_\eta(\theta) = \theta - \eta \nabla L(\theta)$, "
            r"$H(\theta) = \nabla^2 L(\theta)$ is the Hessian, $\lambda_{\max}$ its largest eigenvalue (the sharpness) "
            r"and $\lambda_{\min}^+$ its smallest positive one. $\mathcal{M}$ is the set of global minima of $L$; "
            r"the critical step sizes are $\eta_C = 2 / \min_{\mathcal{M}} \lambda_{\max}$ and "
            r"$\eta_E = 2 / \inf_{\mathcal{M}} \lambda_{\min}^+$."]


def _a1(net, parts, certs, f) -> list:
    cert = parts["A1"]
    kind = "certified" if certs.get("A1", {}).get("status") == "certified" else "exact"
    out = [r"\subsection*{A1. The gradient-descent map is non-singular}",
           "\\setcounter{resultA}{0}\\begin{resultA}[non-singularity]\\label{thm:A1}\n" + fragment_body(cert.latex()) + "\n\\end{resultA}"]
    det = parts.get("det")
    if det is not None and not isinstance(det, str):
        what = r"The Jacobian determinant $p(\theta, \eta) = \det(I - \eta H(\theta))$ of $G_\eta$"
        size = (f"{det.nterms} terms, total degree {det.degree}, degree {det.degrees.get('eta', 0)} in $\\eta$")
        f.record("A1.p", "p(theta, eta) = det(I - eta H(theta)), parameters W<l>_<i>_<j> (0-based)",
                 "".join(det.text_chunks()), terms=det.nterms, degree=det.degree,
                 degrees=dict(det.degrees))
        if det.nterms <= TERMS:
            terms = expr_terms(det.as_expr())
            out.append(what + f" has {size}:\n"
                       + display(terms, r"p(\theta, \eta)"))
        else:
            out.append(f.too_large("A1.p", what, size))
    elif isinstance(det, str):
        out.append(r"The determinant $p(\theta, \eta)$ was not expanded: " + text(det) + ".")
    out.append(evidence(kind, "The gcd is taken over the exact points of the certificate below."))
    out.append(certificate_text(certs.get("A1"), "A1"))
    return out


def _a2(net, parts, certs) -> list:
    M = parts["minima"]
    out = [r"\subsection*{A2. The manifold of minima}"]
    body = fragment_body(M.latex())
    point = parts.get("theta1")
    if point is not None:
        rank, mb = parts["rank_check"], parts["morse_bott"]
        body += ("\n\nThe point $\\theta^{(1)}$ below lies on $\\mathcal{M}$; there "
                 f"$\\operatorname{{rank}} D\\mu(\\theta^{{(1)}}) = {rank.value}$ (predicted {rank.expected}) and "
                 f"$\\dim \\ker H(\\theta^{{(1)}}) = {mb.value} = \\dim \\mathcal{{M}}$"
                 + (" (Morse--Bott)." if mb.holds else f" fails (expected {mb.expected})."))
    out.append("\\setcounter{resultA}{1}\\begin{resultA}[minima]\\label{thm:A2}\n" + body + "\n\\end{resultA}")
    algebraic = isinstance(point, AlgebraicPoint)  # an irrational target: coordinates in a number field
    if point is not None:
        out.append(point_equation("theta1", r"\theta^{(1)}", weights(net.widths, point.to_sympy() if algebraic else point)))
    kind = "certified" if certs.get("A2", {}).get("status") == "certified" else "exact"
    where = ("in the number field $\\mathbb{Q}(\\alpha)$ of its coordinates" if algebraic else "over $\\mathbb{Q}$")
    out.append(evidence(kind, f"Ranks are computed exactly {where} at the point $\\theta^{{(1)}}$."))
    out.append(certificate_text(certs.get("A2"), "A2"))
    return out


def _eigenvalues(spec, f) -> str:
    groups = {}
    for e in spec.eigenvalues:
        groups.setdefault(sympy.sstr(e.minimal_polynomial), []).append(e)
    lines = []
    for k, (poly, eigs) in enumerate(groups.items()):
        m = eigs[0].minimal_polynomial
        if all(len(expr_latex(e.value)) <= INLINE for e in eigs):
            for e in eigs:
                lo, hi = e.enclosure
                lines.append(f"{expr_latex(e.value)} & \\in [{approx(lo)}, {approx(hi)}]"
                             + (f" & &\\text{{multiplicity {e.multiplicity}}}" if e.multiplicity > 1 else ""))
            continue
        key = f"A3.minimal_polynomial_{k + 1}"
        f.record(key, "minimal polynomial of Hessian eigenvalues at theta^(1)", sympy.sstr(m),
                 degree=int(sympy.degree(m, LAM)))
        name = f"m_{{{k + 1}}}"
        f.names[monic(m)] = name
        lines.append(f"{name}(\\lambda) &= {expr_latex(m)}" if len(expr_latex(m)) <= 3 * LINE
                     else f"{name} &: \\text{{degree {sympy.degree(m, LAM)}, in the formulas file ({text(key)})}}")
        for j, e in enumerate(eigs):
            lo, hi = e.enclosure
            lines.append(f"\\operatorname{{root}}_{{{j + 1}}}({name}) & \\in [{approx(lo)}, {approx(hi)}]"
                         + (f" & &\\text{{multiplicity {e.multiplicity}}}" if e.multiplicity > 1 else ""))
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _a3(net, parts, certs, f) -> list:
    out = [r"\subsection*{A3. Hessian spectra on the manifold of minima}"]
    items = []
    spec = parts.get("spectrum")
    if spec is not None:
        items.append(f"At the point $\\theta^{{(1)}}$ of Theorem~\\ref{{thm:A2}}, $0$ is an eigenvalue of $H(\\theta^{{(1)}})$ of "
                     f"multiplicity {spec.zero_multiplicity} and the non-zero eigenvalues, with rigorous "
                     "enclosures, are\n" + _eigenvalues(spec, f))
    along = parts.get("along")
    if along is not None:
        items.append(_along(net, along, f))
    proper = parts.get("properness")
    if proper is not None and proper.proved:
        items.append(r"The sharpness is proper on $\mathcal{M}$: for every $\theta \in \mathcal{M}$, "
                     f"$\\lambda_{{\\max}}(H(\\theta)) \\ge {expr_latex(proper.bound)}$.")
    elif proper is not None and proper.disproved:
        c = proper.counterexample
        items.append(r"The sharpness is \emph{not} proper on $\mathcal{M}$: along the curve "
                     + "$\\theta(\\tau) \\in \\mathcal{M}$, $\\tau > 0$, given by\n\\begin{equation*}\n"
                     + weights(net.widths, c.theta) + "\n\\end{equation*}\n"
                     + f"$\\lambda_{{\\max}} = {number(c.lambda_max)}$ for every $\\tau$, while "
                     f"$\\|\\theta(\\tau)\\|^2 = {expr_latex(c.norm_squared)} \\to \\infty$ as $\\tau \\to 0^+$.")
    elif proper is not None:
        items.append("Properness of the sharpness on $\\mathcal{M}$ is not decided here: " + text(proper.argument) + ".")
    proper_item = len(items) if proper is not None and (proper.proved or proper.disproved) else 0
    curve = parts["critical"].escape_curve
    if curve is not None and curve.proved:
        items.append(r"The smallest positive eigenvalue is not proper on $\mathcal{M}$: along the curve "
                     r"$\theta(\tau) \in \mathcal{M}$, $\tau > 0$, given by" + "\n\\begin{equation*}\n"
                     + weights(net.widths, curve.theta) + "\n\\end{equation*}\n"
                     + f"one has $\\|\\theta(\\tau)\\|^2 = {expr_latex(curve.norm_squared)} \\to \\infty$ and, with the "
                     f"$k = {curve.codimension}$ non-zero eigenvalues and $e_j$ their elementary symmetric functions,\n"
                     + display(expr_terms(sympy.factor(curve.bound)),
                               r"\lambda_{\min}^+ \le \frac{k\, e_k}{e_{k-1}}")
                     + r"which tends to $0$ as $\tau \to 0^+$.")
    body = ("The Hessian on $\\mathcal{M}$ has the following spectra.\n\\begin{enumerate}\n"
            + "\n".join(r"\item " + i for i in items) + "\n\\end{enumerate}")
    out.append("\\setcounter{resultA}{2}\\begin{resultA}[spectra]\\label{thm:A3}\n" + body + "\n\\end{resultA}")
    also = (f" Item {proper_item} is also certified: the certificate below was accepted by the independent checker."
            if certs.get("A3", {}).get("status") == "certified" and proper_item else "")
    out.append(evidence("exact", "Eigenvalues are exact algebraic numbers (closed forms or roots of their minimal "
                         "polynomials) with rigorous enclosures; the curves are checked by exact limits of "
                         "rational functions of $\\tau$." + also))
    out.append(certificate_text(certs.get("A3"), "A3"))
    return out


def _along(net, along, f) -> str:
    """The closed-form spectrum along M, with its setting in words chosen by the object's fields."""
    eig = ",\\quad ".join(expr_latex(e) + (rf"\ (\times {m})" if m > 1 else "") for e, m in along.eigenvalues)
    if along.theta is not None:  # an exact parametrisation of M
        params = ", ".join(expr_latex(p) for p in along.parameters)
        return (f"$\\mathcal{{M}}$ is parametrised exactly by ${params} \\ne 0$ as\n\\begin{{equation*}}\n"
                + weights(net.widths, along.theta) + "\n\\end{equation*}\n"
                + f"and along it the non-zero eigenvalues are\n\\begin{{equation*}}\n{eig}.\n\\end{{equation*}}")
    if net.widths[0] == net.widths[-1] == 1 and len(along.eigenvalues) == 1:
        return ("At every point of $\\mathcal{M}$ the single non-zero eigenvalue is the polynomial\n"
                + f.sum("A3.along_M", "the non-zero Hessian eigenvalue at every point of M", along.eigenvalues[0][0],
                        r"\lambda", "The polynomial"))
    return (r"At every point of $\mathcal{M}$ (two layers, $\Sigma = sI$) the non-zero eigenvalues are "
            f"${eig}$, where $p_i$ ranges over the eigenvalues of $W_2 W_2^\\top$ and $q_j$ over those of "
            r"$W_1^\top W_1$ (the pairs with $p_i + q_j > 0$).")


def _a4(net, parts, certs, f) -> list:
    out = [r"\subsection*{A4. Stability of minima}"]
    examples = parts.get("examples", ())
    if not examples:
        out.append("No exact point of $\\mathcal{M}$ or no enclosure of $\\eta_C$: no example is classified.")
        return out
    items = []
    for label, cl in examples:
        tag = r"\theta^{(1)}" if label == "theta1" else r"\theta^{(2)}"
        eta = sympy.Rational(cl.eta.numerator, cl.eta.denominator)
        rel = {"stable": "<", "unstable": ">", "marginal": "="}[cl.verdict]
        where = "of Theorem~\\ref{thm:A2}" if label == "theta1" else "(defined below)"
        value = number(cl.lambda_max, f.names if label == "theta1" else None)
        items.append(f"at the point ${tag}$ {where} and $\\eta = {expr_latex(eta)}$: "
                     f"$\\lambda_{{\\max}}(H({tag})) {'' if value.startswith(chr(92) + 'approx') else '= '}{value}"
                     f" {rel} 2/\\eta = {expr_latex(2 / eta)}$, "
                     f"so ${tag}$ is \\emph{{{cl.verdict}}}.")
    body = ("A minimum $\\theta \\in \\mathcal{M}$ is linearly stable under $G_\\eta$ when "
            "$\\lambda_{\\max}(H(\\theta)) < 2/\\eta$ and unstable when $\\lambda_{\\max}(H(\\theta)) > 2/\\eta$. In particular:\n"
            "\\begin{enumerate}\n" + "\n".join(r"\item " + i for i in items) + "\n\\end{enumerate}")
    mss = parts.get("M_SS")
    if mss is not None:
        mss_eta = sympy.Rational(mss.eta.numerator, mss.eta.denominator)
        body += (f"\nThe set of minima that are stable at $\\eta = {expr_latex(mss_eta)}$ is the semi-algebraic set\n"
                 + fragment_body(mss.latex()))
        for k, c in enumerate(mss.conditions):
            body += f.sum(f"A4.M_SS.condition_{k + 1}", f"leading principal minor {k + 1} of S(theta) at eta = {mss.eta}",
                          c, f"\\Delta_{{{k + 1}}}(\\theta)", f"The minor $\\Delta_{{{k + 1}}}(\\theta)$") + "\n"
    out.append("\\setcounter{resultA}{3}\\begin{resultA}[stability]\\label{thm:A4}\n" + body + "\n\\end{resultA}")
    if "theta2" in parts:
        out.append("Here $\\theta^{(2)}$ is a rational point of $\\mathcal{M}$ near the witness $\\theta^*$ of "
                   "Theorem~\\ref{thm:A5}:\n" + point_equation("theta2", r"\theta^{(2)}", weights(net.widths, parts["theta2"])))
    first = next(k for k, (label, _) in enumerate(examples, 1) if label == "theta1")
    also = (f" Item {first} is also certified: the certificate below was accepted by the independent checker."
            if certs.get("A4", {}).get("status") == "certified" else "")
    out.append(evidence("exact", "Each verdict compares the exact algebraic $\\lambda_{\\max}$ with $2/\\eta$ "
                         "(refined enclosures, equality by the minimal polynomial)." + also))
    out.append(certificate_text(certs.get("A4"), "A4"))
    return out


def _a5(net, parts, certs, f) -> list:
    cs = parts["critical"]
    out = [r"\subsection*{A5. Critical step sizes}"]
    body = fragment_body(cs.latex())  # states the method and the family's assumptions itself
    if cs.eta_E == sympy.oo and cs.escape_curve is not None:
        body += r" $\eta_E = \infty$ because $\lambda_{\min}^+$ is not proper on $\mathcal{M}$ (Theorem~\ref{thm:A3})."
    rounded = cs.witness is not None and (not cs.witness_exact or any(
        width(expr_latex(v)) > 24 for v in cs.witness))
    if cs.witness is not None:
        if not cs.witness_exact:
            how = "numerical point (10 significant digits shown)"
        elif rounded:
            f.record("A5.witness", "the witness theta^* (exact entries, W_1 row by row, then W_2, ...)",
                     [str(v) for v in cs.witness], terms=len(cs.witness))
            how = (f"point (exact algebraic entries, shown to 10 digits; in full in \\texttt{{{text(f.file)}}} "
                   "under the key \\texttt{A5.witness})")
        else:
            how = "point"
        body += ("\nThe minimum of $\\lambda_{\\max}$ over $\\mathcal{M}$ is attained at the " + how
                 + " $\\theta^*$ below.")
    out.append("\\setcounter{resultA}{4}\\begin{resultA}[critical step sizes]\\label{thm:A5}\n" + body + "\n\\end{resultA}")
    if cs.witness is not None:
        out.append(point_equation("witness", r"\theta^*", weights(net.widths, list(cs.witness),
                                                            decimal if rounded else None)))
    detail = ""
    if cs.proof is not None:
        detail = f"The solver z3 reports: {text(cs.proof)} (solver verdict, no certificate)."
    out.append(evidence(cs.evidence, detail))
    out.append(certificate_text(certs.get("A5") or parts.get("critical_certificate"), "A5"))
    return out


def _a6(sweep, figure) -> list:
    rows = []
    for r in sweep.rows:
        lo, hi = r["converged_ci"]
        g = "--" if r["median_grad_norm"] is None else sympy.latex(sympy.Float(r["median_grad_norm"], 3))
        rows.append(f"{r['eta_ratio']:.3g} & {r['eta']:.4g} & {r['converged_fraction']:.3f} & "
                    f"$[{lo:.3f}, {hi:.3f}]$ & {r['diverged_fraction']:.3f} & "
                    f"{r.get('period2_fraction', float('nan')):.3f} & ${g}$ \\\\")
    table = ("\\begin{center}\n\\begin{tabular}{rrrcrrr}\n\\hline\n"
             r"$\eta/\eta_C$ & $\eta$ & converged & Wilson 95\% & diverged & period 2 & median $\|\nabla L\|$ \\" + "\n\\hline\n"
             + "\n".join(rows) + "\n\\hline\n\\end{tabular}\n\\end{center}")
    out = [r"\subsection*{A6. No convergence above $\eta_C$ (simulation)}",
           "\\setcounter{observation}{5}\\begin{observation}[phase transition]\\label{thm:A6}\n"
           f"Gradient descent from {sweep.n_inits} random starts (seed {sweep.seed}, scale {sweep.init_scale:.4g}), "
           f"{sweep.steps} steps each, at $\\eta = r\\,\\eta_C$ with $\\eta_C \\approx {sweep.eta_C:.6g}$:\n"
           + table + "\\end{observation}"]
    if figure is not None:
        out.append("\\begin{figure}[ht]\n\\centering\n\\includegraphics[width=0.85\\textwidth]{" + figure + "}\n"
                   r"\caption{The sweep of Observation~\ref{thm:A6}: fraction of starts that converge to $\mathcal{M}$ "
                   r"(Wilson 95\% intervals), diverge or end on a 2-cycle, and the final gradient norm, against "
                   r"$\eta/\eta_C$.}" + "\n\\end{figure}")
    out.append(evidence("numerical", "Float64 runs; borderline runs are re-checked at high precision."))
    return out
