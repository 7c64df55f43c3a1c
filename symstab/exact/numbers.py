"""Exact numbers (bottom layer): strict parsing of user input, and conversions between number types.

Nothing here evaluates text: numbers are matched against a fixed grammar
(integers, ``a/b`` fractions, plain decimals) and matrices are rows separated by
``;`` with entries separated by ``,``. Floats are converted to the exact rational
value of their binary representation, and the conversion is reported.

The three exact rational types symstab meets -- :class:`fractions.Fraction`
(results and user input), sympy ``Rational`` (display and algebra) and
python-flint ``fmpq`` (the engine) -- are converted into one another by
:func:`as_fraction`, :func:`as_rational` and :func:`as_fmpq`.
"""

from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction
from numbers import Integral, Rational

import flint
import numpy as np
import sympy

from ..errors import InexactInputWarning, InvalidInputError, ParseError

_NUMBER = re.compile(r"^\s*([+-]?)([0-9]+)(?:/([0-9]+)|\.([0-9]*))?\s*$", re.ASCII)
_WIDTHS = re.compile(r"^\s*[0-9]+\s*(,\s*[0-9]+\s*)*$", re.ASCII)


#: Longest number text accepted (Python's int() refuses more than 4300 digits).
MAX_DIGITS = 4000


def parse_number(text: str) -> Fraction:
    """Parse ``"3"``, ``"-3/4"`` or ``"0.25"`` into an exact :class:`Fraction`.

    Parameters
    ----------
    text : str
        An integer, a fraction ``a/b`` with ``b > 0``, or a decimal literal.

    Returns
    -------
    Fraction

    Examples
    --------
    >>> parse_number("-3/4")
    Fraction(-3, 4)
    >>> parse_number("0.1")
    Fraction(1, 10)
    """
    if not isinstance(text, str):
        raise ParseError(f"expected a string, got {type(text).__name__}")
    m = _NUMBER.match(text)
    if not m:
        raise ParseError(f"not an exact number: {text!r} (use an integer, a/b or a decimal)")
    sign, whole, den, frac = m.groups()
    if len(text) > MAX_DIGITS:
        raise ParseError(f"number with {len(text)} characters: at most {MAX_DIGITS} are accepted")
    if den is not None:
        if int(den) == 0:
            raise ParseError(f"zero denominator in {text!r}")
        value = Fraction(int(whole), int(den))
    elif frac is not None:
        value = Fraction(int(whole + frac) if frac else int(whole), 10 ** len(frac))
    else:
        value = Fraction(int(whole))
    return -value if sign == "-" else value


