"""LaTeX for the compiled report: escaping, numbers, broken sums, matrices, points, evidence and the preamble.

The helpers the document builders share (:mod:`.network`, :mod:`.sgd`); a formula
too large to typeset is stated by its size and its key in the formulas file
(:class:`Formulas`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import sympy
from sympy.printing.latex import LatexPrinter

from ..exact.poly import latex_name
from ..proofs.render import certificate_latex

__all__ = ["DISPLAY", "EVIDENCE", "INLINE", "LAM", "LINE", "TERMS", "Document", "Formulas", "approx",
           "certificate_text", "decimal", "display", "evidence", "expr_latex", "expr_terms", "fragment_body",
           "matrix", "monic", "number", "point_equation", "preamble", "text", "weights", "width"]

try:
    _VERSION = version("symstab")
except PackageNotFoundError:  # run from a source tree
    _VERSION = "(source tree)"

LAM = sympy.Symbol("lam")
_NAMES = {LAM: r"\lambda", sympy.Symbol("R2"): r"\|\theta\|^2", sympy.Symbol("R2", positive=True): r"\|\theta\|^2"}
INLINE = 90  # LaTeX characters a formula may have to stay in the running text
DISPLAY = 2400  # ... to be displayed (broken across lines); beyond it: size and the formulas file
TERMS = 64  # terms a displayed sum may have
LINE = 64  # typeset characters per line of a broken sum

EVIDENCE = {
    "certified": "a certificate accepted by the independent checker \\texttt{symstab check}",
    "exact": "exact arithmetic over $\\mathbb{Q}$ or with exact algebraic numbers",
    "rigorous enclosure": "interval or ball arithmetic, or exact rational bounds: the true value is inside",
    "solver verdict, no certificate": "an answer of the SMT solver z3, which emits no proof object",
    "numerical": "floating point at some precision: a check, not a proof",
}


@dataclass
class Document:
    """A LaTeX document, the formulas it refers to (key -> JSON object) and the figures it includes."""

    tex: str = ""
    formulas: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # file name in the document -> matplotlib Figure



def text(s) -> str:
    """Plain text for LaTeX's text mode: special characters escaped, comparisons as math."""
    out = str(s)
    for a, b in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("_", r"\_"), ("^", r"\^{}"),
                 ("&", r"\&"), ("%", r"\%"), ("#", r"\#"), ("$", r"\$"), ("~", r"\~{}")):
        out = out.replace(a, b)
    for a, b in ((">=", r"$\ge$"), ("<=", r"$\le$"), (">", "$>$"), ("<", "$<$")):
        out = out.replace(a, b)
    return out


class _Printer(LatexPrinter):
    """sympy's LaTeX printer with ``CRootOf(p, k)`` as ``root_{k+1}(p(lambda))`` (the k-th smallest real root)."""

    def _print_ComplexRootOf(self, expr):
        poly = sympy.latex(expr.poly.as_expr().subs(expr.poly.gen, LAM), symbol_names={LAM: r"\lambda"})
        return rf"\operatorname{{root}}_{{{expr.index + 1}}}\!\left({poly}\right)"


def expr_latex(expr) -> str:
    """A sympy expression in the document's notation: ``lam`` as lambda, parameters as ``w_{l,ij}``, ``root_k``."""
    expr = sympy.sympify(expr)
    names = {**_NAMES, **{s: _name(s.name) for s in getattr(expr, "free_symbols", ()) if s not in _NAMES}}
    return _Printer({"symbol_names": names}).doprint(expr)


def _name(name: str) -> str:
    """The document's name of a symbol: parameter ``W2_0_1`` (layer 2, entry (0, 1)) is ``w_{2,12}``."""
    m = re.fullmatch(r"W(\d+)_(\d+)_(\d+)", name)
    if m is None:
        return latex_name(name)
    i, j = int(m[2]) + 1, int(m[3]) + 1
    return f"w_{{{m[1]},{i}{j}}}" if i < 10 and j < 10 else rf"w_{{{m[1]},{i}\,{j}}}"


def width(tex: str) -> int:
    """Roughly how many characters ``tex`` is wide once typeset."""
    tex = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m[1], m[2], key=len), tex)
    return len(re.sub(r"\\[a-zA-Z]+|[{}^_ ]", "", tex))


