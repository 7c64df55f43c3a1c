"""Result B1 of paper B: the coherence measure -- :class:`Coherence` and :func:`coherence`.

For per-sample Hessians ``H_i`` the coherence matrix is ``S_ij = sqrt(tr(H_i H_j))``
and the coherence measure ``sigma = lambda_1(S) / max_i lambda_1(H_i)``, which is
at least 1 (docs/theory.md, B1).  Next to it, Wu, Ma & E's
non-uniformity ``s = sqrt(lambda_max((1/n) sum_i H_i^2 - H^2))``.  Both are exact
for rational input when feasible (sympy square roots and algebraic numbers from
:mod:`~symstab.exact.algebraic`) and floats otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ..errors import InvalidInputError
from ..exact.algebraic import largest_real_root
from ..exact.latex import ROOT_NOTE, LatexDisplay, number, to_latex
from ..exact.matrices import fmpq_matrix
from ..exact.numbers import as_rational
from .formatting import format_short, format_value
from .hessians import Hessians, exact_mean, validate_hessians

__all__ = ["Coherence", "coherence"]


@dataclass(frozen=True)
class Coherence(LatexDisplay):
    """Coherence matrix ``S_ij = sqrt(tr(H_i H_j))`` and ``sigma = lambda_1(S)/max_i lambda_1(H_i)``.

    ``S`` and ``sigma`` are exact sympy objects for rational input when feasible
    (``sigma`` is a float otherwise); ``sigma_float`` is always a float.

    ``nonuniformity`` is Wu, Ma & E's non-uniformity (NeurIPS 2018, "How SGD selects
    the global minima in over-parameterized learning", section 3)
    ``s = sqrt(lambda_max((1/n) sum_i H_i^2 - H^2))``; the matrix under the root equals
    ``(1/n) sum_i (H_i - H)^2``, so it is PSD.  It is exact (a sympy square root of an
    algebraic number) for rational input and a float otherwise.
    """

    S: sympy.Matrix
    sigma: object
    sigma_float: float
    lambda_1_S: object
    max_lambda_1: object
    nonuniformity: object
    nonuniformity_float: float

    @property
    def exact(self) -> bool:
        return isinstance(self.sigma, sympy.Basic)

    def to_dict(self) -> dict:
        """JSON-ready summary: exact values as strings, floats as floats."""
        return {
            "sigma": format_value(self.sigma),
            "sigma_float": self.sigma_float,
            "lambda_1_S": format_value(self.lambda_1_S),
            "max_lambda_1": format_value(self.max_lambda_1),
            "nonuniformity": format_value(self.nonuniformity),
            "nonuniformity_float": self.nonuniformity_float,
            "exact": self.exact,
        }

    def latex_formula(self) -> str:
        """Math mode: sigma and the non-uniformity s with their definitions."""
        sig = to_latex(self.sigma) if self.exact else number(self.sigma_float)
        s = (to_latex(self.nonuniformity) if isinstance(self.nonuniformity, sympy.Basic)
             else number(self.nonuniformity_float))
        return (
            r"\sigma = \frac{\lambda_1(S)}{\max_i \lambda_1(H_i)} = " + sig
            + r", \quad S_{ij} = \sqrt{\operatorname{tr}(H_i H_j)}"
            + r", \quad s = \sqrt{\lambda_{\max}\big(\tfrac1n\textstyle\sum_i H_i^2 - H^2\big)} = " + s
        )

    def latex(self) -> str:
        """Text-mode fragment: the coherence and the non-uniformity (exact or numerical), in an ``align*``."""
        evidence = "exact" if self.exact else "numerical"
        rows = self.latex_formula().split(r", \quad ")
        return (rf"\textbf{{Coherence}} ({evidence}) of the ${self.S.rows}$ per-sample Hessians $H_i$, with the "
                r"non-uniformity $s$ of Wu, Ma and E (2018)" + (ROOT_NOTE if r"\operatorname{root}" in "".join(rows) else "")
                + ":\n\\begin{align*}\n"
                + " \\\\\n".join(r.replace(" = ", " &= ", 1) for r in rows) + "\n\\end{align*}")

    def __str__(self) -> str:
        return (f"coherence sigma = {format_short(self.sigma)} (~ {self.sigma_float:.6g}), "
                f"non-uniformity s = {format_short(self.nonuniformity)} (~ {self.nonuniformity_float:.6g}), "
                f"n = {self.S.rows}")


def _nonuniformity(hs: Hessians):
    """Wu-Ma-E non-uniformity ``s = sqrt(lambda_max(mean_i H_i^2 - H^2))``: (exact or float, float)."""
    if hs.exact is None:
        f = hs.floats
        Hf = f.mean(axis=0)
        V = np.einsum("kab,kbc->ac", f, f) / hs.n - Hf @ Hf
        top = max(0.0, float(np.linalg.eigvalsh((V + V.T) / 2)[-1]))
        return math.sqrt(top), math.sqrt(top)
    H = exact_mean(list(hs.exact))
    V = exact_mean([m * m for m in hs.exact]) - H * H
    top = largest_real_root(V.charpoly())
    value = sympy.sqrt(top.expr)
    return value, float(sympy.N(value, 30))


def coherence(hessians) -> Coherence:
    """Coherence matrix and coherence measure sigma of per-sample Hessians (docs/theory.md, B1).

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
        Lists of lists of ints / Fractions / strings ``"a/b"``, sympy Rational
        matrices, or numpy arrays (float arrays take the float path).

    Returns
    -------
    Coherence
        ``.S`` (sympy Matrix, exact square roots for rational input), ``.sigma``
        (exact sympy expression when all ``tr(H_i H_j)`` are perfect squares or
        ``n <= 2``, else a float), ``.sigma_float``, and Wu-Ma-E's non-uniformity
        ``.nonuniformity`` (exact for rational input) / ``.nonuniformity_float``.

    Examples
    --------
    >>> c = coherence([[[1, 0], [0, 0]], [[1, 0], [0, 0]], [[0, 0], [0, 1]]])
    >>> c.sigma
    2
    >>> c.nonuniformity
    sqrt(2)/3
    >>> coherence([[[1, 0], [0, 1]], [["1/2", 0], [0, 0]]]).S
    Matrix([
    [  sqrt(2), sqrt(2)/2],
    [sqrt(2)/2,       1/2]])
    """
    hs = validate_hessians(hessians)
    n = hs.n
    tr_float = np.einsum("iab,jba->ij", hs.floats, hs.floats).clip(min=0.0)
    S_float = np.sqrt(tr_float)
    lam_S_float = float(np.linalg.eigvalsh(S_float)[-1])
    lam_H_float = float(max(np.linalg.eigvalsh(hs.floats)[:, -1]))
    if hs.exact is None:
        S = sympy.Matrix(n, n, lambda i, j: sympy.Float(S_float[i, j]))
        sigma = lam_S_float / lam_H_float if lam_H_float > 0 else math.nan
        if not lam_H_float > 0:
            raise InvalidInputError("all hessians are zero: coherence is undefined")
        s_value, s_float = _nonuniformity(hs)
        return Coherence(S, sigma, sigma, lam_S_float, lam_H_float, s_value, s_float)
    mats = hs.exact
    traces = [[sum((as_rational(mats[i][a, b] * mats[j][b, a]) for a in range(hs.d) for b in range(hs.d)),
                   sympy.Integer(0))
               for j in range(n)] for i in range(n)]
    S = sympy.Matrix(n, n, lambda i, j: sympy.sqrt(traces[i][j]))
    tops = [largest_real_root(m.charpoly()) for m in mats]
    top = max(tops, key=lambda a: sympy.N(a.expr, 50))
    if top.value <= 0 and top.compare(Fraction(0)) <= 0:
        raise InvalidInputError("all hessians are zero: coherence is undefined")
    lam_S = None
    if all(e.is_Rational for e in S):
        lam_S = largest_real_root(fmpq_matrix(S).charpoly()).expr
    elif n == 1:
        lam_S = S[0, 0]
    elif n == 2:
        a, b, c = S[0, 0], S[0, 1], S[1, 1]
        lam_S = sympy.radsimp((a + c) / 2 + sympy.sqrt(((a - c) / 2) ** 2 + b**2))
    s_value, s_float = _nonuniformity(hs)
    if lam_S is None:
        sigma = lam_S_float / float(sympy.N(top.expr, 30))
        return Coherence(S, sigma, sigma, lam_S_float, top.expr, s_value, s_float)
    sigma = sympy.radsimp(lam_S / top.expr) if not isinstance(top.expr, sympy.CRootOf) else lam_S / top.expr
    return Coherence(S, sigma, float(sympy.N(sigma, 30)), lam_S, top.expr, s_value, s_float)
