"""symstab.exact.matrices and the conversions of symstab.exact.numbers, against direct sympy computations."""

import random
from fractions import Fraction

import flint
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab.exact.algebraic import descending_eigenvalues
from symstab.errors import InvalidInputError
from symstab.exact.matrices import (chain, fmpq_matrix, kernel_projector, ldl_psd, object_array, product_chain,
                                    random_invertible, rank_factorisation, scalar_identity_factor, sympy_matrix,
                                    top_projector)
from symstab.exact.numbers import as_fmpq, as_fraction, as_rational
from symstab.strategies import rational_matrices, rationals


@st.composite
def layer_lists(draw):
    widths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=5))
    return [draw(rational_matrices(widths[l + 1], widths[l], max_abs=3, max_denominator=3))
            for l in range(len(widths) - 1)]


@given(layer_lists())
@settings(max_examples=40)
def test_product_chain_splits_the_product_at_every_layer(layers):
    mats = [sympy.Matrix([[sympy.Rational(v) for v in row] for row in W]) for W in layers]
    mu = chain(mats, mats[0].cols)
    reference = mats[0]
    for W in mats[1:]:
        reference = W * reference
    assert mu == reference
    for weights in (mats, [object_array(W) for W in layers]):  # sympy matrices and object arrays of Fractions
        B, A = product_chain(weights)
        for l, W in enumerate(weights):
            assert sympy.Matrix((A[l] @ W @ B[l]).tolist()) == reference


@given(rational_matrices(3, 2), rational_matrices(2, 2))
def test_conversions_round_trip(M, N):
    S = sympy.Matrix(M)
    assert sympy_matrix(fmpq_matrix(S)) == S.applyfunc(sympy.Rational)
    assert sympy_matrix(object_array([[as_fmpq(v) for v in row] for row in M])) == S.applyfunc(sympy.Rational)
    for v in (x for row in N for x in row):
        assert as_fraction(as_rational(v)) == v == as_fraction(as_fmpq(v))
    assert as_fraction(flint.fmpz(7)) == 7 and as_rational(Fraction(1, 3)) == sympy.Rational(1, 3)


@given(rational_matrices(3, 3, max_abs=2, max_denominator=2))
def test_rank_factorisation_and_kernel_projector(M):
    T = sympy.Matrix(M)
    U, V = rank_factorisation(T)
    assert U * V == T and U.cols == T.rank()
    P = kernel_projector(T)
    assert P * P == P and P.T == P and T * P == sympy.zeros(3, 3) and P.rank() == 3 - T.rank()


@st.composite
def symmetric(draw, n=3):
    entries = {(i, j): draw(rationals(max_abs=2, max_denominator=2)) for i in range(n) for j in range(i, n)}
    return sympy.Matrix(n, n, lambda i, j: sympy.Rational(entries[min(i, j), max(i, j)]))


@given(symmetric(), st.integers(1, 2))
@settings(max_examples=20, deadline=None)
def test_top_projector_projects_onto_the_top_eigenspace(K, r):
    keys = descending_eigenvalues(K)
    if keys[r - 1] == keys[r]:  # tied: the top-r eigenspace is not defined
        return
    P, rational = top_projector(K, keys, r)
    if rational:  # exact identities over Q
        assert P * P == P and P * K == K * P and P.trace() == r and P.T == P
    Pn = P.applyfunc(lambda v: sympy.N(v, 50))  # algebraic entries: checked to 50 digits
    assert max(abs(v) for v in (Pn * Pn - Pn)) < 1e-40 and max(abs(v) for v in (Pn * K - K * Pn)) < 1e-40
    top = sum(sorted((sympy.re(sympy.N(v, 50)) for v in K.eigenvals(multiple=True)), reverse=True)[:r])
    assert abs(sympy.re((Pn * K).trace()) - top) < 1e-40


def test_scalar_identity_factor_and_random_invertible():
    s = sympy.Symbol("s")
    assert scalar_identity_factor(s * sympy.eye(3)) == s
    assert scalar_identity_factor(sympy.diag(1, 2)) is None
    G = random_invertible(4, random.Random(3))
    assert G.det() != 0 and G == random_invertible(4, random.Random(3))
    assert chain([], 2) == sympy.eye(2)


@given(rational_matrices(3, 2, max_abs=2, max_denominator=2))
def test_ldl_psd_reconstructs_a_gram_matrix(X):
    """A = X X^T (rank 0 to 2, so zero pivots occur): L diag(d) L^T == A exactly, L unit lower triangular, d >= 0."""
    A = sympy.Matrix(X) * sympy.Matrix(X).T
    L, d = ldl_psd(A)
    n = A.shape[0]
    rebuilt = [[sum((L[i][k] * d[k] * L[j][k] for k in range(n)), flint.fmpq(0)) for j in range(n)] for i in range(n)]
    assert rebuilt == [[as_fmpq(A[i, j]) for j in range(n)] for i in range(n)]
    assert all(x >= 0 for x in d) and all(L[i][i] == 1 and all(L[i][j] == 0 for j in range(i + 1, n)) for i in range(n))


def test_ldl_psd_refuses_indefinite_and_asymmetric_matrices():
    with pytest.raises(InvalidInputError, match="not positive semidefinite"):
        ldl_psd([[1, 2], [2, 1]])
    with pytest.raises(InvalidInputError, match="not positive semidefinite"):
        ldl_psd([[0, 1], [1, 5]])
    with pytest.raises(InvalidInputError, match="not symmetric"):
        ldl_psd([[1, 2], [0, 1]])
