"""symstab.exact.algebraic: exact eigenvalues, root isolation and enclosures against sympy references."""

from fractions import Fraction

import flint
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symstab.exact.algebraic import (ball_endpoints, descending_eigenvalues, eigenvalues_exact, enclose_algebraic,
                                     format_interval, outward_decimal, positive_cell_samples, real_root_boxes,
                                     root_value, sign_changes, tail_sum, top_eigenvalue_upper, univariate)
from symstab.exact.matrices import fmpq_matrix
from symstab.strategies import rationals

x = sympy.Symbol("x")


@st.composite
def symmetric_matrices(draw, max_size=4):
    n = draw(st.integers(1, max_size))
    entries = {(i, j): draw(rationals(max_abs=3, max_denominator=2)) for i in range(n) for j in range(i, n)}
    return sympy.Matrix(n, n, lambda i, j: sympy.Rational(entries[min(i, j), max(i, j)]))


def _sorted_reference(K):
    """sympy's eigenvalues with multiplicity, sorted by a 50-digit evaluation (the slow, obvious way)."""
    values = [v for v, m in K.eigenvals().items() for _ in range(m)]
    return sorted(values, key=lambda v: sympy.re(sympy.N(v, 50)))


@given(symmetric_matrices())
@settings(max_examples=30, deadline=None)
def test_eigenvalues_exact_match_sympy(K):
    ours = eigenvalues_exact(K)
    reference = _sorted_reference(K)
    assert len(ours) == len(reference) == K.rows
    for a, b in zip(ours, reference):
        assert abs(sympy.N(a - b, 40)) < 1e-30
    keys = descending_eigenvalues(K)
    assert [root_value(k) for k in keys] == ours[::-1]


@given(symmetric_matrices(), st.integers(0, 4))
@settings(max_examples=25, deadline=None)
def test_tail_sum_is_the_sum_of_the_smallest_eigenvalues(K, r):
    assume(r <= K.rows)
    keys = descending_eigenvalues(K)
    expected = sum(_sorted_reference(K)[: K.rows - r], sympy.Integer(0))
    assert abs(sympy.N(tail_sum(keys, r) - expected, 40)) < 1e-30


@given(symmetric_matrices())
@settings(max_examples=30, deadline=None)
def test_root_boxes_isolate_every_root_and_bound_the_top(K):
    Kq = fmpq_matrix(K)
    _, factors = Kq.charpoly().factor()
    for f, _ in factors:
        boxes = real_root_boxes(f, 16)
        assert len(boxes) == f.degree()
        assert all(a[1] < b[0] for a, b in zip(boxes, boxes[1:]))
        poly = univariate(f, x)
        for lo, hi in boxes:  # exactly one root in each closed box (sympy's exact root count)
            assert poly.count_roots(sympy.Rational(lo), sympy.Rational(hi)) == 1
    top = top_eigenvalue_upper(Kq)
    assert top >= max(sympy.N(v, 40) for v in eigenvalues_exact(K)) - sympy.Float(1e-30)


@given(st.integers(2, 50), st.integers(2, 4), st.integers(1, 40))
@settings(max_examples=30, deadline=None)
def test_enclose_algebraic_is_tight_and_contains_the_number(a, k, digits):
    value = sympy.root(a, k) + sympy.Rational(1, 3)
    eps = Fraction(1, 10**digits)
    lo, hi = enclose_algebraic(value, eps)
    assert hi - lo <= eps
    assert sympy.Rational(lo) <= value <= sympy.Rational(hi)  # sympy decides these exactly


@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6), st.integers(0, 12))
def test_outward_decimals_round_outwards(q, digits):
    down, up = Fraction(outward_decimal(q, True, digits)), Fraction(outward_decimal(q, False, digits))
    assert down <= q <= up and up - down <= Fraction(1, 10**digits)
    lo, hi = format_interval(q, q + Fraction(1, 7), 6)[1:-1].split(", ")
    assert Fraction(lo) <= q and Fraction(hi) >= q + Fraction(1, 7)


def test_ball_endpoints_are_exact_for_dyadics_and_enclose_sqrt2():
    assert ball_endpoints(flint.arb("0.375")) == (Fraction(3, 8), Fraction(3, 8))
    lo, hi = ball_endpoints(flint.arb(2).sqrt())
    assert lo**2 < 2 < hi**2


@given(st.lists(st.integers(-6, 6), min_size=1, max_size=5))
def test_sign_changes_count_positive_roots_of_real_rooted_polynomials(roots):
    poly = sympy.Poly(sympy.prod([x - r for r in roots]), x)
    assert sign_changes(poly.all_coeffs()) == sum(1 for r in roots if r > 0)


@given(st.lists(st.fractions(min_value=Fraction(1, 10), max_value=10, max_denominator=10), min_size=1, max_size=4))
def test_cell_samples_hit_every_cell(roots):
    t = sympy.Symbol("t")
    polys = [sympy.Poly(t - sympy.Rational(r), t) for r in roots]
    samples = positive_cell_samples(polys, t)
    cuts = sorted(set(roots))
    cells = [(Fraction(0), cuts[0])] + list(zip(cuts, cuts[1:])) + [(cuts[-1], None)]
    for a, b in cells:
        assert any(a < Fraction(str(s)) and (b is None or Fraction(str(s)) < b) for s in samples)
    assert all(Fraction(str(s)) not in cuts for s in samples)
