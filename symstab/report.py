"""The analysis report (interface layer): one network, every result, behind ``symstab analyze`` (A1-A5).

:func:`analyze` gathers the A1 certificate, the manifold of minima (A2), the
exact spectrum at a point of M, the spectrum along M, properness and the escape
curve (A3), example classifications (A4) and the critical step sizes (A5) into
one :class:`Report`, rendered as text, JSON or a standalone LaTeX document.
Every line says which kind of evidence backs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from .budget import Estimate, guard
from .critical import critical_step_sizes, exact_point_near
from .critical.cost import critical_cost
from .proofs.lower_bounds import certify_critical
from .exact.numbers import as_fraction, check_seed, simplest_between
from .gdmap import certificate_cost, nonsingularity_certificate
from .minima import minima
from .spectrum import properness, spectrum_along, spectrum_at
from .stability import classify, stable_set

__all__ = ["Report", "analysis_cost", "analyze"]


@dataclass(frozen=True)
class Report:
    """The sections of an analysis; ``sections`` maps a title to (text lines, JSON object, LaTeX)."""

    widths: tuple
    loss: str
    sections: tuple  # (key, title, lines, data, latex)
    net: object = field(repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"widths": list(self.widths), "loss": self.loss, **{key: data for key, _, _, data, _ in self.sections}}

    def __str__(self) -> str:
        out = [f"symstab analysis: widths {self.widths}, loss {self.net.loss_description}, D = {self.net.num_params}"]
        for _, title, lines, _, _ in self.sections:
            out.append("")
            out.append(f"== {title} ==")
            out.extend(lines)
        return "\n".join(out)

    def latex(self) -> str:
        """A standalone LaTeX document (compiles with pdflatex; packages amsmath, amssymb only)."""
        body = []
        for _, title, _, _, tex in self.sections:
            body.append(rf"\section*{{{title}}}")
            body.append(tex)
        widths = ",".join(map(str, self.widths))
        return "\n".join([
            r"\documentclass{article}",
            r"\usepackage{amsmath,amssymb}",
            r"\usepackage[margin=2cm]{geometry}",
            r"\allowdisplaybreaks",
            r"\begin{document}",
            rf"\noindent\textbf{{symstab analysis}} of the linear network with widths $({widths})$, "
            rf"loss ${self.net.loss_latex}$.",
            *body,
            r"\end{document}",
            "",
        ])


def _breakable(tex: str, limit: int = 400) -> str:
    return tex if len(tex) <= limit else r"\text{(too long to print; see the JSON output)}"


def analysis_cost(net) -> Estimate:
    """Up-front time and memory of :func:`analyze`: the A1 certificate plus ``eta_C`` and ``eta_E``, which dominate.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> analysis_cost(LinearNetwork.whitened((1, 300, 300, 1), [[1]])).seconds > 600
    True
    """
    parts = (certificate_cost(net), critical_cost(net))
    return Estimate(f"the analysis of widths {net.widths} (D = {net.num_params}: the A1 certificate, eta_C, eta_E)",
                    sum(p.seconds for p in parts), max(p.bytes for p in parts))


def analyze(net, *, seed: int = 0, prove: bool = True, dps: int = 50, force: bool = False) -> Report:
    """Analyse ``net``: results A1-A5 with their evidence.

    Parameters
    ----------
    net : LinearNetwork
        Numeric data (families: use the API on the closed forms).
    seed : int
        Seed for points of M and certificate points.
    prove : bool
        Run z3 where the case is tiny.
    dps : int
        Digits for numerical witnesses.
    force : bool
        Compute even when :func:`analysis_cost` is above ten minutes or the available memory
        (otherwise refused up front).

    Returns
    -------
    Report

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> report = analyze(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), prove=False)
    >>> report.to_dict()["critical"]["eta_C"], report.to_dict()["critical"]["eta_E"]
    ('1/5', 'oo')
    """
    seed = check_seed(seed)
    net.require_numeric("symstab analyze")
    guard(analysis_cost(net), force)
    sections = []

    # A1
    cert = nonsingularity_certificate(net, seed=seed, force=force)
    sections.append(("nonsingularity", "A1: the GD map is non-singular", str(cert).splitlines(),
                     cert.to_dict(), cert.latex()))

    # A2
    M = minima(net, dps=dps)
    m_lines = str(M).splitlines()
    point = M.point(seed=seed) if M.points_exact else None
    m_data = M.to_dict()
    m_tex = M.latex()
    if point is not None:
        rank = M.rank_check(point)
        mb = M.morse_bott(point)
        m_lines.append(f"exact point of M (seed {seed}): ({', '.join(str(v) for v in point)})")
        m_lines.append(f"  {rank}")
        m_lines.append(f"  {mb}")
        m_data["point"] = [str(v) for v in point]
        m_data["rank_check"] = rank.to_dict()
        m_data["morse_bott"] = mb.to_dict()
    sections.append(("minima", "A2: the manifold of minima", m_lines, m_data, m_tex))

    # A3
    s_lines, s_data, s_tex = [], {}, []
    if point is not None:
        spec = spectrum_at(net, point)
        s_lines.append("exact Hessian spectrum at the point above (eigenvalues exact, enclosures rigorous):")
        s_lines.extend("  " + line for line in str(spec).splitlines())
        s_data["at_point"] = spec.to_dict()
        s_tex.append(r"At the exact point of M: $" + _breakable(spec.latex()) + "$.")
    along = spectrum_along(net)
    if along is not None:
        s_lines.extend(str(along).splitlines())
        s_data["along_M"] = along.to_dict()
        s_tex.append(r"Along M (exact): $" + _breakable(along.latex()) + "$.")
    proper = properness(net)
    s_lines.append(str(proper))
    s_data["properness"] = proper.to_dict()
    if proper.proved:
        s_tex.append(r"Sharpness is proper on M: $\lambda_{\max} \ge " + sympy.latex(proper.bound)
                     + r"$ with $R_2 = \|\theta\|^2$ (exact bound).")
    elif proper.disproved:
        s_tex.append(r"The sharpness is \emph{not} proper on M (exact counterexample): $"
                     + _breakable(proper.counterexample.latex()) + "$ for every $\\tau > 0$.")
    sections.append(("spectrum", "A3: Hessian spectra on M", s_lines, s_data, "\n\n".join(s_tex) or "--"))

    # A5 (before A4: the examples use eta_C)
    cs = critical_step_sizes(net, dps=dps, prove=prove, seed=seed, force=force)
    cs, certificate = certify_critical(net, cs)
    cs_lines = str(cs).splitlines() + [f"  certificate: {certificate['status']}: "
                                       f"{certificate.get('claim') or certificate.get('reason')}"]
    sections.append(("critical", "A5: critical step sizes", cs_lines, {**cs.to_dict(), "certificate": certificate},
                     "\\[\n" + cs.latex().split("\n% method")[0].replace(r"\begin{align*}", r"\begin{aligned}")
                     .replace(r"\end{align*}", r"\end{aligned}") + "\n\\]\nMethod: " + _tex_escape(cs.method)
                     + f" (evidence: {cs.evidence})."))

    # A4
    c_lines, c_data, c_tex = [], [], []
    if point is not None and cs.eta_C_interval is not None:
        lo, hi = cs.eta_C_interval
        # the simplest rationals 10-20% below / above the enclosure (limit_denominator(1000) gave 0 for eta_C < 5e-4)
        etas = [simplest_between(lo * Fraction(4, 5), lo * Fraction(9, 10))]
        if hi is not None:
            etas.append(simplest_between(hi * Fraction(11, 10), hi * Fraction(6, 5)))
        near = exact_point_near(net, M, cs.witness, 10**3) if cs.witness is not None else None
        if near is not None:
            cl = classify(net, near, etas[0])
            c_lines.append(f"rational point of M near the witness: ({', '.join(str(v) for v in near)})")
            c_lines.append(f"  eta = {etas[0]}: {cl}")
            c_data.append({"point": [str(v) for v in near], **cl.to_dict()})
            c_tex.append(r"Near the witness, $\eta = " + sympy.latex(sympy.Rational(etas[0].numerator, etas[0].denominator))
                         + "$: $" + _breakable(cl.latex()) + "$")
        spec_top = spectrum_at(net, point).lambda_max
        if spec_top is not None and sympy.sympify(spec_top).is_Rational and spec_top != 0:
            etas.append(as_fraction(2 / sympy.sympify(spec_top)))
        for eta in etas:
            cl = classify(net, point, eta)
            c_lines.append(f"eta = {eta}: {cl}")
            c_data.append(cl.to_dict())
            c_tex.append(r"$\eta = " + sympy.latex(sympy.Rational(eta.numerator, eta.denominator)) + "$: $"
                         + _breakable(cl.latex()) + "$")
        if cs.eta_C != sympy.oo:  # eta_C = oo (W* = 0, depth 1) leaves no finite example step
            mss = stable_set(net, etas[0], "M_SS", decide_empty=False)  # etas[0] < eta_C: never empty
            c_lines.extend(str(mss).splitlines())
            c_data.append({"M_SS": mss.to_dict()})
            c_tex.append("$" + mss.latex() + "$")
    else:
        c_lines.append("no exact point of M or no eta_C enclosure: classification examples skipped")
    sections.append(("classification", "A4: stability of minima", c_lines, c_data,
                     "\n\n".join(c_tex) if c_tex else "--"))
    return Report(widths=net.widths, loss=net.loss, sections=tuple(sections), net=net)


def _tex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("^", r"\^{}"), ("&", r"\&"), ("%", r"\%"),
                 ("#", r"\#"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(a, b)
    return text
