r"""LaTeX conventions (bottom layer): how every result object writes formulas.

The conventions (docs/theory.md, "LaTeX output"):

* ``.latex()`` of a result object returns a **text-mode body fragment**: sentences with
  inline math ``$...$`` and display math in ``equation*`` or ``align*``; it compiles
  inside ``\begin{document}...\end{document}`` with the preamble
  :data:`PREAMBLE` (``fontenc``, ``amsmath``, ``amssymb``, ``amsthm``) and nothing else.
  No information is left in ``%`` comments; ``<`` and ``>`` appear only in math.
* ``.latex_formula()`` returns the object's main formula as **math-mode content**
  (no ``$``); ``_repr_latex_`` (Jupyter) returns it wrapped in ``$$...$$``.
* Parameter ``W1_0_2`` (entry (1, 3) of ``W_1``, 0-based in code) is written
  ``W_{1}(1,3)`` (1-based); ``eta``, ``lam``, ``sigma``, ``tau`` are ``\eta``, ``\lambda``,
  ``\sigma``, ``\tau``. Products are written so that sympy's LaTeX parser
  (``parse_latex(s, backend="lark")``) reads them back: juxtaposition after a number
  or a one-letter symbol, ``\cdot`` otherwise. Layers 10 and above (``W_{10}``) and
  roots of polynomials are beyond that parser (:data:`NOT_PARSEABLE`).
* A root of a polynomial (sympy's ``CRootOf``) is ``\operatorname{root}_{k}(p)``: the
  ``k``-th root of ``p`` (``k = 1, 2, ...``), real roots first in increasing order, then
  the complex ones; ``p`` is written in ``\lambda``.
* Long sums are broken across lines by :func:`display` (``align*``, page breaks allowed);
  a formula longer than :data:`MAX_LINES` display lines is not typeset: :func:`size_statement`
  says how large it is and where its machine-readable form is.
"""

from __future__ import annotations

import re
from fractions import Fraction

import sympy
from sympy.printing.latex import LatexPrinter

__all__ = ["PREAMBLE", "MAX_LINES", "ROOT_NOTE", "NOT_PARSEABLE", "latex_name", "to_latex", "join_factors", "sum_terms",
           "display", "display_lines", "tuple_terms", "align_rows", "monomial", "fits_on_page", "size_statement", "visible_width", "LatexDisplay", "text", "math_text", "number"]

#: The only packages a fragment may rely on (texlive-latex-base).
PREAMBLE = r"\usepackage[T1]{fontenc}\usepackage{amsmath,amssymb,amsthm}"

#: Display lines above which a formula is replaced by :func:`size_statement` (about two pages).
MAX_LINES = 80

#: Line budget of a display line, in the units of :func:`visible_width` (article class, 10pt).
LINE_WIDTH = 56

#: Text-mode clause explaining the root notation, for fragments that use it.
ROOT_NOTE = r"; $\operatorname{root}_k(p)$ is the $k$-th root of $p$ (real roots first, increasing, then complex)"

#: What sympy's ``parse_latex(..., backend="lark")`` cannot read back, and why.
NOT_PARSEABLE = {
    r"\operatorname{root}_{k}(p)": "the lark grammar has no production for \\operatorname (roots of polynomials)",
    r"W_{10}(i,j) and deeper layers": "the lark grammar allows one-character numeric subscripts only",
    "text-mode fragments (.latex())": "sentences are not formulas; their formulas come from .latex_formula()",
    r"\operatorname{spec}, \infty in sets, \in, \le, \xrightarrow": "relations and set notation are not expressions",
}

_PARAM = re.compile(r"^W(\d+)_(\d+)_(\d+)$")
_GREEK = {"eta": r"\eta", "lam": r"\lambda", "lambda": r"\lambda", "sigma": r"\sigma", "tau": r"\tau"}
_MARK = "\x00"
# a factor after which juxtaposition parses: a bare number, one letter, or one command such as \eta
_BARE_TAIL = re.compile(r"(?:^|[\s{(\x00])(?:\d+|[A-Za-z]|\\[A-Za-z]+|\\frac\{\d+\}\{\d+\})\s*$")


def latex_name(name: str) -> str:
    r"""LaTeX for a generator name: ``W1_0_2`` -> ``W_{1}(1,3)``, ``lam`` -> ``\lambda``.

    Indices are 1-based in LaTeX (entry (1, 3) of ``W_1``), 0-based in the code's names.

    Examples
    --------
    >>> latex_name("W2_1_0")
    'W_{2}(2,1)'
    >>> latex_name("lam"), latex_name("tau")
    ('\\lambda', '\\tau')
    """
    m = _PARAM.match(name)
    if m:
        layer, i, j = (int(g) for g in m.groups())
        return f"W_{{{layer}}}({i + 1},{j + 1})"
    if name in _GREEK:
        return _GREEK[name]
    return LatexPrinter()._deal_with_super_sub(name)