def approx(expr, digits: int = 10) -> str:
    return sympy.latex(sympy.Float(sympy.N(expr, digits + 5), digits))


def monic(poly) -> str:
    return sympy.sstr(sympy.Poly(poly, LAM).monic().as_expr())


def number(expr, names=None) -> str:
    """An exact number in math mode: its closed form when short, else ``root_k(m) ~ value`` with ``m`` named in
    ``names`` (minimal polynomial text -> LaTeX name), else the value and the degree of the algebraic number."""
    expr = sympy.sympify(expr)
    if expr.is_Float:
        return approx(expr)
    if expr.is_Rational or expr in (sympy.oo, -sympy.oo) or not expr.is_number:
        return expr_latex(expr)
    key = monic(expr.poly.as_expr().subs(expr.poly.gen, LAM)) if isinstance(expr, sympy.CRootOf) else None
    if key is not None and names and key in names:
        return rf"\operatorname{{root}}_{{{expr.index + 1}}}({names[key]}) \approx {approx(expr)}"
    tex = expr_latex(expr)
    if not expr.atoms(sympy.CRootOf):  # 2/(5 sqrt(5)/18 + 25/18) -> 9 (5 - sqrt(5))/10
        simpler = expr_latex(sympy.radsimp(expr))
        tex = simpler if len(simpler) < len(tex) else tex
    if width(tex) <= INLINE // 2:
        return tex + r" \approx " + approx(expr)
    degree = sympy.degree(sympy.minimal_polynomial(expr, LAM), LAM) if isinstance(expr, sympy.CRootOf) else None
    return r"\approx " + approx(expr) + (rf" \text{{ (algebraic of degree {degree})}}" if degree else "")


def display(terms, lhs: str = "") -> str:
    """A sum, as LaTeX terms (signs included), displayed on one line, or in ``align*`` broken every
    :data:`LINE` typeset characters with the continuation lines indented."""
    terms = [t.strip() for t in terms if t.strip()] or ["0"]
    pieces = [terms[0]] + [t if t.startswith("-") else "+ " + t for t in terms[1:]]
    lines, cur = [], ""
    for piece in pieces:
        if cur and width(cur) + width(piece) > LINE:
            lines.append(cur)
            cur = ""
        cur += (" " if cur else "") + piece
    lines.append(cur)
    if len(lines) == 1:
        return "\\begin{equation*}\n" + (lhs + " = " if lhs else "") + lines[0] + "\n\\end{equation*}"
    head = (lhs + " &= " if lhs else "&") + lines[0]
    return "\\begin{align*}\n" + " \\\\\n".join([head] + [r"&\quad " + line for line in lines[1:]]) + "\n\\end{align*}"


def expr_terms(expr) -> list:
    expr = sympy.sympify(expr)
    return [expr_latex(t) for t in (expr.as_ordered_terms() if isinstance(expr, sympy.Add) else [expr])]


def matrix(rows, entry=None) -> str:
    entry = entry or (lambda v: expr_latex(sympy.sympify(v)))
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(entry(v) for v in row) for row in rows) + r"\end{bmatrix}"


def weights(widths, theta, entry=None) -> str:
    """A parameter vector as its weight matrices ``W_1 = [...], ..., W_H = [...]`` (row-major order)."""
    out, k = [], 0
    for layer in range(1, len(widths)):
        rows, cols = widths[layer], widths[layer - 1]
        block = [[theta[k + i * cols + j] for j in range(cols)] for i in range(rows)]
        k += rows * cols
        out.append(f"W_{{{layer}}} = {matrix(block, entry)}")
    return r",\quad ".join(out)


def decimal(v) -> str:
    """A numerical witness entry (decimal string or number) with 10 significant digits."""
    return sympy.latex(sympy.Float(str(v) if isinstance(v, str) else sympy.N(v, 15), 10))


