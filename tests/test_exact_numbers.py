import warnings
from fractions import Fraction

import numpy as np
import pytest
import sympy

from symstab.errors import InexactInputWarning, InvalidInputError, ParseError
from symstab.exact.numbers import parse_matrix, parse_number, parse_widths, to_exact


@pytest.mark.parametrize("text,value", [
    ("3", Fraction(3)), ("-3/4", Fraction(-3, 4)), (" +2/6 ", Fraction(1, 3)),
    ("0.125", Fraction(1, 8)), ("-1.5", Fraction(-3, 2)), ("7.", Fraction(7)),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "x", "1/0", "1e3", "__import__('os')", "1/2/3", "nan", "inf", "2**3"])
def test_parse_number_rejects(text):
    with pytest.raises(ParseError):
        parse_number(text)


def test_parse_matrix_and_widths():
    assert parse_matrix("1,0;0,1/2") == [[1, 0], [0, Fraction(1, 2)]]
    with pytest.raises(ParseError, match="unequal"):
        parse_matrix("1,2;3")
    assert parse_widths("2,2,2") == (2, 2, 2)
    with pytest.raises(ParseError):
        parse_widths("2,a")


def test_float_is_converted_exactly_with_warning():
    with pytest.warns(InexactInputWarning, match="exact binary value"):
        v = to_exact(0.1)
    assert v == Fraction(0.1) and v != Fraction(1, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert to_exact(2.0) == 2  # exactly representable integers need no warning


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, object(), sympy.oo, sympy.sqrt(2),
                                 sympy.Symbol("y") ** -1])
def test_to_exact_rejects(bad):
    with pytest.raises(InvalidInputError):
        to_exact(bad)


def test_symbolic_polynomial_entries_are_kept():
    y = sympy.Symbol("y")
    assert to_exact(2 * y + 1) == 2 * y + 1
    assert to_exact(sympy.Rational(3, 7)) == Fraction(3, 7)


@pytest.mark.parametrize("text", ["١٢", "１/２", "1_0"])
def test_parse_number_is_ascii_only(text):
    with pytest.raises(ParseError):
        parse_number(text)


@pytest.mark.parametrize("text", ["1_0,1", "-1,2", "1,,2", "٣,1", ""])
def test_parse_widths_is_strict(text):
    with pytest.raises(ParseError):
        parse_widths(text)


@pytest.mark.parametrize("value", [0.5, np.float64(0.25), sympy.Float(0.5), sympy.sqrt(2)])
def test_as_fraction_refuses_floats_and_irrationals_instead_of_rounding_them(value):
    """A float has an exact binary value, but taking it silently would make a numerical value look exact."""
    from symstab.exact.numbers import as_fraction

    with pytest.raises(InvalidInputError, match="not an exact rational"):
        as_fraction(value)