def join_factors(factors) -> str:
    r"""Join LaTeX factors of a product so that sympy's lark parser reads it back unambiguously.

    Juxtaposition when every factor but the last is a bare number or one-letter symbol
    (and the last is not a parenthesis), ``\cdot`` between all factors otherwise: the
    parser reads ``x^{2} y`` not at all and ``a b \cdot c`` two ways. Put bare factors first.

    >>> join_factors(["3", r"\eta", "x^{2}"]), join_factors(["3", "x^{2}", "y"])
    ('3 \\eta x^{2}', '3 \\cdot x^{2} \\cdot y')
    """
    factors = [f.strip() for f in factors if f.strip()]
    if len(factors) <= 1:
        return "".join(factors)
    juxtapose = all(_BARE_TAIL.search(f) for f in factors[:-1]) and not factors[-1].startswith(("\\left(", "("))
    return (" " if juxtapose else r" \cdot ").join(factors)


def monomial(coeff, factors) -> str:
    r"""A signed term ``"+ c x y^{2}"`` / ``"- ..."`` of a polynomial from a rational ``coeff`` and ``(name, exponent)`` pairs.

    Names are LaTeX (:func:`latex_name`); factors with exponent 1 and a bare name come first.

    >>> monomial(Fraction(-3, 4), [("W_{1}(1,1)", 2), (r"\eta", 1)])
    '- \\frac{3}{4} \\eta W_{1}(1,1)^{2}'
    """
    c = Fraction(coeff)
    sign = "- " if c < 0 else "+ "
    c = abs(c)
    bare, rest = [], []
    for name, e in factors:
        if e == 0:
            continue
        if e == 1:
            (bare if _BARE_TAIL.search(name) else rest).append(name)
        else:
            base = name if _BARE_TAIL.search(name) or name.endswith(")") else "{" + name + "}"
            rest.append(f"{base}^{{{e}}}")
    parts = bare + rest
    if c != 1 or not parts:
        cs = str(c.numerator) if c.denominator == 1 else rf"\frac{{{c.numerator}}}{{{c.denominator}}}"
        parts = [cs] + parts
    return sign + join_factors(parts)


class _Printer(LatexPrinter):
    """sympy's LaTeX printer with symstab's names, parseable products and ``\\operatorname{root}``."""

    def __init__(self):
        super().__init__({"mul_symbol": _MARK})
        self._depth = 0

    def _print_Symbol(self, expr, style="plain"):
        return latex_name(expr.name)

    def _print_Mul(self, expr):
        self._depth += 1
        mark = f"{_MARK}{self._depth}{_MARK}"
        saved = self._settings["mul_symbol_latex"]
        self._settings["mul_symbol_latex"] = mark
        try:
            tex = super()._print_Mul(expr)
        finally:
            self._settings["mul_symbol_latex"] = saved
            self._depth -= 1
        return join_factors(tex.split(mark)) if mark in tex else tex

    def _print_ComplexRootOf(self, expr):
        gen = expr.poly.gen
        p = expr.poly.as_expr().subs(gen, sympy.Symbol("lam"))
        return rf"\operatorname{{root}}_{{{expr.index + 1}}}\left({self._print(p)}\right)"


def to_latex(expr) -> str:
    r"""Math-mode LaTeX of a sympy expression (or number) in symstab's notation.

    >>> to_latex(sympy.Rational(3, 4) * sympy.Symbol("W1_0_0") ** 2 * sympy.Symbol("eta"))
    '\\frac{3 \\cdot W_{1}(1,1)^{2} \\cdot \\eta}{4}'
    >>> to_latex(sympy.CRootOf(sympy.Symbol("x") ** 3 - 2, 0))
    '\\operatorname{root}_{1}\\left(\\lambda^{3} - 2\\right)'
    """
    if not isinstance(expr, sympy.Basic):
        expr = sympy.sympify(expr)
    return _Printer().doprint(expr)


def number(value) -> str:
    """Math-mode LaTeX of an exact number (Fraction, int, sympy) or a float (6 significant digits)."""
    if isinstance(value, float):
        out = f"{value:.6g}".replace("inf", r"\infty").replace("nan", r"\text{NaN}")
        if "e" in out:
            mant, exp = out.split("e")
            out = rf"{mant} \times 10^{{{int(exp)}}}"
        return out
    if hasattr(value, "numerator") and hasattr(value, "denominator") and not isinstance(value, sympy.Basic):
        value = sympy.Rational(value.numerator, value.denominator)
    return to_latex(value)


