"""The modular machinery of symstab.exact.sparse against slow obvious references (Python integers, sympy)."""

import math
import random

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab.errors import SymstabError
from symstab.exact import sparse

P = sparse.primes_below(1)[0]


def _random_poly(rng, nvars, terms, degree, size):
    return {tuple(rng.randrange(degree + 1) for _ in range(nvars)): rng.choice([-1, 1]) * rng.randrange(1, size)
            for _ in range(terms)}


def _value(poly, point, p):
    """Term-by-term evaluation with Python integers (the reference)."""
    return sum(c * math.prod(pow(x, e, p) for x, e in zip(point, exps)) for exps, c in poly.items()) % p


def _probe_for(polys, nvars):
    ev = sparse.GeometricEvaluator(polys, nvars)
    return lambda p, base, shift, start, count: ev.values(p, base, shift, start, count)


def test_primes_are_prime_and_below_the_word_bound():
    primes = sparse.primes_below(3)
    assert all(sympy.isprime(p) and p < 2**sparse.PRIME_BITS for p in primes)
    assert primes == sorted(primes, reverse=True) and len(set(primes)) == 3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, P - 1), min_size=1, max_size=20), st.integers(0, 10**6))
def test_mulmod_equals_python_integers(values, seed):
    rng = random.Random(seed)
    other = [rng.randrange(P) for _ in values]
    got = sparse.mulmod(np.array(values, dtype=np.uint64), np.array(other, dtype=np.uint64), P)
    assert got.tolist() == [a * b % P for a, b in zip(values, other)]


def test_geometric_evaluator_equals_term_by_term_evaluation():
    rng = random.Random(1)
    polys = [_random_poly(rng, 4, 12, 3, 10**30), {}, _random_poly(rng, 4, 3, 5, 7)]
    ev = sparse.GeometricEvaluator(polys, 4)
    base = [rng.randrange(2, P) for _ in range(4)]
    shift = [rng.randrange(2, P) for _ in range(4)]
    rows = ev.values(P, base, shift, 3, 4)
    for i, row in enumerate(rows, 3):
        point = [s * pow(b, i, P) % P for s, b in zip(shift, base)]
        assert row == [_value(f, point, P) for f in polys]


def test_split_roots_and_transposed_vandermonde_against_direct_computation():
    rng = random.Random(2)
    roots = list({rng.randrange(1, P) for _ in range(40)})
    f = flint.nmod_poly([1], P)
    for r in roots:
        f *= flint.nmod_poly([-r % P, 1], P)
    assert sorted(sparse.split_roots(f, P, rng)) == sorted(roots)
    coeffs = [rng.randrange(P) for _ in roots]
    values = [sum(c * pow(v, i, P) for c, v in zip(coeffs, roots)) % P for i in range(len(roots))]
    assert sparse.transposed_vandermonde(roots, values, P) == coeffs


def test_minimal_polynomial_degree_counts_the_terms():
    rng = random.Random(3)
    poly = _random_poly(rng, 3, 25, 4, 100)
    probe = _probe_for([poly], 3)
    base = [rng.randrange(2, P) for _ in range(3)]
    seq = [row[0] for row in probe(P, base, [1, 1, 1], 0, 2 * len(poly) + 4)]
    assert sparse.minimal_polynomial_degree(seq, P) == len(poly)


def test_crt_lift_against_sympy():
    rng = random.Random(4)
    primes = sparse.primes_below(3)
    xs = [rng.randrange(-(10**40), 10**40) for _ in range(10)]
    columns = [[x % p for x in xs] for p in primes]
    assert sparse.crt_lift(columns, primes) == xs
    for x, lifted in zip(xs, sparse.crt_lift(columns, primes)):
        ref, modulus = sympy.ntheory.modular.crt(primes, [x % p for p in primes])
        assert lifted == (ref if ref <= modulus // 2 else ref - modulus)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interpolate_recovers_sparse_integer_polynomials(seed):
    rng = random.Random(seed)
    polys = [_random_poly(rng, 5, 40, 4, 10**35), {}, _random_poly(rng, 5, 7, 6, 3), {(0,) * 5: -2}]
    got, info = sparse.interpolate(_probe_for(polys, 5), 5, len(polys), 6, seed=seed)
    assert got == [{e: c for e, c in f.items() if c} for f in polys]
    assert len(info["primes"]) >= 3  # 10^35 needs three 50-bit primes, and one more to see it stable


def test_small_coefficients_need_two_primes():
    rng = random.Random(5)
    polys = [_random_poly(rng, 3, 10, 3, 100)]
    got, info = sparse.interpolate(_probe_for(polys, 3), 3, 1, 3, seed=1)
    assert got == polys and len(info["primes"]) == 2


def test_too_few_primes_are_detected():
    rng = random.Random(6)
    polys = [_random_poly(rng, 3, 10, 3, 10**40)]
    with pytest.raises(SymstabError, match="did not stabilise"):
        sparse.interpolate(_probe_for(polys, 3), 3, 1, 3, seed=1, max_primes=2)


def test_a_wrong_support_is_detected_modulo_another_prime():
    rng = random.Random(7)
    poly = _random_poly(rng, 3, 10, 3, 100)
    missing = list(poly)[1:]  # one term left out
    with pytest.raises(SymstabError, match="support"):
        sparse.interpolate_on_support(_probe_for([poly], 3), [missing], 3, sparse.primes_below(2)[1], seed=3)


def test_a_probe_budget_too_small_is_reported():
    rng = random.Random(8)
    poly = _random_poly(rng, 4, 200, 5, 100)
    with pytest.raises(SymstabError, match="more than"):
        sparse.interpolate_mod_p(_probe_for([poly], 4), 4, 1, 5, P, max_probes=100)


def test_a_black_box_wrong_modulo_one_prime_is_detected():
    """Values that are those of another polynomial modulo the second prime (a 'bad prime') never give a stable lift."""
    rng = random.Random(9)
    poly = _random_poly(rng, 3, 10, 3, 100)
    wrong = dict(poly)
    wrong[next(iter(wrong))] += 1
    good, bad = _probe_for([poly], 3), _probe_for([wrong], 3)
    second = sparse.primes_below(2)[1]

    def probe(p, base, shift, start, count):
        return (bad if p == second else good)(p, base, shift, start, count)

    with pytest.raises(SymstabError, match="did not stabilise"):
        sparse.interpolate(probe, 3, 1, 3, seed=1, max_primes=5)
