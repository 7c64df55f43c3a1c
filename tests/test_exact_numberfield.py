"""Tests for symstab.exact.numberfield and symstab.exact.fieldspectrum: exact arithmetic and spectra over Q(alpha).

References are slow and independent: sympy's own arithmetic on closed forms, sympy's
charpoly and resultant, mpmath eigenvalues at 60 digits.
"""

from fractions import Fraction

import flint
import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab.errors import InvalidInputError
from symstab.exact.fieldspectrum import charpoly_over_field, field_spectrum, norm_charpoly, poly_gcd
from symstab.exact.numberfield import (AlgebraicPoint, NumberField, algebraic_point, field_from_sympy, field_rref,
                                       is_field_point)
from symstab.strategies import rationals

X = sympy.Symbol("x")
FIELDS = [
    field_from_sympy([sympy.sqrt(221)]),
    field_from_sympy([sympy.CRootOf(X**3 - 3 * X + 1, 2)]),   # a cubic with three real roots
]


def elements(K, size=None):
    return st.lists(rationals(3, 3), min_size=K.degree, max_size=K.degree).map(lambda cs: K(cs))


@pytest.mark.parametrize("K", FIELDS, ids=["sqrt221", "cubic"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_field_arithmetic_matches_sympy(K, data):
    a, b = data.draw(elements(K)), data.draw(elements(K))
    A, B = a.to_sympy(), b.to_sympy()
    pairs = [(a + b, A + B), (a - b, A - B), (a * b, A * B), (a * a * a, A**3)] + ([(a / b, A / B)] if b else [])
    for ours, ref in pairs:
        if K.degree == 2:   # sympy decides radicals exactly
            assert sympy.simplify(ours.to_sympy() - ref) == 0
        else:               # CRootOf: 50-digit reference (sympy's simplify is too slow here)
            assert abs(sympy.N(ours.to_sympy() - ref, 50)) < sympy.Float(10) ** -40
    if b:
        assert (a / b) * b == a
    assert a.sign() == sympy.sign(sympy.N(A, 50)) or (a.sign() == 0 and A == 0)
    lo, hi = a.enclosure(80)
    assert lo <= sympy.N(A, 40) <= hi


def test_field_validation_and_generators():
    with pytest.raises(InvalidInputError, match="not irreducible"):
        NumberField(flint.fmpq_poly([-4, 0, 1]), (1, 3))
    with pytest.raises(InvalidInputError, match="isolate"):
        NumberField(flint.fmpq_poly([-2, 0, 1]), (-2, 2))
    K = field_from_sympy([sympy.sqrt(2), sympy.sqrt(3)])    # primitive element of Q(sqrt 2, sqrt 3)
    assert K.degree == 4
    p = algebraic_point([sympy.sqrt(2), sympy.sqrt(3), sympy.sqrt(6) + 1], K)
    assert p[0] * p[1] + 1 == p[2] and p[0] * p[0] == 2
    assert isinstance(p, AlgebraicPoint) and is_field_point(p) and not is_field_point([1, 2])
    with pytest.raises(InvalidInputError, match="real algebraic"):
        field_from_sympy([sympy.I])
    with pytest.raises(InvalidInputError, match="different number fields"):
        FIELDS[0].gen + FIELDS[1].gen


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(rationals(3, 3), min_size=n, max_size=n),
                                                    min_size=n, max_size=n)))
def test_charpoly_and_rref_over_Q_match_sympy(rows):
    lam = sympy.Symbol("lam")
    ref = sympy.Matrix(rows).charpoly(lam).all_coeffs()[::-1]
    assert charpoly_over_field([[Fraction(v) for v in r] for r in rows]) == [Fraction(str(c)) for c in ref]
    R, pivots = field_rref([[Fraction(v) for v in r] for r in rows])
    Rs, ps = sympy.Matrix(rows).rref()
    assert list(pivots) == list(ps) and sympy.Matrix(R) == Rs