def sum_terms(expr) -> list:
    """The terms of a sum as LaTeX strings with their signs (``"+ t"`` / ``"- t"``), in sympy's print order."""
    expr = sympy.sympify(expr)
    if not expr.is_Add:
        return [to_latex(expr)]
    printer = _Printer()
    out = []
    for term in printer._as_ordered_terms(expr):
        tex = printer._print(term)
        if tex.startswith("- "):
            out.append("- " + tex[2:])
        elif tex.startswith("-"):
            out.append("- " + tex[1:])
        else:
            out.append("+ " + tex)
    if out[0].startswith("+ "):
        out[0] = out[0][2:]
    return out


def visible_width(tex: str) -> float:
    r"""Rough printed width of math LaTeX, in characters of body text.

    Commands count one character (``\eta``), sub- and superscripts 0.6, braces nothing,
    a binary ``+``/``-``/``=`` with its spaces three; enough to break lines sensibly.
    """
    s = re.sub(r"\\(left|right|cdot|quad|qquad|,|;|!)", lambda m: {"cdot": " . ", "quad": "MM", "qquad": "MMMM"}
               .get(m.group(1), ""), tex)
    s = re.sub(r"\\operatorname\{(\w+)\}", lambda m: m.group(1), s)
    s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: "x" * max(len(m.group(1)), len(m.group(2))), s)
    width = 0.0
    depth_script = 0
    i = 0
    script_stack = []
    brace = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            j = i + 1
            while j < len(s) and s[j].isalpha():
                j += 1
            width += 0.6 if depth_script else 1.0
            i = max(j, i + 2) if j == i + 1 else j
            continue
        if c in "^_" and i + 1 < len(s) and s[i + 1] == "{":
            script_stack.append(brace)
            brace += 1
            depth_script += 1
            i += 2
            continue
        if c == "{":
            brace += 1
        elif c == "}":
            brace -= 1
            if script_stack and script_stack[-1] == brace:
                script_stack.pop()
                depth_script -= 1
        elif c in "+-=" and not depth_script:
            width += 3.0
        elif not c.isspace():
            width += 0.6 if depth_script else 1.0
        i += 1
    return width


def _lines(lhs: str, terms: list, width: float) -> list:
    lines, cur, cur_w = [], [], visible_width(lhs) + 3
    for t in terms:
        w = visible_width(t) + 1
        if cur and cur_w + w > width:
            lines.append(" ".join(cur))
            cur, cur_w = [], 4.0  # continuation lines: \quad + ...
        cur.append(t)
        cur_w += w
    if cur:
        lines.append(" ".join(cur))
    return lines


def tuple_terms(values, *, width: float = LINE_WIDTH, open_: str = "(", close: str = ")") -> list:
    """Terms for :func:`display` of a tuple of sympy values: one item per value, a value wider than a line
    split at its own terms, commas attached, the brackets around the whole."""
    items = []
    for k, v in enumerate(values):
        tex = to_latex(v)
        parts = sum_terms(v) if visible_width(tex) > width / 2 and sympy.sympify(v).is_Add else [tex]
        if k < len(values) - 1:
            parts[-1] += ","
        items.extend(parts)
    if not items:
        return [open_ + close]
    items[0] = open_ + items[0]
    items[-1] += close
    return items


def align_rows(lhs: str, terms: list, *, width: float = LINE_WIDTH, relation: str = "=") -> list:
    """The rows of :func:`display`'s ``align*`` for ``lhs relation terms``, to put several in one ``align*``."""
    lines = _lines(lhs, terms, width)
    return [f"{lhs} &{relation} {lines[0]}"] + [rf"&\quad {line}" for line in lines[1:]]


def display(lhs: str, body, *, width: float = LINE_WIDTH, relation: str = "=") -> str:
    r"""A display of ``lhs relation body``: ``equation*`` when it fits one line, else ``align*`` broken at the terms.

    ``body`` is a sympy expression or a list of signed term strings (as :func:`sum_terms`
    returns). Lines are filled up to ``width`` (:func:`visible_width` units), continuation
    lines start at the left margin of the first, indented by ``\quad``; page breaks are
    allowed between lines.

    >>> print(display("p", ["1", r"- \eta"]))
    \begin{equation*}
    p = 1 - \eta
    \end{equation*}
    """
    terms = body if isinstance(body, list) else sum_terms(body)
    lines = _lines(lhs, terms, width)
    head = f"{lhs} {relation} " if lhs else ""
    if len(lines) == 1:
        return "\\begin{equation*}\n" + head + lines[0] + "\n\\end{equation*}"
    rows = [f"&{head}{lines[0]}"] + [rf"&\quad {line}" for line in lines[1:]]
    return ("\\begingroup\\allowdisplaybreaks\n\\begin{align*}\n" + " \\\\\n".join(rows)
            + "\n\\end{align*}\n\\endgroup")


