"""Solver verdicts (z3) on the polynomial inequalities behind eta_C (result A5).

z3 emits no proof object: its ``unsat`` is a solver verdict, not a certificate.
The statement "for eta > eta_C no point of M has ``lambda_max < 2/eta``" is, with
``l = 2/eta`` and the normal operator of :func:`symstab.spectrum.normal_operator`,
the emptiness of the semi-algebraic set

    ``{(theta, l) : mu(theta) = target, 0 < l < lambda*, l (I (x) Sigma^-1) - 2c N(theta) > 0}``

(``lambda* = min_M lambda_max``; positive definiteness by Sylvester's leading
principal minors). z3's nonlinear real arithmetic (nlsat, a complete decision
procedure) answers ``unsat`` -- a proof -- ``sat`` with a model, or ``unknown``
on timeout, which is reported as *not proved*. An irrational ``lambda*`` enters
through its minimal polynomial and an isolating interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..exact.algebraic import enclose_algebraic, format_interval
from ..spectrum import normal_operator

__all__ = ["Z3Proof", "z3_critical_proof", "to_z3"]


@dataclass(frozen=True)
class Z3Proof:
    """z3's answer on one statement: ``unsat`` of its negation is a solver verdict, not a certificate."""

    statement: str
    result: str  # "unsat" (the statement holds, by z3's verdict), "sat" (refuted), "unknown" (timeout / incomplete)
    seconds: float
    model: dict | None = None
    evidence = "solver verdict, no certificate"

    @property
    def unsat(self) -> bool:
        """True when z3 answered ``unsat``: the statement holds by the solver's verdict (no proof object)."""
        return self.result == "unsat"

    def to_dict(self) -> dict:
        return {"statement": self.statement, "solver": "z3 (nlsat)", "result": self.result,
                "holds": self.unsat, "evidence": self.evidence, "seconds": round(self.seconds, 3),
                "model": self.model}

    def __str__(self) -> str:
        verdict = {"unsat": "holds (solver verdict, no certificate: z3 unsat)", "sat": "REFUTED (z3 model)",
                   "unknown": "undecided (z3 unknown)"}[self.result]
        return f"{verdict}: {self.statement} [{self.seconds:.2f} s]"


def to_z3(expr, variables: dict):
    """A sympy polynomial expression as a z3 real term (rationals stay exact).

    Parameters
    ----------
    expr : sympy.Expr
        Polynomial in the keys of ``variables`` with rational coefficients.
    variables : dict
        sympy Symbol -> z3 Real.

    Returns
    -------
    z3.ArithRef

    Examples
    --------
    >>> import z3
    >>> x = sympy.Symbol("x")
    >>> s = z3.Solver(); v = z3.Real("x")
    >>> s.add(to_z3(x**2 / 2 - 1, {x: v}) == 1, v > 0); s.check(), s.model()[v]
    (sat, 2)
    """
    import z3

    poly = sympy.Poly(sympy.expand(expr), *variables.keys())
    terms = []
    for monom, coeff in poly.terms():
        c = sympy.Rational(coeff)
        term = z3.RealVal(f"{c.p}/{c.q}")
        for var, e in zip(variables.values(), monom):
            for _ in range(e):
                term = term * var
        terms.append(term)
    return z3.Sum(terms) if terms else z3.RealVal(0)


def z3_critical_proof(net, M, lambda_star, *, timeout: float = 10.0) -> Z3Proof | None:
    """Ask z3 to prove that no point of M has ``lambda_max < lambda_star`` (i.e. ``< 2/eta`` for ``eta > eta_C``).

    Parameters
    ----------
    net : LinearNetwork
        Numeric data, filling (the Hessian on M is ``2c J^T G J``).
    M : Minima
    lambda_star : sympy number
        The claimed ``min_M lambda_max`` (rational or real algebraic).
    timeout : float
        Seconds.

    Returns
    -------
    Z3Proof or None
        None when the case is outside the encoding (family, non-filling, irrational target).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> z3_critical_proof(net, net.minima(), sympy.Integer(10)).result
    'unsat'
    """
    import z3

    if net.is_family or not M.filling or not M.points_exact or lambda_star is None:
        return None
    lambda_star = sympy.sympify(lambda_star)
    if lambda_star.free_symbols or lambda_star == 0:
        return None
    symbols = sympy.symbols(" ".join(net.param_names))
    symbols = symbols if isinstance(symbols, tuple) else (symbols,)
    ell = sympy.Symbol("ell")
    reals = {s: z3.Real(str(s)) for s in symbols}
    reals[ell] = z3.Real("ell")
    weights = [sympy.Matrix(W.tolist()) for W in net.split(list(symbols))]
    N = normal_operator(net, weights, symmetric=True)
    dH = net.widths[-1]
    S = ell * sympy.kronecker_product(sympy.eye(dH), net.Sigma.inv()) - N
    solver = z3.Solver()
    solver.set("timeout", int(timeout * 1000))
    product = weights[0]
    for W in weights[1:]:
        product = W * product
    for v, t in zip(product, sympy.Matrix(M.target)):
        solver.add(to_z3(v - t, reals) == 0)
    solver.add(reals[ell] > 0)
    if lambda_star.is_Rational:
        solver.add(reals[ell] < z3.RealVal(f"{lambda_star.p}/{lambda_star.q}"))
        bound_text = sympy.sstr(lambda_star)
    else:
        m = sympy.Symbol("m")
        minpoly = sympy.minimal_polynomial(lambda_star, m)
        lo, hi = enclose_algebraic(lambda_star, Fraction(1, 10**12))
        reals[m] = z3.Real("m")
        solver.add(to_z3(minpoly, {m: reals[m]}) == 0)
        solver.add(reals[m] >= z3.RealVal(f"{lo.numerator}/{lo.denominator}"))
        solver.add(reals[m] <= z3.RealVal(f"{hi.numerator}/{hi.denominator}"))
        solver.add(reals[ell] < reals[m])
        bound_text = f"{sympy.sstr(lambda_star)} (root of {sympy.sstr(minpoly)} in {format_interval(lo, hi)})"
    for k in range(1, S.rows + 1):
        solver.add(to_z3(S[:k, :k].det(method="berkowitz"), reals) > 0)
    start = time.perf_counter()
    result = str(solver.check())
    seconds = time.perf_counter() - start
    model = None
    if result == "sat":
        mdl = solver.model()
        model = {str(d): str(mdl[d]) for d in mdl.decls()}
    statement = (f"no theta in M has lambda_max(Hess L(theta)) < l for any l < {bound_text}; "
                 "i.e. for eta > eta_C no minimum is linearly stable")
    return Z3Proof(statement=statement, result=result, seconds=seconds, model=model)
