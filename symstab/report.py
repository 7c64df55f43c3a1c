"""The analysis report (interface layer): one network, every result, behind ``symstab analyze`` (A1-A5).

:func:`analyze` gathers the A1 certificate, the manifold of minima (A2), the
exact spectrum at a point of M, the spectrum along M, properness and the escape
curve (A3), example classifications (A4) and the critical step sizes (A5) into
one :class:`Report`, in the order A1, A2, A3, A4, A5. The points it uses are
labelled once and referred to by label: ``theta^(1)`` (the exact point of M of
A2, used again in A3 and A4), ``theta^(2)`` (the rational point of M near the
witness, A4) and ``theta^*`` (the witness of A5). Every line says which kind of
evidence backs it. The report renders as text, JSON, or (``latex``) the standalone
document of :mod:`symstab.document`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from .budget import Estimate, guard
from .critical import critical_step_sizes, exact_point_near
from .critical.cost import critical_cost
from .document import network_document
from .errors import SymstabError
from .exact.numberfield import AlgebraicPoint
from .exact.numbers import as_fraction, check_seed, simplest_between
from .gdmap import certificate_cost, nonsingularity_certificate
from .minima import minima
from .proofs.certificates import a1_certificate, a2_certificate, a3_certificate, a4_certificate
from .proofs.lower_bounds import a5_certificate, certify_critical
from .spectrum import properness, spectrum_along, spectrum_at
from .stability import classify, stable_set

__all__ = ["POINT_LABELS", "Report", "analysis_cost", "analyze"]

# the labelled points, as the text report and the document name them
POINT_LABELS = {"theta1": "theta^(1)", "theta2": "theta^(2)", "witness": "theta^*"}


@dataclass(frozen=True)
class Report:
    """The sections of an analysis, in the order A1-A5.

    ``sections`` holds ``(key, title, text lines, JSON object)``; ``parts`` the result
    objects themselves (``"A1"``, ``"minima"``, ``"theta1"``, ``"spectrum"``, ``"critical"``,
    ``"examples"``, ``"certificates"``, ...), which :mod:`symstab.document` typesets.
    """

    widths: tuple
    loss: str
    sections: tuple  # (key, title, lines, data)
    net: object = field(repr=False, compare=False)
    parts: dict = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"widths": list(self.widths), "loss": self.loss, **{key: data for key, _, _, data in self.sections}}

    def __str__(self) -> str:
        out = [f"symstab analysis: widths {self.widths}, loss {self.net.loss_description}, D = {self.net.num_params}"]
        for _, title, lines, _ in self.sections:
            out.append("")
            out.append(f"== {title} ==")
            out.extend(lines)
        return "\n".join(out)

    def latex(self, formulas_file: str = "report.formulas.json") -> str:
        """The standalone LaTeX document (:func:`symstab.document.network_document`); formulas too large to
        typeset are named by their size and the key under which ``formulas_file`` holds them."""
        return network_document(self, formulas_file=formulas_file).tex


def _strings(theta) -> list:
    """Exact coordinates as strings (rationals, or elements of a number field Q(alpha))."""
    return theta.strings() if isinstance(theta, AlgebraicPoint) else [str(v) for v in theta]


def _point(theta) -> str:
    return "(" + ", ".join(_strings(theta)) + ")"


def _certificate(build, *args, **kwargs) -> dict:
    """``{"status": "certified", "claim", "data"}`` from a certificate builder, or why there is none."""
    try:
        cert = build(*args, **kwargs)
    except SymstabError as err:  # NotCertified, or an input the certificate does not cover
        return {"status": "not certified", "reason": " ".join(str(err).split())}
    return {"status": "certified", "claim": cert.claim, "data": cert.data}


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


def analyze(net, *, seed: int = 0, prove: bool = True, dps: int = 50, document: bool = False,
            force: bool = False) -> Report:
    """Analyse ``net``: results A1-A5 with their evidence, in that order.

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
    document : bool
        Also gather what the compiled report (``symstab report``) shows: the checked
        certificates of A1-A5 (:mod:`symstab.proofs`) and the determinant ``p(theta, eta)``.
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
    >>> [key for key, *_ in report.sections]
    ['nonsingularity', 'minima', 'spectrum', 'classification', 'critical']
    """
    seed = check_seed(seed)
    net.require_numeric("symstab analyze")
    guard(analysis_cost(net), force)
    parts, certs = {}, {}
    t1, t2, ts = POINT_LABELS["theta1"], POINT_LABELS["theta2"], POINT_LABELS["witness"]

    # A1
    cert = nonsingularity_certificate(net, seed=seed, force=force)
    parts["A1"] = cert
    a1 = ("nonsingularity", "A1: the GD map is non-singular", str(cert).splitlines(), cert.to_dict())
    if document:
        certs["A1"] = _certificate(a1_certificate, net, seed=seed)
        try:
            parts["det"] = net.gd_jacobian_det()
        except SymstabError as err:  # refused up front as too large: the document says so
            parts["det"] = " ".join(str(err).split())

    # A2
    M = minima(net, dps=dps)
    parts["minima"] = M
    m_lines = str(M).splitlines()
    # rational, or exact algebraic (a number field) for an irrational target; None only past degree 6
    point = M.point(seed=seed) if M.target_field in ("rational", "algebraic") else None
    if point is not None and not (M.points_exact or isinstance(point, AlgebraicPoint)):
        point = None
    m_data = M.to_dict()
    if point is not None:
        rank, mb = M.rank_check(point), M.morse_bott(point)
        parts.update(theta1=point, rank_check=rank, morse_bott=mb)
        m_lines.append(f"the point {t1} of M (exact, seed {seed}): {_point(point)}")
        m_lines.append(f"  at {t1}: {rank}")
        m_lines.append(f"  at {t1}: {mb}")
        m_data.update(point=_strings(point), point_label=t1, rank_check=rank.to_dict(),
                      morse_bott=mb.to_dict())
    else:
        m_lines.append("no exact point of M (irrational target): the checks at a point are skipped")
    a2 = ("minima", "A2: the manifold of minima", m_lines, m_data)
    if document:
        certs["A2"] = _certificate(a2_certificate, net, seed=seed)

    # A3
    s_lines, s_data = [], {}
    if point is not None:
        spec = spectrum_at(net, point)
        parts["spectrum"] = spec
        s_lines.append(f"exact Hessian spectrum at {t1} (eigenvalues exact, enclosures rigorous):")
        s_lines.extend("  " + line for line in str(spec).splitlines())
        s_data["at_point"] = {**spec.to_dict(), "point_label": t1}
    along = spectrum_along(net)
    parts["along"] = along
    if along is not None:
        s_lines.extend(str(along).splitlines())
        s_data["along_M"] = along.to_dict()
    proper = properness(net)
    parts["properness"] = proper
    s_lines.append(str(proper))
    s_data["properness"] = proper.to_dict()
    a3 = ("spectrum", "A3: Hessian spectra on M", s_lines, s_data)
    if document:
        certs["A3"] = _certificate(a3_certificate, net)

    # A5 first: the examples of A4 use eta_C (the sections are listed A1-A5 below)
    cs = critical_step_sizes(net, dps=dps, prove=prove, seed=seed, force=force)
    cs, summary = certify_critical(net, cs)
    parts.update(critical=cs, critical_certificate=summary)
    cs_lines = str(cs).splitlines()
    if cs.witness is not None:
        cs_lines = [line.replace("  witness (", f"  witness {ts} (", 1) for line in cs_lines]
    cs_lines.append(f"  certificate: {summary['status']}: {summary.get('claim') or summary.get('reason')}")
    a5 = ("critical", "A5: critical step sizes", cs_lines,
          {**cs.to_dict(), "witness_label": ts, "certificate": summary})
    if document:
        certs["A5"] = (_certificate(a5_certificate, net, critical=cs) if summary["status"].startswith("certified")
                       else summary)

    # A4
    c_lines, c_data, examples = [], [], []
    if point is not None and cs.eta_C_interval is not None:
        lo, hi = cs.eta_C_interval
        # the simplest rationals 10-20% below / above the enclosure (limit_denominator(1000) gave 0 for eta_C < 5e-4)
        etas = [simplest_between(lo * Fraction(4, 5), lo * Fraction(9, 10))]
        if hi is not None:
            etas.append(simplest_between(hi * Fraction(11, 10), hi * Fraction(6, 5)))
        near = exact_point_near(net, M, cs.witness, 10**3) if cs.witness is not None else None
        if near is not None:
            parts["theta2"] = near
            cl = classify(net, near, etas[0])
            examples.append(("theta2", cl))
            c_lines.append(f"the point {t2} of M (rational, near the witness {ts} of A5): {_point(near)}")
            c_lines.append(f"  at {t2}, eta = {etas[0]} (below eta_C): {cl}")
            c_data.append({"point": [str(v) for v in near], "point_label": t2, **cl.to_dict()})
        spec_top = parts["spectrum"].lambda_max
        if spec_top is not None and sympy.sympify(spec_top).is_Rational and spec_top != 0:
            etas.append(as_fraction(2 / sympy.sympify(spec_top)))
        for eta in etas:
            cl = classify(net, point, eta)
            examples.append(("theta1", cl))
            side = "below" if eta < lo else "above" if hi is not None and eta > hi else "at 2/lambda_max"
            c_lines.append(f"at {t1}, eta = {eta} ({side} eta_C): {cl}")
            c_data.append({"point_label": t1, **cl.to_dict()})
        if document:
            certs["A4"] = _certificate(a4_certificate, net, point, etas[0])
        if cs.eta_C != sympy.oo:  # eta_C = oo (W* = 0, depth 1) leaves no finite example step
            mss = stable_set(net, etas[0], "M_SS", decide_empty=False)  # etas[0] < eta_C: never empty
            parts["M_SS"] = mss
            c_lines.extend(str(mss).splitlines())
            c_data.append({"M_SS": mss.to_dict()})
    else:
        c_lines.append("no exact point of M or no eta_C enclosure: classification examples skipped")
    parts["examples"] = tuple(examples)
    a4 = ("classification", "A4: stability of minima", c_lines, c_data)
    parts["certificates"] = certs
    return Report(widths=net.widths, loss=net.loss, sections=(a1, a2, a3, a4, a5), net=net, parts=parts)