def display_lines(lhs: str, body, *, width: float = LINE_WIDTH) -> int:
    """Number of display lines :func:`display` would use."""
    terms = body if isinstance(body, list) else sum_terms(body)
    return len(_lines(lhs, terms, width))


def fits_on_page(body=None, *, nterms: int | None = None, max_lines: int = MAX_LINES) -> bool:
    """Whether a formula is small enough to typeset: at most ``max_lines`` display lines.

    Pass the formula (sympy expression, LaTeX string or list of term strings) or, before
    building it, just its number of terms (``nterms``; each term takes at least a fifth of a line).
    """
    if nterms is not None and nterms > 5 * max_lines:
        return False
    if body is None:
        return True
    if isinstance(body, str):
        return visible_width(body) / LINE_WIDTH <= max_lines
    return display_lines("", body) <= max_lines


def size_statement(what: str, *, nterms: int, degree: int | None = None, degrees: dict | None = None,
                   where: str = "") -> str:
    r"""A text-mode sentence replacing a formula too large to typeset: its size and where its full form is.

    Parameters
    ----------
    what : str
        Text-mode name of the formula, e.g. ``"the polynomial $\\det(I - \\eta H)$"``.
    nterms, degree : int
        Number of terms and total degree.
    degrees : dict, optional
        Degree in named variables (math-mode names -> degree), e.g. ``{r"\\eta": 6}``.
    where : str
        Text-mode statement of where the machine-readable form is (a file path, a command).

    >>> size_statement("the polynomial $p$", nterms=12345, degree=12, where="in \\texttt{p.json}")
    'The polynomial $p$ is too large to typeset: 12{,}345 terms, total degree 12. Its exact form is in \\texttt{p.json}.'
    """
    size = f"{nterms:,}".replace(",", "{,}") + " terms"
    if degree is not None:
        size += f", total degree {degree}"
    if degrees:
        size += "; " + ", ".join(f"degree {d} in ${v}$" for v, d in degrees.items())
    out = what[:1].upper() + what[1:] + f" is too large to typeset: {size}."
    if where:
        out += f" Its exact form is {where}."
    return out


def text(s: str) -> str:
    """Escape plain text for text mode (``_ % & # ^ { } ~ < >``); ``$...$`` spans are kept as math."""
    out = []
    for i, part in enumerate(s.split("$")):
        if i % 2:
            out.append("$" + part + "$")
            continue
        part = part.replace("\\", "\x01")
        for a, b in (("{", r"\{"), ("}", r"\}"), ("_", r"\_"), ("%", r"\%"),
                     ("&", r"\&"), ("#", r"\#"), ("^", r"\^{}"), ("~", r"\~{}"), ("->", "$\\to$"), ("<=", "$\\le$"),
                     (">=", "$\\ge$"), ("!=", "$\\ne$"), ("<", "$<$"), (">", "$>$")):
            part = part.replace(a, b)
        out.append(part.replace("\x01", r"\textbackslash{}"))
    return "".join(out)


def math_text(s: str) -> str:
    r"""Plain text as math-mode content: ``\text{...}`` pieces, with ``<`` and ``>`` as math symbols.

    >>> math_text("f<x>_1")
    '\\text{f}<\\text{x}>\\text{\\_1}'
    """
    for a, b in (("\\", " "), ("{", r"\{"), ("}", r"\}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"),
                 ("$", r"\$"), ("^", " "), ("~", " ")):
        s = s.replace(a, b)
    out = r"\text{" + s.replace("<", "}<\\text{").replace(">", "}>\\text{") + "}"
    return out.replace(r"\text{}", "")


class LatexDisplay:
    """Mixin: ``_repr_latex_`` for Jupyter, the object's :meth:`latex_formula` as display math.

    Jupyter renders ``text/latex`` with MathJax, which takes math mode only; the
    text-mode :meth:`latex` fragment is for documents.
    """

    def latex_formula(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _repr_latex_(self) -> str:
        return "$$" + self.latex_formula() + "$$"
