import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import flint

from symstab.errors import InvalidInputError

from symstab.exact.poly import (
    Ring,
    adjugate_action,
    berkowitz,
    laplace_det,
    latex_name,
    rank_one_charpoly,
    reverse_last,
)

small = st.integers(min_value=-9, max_value=9)


@given(st.integers(min_value=1, max_value=6).flatmap(
    lambda n: st.lists(st.lists(small, min_size=n, max_size=n), min_size=n, max_size=n)))
def test_berkowitz_matches_sympy_charpoly(rows):
    lam = sympy.Symbol("lam")
    ref = sympy.Matrix(rows).charpoly(lam).all_coeffs()
    assert berkowitz(rows, 0, 1) == ref


def test_berkowitz_over_polynomials_matches_sympy_det():
    R = Ring(("x", "y"))
    x, y = R.gens
    M = [[x, y, 1], [x * y, x - 1, y], [2, y * y, x]]
    coeffs = berkowitz(M, R.ctx.constant(0), R.ctx.constant(1))
    sx, sy = R.symbols
    det = sympy.Matrix([[sx, sy, 1], [sx * sy, sx - 1, sy], [2, sy**2, sx]]).det()
    assert sympy.expand(R.to_sympy(-coeffs[-1]) - det) == 0


@given(st.integers(min_value=0, max_value=6).flatmap(
    lambda n: st.lists(st.lists(small, min_size=n, max_size=n), min_size=n, max_size=n)))
def test_laplace_det_matches_berkowitz(rows):
    n = len(rows)
    c = berkowitz(rows, 0, 1)
    assert laplace_det(rows, 0) == (c[-1] if n % 2 == 0 else -c[-1])


@given(st.lists(st.lists(small, min_size=3, max_size=3), min_size=1, max_size=8), st.integers(0, 3))
def test_reverse_last_is_the_dictionary_reversal(rows, extra):
    """``z^d p(x, 1/y)`` by C-level operations equals the exponent reversal through a dictionary."""
    ctx = flint.fmpq_mpoly_ctx.get(("x", "w", "eta"), "degrevlex")
    x, w, eta = ctx.gens()
    p = sum((c * x**i * w**j * eta**k for i, (c, j, k) in enumerate(
        (r[0], abs(r[1]) % 3, abs(r[2]) % 5) for r in rows)), ctx.constant(0))
    d = 4 + extra
    target = flint.fmpq_mpoly_ctx.get(("x", "w", "lam"), "degrevlex")
    expected = target.from_dict({e[:-1] + (d - e[-1],): v for e, v in p.to_dict().items()})
    assert reverse_last(p, target, d) == expected


def test_reverse_last_refuses_a_too_small_degree():
    ctx = flint.fmpq_mpoly_ctx.get(("x", "eta"), "degrevlex")
    x, eta = ctx.gens()
    with pytest.raises(InvalidInputError, match="degree"):
        reverse_last(x * eta**3, flint.fmpq_mpoly_ctx.get(("x", "lam"), "degrevlex"), 2)


def test_ring_round_trip_and_embedding():
    R = Ring(("W1_0_0", "y"))
    a, y = R.symbols
    expr = sympy.Rational(3, 4) * a**2 * y - y + 7
    p = R.from_sympy(expr)
    assert R.to_sympy(p) == expr
    S = R.extend("eta")
    assert S.to_sympy(S.embed(p, R)) == expr
    with pytest.raises(Exception):
        R.from_sympy(sympy.Symbol("z"))


def test_latex_names():
    assert latex_name("W3_2_1") == "W_{3}(3,2)"  # 1-based in LaTeX, 0-based in the names
    assert latex_name("eta") == r"\eta" and latex_name("lam") == r"\lambda"
    R = Ring(("W1_0_0", "eta"))
    assert R.latex(R.to_sympy(R.gens[0] * R.gens[1])) == r"W_{1}(1,1) \cdot \eta"


square = st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.lists(st.lists(small, min_size=n, max_size=n), min_size=n, max_size=n))


@given(square, st.data())
def test_adjugate_action_is_the_adjugate_of_lam_minus_a_applied_to_v(rows, data):
    """Against sympy: adj(lam I - A) v, coefficient by coefficient in lam."""
    n = len(rows)
    v = data.draw(st.lists(small, min_size=n, max_size=n))
    lam = sympy.Symbol("lam")
    adj = (lam * sympy.eye(n) - sympy.Matrix(rows)).adjugate() * sympy.Matrix(v)
    Y = adjugate_action(rows, berkowitz(rows, 0, 1), v, 0)
    for i in range(n):
        coeffs = sympy.Poly(adj[i], lam).all_coeffs() if adj[i] != 0 else [0]
        coeffs = [0] * (n - len(coeffs)) + coeffs  # degree n - 1: Y_0 is the lam^(n-1) coefficient
        assert [Y[j][i] for j in range(n)] == coeffs


@given(square, st.data(), st.fractions(min_value=-3, max_value=3, max_denominator=5))
def test_rank_one_charpoly_is_the_charpoly_of_the_update(rows, data, s):
    """det(lam I - A - s u u^T) from the charpoly of A, in Fractions, against sympy's charpoly of the updated matrix."""
    from fractions import Fraction

    n = len(rows)
    u = data.draw(st.lists(small, min_size=n, max_size=n))
    A = [[Fraction(x) for x in row] for row in rows]
    rational = sympy.Rational(s.numerator, s.denominator)
    updated = sympy.Matrix(rows) + rational * sympy.Matrix(u) * sympy.Matrix(u).T
    got = rank_one_charpoly(A, berkowitz(A, Fraction(0), Fraction(1)), u, s, Fraction(0))
    assert [sympy.Rational(c.numerator, c.denominator) for c in got] == updated.charpoly(sympy.Symbol("lam")).all_coeffs()