def parse_matrix(text: str) -> list[list[Fraction]]:
    """Parse ``"1,0;0,1"`` (rows separated by ``;``) into rows of Fractions.

    Parameters
    ----------
    text : str
        Rows separated by ``;``, entries by ``,``; each entry as in :func:`parse_number`.

    Returns
    -------
    list of list of Fraction

    Examples
    --------
    >>> parse_matrix("1,2/3;0,-1")
    [[Fraction(1, 1), Fraction(2, 3)], [Fraction(0, 1), Fraction(-1, 1)]]
    >>> parse_matrix("3;4")
    [[Fraction(3, 1)], [Fraction(4, 1)]]
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty matrix")
    rows = [[parse_number(e) for e in row.split(",")] for row in text.split(";")]
    if len({len(r) for r in rows}) != 1:
        raise ParseError(f"rows of unequal length in matrix {text!r}")
    return rows


def parse_widths(text: str) -> tuple[int, ...]:
    """Parse ``"2,2,2"`` into a tuple of positive integers.

    Examples
    --------
    >>> parse_widths("1,1,2")
    (1, 1, 2)
    """
    if not isinstance(text, str) or not _WIDTHS.match(text):
        raise ParseError(f"widths must be comma-separated non-negative integers, got {text!r}")
    return tuple(int(w) for w in text.split(","))


def to_exact(value, *, where: str = "entry"):
    """Convert one user-supplied scalar to an exact value.

    Integers, Fractions, sympy Rationals and strings become :class:`Fraction`;
    floats become the Fraction of their exact binary value (an
    :class:`InexactInputWarning` says so); sympy expressions that are
    polynomials with rational coefficients in free symbols are kept as sympy
    expressions (a *family* of data sets).

    Examples
    --------
    >>> to_exact("3/4")
    Fraction(3, 4)
    >>> to_exact(sympy.Rational(1, 3))
    Fraction(1, 3)
    """
    if isinstance(value, bool):
        raise InvalidInputError(f"{where}: booleans are not numbers")
    if isinstance(value, (Integral, Fraction)):
        return Fraction(value)
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"{where}: {value} is not a finite number")
        exact = Fraction(value)
        if exact.denominator != 1 or abs(value) >= 2**53:
            warnings.warn(
                f"{where}: float {value!r} converted to its exact binary value {exact}",
                InexactInputWarning,
                stacklevel=3,
            )
        return exact
    if isinstance(value, sympy.Basic):
        if isinstance(value, sympy.Float):
            if not value.is_finite:
                raise InvalidInputError(f"{where}: {value} is not a finite number")
            exact = sympy.Rational(value)  # the exact binary value of the mpf
            warnings.warn(f"{where}: sympy Float {value} converted to its exact binary value {exact}",
                          InexactInputWarning, stacklevel=3)
            return Fraction(int(exact.p), int(exact.q))
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            raise InvalidInputError(f"{where}: {value} is not a finite number")
        if value.free_symbols and value.is_polynomial(*value.free_symbols):
            poly = sympy.Poly(value, *sorted(value.free_symbols, key=str))
            if poly.domain.is_QQ or poly.domain.is_ZZ:
                return sympy.expand(value)
        raise InvalidInputError(
            f"{where}: {value} is neither a rational number nor a polynomial with "
            "rational coefficients in free symbols"
        )
    if isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, np.integer):  # numpy scalars, then python-flint fmpq/fmpz
        return Fraction(int(value))
    if isinstance(value, np.floating):
        return to_exact(float(value), where=where)
    if type(value).__module__.startswith("flint"):
        return Fraction(str(value))
    raise InvalidInputError(f"{where}: {value!r} ({type(value).__name__}) is not a number")


def to_exact_matrix(rows, *, name: str) -> list[list]:
    """Convert a nested sequence (or sympy/numpy matrix, or text) to exact rows.

    Examples
    --------
    >>> to_exact_matrix([[1, "1/2"]], name="X")
    [[Fraction(1, 1), Fraction(1, 2)]]
    """
    if isinstance(rows, str):
        return parse_matrix(rows)
    if isinstance(rows, sympy.MatrixBase):
        rows = rows.tolist()
    elif hasattr(rows, "tolist") and hasattr(rows, "shape"):
        rows = rows.tolist()
    try:
        rows = [list(r) for r in rows]
    except TypeError:
        raise InvalidInputError(f"{name} must be a matrix (a sequence of rows)") from None
    if not rows or not rows[0]:
        raise InvalidInputError(f"{name} is empty")
    if len({len(r) for r in rows}) != 1:
        raise InvalidInputError(f"{name} has rows of unequal length")
    return [[to_exact(v, where=f"{name}[{i},{j}]") for j, v in enumerate(r)] for i, r in enumerate(rows)]


def check_seed(seed) -> int:
    """``seed`` as a Python int once it is a non-negative integer (numpy's generators refuse negatives).

    Examples
    --------
    >>> check_seed(3)
    3
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    symstab.errors.InvalidInputError: seed must be a non-negative integer, got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise InvalidInputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def simplest_between(lo, hi) -> Fraction:
    """The rational with the smallest denominator in ``[lo, hi]`` (``0 <= lo <= hi``, exact), by continued fractions.

    Examples
    --------
    >>> simplest_between(Fraction(1, 2000) * Fraction(4, 5), Fraction(1, 2000) * Fraction(9, 10))
    Fraction(1, 2223)
    >>> simplest_between(Fraction(3, 10), Fraction(2, 5))
    Fraction(1, 3)
    """
    lo, hi = Fraction(lo), Fraction(hi)
    if not 0 <= lo <= hi:
        raise InvalidInputError(f"need 0 <= lo <= hi, got {lo}, {hi}")
    n = math.floor(lo)
    if n == lo:
        return Fraction(n)
    if n + 1 <= hi:
        return Fraction(n + 1)
    return n + 1 / simplest_between(1 / (hi - n), 1 / (lo - n))


# --- conversions between the exact rational types ---------------------------------

def as_fraction(value) -> Fraction:
    """An exact rational (int, Fraction, sympy Rational or python-flint fmpq/fmpz) as a Fraction.

    Examples
    --------
    >>> as_fraction(sympy.Rational(-3, 4)), as_fraction(flint.fmpq(1, 3))
    (Fraction(-3, 4), Fraction(1, 3))
    """
    if isinstance(value, flint.fmpq):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, flint.fmpz):
        return Fraction(int(value))
    if isinstance(value, sympy.Basic):
        if not value.is_Rational:  # a Float or an irrational number: no silent rounding to a binary fraction
            raise InvalidInputError(f"{value} is not an exact rational")
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, float) or not isinstance(value, (Rational, str)):
        raise InvalidInputError(f"{value!r} is not an exact rational")
    return Fraction(value)


def as_rational(value) -> sympy.Rational:
    """An exact rational as a sympy ``Rational``.

    Examples
    --------
    >>> as_rational(Fraction(2, 6))
    1/3
    """
    q = as_fraction(value)
    return sympy.Rational(q.numerator, q.denominator)


def as_fmpq(value) -> "flint.fmpq":
    """An exact rational as a python-flint ``fmpq``.

    Examples
    --------
    >>> as_fmpq(sympy.Rational(5, 2))
    5/2
    """
    q = as_fraction(value)
    return flint.fmpq(q.numerator, q.denominator)
