"""How an audit's examples and data are shown: JSON-ready values and LaTeX (audits of conjectures).

One place decides how each kind of value prints: Fractions as ``"p/q"``, sympy numbers in
sympy's plain form, networks by their widths and data, nested lists and dicts recursively.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral

import numpy as np
import sympy

from ..exact.latex import to_latex
from ..network import LinearNetwork

__all__ = ["jsonable", "latex_value"]


def jsonable(value):
    """A JSON-ready copy of ``value``: exact numbers become strings, containers are copied.

    Examples
    --------
    >>> jsonable({"theta": [Fraction(1, 2), 3], "lam": sympy.sqrt(2), "ok": True})
    {'theta': ['1/2', 3], 'lam': 'sqrt(2)', 'ok': True}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, LinearNetwork):
        return {"widths": list(value.widths), "X": jsonable(value.X), "Y": jsonable(value.Y), "loss": value.loss}
    if isinstance(value, sympy.MatrixBase):
        return [[sympy.sstr(v) for v in row] for row in value.tolist()]
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def _is_scalar(v) -> bool:
    return isinstance(v, (Integral, Fraction, float)) or (isinstance(v, sympy.Basic) and not isinstance(
        v, sympy.MatrixBase))


def latex_value(value) -> str:
    """LaTeX for one value (math mode content, no surrounding ``$``).

    Examples
    --------
    >>> latex_value([Fraction(1, 2), -3])
    '\\\\left(\\\\frac{1}{2}, -3\\\\right)'
    >>> latex_value([[1, 0], [0, 1]])
    '\\\\begin{pmatrix}1 & 0\\\\\\\\0 & 1\\\\end{pmatrix}'
    """
    if isinstance(value, bool):
        return r"\text{" + ("true" if value else "false") + "}"
    if isinstance(value, Fraction):
        return to_latex(sympy.Rational(value.numerator, value.denominator))
    if isinstance(value, (Integral, float)):
        return to_latex(sympy.sympify(value))
    if isinstance(value, str):
        return r"\text{" + value.replace("_", r"\_") + "}"
    if isinstance(value, LinearNetwork):
        return (r"\text{widths } (" + ",".join(map(str, value.widths)) + r"),\ X = " + to_latex(value.X)
                + r",\ Y = " + to_latex(value.Y) + (r",\ \text{loss " + value.loss + "}"
                                                     if value.loss != "half" else ""))
    if isinstance(value, sympy.Basic):
        return to_latex(value)
    if isinstance(value, dict):
        return r",\ ".join(r"\text{" + str(k).replace("_", r"\_") + "} = " + latex_value(v) for k, v in value.items())
    if isinstance(value, (list, tuple)) and value:
        if all(isinstance(r, (list, tuple)) and r and all(_is_scalar(x) for x in r) for r in value) \
                and len({len(r) for r in value}) == 1:
            return to_latex(sympy.Matrix([[sympy.sympify(x) for x in r] for r in value]).applyfunc(
                lambda x: x)).replace(r"\left[", "").replace(r"\right]", "").replace(
                r"\begin{matrix}", r"\begin{pmatrix}").replace(r"\end{matrix}", r"\end{pmatrix}")
        return r"\left(" + ", ".join(latex_value(v) for v in value) + r"\right)"
    if isinstance(value, (list, tuple)):
        return r"\left(\right)"
    return r"\text{" + str(value).replace("_", r"\_") + "}"