class Formulas:
    """Formulas the document states: typeset when they fit, else their size and their key in the JSON file."""

    def __init__(self, doc: Document, file_name: str):
        self.doc, self.file = doc, file_name
        self.names = {}  # minimal polynomial (sympy text) -> its LaTeX name in the document

    def record(self, key: str, description: str, value: str, **size) -> None:
        self.doc.formulas[key] = {"description": description, **size, "value": value}

    def too_large(self, key: str, what: str, size: str) -> str:
        return (f"{what} is too large to typeset ({size}); it is written in full to "
                f"\\texttt{{{text(self.file)}}} under the key \\texttt{{{text(key)}}}.")

    def sum(self, key: str, description: str, expr, lhs: str, what: str) -> str:
        """An expanded polynomial (or any sum): displayed when it fits, else stated by its terms and degree."""
        expr = sympy.sympify(expr)
        free = sorted(expr.free_symbols, key=str)
        terms = len(sympy.Add.make_args(expr))
        degree = sympy.Poly(expr, *free).total_degree() if free and expr.is_polynomial(*free) else None
        self.record(key, description, sympy.sstr(expr), terms=terms, degree=degree)
        pieces = expr_terms(expr) if terms <= TERMS else []
        if pieces and sum(map(len, pieces)) <= DISPLAY:
            return display(pieces, lhs)
        size = f"{terms} terms" + (f", total degree {degree}" if degree is not None else "")
        return self.too_large(key, what, size)


def fragment_body(fragment: str) -> str:
    """A result's text-mode LaTeX fragment without its own bold ``Result ...`` head (the theorem has one)."""
    return re.sub(r"^\s*\\textbf\{Result (?:[^{}]|\{[^{}]*\})*\}\s*", "", fragment)


def evidence(kind: str, detail: str = "") -> str:
    return (f"\\begin{{evidence}}[{kind}]\n{EVIDENCE.get(kind, '')[:1].upper()}{EVIDENCE.get(kind, '')[1:]}."
            + (" " + detail if detail else "") + "\n\\end{evidence}")


def certificate_text(entry, name: str) -> str:
    if not entry:
        return ""
    if entry.get("status") == "certified" and "data" in entry:
        return certificate_latex(entry["data"], name)
    reason = entry.get("reason") or entry.get("claim") or entry.get("status")
    return f"\\paragraph{{No certificate.}} {text(reason[:1].upper() + reason[1:])}."


def point_equation(label: str, tag: str, body: str) -> str:
    return f"\\begin{{equation}}\\label{{pt:{label}}}\\tag{{${tag}$}}\n{body}\n\\end{{equation}}"


def preamble(title: str, graphics: bool) -> list:
    return [
        r"\documentclass[11pt]{article}",
        r"\usepackage[T1]{fontenc}",
        r"\IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}",  # vector fonts where installed (T1 needs them)
        r"\usepackage{amsmath,amssymb,amsthm}",
        r"\usepackage[margin=2.5cm]{geometry}",
        *([r"\usepackage{graphicx}"] if graphics else []),
        r"\allowdisplaybreaks",
        r"\theoremstyle{plain}",
        r"\newtheorem{resultA}{Theorem}\renewcommand{\theresultA}{A\arabic{resultA}}",
        r"\newtheorem{resultB}{Theorem}\renewcommand{\theresultB}{B\arabic{resultB}}",
        r"\theoremstyle{definition}",
        r"\newtheorem{observation}{Observation}\renewcommand{\theobservation}{A\arabic{observation}}",
        r"\theoremstyle{remark}",
        r"\newtheorem*{evidence}{Evidence}",
        r"\newcommand{\R}{\mathbb{R}}",
        r"\begin{document}",
        rf"\section*{{{title}}}",
        rf"\noindent\emph{{Generated by symstab {_VERSION}.}} Every statement below is followed by the kind of "
        r"evidence that backs it: \emph{certified} (" + EVIDENCE["certified"] + r"), \emph{exact} ("
        + EVIDENCE["exact"] + r"), \emph{rigorous enclosure} (" + EVIDENCE["rigorous enclosure"]
        + r"), \emph{solver verdict, no certificate} (" + EVIDENCE["solver verdict, no certificate"]
        + r") or \emph{numerical} (" + EVIDENCE["numerical"] + r"). "
        r"$\operatorname{root}_k(p)$ is the $k$-th smallest real root of the polynomial $p$.",
    ]
