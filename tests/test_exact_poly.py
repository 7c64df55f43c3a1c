import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symstab.exact.poly import Ring, berkowitz, latex_name

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
