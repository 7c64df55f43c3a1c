"""Result A5, the result object: :class:`CriticalStepSizes` (``eta_C``, ``eta_E``, witness, evidence).

It renders itself as text, JSON (``to_dict``) and LaTeX; every interval is
printed rounded outwards, so a printed interval is still an enclosure.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..exact.algebraic import outward_decimal as _decimal
from ..exact.latex import ROOT_NOTE, LatexDisplay, to_latex
from ..exact.latex import text as latex_text

__all__ = ["CriticalStepSizes"]


@dataclass(frozen=True)
class CriticalStepSizes(LatexDisplay):
    """``eta_C = 2 / min_M lambda_max`` and ``eta_E = 2 / inf_M lambda_min^+`` with their evidence.

    Attributes
    ----------
    eta_C : sympy.Expr or None
        Exact value (closed form, radicals, ``CRootOf``, ``oo``, or an
        expression in the data symbols); None when only bounds are known.
    eta_C_interval : (lo, hi) or None
        Rigorous rational enclosure of ``eta_C`` (Fractions; ``hi`` None when
        no upper bound is known). For a symbolic family: None.
    eta_E : sympy.Expr or None
        ``sympy.oo`` (with :attr:`escape_curve`) when ``d_0 d_H >= 2``.
    lambda_star : sympy.Expr or None
        ``min_M lambda_max``.
    witness : tuple or None
        A point of M attaining the minimum: sympy numbers when
        :attr:`witness_exact`, else ``dps``-digit decimal strings.
    escape_curve : EscapeCurve or None
    method : str
        How ``eta_C`` was obtained.
    evidence : str
        ``"certified"`` (a checked certificate pins it: :func:`symstab.proofs.lower_bounds.certify_critical`),
        ``"exact"``, ``"rigorous enclosure"`` or ``"numerical"`` (docs/theory.md, "Evidence").
    proof : Z3Proof or None
        z3's verdict on "no point of M has ``lambda_max < 2/eta`` for ``eta > eta_C``".
    assumptions : tuple of str
        Conditions on the data symbols under which a symbolic result holds.
    assumptions_latex : tuple of str
        The same conditions as text-mode LaTeX (empty: :attr:`assumptions` is escaped instead).
    """

    widths: tuple
    loss: str
    eta_C: object
    eta_C_interval: tuple | None
    eta_E: object
    lambda_star: object
    witness: tuple | None
    witness_exact: bool
    escape_curve: object
    method: str
    evidence: str
    proof: object
    dimension: int | None
    filling: bool
    assumptions: tuple = ()
    notes: tuple = ()
    numerical_check: dict | None = None
    eta_C_numerical: float | None = None
    assumptions_latex: tuple = ()

    @property
    def eta_C_float(self) -> float | None:
        """``float(eta_C)``; from the enclosure's midpoint when only an enclosure is known; None for ``oo``."""
        if self.eta_C is not None and not self.eta_C.free_symbols:
            return None if self.eta_C == sympy.oo else float(sympy.N(self.eta_C, 20))
        if self.eta_C_interval is not None and self.eta_C_interval[1] is not None:
            lo, hi = self.eta_C_interval
            if hi - lo <= Fraction(1, 10**12) * abs(hi):  # relative: eta_C may be 1e-13 or 1e13
                return float((lo + hi) / 2)
        return None

    @property
    def eta_E_float(self) -> float | None:
        if self.eta_E is None or self.eta_E == sympy.oo or self.eta_E.free_symbols:
            return None
        return float(sympy.N(self.eta_E, 20))

    def to_dict(self) -> dict:
        def s(v):
            return None if v is None else sympy.sstr(v)

        interval = None
        if self.eta_C_interval is not None:
            interval = [_decimal(self.eta_C_interval[0], floor=True),
                        None if self.eta_C_interval[1] is None else _decimal(self.eta_C_interval[1], floor=False)]
        return {
            "widths": list(self.widths),
            "loss": self.loss,
            "eta_C": s(self.eta_C),
            "eta_C_float": self.eta_C_float,
            "eta_C_interval": interval,
            "eta_C_numerical": self.eta_C_numerical,
            "eta_E": s(self.eta_E),
            "eta_E_float": self.eta_E_float,
            "lambda_star": s(self.lambda_star),
            "method": self.method,
            "evidence": self.evidence,
            "witness": None if self.witness is None else [str(v) for v in self.witness],
            "witness_exact": self.witness_exact,
            "dimension": self.dimension,
            "filling": self.filling,
            "assumptions": list(self.assumptions),
            "escape_curve": None if self.escape_curve is None else self.escape_curve.to_dict(),
            "proof": None if self.proof is None else self.proof.to_dict(),
            "numerical_check": self.numerical_check,
            "notes": list(self.notes),
        }

    def _latex_rows(self) -> list:
        rows = []
        if self.lambda_star is not None:
            rows.append(rf"\min_{{\theta\in M}} \lambda_{{\max}}(\nabla^2 L(\theta)) &= {to_latex(self.lambda_star)}")
        if self.eta_C is not None:
            rows.append(rf"\eta_C &= {to_latex(self.eta_C)}")
        if self.eta_C_interval is not None:
            lo, hi = self.eta_C_interval
            hi_s = r"\infty" if hi is None else _decimal(hi, floor=False, digits=20)
            rows.append(rf"\eta_C &\in [{_decimal(lo, floor=True, digits=20)}, {hi_s}]")
        if self.eta_C is None and self.eta_C_numerical is not None:
            rows.append(rf"\eta_C &\approx {float(self.eta_C_numerical):.10g} \quad\text{{(numerical, not certified)}}")
        if self.eta_E is not None:
            rows.append(rf"\eta_E &= {to_latex(self.eta_E)}")
        return rows or [r"&\text{no critical step size was computed}"]

    def latex_formula(self) -> str:
        """Math mode (``aligned``): ``min_M lambda_max``, ``eta_C`` (value and enclosure) and ``eta_E``."""
        return "\\begin{aligned}\n" + " \\\\\n".join(self._latex_rows()) + "\n\\end{aligned}"

    def latex(self) -> str:
        """Text-mode fragment: result A5 with its evidence, method and assumptions, the values in an ``align*``."""
        widths = ",".join(map(str, self.widths))
        rows = self._latex_rows()
        out = (rf"\textbf{{Result A5 ({latex_text(self.evidence)}).}} Critical step sizes of the linear network with "
               rf"widths $({widths})$: $\eta_C = 2/\min_M \lambda_{{\max}}$ and "
               r"$\eta_E = 2/\inf_M \lambda_{\min}^+$; printed intervals are rounded outwards, so they are still "
               r"enclosures" + (ROOT_NOTE if r"\operatorname{root}" in rows else "") + "."
               + "\n\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
               + f"Method: {latex_text(self.method)}.")
        if self.assumptions:
            out += " Assumptions: " + "; ".join(self.assumptions_latex or map(latex_text, self.assumptions)) + "."
        return out

    def __str__(self) -> str:
        lines = [f"critical step sizes for widths {self.widths} (loss {self.loss}):"]
        if self.lambda_star is not None:
            lines.append(f"  min over M of lambda_max = {sympy.sstr(self.lambda_star)}")
        eta_c = sympy.sstr(self.eta_C) if self.eta_C is not None else "not known exactly"
        lines.append(f"  eta_C = {eta_c}" + (f" ~ {self.eta_C_float:.12g}" if self.eta_C_float else ""))
        if self.eta_C_interval is not None:
            lo, hi = self.eta_C_interval
            lines.append(f"  eta_C in [{_decimal(lo, True, 25)}, {'oo' if hi is None else _decimal(hi, False, 25)}]"
                         " (rigorous)")
        if self.eta_C_numerical is not None and self.eta_C is None:
            lines.append(f"  eta_C ~ {self.eta_C_numerical:.10g} (best value a numerical search found, not certified)")
        lines.append(f"  eta_E = {'unknown' if self.eta_E is None else sympy.sstr(self.eta_E)}")
        lines.append(f"  method: {self.method} [{self.evidence}]")
        if self.witness is not None:
            kind = "exact" if self.witness_exact else "enclosed" if self.evidence == "rigorous enclosure" else "numerical"
            shown = [_short(v) for v in self.witness[:_WITNESS_ENTRIES]]
            if len(self.witness) > _WITNESS_ENTRIES:
                shown.append(f"... {len(self.witness) - _WITNESS_ENTRIES} more entries (all of them in the JSON output)")
            lines.append(f"  witness ({kind}): [{', '.join(shown)}]")
        if self.escape_curve is not None:
            lines.append("  " + str(self.escape_curve).replace("\n", "\n  "))
        if self.proof is not None:
            lines.append(f"  z3: {self.proof}")
        lines.extend(f"  assumption: {a}" for a in self.assumptions)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


_WITNESS_ENTRIES = 24


def _short(v) -> str:
    text = str(v) if isinstance(v, str) else sympy.sstr(v)
    return text if len(text) <= 24 else text[:21] + "..."