def test_poly_gcd():
    F = Fraction
    assert poly_gcd([F(-1), F(0), F(1)], [F(1), F(1)]) == [1, 1]            # gcd(x^2 - 1, x + 1) = x + 1
    assert poly_gcd([F(2), F(3), F(1)], [F(3), F(4), F(1)]) == [1, 1]       # (x+1)(x+2), (x+1)(x+3)


def _symmetric(K, entries, n):
    H = [[None] * n for _ in range(n)]
    k = 0
    for i in range(n):
        for j in range(i, n):
            H[i][j] = H[j][i] = entries[k]
            k += 1
    return H


@pytest.mark.parametrize("K", FIELDS, ids=["sqrt221", "cubic"])
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_field_spectrum_matches_slow_references(K, data):
    n = data.draw(st.integers(1, 3 if K.degree == 2 else 2))   # sympy's cubic resultants are slow at n = 3
    H = _symmetric(K, [data.draw(elements(K)) for _ in range(n * (n + 1) // 2)], n)
    Hs = sympy.Matrix([[v.to_sympy() for v in row] for row in H])
    lam = sympy.Symbol("lam")
    cp, zero, eig = field_spectrum(H, K)
    # the characteristic polynomial over K, against sympy's
    ref = sympy.Poly(sympy.expand(Hs.charpoly(lam).as_expr()), lam).all_coeffs()[::-1]
    assert len(cp) == len(ref)
    for c, r in zip(cp, ref):
        if K.degree == 2:
            assert sympy.simplify(c.to_sympy() - r) == 0
        else:
            assert abs(sympy.N(c.to_sympy() - r, 50)) < sympy.Float(10) ** -40
    # the norm, against sympy's resultant Res_y(f(y), det(x I - H(y)))
    y = sympy.Dummy("y")
    Hy = sympy.Matrix([[v.to_poly_expr(y) for v in row] for row in H])
    f = sympy.Poly([sympy.Rational(str(c)) for c in reversed(K.minpoly.coeffs())], y)
    norm = sympy.Poly(sympy.resultant(f.as_expr(), (lam * sympy.eye(n) - Hy).det(), y), lam)
    ours = sympy.Poly([sympy.Rational(str(c)) for c in reversed(norm_charpoly(H, K).coeffs())], lam)
    assert ours.as_expr() == norm.monic().as_expr()
    # eigenvalues and multiplicities, against mpmath at 60 digits
    with mpmath.workdps(60):   # mpf arithmetic rounds to the working precision: compare inside
        values = sorted(mpmath.eigsy(mpmath.matrix([[mpmath.mpf(str(sympy.N(v, 70))) for v in row]
                                                     for row in Hs.tolist()]))[0])
        nonzero = [v for v in values if abs(v) > mpmath.mpf(10) ** -40]
        assert n - len(nonzero) == zero
        listed = [(lo, hi) for _, _, m, (lo, hi) in eig for _ in range(m)]
        assert len(listed) == len(nonzero)
        for v, (lo, hi) in zip(nonzero, listed):
            assert mpmath.mpf(lo.numerator) / lo.denominator - mpmath.mpf(10) ** -50 <= v
            assert v <= mpmath.mpf(hi.numerator) / hi.denominator + mpmath.mpf(10) ** -50
    for g, k, _, _ in eig:   # each key is a real root of its irreducible factor
        assert k < sympy.Poly([sympy.Rational(str(c)) for c in reversed(g.coeffs())], lam).count_roots()


def test_field_spectrum_repeated_and_conjugate_eigenvalues():
    K = FIELDS[0]
    a = 1 + K.gen
    H = [[a, 0, 0, 0], [0, a, 0, 0], [0, 0, 1 - K.gen, 0], [0, 0, 0, 0]]
    _, zero, eig = field_spectrum(H, K)
    assert zero == 1
    got = {(str(g), k): m for g, k, m, _ in eig}
    # 1 + sqrt 221 twice (the larger root of x^2 - 2x - 220), 1 - sqrt 221 once (the smaller)
    assert got == {("x^2 + (-2)*x + (-220)", 1): 2, ("x^2 + (-2)*x + (-220)", 0): 1}
