"""How paper B's numbers (B1-B3) are printed: exact values in sympy form, long algebraic numbers by degree.

Paper B's quantities for rational input -- ``lambda_1(H_i)``, ``lambda_1(S)`` and
the non-uniformity (B1), ``eta*`` (B2), the step sizes implied by the divergence
conditions (B3) -- are real algebraic numbers
(:func:`symstab.exact.algebraic.largest_real_root`); :func:`format_value` and
:func:`format_short` print them (docs/theory.md, B).
"""

from __future__ import annotations

import sympy

__all__ = ["format_short", "format_value"]


def format_value(value) -> str:
    """An exact sympy value as its sympy string, anything else as the repr of its float.

    Examples
    --------
    >>> from fractions import Fraction
    >>> format_value(sympy.sqrt(2) / 2), format_value(Fraction(1, 4))
    ('sqrt(2)/2', '0.25')
    """
    return str(value) if isinstance(value, sympy.Basic) else repr(float(value))


def format_short(value) -> str:
    """Like :func:`format_value`, but long algebraic numbers are named by their degree.

    Examples
    --------
    >>> from flint import fmpq_poly
    >>> from symstab.exact.algebraic import largest_real_root
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
