"""The numbers of paper B's results B1-B3: exact largest eigenvalues, exact signs, and their display.

Paper B's quantities for rational input -- ``lambda_1(H_i)``, ``lambda_1(S)`` and
the non-uniformity (B1), ``lambda_max(C^{-1} D)`` and hence ``eta*`` (B2), the
step sizes implied by the divergence conditions (B3) -- are real algebraic
numbers.  :func:`largest_real_root` gives the largest root of a polynomial whose
roots are all real as an :class:`Algebraic` (closed form, minimal polynomial,
float value) that compares exactly with rationals; :func:`exact_sign` decides
the sign of any real algebraic expression; :func:`format_value` and
:func:`format_short` print them (docs/theory.md, B).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy
from flint import fmpq_poly

from ..errors import InvalidInputError
from ..exact.algebraic import root_closed_form, sign_changes, univariate
from ..exact.numbers import as_fmpq, as_rational

__all__ = ["Algebraic", "exact_sign", "format_short", "format_value", "largest_real_root"]

_X = sympy.Symbol("x")


@dataclass(frozen=True)
class Algebraic:
    """The largest real root of an irreducible integer polynomial ``poly``.

    ``expr`` is its closed form (a Rational, a quadratic surd or a ``CRootOf``) and
    ``value`` a float approximation.
    """

    poly: sympy.Poly
    expr: sympy.Expr
    value: float

    def compare(self, q: Fraction) -> int:
        """Exact sign of ``self - q`` for a rational q.

        Examples
        --------
        >>> root = largest_real_root(fmpq_poly([-2, 0, 1]))  # sqrt(2)
        >>> root.compare(Fraction(7, 5)), root.compare(Fraction(3, 2))
        (1, -1)
        """
        q_s = as_rational(q)
        if self.poly.degree() == 1 or self.expr.is_Rational:
            diff = self.expr - q_s
            return int(diff.p > 0) - int(diff.p < 0)
        # Irreducible of degree >= 2, so q is not a root; all roots are real, so
        # Descartes' rule of signs on f(x + q) counts the roots above q exactly.
        f = fmpq_poly([int(c) for c in reversed(self.poly.all_coeffs())])
        shifted = f(fmpq_poly([as_fmpq(q), 1]))
        return 1 if sign_changes(shifted.coeffs()) > 0 else -1


def largest_real_root(charpoly: fmpq_poly) -> Algebraic:
    """Exact largest root of a polynomial whose roots are all real.

    The roots being real is the caller's guarantee: characteristic polynomials of
    symmetric matrices or of ``C^{-1} D`` (similar to a symmetric matrix).  The
    polynomial is factored over Q and the factor carrying the largest root chosen
    by flint's certified complex roots.

    Parameters
    ----------
    charpoly : python-flint fmpq_poly

    Returns
    -------
    Algebraic

    Examples
    --------
    >>> largest_real_root(fmpq_poly([6, -5, 1])).expr  # (x - 2)(x - 3)
    3
    >>> largest_real_root(fmpq_poly([-1, 0, 2])).expr
    sqrt(2)/2
    >>> largest_real_root(fmpq_poly([-1, 6, -9, 3])).expr
    CRootOf(3*x**3 - 9*x**2 + 6*x - 1, 2)
    """
    _, factors = charpoly.factor()
    best = None
    for factor, _mult in factors:
        z = factor.numer()
        roots = [r.real.mid() for r, _m in z.complex_roots()]
        top = max(float(r) for r in roots)
        if best is None or top > best[1]:
            best = (z, top)
    z, top = best
    # The float is the arb midpoint at flint's working precision, not an end of
    # exact.algebraic.real_root_boxes: it is reported (lambda_1_float, eta_star_float).
    poly = univariate(z, _X)
    if poly.degree() == 2:
        # The quadratic formula, not exact.algebraic.root_closed_form: that one goes
        # through sympy.roots, which may rescale the polynomial first, and for large
        # coefficients the surd can then come out in another (equal) printed form.
        a, b, c = poly.all_coeffs()
        if a < 0:
            a, b, c = -a, -b, -c
        expr = sympy.radsimp((-b + sympy.sqrt(b * b - 4 * a * c)) / (2 * a))
    else:
        # a Rational, or CRootOf(poly, degree - 1): all roots real, the last one is the largest
        expr = root_closed_form(poly, poly.degree() - 1)
    return Algebraic(poly, expr, float(top))


def exact_sign(expr) -> int:
    """Exact sign of a real algebraic sympy expression (evaluation, then zero test).

    Parameters
    ----------
    expr : sympy expression or number
        A real algebraic number (rationals, radicals, ``CRootOf``).

    Returns
    -------
    int
        -1, 0 or 1.

    Examples
    --------
    >>> exact_sign(sympy.sqrt(2) - sympy.Rational(7, 5)), exact_sign(sympy.sqrt(8) - 2 * sympy.sqrt(2))
    (1, 0)
    """
    expr = sympy.sympify(expr)
    if expr.is_Rational:
        return int(expr.p > 0) - int(expr.p < 0)
    value = sympy.N(expr, 60)
    if abs(value) > sympy.Float(10) ** -45:
        return 1 if value > 0 else -1
    if expr.equals(0):
        return 0
    value = sympy.N(expr, 300)
    if value == 0:
        raise InvalidInputError(f"cannot decide the sign of {expr}")
    return 1 if value > 0 else -1


def format_value(value) -> str:
    """An exact sympy value as its sympy string, anything else as the repr of its float.

    Examples
    --------
    >>> format_value(sympy.sqrt(2) / 2), format_value(Fraction(1, 4))
    ('sqrt(2)/2', '0.25')
    """
    return str(value) if isinstance(value, sympy.Basic) else repr(float(value))


def format_short(value) -> str:
    """Like :func:`format_value`, but long algebraic numbers are named by their degree.

    Examples
    --------
    >>> top = largest_real_root(fmpq_poly([3851, -7231, 5047, -1726, 310, -28, 1]))  # degree 6, irreducible
    >>> format_short(2 / top.expr), format_short(2 / sympy.Integer(3))
    ('<algebraic number of degree 6>', '2/3')
    """
    text = format_value(value)
    if len(text) > 70 and isinstance(value, sympy.Basic):
        roots = value.atoms(sympy.CRootOf)
        degree = max((r.poly.degree() for r in roots), default=None)
        return f"<algebraic number{f' of degree {degree}' if degree else ''}>"
    return text
