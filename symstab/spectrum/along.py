"""Result A3 along M: closed-form non-zero Hessian spectra on all of M, where they exist.

For hidden widths 1, M has an exact parametrisation and the spectrum is a
rational function of its parameters; for scalar input and output the one
non-zero eigenvalue is a polynomial in the weights; for two layers with
``Sigma = s I`` it is ``2c s (p_i + q_j)``. Everything is exact (sympy).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..exact.latex import LatexDisplay, display, to_latex
from ..exact.latex import text as latex_text
from ..exact.matrices import scalar_identity_factor
from ..minima import minima
from .pointwise import normal_operator

__all__ = ["SpectrumAlongM", "spectrum_along"]


@dataclass(frozen=True)
class SpectrumAlongM(LatexDisplay):
    """Closed-form non-zero Hessian eigenvalues on all of M, in terms of a parametrisation of M."""

    parameters: tuple
    theta: tuple | None
    eigenvalues: tuple  # (expr, multiplicity)
    description: str

    def to_dict(self) -> dict:
        return {"parameters": [str(p) for p in self.parameters],
                "theta": None if self.theta is None else [sympy.sstr(v) for v in self.theta],
                "eigenvalues": [{"value": sympy.sstr(e), "multiplicity": m} for e, m in self.eigenvalues],
                "description": self.description, "evidence": "exact (symbolic)"}

    def latex_formula(self) -> str:
        """Math mode: the non-zero spectrum on M in the parametrisation's variables."""
        eig = ",\\ ".join(to_latex(e) + (rf"\ (\times {m})" if m > 1 else "") for e, m in self.eigenvalues)
        return rf"\operatorname{{spec}}^{{+}}\nabla^2 L(\theta) = \{{{eig}\}}"

    def latex(self) -> str:
        """Text-mode fragment: the parametrisation of M (when there is one) and the closed-form spectrum (exact)."""
        items = [to_latex(e) + (rf"\ (\times {m})" if m > 1 else "") for e, m in self.eigenvalues]
        terms = [r"\{" + items[0]] + items[1:] if items else [r"\{"]
        terms = [t + ",\\ " for t in terms[:-1]] + [terms[-1] + r"\}"]
        out = f"Along $M$ (exact, symbolic; {latex_text(self.description)})"
        if self.theta is not None:
            params = ", ".join(to_latex(p) for p in self.parameters)
            out += (r", with $M$ parametrised by $\theta = (" + ", ".join(to_latex(v) for v in self.theta)
                    + rf")$, ${params} \neq 0$")
        return out + ", the non-zero Hessian eigenvalues are\n" + display(r"\operatorname{spec}^{+}\nabla^2 L(\theta)", terms)

    def __str__(self) -> str:
        lines = [f"non-zero spectrum along M ({self.description}):"]
        if self.theta is not None:
            lines.append(f"  theta = ({', '.join(sympy.sstr(v) for v in self.theta)}), "
                         f"parameters {', '.join(map(str, self.parameters))} != 0")
        lines.extend(f"  {sympy.sstr(e)}" + (f"  (x{m})" if m > 1 else "") for e, m in self.eigenvalues)
        return "\n".join(lines)


def spectrum_along(net) -> SpectrumAlongM | None:
    """Symbolic non-zero spectrum of the Hessian along all of M, where it is closed-form.

    * hidden widths all 1 (scalar chains, ``(1,1,k)``, ``(k,1,1)``, ...), filling,
      target ``g h^T != 0``: M is parametrised exactly by
      ``W_1 = a_1 h^T``, ``W_l = a_l`` (``1 < l < H``), ``W_H = g / (a_1 ... a_{H-1})``;
      the eigenvalues are those of the normal operator :func:`normal_operator`
      in the parameters (data symbols allowed);
    * scalar input and output (any hidden widths): the one non-zero eigenvalue
      ``2c s ||grad mu(theta)||^2`` as a polynomial in the weights, valid at every point of M;
    * two layers, ``Sigma = s I``: ``{2c s (p_i + q_j)}`` with ``p_i`` the
      eigenvalues of ``W_2 W_2^T`` and ``q_j`` those of ``W_1^T W_1``
      (a formula at each point of M, not a parametrisation).

    Parameters
    ----------
    net : LinearNetwork

    Returns
    -------
    SpectrumAlongM or None
        None outside these families.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> print(spectrum_along(LinearNetwork.whitened((1, 1, 2), [[3], [4]])))
    non-zero spectrum along M (hidden widths 1: exact parametrisation of M):
      theta = (a1, 3/a1, 4/a1), parameters a1 != 0
      a1**2
      a1**2 + 25/a1**2
    """
    M = minima(net)
    H, d0, dH = net.depth, net.widths[0], net.widths[-1]
    if H < 2 or not M.filling or M.target is None:
        return None
    T = sympy.Matrix(M.target)
    if all(sympy.simplify(v) == 0 for v in T):
        return None
    if all(w == 1 for w in net.widths[1:-1]):
        params = sympy.symbols(" ".join(f"a{l}" for l in range(1, H)), real=True, nonzero=True)
        params = params if isinstance(params, tuple) else (params,)
        j = next(j for j in range(d0) if any(sympy.simplify(T[i, j]) != 0 for i in range(dH)))
        i = next(i for i in range(dH) if sympy.simplify(T[i, j]) != 0)
        g, h = T[:, j], (T[i, :] / T[i, j]).applyfunc(sympy.cancel)
        weights = [params[0] * h]
        weights.extend(sympy.Matrix([[a]]) for a in params[1:])
        prod = sympy.Integer(1)
        for a in params:
            prod *= a
        weights.append(g / prod)
        K = normal_operator(net, weights)
        eigen = []
        for value, mult in K.eigenvals().items():
            value = sympy.simplify(value)
            if value != 0:
                eigen.append((sympy.expand(value), int(mult)))
        eigen.sort(key=lambda e: sympy.default_sort_key(e[0]))
        return SpectrumAlongM(parameters=params, theta=tuple(sympy.cancel(v) for W in weights for v in W),
                              eigenvalues=tuple(eigen), description="hidden widths 1: exact parametrisation of M")
    if d0 == dH == 1:
        names = sympy.symbols(" ".join(net.param_names), real=True)
        weights = [sympy.Matrix(W.tolist()) for W in net.split(list(names))]
        K = normal_operator(net, weights)
        return SpectrumAlongM(
            parameters=tuple(names), theta=None, eigenvalues=((sympy.factor(K[0, 0]), 1),),
            description="scalar input and output: the single non-zero eigenvalue 2c s ||grad mu(theta)||^2 "
                        "at every point theta of M")
    s = scalar_identity_factor(net.Sigma)
    if H == 2 and s is not None:
        p, q = sympy.symbols("p_i q_j", nonnegative=True)
        return SpectrumAlongM(
            parameters=(p, q), theta=None, eigenvalues=((net.kappa * s * (p + q), 1),),
            description="two layers, Sigma = s I: p_i over eigenvalues of W_2 W_2^T, q_j over those of "
                        "W_1^T W_1 (pairs with p_i + q_j > 0)")
    return None


