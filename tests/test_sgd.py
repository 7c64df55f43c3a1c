"""Tests of symstab.sgd (docs/theory.md, B) against exact, obviously correct references."""

import argparse
import itertools
import json
import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symstab import sgd
from symstab.cli import sgd as cli_sgd
from symstab.cli import main as symstab_main
from symstab.errors import InvalidInputError, ParseError, ShapeError, SymbolicDataError
from symstab.exact.matrices import fmpq_matrix
from symstab.network import LinearNetwork
from symstab.strategies import psd_hessian_families
from symstab.exact.algebraic import exact_sign, largest_real_root

MODELS = sgd.SAMPLINGS


# --------------------------------------------------------------------------- references


def batch_distribution(n, B, sampling):
    """All (weight, counts) pairs of the mini-batch selection, exactly."""
    if sampling == "bernoulli":
        p = F(B, n)
        for x in itertools.product((0, 1), repeat=n):
            k = sum(x)
            yield p**k * (1 - p) ** (n - k), x
    elif sampling == "without_replacement":
        subsets = list(itertools.combinations(range(n), B))
        for s in subsets:
            yield F(1, len(subsets)), tuple(int(i in s) for i in range(n))
    else:
        for draws in itertools.product(range(n), repeat=B):
            yield F(1, n**B), tuple(draws.count(i) for i in range(n))


def kron(a, b):
    return [[a[i][j] * b[k][l] for j in range(len(a)) for l in range(len(b))]
            for i in range(len(a)) for k in range(len(b))]


def madd(a, b, c=1):
    return [[x + c * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def zeros(r):
    return [[F(0)] * r for _ in range(r)]


def as_fraction(hs):
    return [[[F(v) for v in row] for row in h] for h in hs]


def psd_from_vectors(vectors):
    d = len(vectors[0])
    return [[sum(F(v[i]) * F(v[j]) for v in vectors) for j in range(d)] for i in range(d)]


@pytest.fixture
def small_family():
    return [psd_from_vectors([[1, 2]]), psd_from_vectors([[1, -1], [0, 1]]),
            psd_from_vectors([[F(1, 2), 0]]), psd_from_vectors([[2, 1]])]


# --------------------------------------------------------------------------- second moments


@pytest.mark.parametrize("sampling", MODELS)
@pytest.mark.parametrize("n,B", [(1, 1), (3, 1), (3, 2), (4, 2), (5, 3), (5, 5)])
def test_second_moment_coefficients_symbolic(sampling, n, B):
    """E[Hhat] = H and E[Hhat^2] = alpha H^2 + beta mean(H_i^2) as polynomial identities
    in commuting symbols h_i (the coefficient of every h_i h_j must match)."""
    h = sympy.symbols(f"h0:{n}")
    mean = sum(h) / n
    first = second = 0
    for w, c in batch_distribution(n, B, sampling):
        hhat = sum(ci * hi for ci, hi in zip(c, h)) / B
        first += sympy.Rational(w.numerator, w.denominator) * hhat
        second += sympy.Rational(w.numerator, w.denominator) * hhat**2
    alpha, beta = sgd.second_moment_coefficients(n, B, sampling)
    a, b = sympy.Rational(alpha.numerator, alpha.denominator), sympy.Rational(beta.numerator, beta.denominator)
    assert sympy.expand(first - mean) == 0
    assert sympy.expand(second - a * mean**2 - b * sum(x**2 for x in h) / n) == 0


@pytest.mark.parametrize("sampling", MODELS)
def test_second_moment_kronecker_matrices(sampling, small_family):
    """The same identity with genuine (non-commuting) matrices and Kronecker products."""
    hs, n, B = small_family, 4, 2
    d = 2
    H = [[sum(h[i][j] for h in hs) / n for j in range(d)] for i in range(d)]
    EH, EHH = zeros(d), zeros(d * d)
    for w, c in batch_distribution(n, B, sampling):
        hhat = zeros(d)
        for ci, h in zip(c, hs):
            hhat = madd(hhat, h, F(ci, B))
        EH = madd(EH, hhat, w)
        EHH = madd(EHH, kron(hhat, hhat), w)
    alpha, beta = sgd.second_moment_coefficients(n, B, sampling)
    expected = [[alpha * x for x in row] for row in kron(H, H)]
    for h in hs:
        expected = madd(expected, kron(h, h), beta / n)
    assert EH == H
    assert EHH == expected


def test_bernoulli_coefficients_match_math_md():
    for n in range(2, 8):
        for B in range(1, n + 1):
            assert sgd.second_moment_coefficients(n, B, "bernoulli") == (1, F(1, B) - F(1, n))
            p = F(n - B, B * (n - 1))
            assert sgd.second_moment_coefficients(n, B, "without_replacement") == (1 - p, p)


# --------------------------------------------------------------------------- threshold


def enumerated_rho(hs, B, eta, sampling):
    """Spectral radius of E[(I - eta Hhat) (x) (I - eta Hhat)] on symmetric matrices over
    range(H), built by enumerating every batch (independent of symstab's operators)."""
    a = np.array([[[float(v) for v in r] for r in h] for h in hs])
    n, d, _ = a.shape
    lam, U = np.linalg.eigh(a.mean(axis=0))
    U = U[:, lam > 1e-12]
    r = U.shape[1]
    K = np.einsum("ai,kab,bj->kij", U, a, U)
    Q = np.zeros((r * r, r * r))
    for w, c in batch_distribution(n, B, sampling):
        step = np.eye(r) - eta * np.einsum("k,kij->ij", np.array(c, float), K) / B
        Q += float(w) * np.kron(step, step)
    sym = [(i, j) for i in range(r) for j in range(i, r)]
    P = np.zeros((r * r, len(sym)))
    for col, (i, j) in enumerate(sym):
        P[i * r + j, col] = P[j * r + i, col] = 1.0 if i != j else 1.0
        if i != j:
            P[:, col] /= math.sqrt(2)
    return float(max(abs(np.linalg.eigvals(P.T @ Q @ P))))


@pytest.mark.parametrize("sampling", MODELS)
@pytest.mark.parametrize("B", [1, 2, 3])
def test_threshold_crosschecked_by_enumerated_operator(sampling, B, small_family):
    eta_star = sgd.mean_square_threshold(small_family, batch=B, sampling=sampling)
    assert isinstance(eta_star, sympy.Basic)
    x = float(eta_star)
    assert enumerated_rho(small_family, B, x * (1 - 1e-6), sampling) < 1
    assert enumerated_rho(small_family, B, x * (1 + 1e-6), sampling) > 1
    assert abs(enumerated_rho(small_family, B, x, sampling) - 1) < 1e-9
    assert sgd.spectral_radius(small_family, B, x * (1 - 1e-6), sampling) < 1
    assert sgd.spectral_radius(small_family, B, x * (1 + 1e-6), sampling) > 1


def test_exact_and_float_paths_agree(small_family):
    for sampling in MODELS:
        exact = sgd.mean_square_threshold(small_family, batch=2, sampling=sampling)
        floats = np.array(as_fraction(small_family), dtype=float)
        approx = sgd.mean_square_threshold(floats, batch=2, sampling=sampling)
        assert isinstance(approx, float)
        assert math.isclose(float(exact), approx, rel_tol=1e-10)
        assert math.isclose(float(exact), sgd.mean_square_threshold(small_family, 2, sampling, method="float"),
                            rel_tol=1e-10)


def test_rank_deficient_H_uses_range():
    """A common kernel direction (third coordinate) is ignored: same eta* as without it."""
    hs2 = [[[1, 1], [1, 1]], [[1, 0], [0, 0]], [[0, 0], [0, 3]]]
    hs3 = [[[*row, 0] for row in h] + [[0, 0, 0]] for h in hs2]
    for sampling in MODELS:
        assert sgd.mean_square_threshold(hs2, 2, sampling) == sgd.mean_square_threshold(hs3, 2, sampling)


def test_single_sample_is_gradient_descent():
    # n = 1: eta* = 2 / lambda_max(H) for every model
    for sampling in MODELS:
        assert sgd.mean_square_threshold([[[2, 1], [1, 2]]], batch=1, sampling=sampling) == sympy.Rational(2, 3)


def test_zero_hessians_give_infinite_threshold():
    assert sgd.mean_square_threshold([[[0]], [[0]]], batch=1) == sympy.oo


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize("n", range(1, 8))
def test_construction_coherence_and_threshold(n):
    for sigma in range(1, n + 1):
        for scale in (1, F(3, 2)):
            hs = sgd.coherence_construction(n, sigma, scale)
            assert len(hs) == n and len(hs[0]) == n - sigma + 1
            assert sgd.coherence(hs).sigma == sigma
            for B in range(1, n + 1):
                closed = sgd.construction_threshold(n, sigma, B, scale)
                assert sgd.mean_square_threshold(hs, batch=B) == closed
                # docs/theory.md, B2-B3: stable iff eta lambda_1 (1 + (n/B - 1)/sigma) <= 2; equality is marginal
                lam1 = F(sigma) * F(scale) / n
                for eta in (F(closed.p, closed.q) * F(99, 100), F(closed.p, closed.q),
                            F(closed.p, closed.q) * F(101, 100)):
                    r = sgd.analyze(hs, batch=B, eta=eta)
                    lhs = eta * lam1 * (1 + (F(n, B) - 1) / sigma)
                    assert (lhs <= 2) == (r.stable or r.marginal)
                    assert r.marginal == (lhs == 2)


# --------------------------------------------------------------------------- coherence


def test_coherence_exact_values():
    c = sgd.coherence([[[1, 0], [0, 1]], [["1/2", 0], [0, 0]]])
    assert c.S == sympy.Matrix([[sympy.sqrt(2), sympy.sqrt(2) / 2], [sympy.sqrt(2) / 2, F(1, 2)]])
    # n = 2 closed form for lambda_1(S), checked against numpy; max_i lambda_1(H_i) = 1
    lam = max(np.linalg.eigvalsh(np.array(c.S.evalf(), dtype=float)))
    assert math.isclose(c.sigma_float, lam)
    assert isinstance(c.sigma, sympy.Basic) and math.isclose(float(c.sigma), c.sigma_float)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2).filter(any), min_size=2, max_size=5))
def test_coherence_facts_rank_one(vectors):
    hs = [psd_from_vectors([v]) for v in vectors]
    n = len(hs)
    c = sgd.coherence(hs)
    lam_H = max(np.linalg.eigvalsh(np.array(as_fraction(hs), float).mean(axis=0)))
    lam_S = c.sigma_float * float(max(sum(F(x) ** 2 for x in v) for v in vectors))
    assert 1 - 1e-12 <= c.sigma_float <= n + 1e-12
    assert n * lam_H <= lam_S * (1 + 1e-12)


# --------------------------------------------------------------------------- conditions (property tests)




@st.composite
def psd_families(draw):
    n = draw(st.integers(2, 5))
    hs = draw(psd_hessian_families(n=n, d=2, rank=draw(st.sampled_from([1, 2])), kind="general"))
    return hs, draw(st.integers(1, n))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(psd_families(), st.fractions(min_value=F(1, 4), max_value=4, max_denominator=16))
def test_conditions_never_claim_divergence_when_stable(family, t):
    hs, B = family
    for sampling in MODELS:
        # a rational step t times (a rational near) eta*, so both sides of eta* are probed
        near = F(sgd.mean_square_threshold(hs, B, sampling, method="float")).limit_denominator(1000)
        r = sgd.analyze(hs, batch=B, eta=near * t, sampling=sampling)
        for name, holds in r.conditions.items():
            if holds:
                assert not r.stable, (name, sampling)
        # implied thresholds are upper bounds on eta*
        for name, bound in r.implied_thresholds.items():
            assert r.eta_star_float <= float(bound) * (1 + 1e-12), (name, sampling)
        expected = {"sharpness", "coherence"} if sampling == "bernoulli" else {"sharpness"}
        assert set(r.conditions) == expected


def test_coherence_condition_fails_without_bernoulli_sampling():
    """Why "coherence" is reported for Bernoulli sampling only: two parallel rank-one
    Hessians, n = 2, B = 1.  The coherence inequality would claim divergence for
    eta > 1/2, but sampling one sample uniformly (with or without replacement) is
    mean-square stable up to eta* = 10/17; under Bernoulli sampling eta* <= 1/2."""
    hs = [[[0, 0], [0, 1]], [[0, 0], [0, 4]]]
    c, lam1 = sgd.coherence(hs).sigma, sympy.Rational(5, 2)
    assert c / (lam1 * sympy.sqrt(sympy.Rational(2, 1) - 1)) == sympy.Rational(1, 2)
    for sampling in ("without_replacement", "with_replacement"):
        assert sgd.mean_square_threshold(hs, batch=1, sampling=sampling) == sympy.Rational(10, 17)
    assert sgd.mean_square_threshold(hs, batch=1, sampling="bernoulli") <= sympy.Rational(1, 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(psd_families())
def test_bernoulli_never_more_stable_than_without_replacement(family):
    hs, B = family
    bern = sgd.mean_square_threshold(hs, batch=B, sampling="bernoulli")
    wo = sgd.mean_square_threshold(hs, batch=B, sampling="without_replacement")
    assert exact_sign(wo - bern) >= 0


def test_analyze_exact_decisions_at_threshold(small_family):
    eta_star = sgd.mean_square_threshold(small_family, batch=2)
    q = sympy.nsimplify(sympy.N(eta_star, 40), rational=True)  # a rational near eta*
    r = sgd.analyze(small_family, batch=2, eta=F(int(q.p), int(q.q)))
    assert r.stable == (q < eta_star)
    r = sgd.analyze([[[1]], [[0]]], batch=1, eta=2)
    assert r.marginal and not r.stable


def test_to_dict_latex_str(small_family):
    r = sgd.analyze(small_family, batch=2, eta="1/10")
    d = json.loads(json.dumps(r.to_dict()))
    for key in ("sigma", "lambda_1", "eta_star", "eta_star_float", "conditions", "stable"):
        assert key in d
    assert set(d["conditions"]) == {"sharpness", "coherence"}
    assert math.isclose(d["eta_star_float"], float(sympy.sympify(d["eta_star"])))
    assert r"\eta^*" in r.latex() and "eta*" in str(r)
    c = sgd.coherence(small_family)
    assert json.loads(json.dumps(c.to_dict()))["sigma_float"] == c.sigma_float
    r_float = sgd.analyze(np.array(as_fraction(small_family), float), batch=2, eta=0.1)
    assert isinstance(json.loads(json.dumps(r_float.to_dict()))["eta_star"], float)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("bad,err", [
    ([], InvalidInputError),
    ([[[1, 2], [3, 4]]], InvalidInputError),            # not symmetric
    ([[[1, 2], [2, 1]]], InvalidInputError),            # indefinite, exact
    ([np.array([[1.0, 2.0], [2.0, 1.0]])], InvalidInputError),  # indefinite, float
    ([[[1, 0], [0, 1]], [[1]]], ShapeError),
    ([[[1, 0]]], ShapeError),
    ([[["1/0"]]], ParseError),
    ([[["2*x"]]], ParseError),
    ([[["__import__('os')"]]], ParseError),
    ([[[True]]], InvalidInputError),
    ([[[float("nan")]]], InvalidInputError),
    ([[[sympy.Symbol("t")]]], SymbolicDataError),
    ([sympy.Matrix([[sympy.sqrt(2)]])], InvalidInputError),
])
def test_invalid_hessians(bad, err):
    with pytest.raises(err):
        sgd.coherence(bad)


def test_invalid_batch_eta_sampling(small_family):
    with pytest.raises(InvalidInputError):
        sgd.analyze(small_family, batch=5, eta=1)
    with pytest.raises(InvalidInputError):
        sgd.analyze(small_family, batch=0, eta=1)
    with pytest.raises(InvalidInputError):
        sgd.analyze(small_family, batch=2, eta=0)
    with pytest.raises(InvalidInputError):
        sgd.analyze(small_family, batch=2, eta=1, sampling="poisson")
    with pytest.raises(InvalidInputError):
        sgd.coherence_construction(3, 4)
    # with replacement allows B > n
    assert sgd.mean_square_threshold(small_family, batch=6, sampling="with_replacement") > 0


def test_accepted_input_forms_agree():
    base = [[[2, 1], [1, 1]], [[1, 0], [0, 0]]]
    forms = [
        base,
        [[[F(2), F(1)], [F(1), F(1)]], [[F(1), F(0)], [F(0), F(0)]]],
        [[["2", "1"], ["1", "1"]], [["1", "0"], ["0", "0"]]],
        [sympy.Matrix(h) for h in base],
        np.array(base, dtype=np.int64),
    ]
    values = {sgd.mean_square_threshold(f, batch=1) for f in forms}
    assert len(values) == 1


# --------------------------------------------------------------------------- Monte Carlo


def test_monte_carlo_reproducible_and_separated():
    hs = sgd.coherence_construction(6, 2)
    a = sgd.monte_carlo(hs, batch=2, eta=1, runs=300, steps=40, seed=3)
    assert a == sgd.monte_carlo(hs, batch=2, eta=1, runs=300, steps=40, seed=3)
    b = sgd.monte_carlo(hs, batch=2, eta=1, runs=300, steps=40, seed=4)
    assert a.lyapunov_exponent != b.lyapunov_exponent
    # Jensen: E log ||w||^2 <= log E ||w||^2, sample by sample
    assert 2 * a.lyapunov_exponent <= a.mean_square_rate + 1e-12
    d = json.loads(json.dumps(a.to_dict()))
    assert set(d) >= {"mean_square", "almost_sure"}


@pytest.mark.parametrize("sampling", MODELS)
def test_monte_carlo_mean_square_matches_theory(sampling):
    hs = [[[1, 0], [0, 0]], [[1, 1], [1, 1]], [[0, 0], [0, 2]], [[1, 0], [0, 1]]]
    eta_star = float(sgd.mean_square_threshold(hs, batch=2, sampling=sampling))
    mc = sgd.monte_carlo(hs, batch=2, eta=0.5 * eta_star, sampling=sampling, runs=4000, steps=30, seed=0)
    assert mc.theory_rate < 0 and mc.mean_square_rate < 0 and mc.almost_surely_convergent
    assert abs(mc.mean_square_rate - mc.theory_rate) < 0.05


def test_monte_carlo_divergent_above_threshold():
    hs = sgd.coherence_construction(6, 2)
    eta_star = float(sgd.mean_square_threshold(hs, batch=3))
    mc = sgd.monte_carlo(hs, batch=3, eta=1.5 * eta_star, runs=2000, steps=30, seed=0)
    assert mc.theory_rate > 0 and mc.mean_square_rate > 0


def test_stability_map_plot(tmp_path):
    out = tmp_path / "map.png"
    fig = sgd.plot_stability_map(n=4, eta="3/2", runs=30, steps=15, path=out)
    assert out.stat().st_size > 1000
    assert fig.axes[0].get_xlabel() == "batch size $B$"


@pytest.mark.parametrize("n, eta, batches, sigmas", [
    (5, "3/2", None, None),            # every point on the dense exact operator
    (6, "4/3", None, None),
    (14, "3/2", [1, 4, 7, 14], [1, 2, 7, 14]),  # n - sigma + 1 > 12: the exact closed form
])
def test_stability_map_mean_square_is_the_exact_threshold(n, eta, batches, sigmas):
    """The map's mean-square verdict is the exact threshold's at every grid point, and so never contradicts
    the drawn boundary sigma = (n/B - 1) / (2/eta - 1) (both decided here in exact rationals)."""
    m = sgd.stability_map(n=n, eta=eta, batches=batches, sigmas=sigmas, runs=4, steps=5, seed=0)
    e = F(eta)
    assert len(m.points) == (n * n if batches is None else len(batches) * len(sigmas))
    for p in m.points:
        B, s = p["batch"], p["sigma"]
        if n <= 6:
            eta_star = sympy.nsimplify(sgd.mean_square_threshold(sgd.coherence_construction(n, s, F(n, s)), batch=B,
                                                                 method="exact"))
        else:
            eta_star = sgd.construction_threshold(n, s, B, scale=F(n, s))
        expected = "stable" if e < eta_star else "marginal" if e == eta_star else "divergent"
        assert p["mean_square"] == expected and sympy.sympify(p["eta_star"]) == eta_star
        side = F(s) - (F(n, B) - 1) / (2 / e - 1)  # > 0: above the boundary, the stable side
        assert expected == ("stable" if side > 0 else "marginal" if side == 0 else "divergent")


def test_stability_map_lyapunov_is_reproducible_from_the_seed():
    a = sgd.stability_map(n=4, eta="3/2", runs=40, steps=60, seed=3)
    assert a == sgd.stability_map(n=4, eta="3/2", runs=40, steps=60, seed=3)
    b = sgd.stability_map(n=4, eta="3/2", runs=40, steps=60, seed=4)
    assert [p["lyapunov_exponent"] for p in a.points] != [p["lyapunov_exponent"] for p in b.points]
    for p in a.points:  # the stated interval is the estimate +- 1.96 standard errors
        lo, hi = p["lyapunov_ci"]
        if math.isfinite(p["lyapunov_exponent"]):
            assert lo == pytest.approx(p["lyapunov_exponent"] - 1.96 * p["lyapunov_se"])
            assert hi == pytest.approx(p["lyapunov_exponent"] + 1.96 * p["lyapunov_se"])
        verdict = "converges" if hi < -1e-9 else "diverges" if lo > 1e-9 else "undecided"
        assert p["almost_sure"] == verdict
    d = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert d["evidence"]["mean_square"] == "exact" and "Monte Carlo" in d["evidence"]["almost_sure"]


def test_stability_map_bad_input():
    with pytest.raises(InvalidInputError, match="eta must lie in"):
        sgd.stability_map(n=4, eta="2")
    with pytest.raises(InvalidInputError, match="sigma"):
        sgd.stability_map(n=4, eta="1", batches=[1], sigmas=[5])
    with pytest.raises(InvalidInputError, match="seed"):
        sgd.stability_map(n=4, eta="1", seed=-1)


def _lyapunov_by_enumeration(n, sigma, B, eta, a):
    """max over directions of E log|1 - eta Hhat_kk| over all 2^n Bernoulli selections (exact weights)."""
    hs = sgd.coherence_construction(n, sigma, a)
    d = len(hs[0])
    best = -math.inf
    for k in range(d):
        total, zero = 0.0, False
        for w, x in batch_distribution(n, B, "bernoulli"):
            factor = 1 - eta * sum(xi * h[k][k] for xi, h in zip(x, hs)) / B
            if w and factor == 0:
                zero = True
            elif w:
                total += float(w) * math.log(abs(float(factor)))
        best = max(best, -math.inf if zero else total)
    return best


@pytest.mark.parametrize("n, sigma, B, eta", [(4, 2, 2, F(3, 2)), (5, 1, 2, F(1)), (5, 5, 3, F(3, 2)),
                                                (5, 3, 1, F(1, 2)), (4, 4, 2, F(3, 2)), (3, 1, 3, F(3, 2))])
def test_construction_lyapunov_matches_enumeration(n, sigma, B, eta):
    a = F(n, sigma)
    assert sgd.construction_lyapunov(n, sigma, B, eta, scale=a) == pytest.approx(
        _lyapunov_by_enumeration(n, sigma, B, eta, a), abs=1e-12)


@pytest.mark.parametrize("B", [1, 2, 3, 5])
def test_monte_carlo_lyapunov_interval_covers_the_reference(B):
    """sigma = n: one direction, so (1/T) log|w_T| is an exact mean of i.i.d. terms and the 95% interval
    (widened to 4 standard errors for the several cases) must cover the reference exponent."""
    n = 6
    ref = sgd.construction_lyapunov(n, n, B, "3/2")
    mc = sgd.monte_carlo(sgd.coherence_construction(n, n), B, F(3, 2), runs=400, steps=200, seed=B)
    if ref == -math.inf:
        assert mc.lyapunov_exponent == -math.inf
    else:
        se = (mc.lyapunov_ci[1] - mc.lyapunov_ci[0]) / (2 * 1.96)
        assert abs(mc.lyapunov_exponent - ref) <= 4 * se


# --------------------------------------------------------------------------- CLI


def cli(argv):
    parser = argparse.ArgumentParser()
    cli_sgd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_cli_json_file(tmp_path, capsys):
    f = tmp_path / "h.json"
    f.write_text(json.dumps([[["2", 1], [1, 1]], [["1/2", 0], [0, 0]], [[0, 0], [0, 1]]]))
    assert cli(["sgd", "--hessians", str(f), "--batch", "2", "--eta", "1/10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = sgd.analyze(json.loads(f.read_text()), batch=2, eta="1/10").to_dict()
    for key in ("sigma", "lambda_1", "eta_star", "eta_star_float", "conditions", "stable"):
        assert out[key] == expected[key]


def test_cli_npy_and_construction(tmp_path, capsys):
    f = tmp_path / "h.npy"
    np.save(f, np.array([[[1.0, 0.0], [0.0, 0.5]], [[0.5, 0.0], [0.0, 0.0]]]))
    assert cli(["sgd", "--hessians", str(f), "--batch", "1", "--eta", "0.1", "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out)["eta_star_float"], float)
    assert cli(["sgd", "--construction", "--n", "12", "--sigma", "3", "--batch", "4", "--eta", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sigma"] == "3" and out["eta_star"] == "24/5" and out["stable"] is True
    assert cli(["sgd", "--construction", "--n", "12", "--sigma", "3", "--batch", "4", "--eta", "5"]) == 0
    assert "mean-square divergent" in capsys.readouterr().out


def test_cli_bad_input(tmp_path):
    pickled = tmp_path / "p.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ParseError):
        cli(["sgd", "--hessians", str(pickled), "--batch", "1", "--eta", "1"])
    js = tmp_path / "f.json"
    js.write_text("[[[0.5]]]")
    with pytest.raises(ParseError):
        cli(["sgd", "--hessians", str(js), "--batch", "1", "--eta", "1"])
    with pytest.raises(InvalidInputError):
        cli(["sgd", "--hessians", str(tmp_path / "missing.json"), "--batch", "1", "--eta", "1"])
    with pytest.raises(InvalidInputError):
        cli(["sgd", "--construction", "--n", "4", "--batch", "1", "--eta", "1"])
    with pytest.raises(ParseError):
        cli(["sgd", "--construction", "--n", "4", "--sigma", "2", "--batch", "1", "--eta", "1e-3"])


def test_main_cli_construction_without_eta(capsys):
    """The issue's interface: no --eta.  Conditions become step-size thresholds."""
    argv = ["sgd", "--construction", "--n", "12", "--sigma", "3", "--batch", "4", "--json"]
    assert symstab_main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("sigma", "lambda_1", "eta_star", "eta_star_float", "conditions", "stable"):
        assert key in out
    assert out["stable"] is None and out["eta"] is None
    assert out["sigma"] == "3" and out["lambda_1"] == "1/4" and out["eta_star"] == "24/5"
    # sharpness: eta (1/4)(1 + 1/4 - 1/12) > 2 iff eta > 48/7; coherence: eta > 3/((1/4) sqrt(2)) = 6 sqrt(2)
    assert out["conditions"]["sharpness"]["holds_iff_eta_above"] == "48/7"
    assert sympy.sympify(out["conditions"]["coherence"]["holds_iff_eta_above"]) == 6 * sympy.sqrt(2)
    assert math.isclose(out["conditions"]["sharpness"]["tightness"], F(24, 5) / F(48, 7))
    assert out["nonuniformity"] == "sqrt(3)/4"
    # text output, and an error goes to exit status 2
    assert symstab_main(argv[:-1]) == 0
    assert "holds iff eta > 48/7" in capsys.readouterr().out
    assert symstab_main(["sgd", "--construction", "--n", "4", "--batch", "1"]) == 2
    assert "--construction needs --n and --sigma" in capsys.readouterr().err


def test_main_cli_with_eta_and_dps(capsys):
    argv = ["sgd", "--construction", "--n", "12", "--sigma", "3", "--batch", "4", "--eta", "5", "--json"]
    assert symstab_main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stable"] is False and out["conditions"] == {"sharpness": False, "coherence": False}
    assert symstab_main(argv[:-1] + ["--method", "mpmath", "--dps", "25", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["threshold_method"] == "mpmath" and out["eta_star"].startswith("4.80000000000000000000")


# --------------------------------------------------------------------------- analysis without a step


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(psd_families())
def test_analysis_without_eta_is_consistent_with_analysis_at_eta(family):
    """A condition holds at eta iff eta exceeds its implied threshold; thresholds >= eta*."""
    hs, B = family
    r = sgd.analyze(hs, batch=B)
    assert r.eta is None and r.stable is None and set(r.conditions.values()) == {None}
    for name, t in r.implied_thresholds.items():
        assert exact_sign(t - r.eta_star) >= 0
        assert 0 <= r.tightness[name] <= 1 + 1e-12
        if math.isfinite(float(t)):   # t is exact, or a float when sigma is (see coherence)
            q = sympy.nsimplify(sympy.N(t, 30), rational=True)
            above, below = q * F(101, 100), q * F(99, 100)
            for eta, expected in ((above, True), (below, False)):
                at = sgd.analyze(hs, batch=B, eta=F(int(eta.p), int(eta.q)))
                assert at.conditions[name] is expected
                assert at.implied_thresholds[name] == t


# --------------------------------------------------------------------------- per-sample Hessians


def one_sample_reference(net, theta, i):
    """n * Hess of the i-th loss term, from a one-sample LinearNetwork's hessian_at (d_0 = 1).

    The i-th term of L is c ||mu x_i - y_i||^2 with c = net.loss_scale; a one-sample
    network with loss "sum" has c = 1."""
    single = LinearNetwork(net.widths, net.X[:, i], net.Y[:, i], loss="sum")
    c = net.loss_scale
    return sympy.Matrix(single.hessian_at(theta).tolist()) * sympy.Rational(net.n * c.numerator, c.denominator)


@pytest.mark.parametrize("loss", ["half", "sum", "mean", "half_mean"])
def test_per_sample_hessians_interpolating_112(loss):
    """(1,1,2) with y_i = w* x_i, w* = (3, 4): on M (a = 1) every per-sample gradient vanishes."""
    net = LinearNetwork(widths=(1, 1, 2), X=[[1, 2, -1]], Y=[[3, 6, -3], [4, 8, -4]], loss=loss)
    theta = [1, 3, 4]
    hs = sgd.per_sample_hessians(net, theta)
    assert len(hs) == 3
    total = sympy.Matrix(net.hessian_at(theta).tolist())
    assert sum(hs, sympy.zeros(3, 3)) / 3 == total           # H = (1/n) sum H_i = Hess L, exactly
    for i in range(3):
        assert hs[i] == one_sample_reference(net, theta, i)
    # closed form: H_i = 2 n c x_i^2 J^T J, J = D mu = [[3, 1, 0], [4, 0, 1]]
    J = sympy.Matrix([[3, 1, 0], [4, 0, 1]])
    c = sympy.Rational(net.loss_scale.numerator, net.loss_scale.denominator)
    for x, h in zip((1, 2, -1), hs):
        assert h == 2 * 3 * c * x**2 * J.T * J
    r = sgd.analyze(hs, batch=1)
    assert math.isclose(r.lambda_1_float, float(max(total.eigenvals())))


def test_per_sample_hessians_two_inputs_depth_three():
    """d_0 = 2 (one-sample networks cannot be built): the mean identity still holds exactly."""
    w = [[2, 1]]                      # W* = (2, 1); data interpolated by mu = W*
    X = [[1, 0, 1, 2], [0, 1, 1, -1]]
    Y = [[sum(a * b for a, b in zip(w[0], col)) for col in zip(*X)]]
    net = LinearNetwork(widths=(2, 2, 1, 1), X=X, Y=Y)
    theta = [1, 0, 0, 1, 2, 1, 1]     # W1 = I, W2 = (2, 1), W3 = 1: mu = (2, 1)
    hs = sgd.per_sample_hessians(net, theta)
    assert sum(hs, sympy.zeros(7, 7)) / 4 == sympy.Matrix(net.hessian_at(theta).tolist())
    assert all(h.is_symmetric() for h in hs)
    c = sgd.coherence(hs)             # validated PSD on the way
    assert c.sigma_float >= 1


def test_per_sample_hessians_refuse_non_interpolating_minimum():
    """A global minimum of L where the data is not interpolated: gradient of L is 0,
    per-sample gradients are not."""
    net = LinearNetwork(widths=(1, 1, 2), X=[[1, 2]], Y=[[3, 0], [4, 8]])
    theta = [1, F(3, 5), 4]           # mu = W* = Y X^T / (X X^T) = (3/5, 4)
    assert all(g == 0 for g in net.gradient_at(theta))
    with pytest.raises(InvalidInputError, match=r"not an interpolating minimum.*samples \[0, 1\]"):
        sgd.per_sample_hessians(net, theta)
    with pytest.warns(UserWarning, match="not an interpolating minimum"):
        hs = sgd.per_sample_hessians(net, theta, require_interpolation=False)
    assert sum(hs, sympy.zeros(3, 3)) / 2 == sympy.Matrix(net.hessian_at(theta).tolist())
    with pytest.raises(InvalidInputError):
        sgd.per_sample_hessians(net, [1, sympy.Symbol("t"), 4])


# --------------------------------------------------------------------------- high precision


def relative_gap(approx, exact):
    """|approx - exact| / |exact|, evaluated with 80 digits (as a float)."""
    exact = sympy.N(exact, 80)
    return float(abs(sympy.N(approx, 80) - exact) / abs(exact))


def test_mpmath_path_agrees_with_exact(small_family):
    for sampling in MODELS:
        exact = sgd.mean_square_threshold(small_family, batch=2, sampling=sampling)
        high = sgd.mean_square_threshold(small_family, batch=2, sampling=sampling, method="mpmath", dps=50)
        assert isinstance(high, sympy.Float)
        assert relative_gap(high, exact) < 1e-45


def test_dps_does_not_touch_global_mpmath_context():
    import mpmath

    before = (mpmath.mp.dps, mpmath.mp.prec)
    sgd.mean_square_threshold([[[1, 1], [1, 1]], [[1, 0], [0, 0]]], batch=1, method="mpmath", dps=60)
    assert (mpmath.mp.dps, mpmath.mp.prec) == before


def test_large_rank_rational_uses_mpmath_with_dps():
    """Rank 14 > EXACT_RANGE_LIMIT: float64 by default, mpmath with dps=; checked against
    the construction's closed form (an exact rational)."""
    hs = sgd.coherence_construction(15, 2, F(3, 2))
    closed = sgd.construction_threshold(15, 2, 4, F(3, 2))
    assert isinstance(sgd.mean_square_threshold(hs, batch=4), float)
    high = sgd.mean_square_threshold(hs, batch=4, dps=40)
    assert isinstance(high, sympy.Float)
    assert relative_gap(high, closed) < 1e-35
    r = sgd.analyze(hs, batch=4, eta=closed * F(999, 1000), dps=40)
    assert r.threshold_method == "mpmath" and r.stable


@pytest.mark.slow
def test_large_rank_dense_rational_mpmath_matches_exact():
    """Dense rank-13 case where both paths run (about 7 s)."""
    rng = np.random.default_rng(5)
    hs = []
    for _ in range(12):
        vs = [[F(int(a), int(b)) for a, b in zip(rng.integers(-3, 4, 13), rng.integers(1, 4, 13))] for _ in range(2)]
        hs.append(psd_from_vectors(vs))
    exact = sgd.mean_square_threshold(hs, batch=4, method="exact")
    high = sgd.mean_square_threshold(hs, batch=4, dps=30)
    assert relative_gap(high, exact) < 1e-25


def test_dps_and_method_validation(small_family):
    with pytest.raises(InvalidInputError):
        sgd.mean_square_threshold(small_family, batch=2, method="float", dps=30)
    with pytest.raises(InvalidInputError):
        sgd.mean_square_threshold(small_family, batch=2, dps=0)
    with pytest.raises(InvalidInputError):
        sgd.mean_square_threshold(np.array(as_fraction(small_family), float), batch=2, method="mpmath")


# --------------------------------------------------------------------------- non-uniformity


def test_nonuniformity_matches_variance_form(small_family):
    """s^2 = lambda_max((1/n) sum H_i^2 - H^2), checked against (1/n) sum (H_i - H)^2 with sympy."""
    Hs = [sympy.Matrix(h) for h in small_family]
    H = sum(Hs, sympy.zeros(2, 2)) / 4
    V = sum(((h - H) ** 2 for h in Hs), sympy.zeros(2, 2)) / 4
    top = max(V.eigenvals(), key=lambda e: sympy.N(e, 50))
    c = sgd.coherence(small_family)
    assert sympy.simplify(c.nonuniformity**2 - top) == 0
    floats = sgd.coherence(np.array(as_fraction(small_family), float))
    assert math.isclose(floats.nonuniformity, c.nonuniformity_float, rel_tol=1e-12)


@pytest.mark.parametrize("n", range(2, 8))
def test_nonuniformity_of_construction(n):
    """Construction: mean H_i^2 = a H, so s^2 = lambda_max(a H - H^2) with
    H = (a/n) diag(sigma, 1, ..., 1): s = (a/n) sqrt(max(sigma (n - sigma), n - 1))."""
    for sigma in range(1, n + 1):
        a = F(3, 2)
        s = sgd.coherence(sgd.coherence_construction(n, sigma, a)).nonuniformity
        blocks = [sigma * (n - sigma)] + ([n - 1] if sigma < n else [])  # e_1 block, then the others
        assert s == sympy.Rational(3, 2 * n) * sympy.sqrt(max(blocks))


def test_nonuniformity_zero_for_identical_samples_and_in_analysis():
    assert sgd.coherence([[[2, 1], [1, 1]]] * 3).nonuniformity == 0
    r = sgd.analyze(sgd.coherence_construction(12, 3), batch=4, eta=1)
    assert r.nonuniformity == sympy.sqrt(3) / 4
    assert json.loads(json.dumps(r.to_dict()))["nonuniformity"] == "sqrt(3)/4"


def test_stability_map_leaves_matplotlib_backend_alone():
    import matplotlib

    before = matplotlib.get_backend()
    fig = sgd.plot_stability_map(n=3, eta="3/2", runs=10, steps=5)
    assert matplotlib.get_backend() == before
    assert fig.canvas.get_default_filetype() == "png"


def test_monte_carlo_runs_reaching_zero_give_minus_infinite_exponent():
    """sigma = n = 12, B = 6, eta lambda_1 = 3/2: a batch of 4 gives I - eta Hhat = 0 exactly;
    the exponent is -inf with a degenerate interval, not NaN."""
    hs = sgd.coherence_construction(12, 12)
    mc = sgd.monte_carlo(hs, batch=6, eta=F(3, 2), runs=200, steps=30, seed=0)
    assert mc.lyapunov_exponent == -math.inf and mc.lyapunov_ci == (-math.inf, -math.inf)
    assert mc.almost_surely_convergent


def test_optimality_gap_table_and_plot(tmp_path):
    """On the construction (Bernoulli): eta* is the closed form exactly, the coherence
    threshold is sigma / (lambda_1 sqrt(n/B - 1)), and both tightnesses lie in (0, 1]."""
    gap = sgd.optimality_gap(12, sigmas=[1, 3, 6, 12], batches=[1, 2, 4, 6])
    assert len(gap.rows) == 16
    for row in gap.rows:
        n, s, B = 12, row["sigma"], row["batch"]
        eta_star = sympy.Rational(row["eta_star"])
        assert eta_star == sgd.construction_threshold(n, s, B)
        lam = sympy.Rational(s, n)  # lambda_1(H) for scale 1 and sigma >= 1
        coh = s / (lam * sympy.sqrt(sympy.Rational(n, B) - 1))
        assert abs(float(coh) - row["coherence_threshold_float"]) < 1e-12
        assert 0 < row["tightness_coherence"] <= 1 and 0 < row["tightness_sharpness"] <= 1
    assert "tight coh" in gap.table()
    gap.plot(tmp_path / "gap.png")
    assert (tmp_path / "gap.png").stat().st_size > 1000


# --------------------------------------------------------------------------- exact helpers (symstab.exact.algebraic)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), min_size=3, max_size=3), min_size=1, max_size=3),
       st.integers(-40, 40))
def test_largest_root_compares_like_exact_sign(vectors, k):
    """Algebraic.compare (Descartes on the shifted polynomial) agrees with exact_sign of the
    closed form, at rationals on a grid and right next to the root."""
    h = psd_from_vectors(vectors)
    top = largest_real_root(fmpq_matrix(h).charpoly())
    assert math.isclose(top.value, float(sympy.N(top.expr, 30)), rel_tol=1e-12, abs_tol=1e-12)
    near = sympy.nsimplify(sympy.N(top.expr, 20), rational=True)
    for q in (F(k, 4), F(int(near.p), int(near.q))):
        assert top.compare(q) == exact_sign(top.expr - sympy.Rational(q.numerator, q.denominator))


def _close(x, y):
    """Equal, floats to 12 digits (the dense path's floats are not always correctly rounded)."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if isinstance(x, float) and isinstance(y, float):
        return x == y or math.isclose(x, y, rel_tol=1e-12)
    return x == y


@pytest.mark.parametrize("sampling", ["bernoulli", "without_replacement", "with_replacement"])
def test_construction_closed_form_equals_the_dense_path(sampling):
    """construction_analysis (O(1)) against analyze on the n dense matrices, every sigma and B for n <= 5."""
    from symstab.sgd.construction import construction_analysis

    for n in range(1, 6):
        for sigma in range(1, n + 1):
            for batch in range(1, n + 2 if sampling == "with_replacement" else n + 1):
                for eta in (None, "1", "7/3", 0.5):
                    dense = sgd.analyze(sgd.coherence_construction(n, sigma, "3/2"), batch=batch, eta=eta,
                                        sampling=sampling).to_dict()
                    closed = construction_analysis(n, sigma, batch, eta=eta, sampling=sampling,
                                                   scale="3/2").to_dict()
                    assert _close(dense, closed), (n, sigma, batch, eta)


def test_construction_cli_answers_for_huge_n_without_matrices(capsys):
    from symstab.cli import main

    assert main(["sgd", "--construction", "--n", "100000000", "--sigma", "3", "--batch", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["eta_star"] == "100000000/12500001" and out["sigma"] == "3" and out["n"] == 10**8
    assert main(["sgd", "--construction", "--n", "100000", "--sigma", "3", "--batch", "4", "--method", "exact"]) == 2
    assert "closed form" in capsys.readouterr().err


def test_main_cli_writes_the_map_and_gap_figures(tmp_path, capsys):
    """--map-plot and --gap-plot: figures from the command line, their data in the JSON."""
    map_png, gap_pdf = tmp_path / "map.png", tmp_path / "gap.pdf"
    argv = ["sgd", "--construction", "--n", "4", "--eta", "3/2", "--map-plot", str(map_png), "--gap-plot",
            str(gap_pdf), "--mc-runs", "20", "--mc-steps", "30", "--seed", "2", "--json"]
    assert symstab_main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert map_png.read_bytes()[:4] == b"\x89PNG" and gap_pdf.read_bytes()[:4] == b"%PDF"
    points = out["stability_map"]["points"]
    assert len(points) == 16 and out["stability_map"]["seed"] == 2
    assert {p["mean_square"] for p in points} == {"stable", "marginal", "divergent"}
    assert len(out["optimality_gap"]["rows"]) == 4 * 3
    # with --batch the analysis is printed as well, text mode lists the map
    assert symstab_main(["sgd", "--construction", "--n", "4", "--sigma", "2", "--batch", "2", "--eta", "3/2",
                         "--map-plot", str(map_png), "--mc-runs", "5", "--mc-steps", "5"]) == 0
    text = capsys.readouterr().out
    assert "eta* = " in text and "stability map" in text


@pytest.mark.parametrize("extra, message", [
    ([], "--batch is required"),
    (["--map-plot", "{tmp}/m.png"], "--map-plot needs --eta"),
    (["--eta", "1", "--map-plot", "{tmp}/no/m.png"], "does not exist"),
    (["--eta", "1", "--map-plot", "{tmp}/m.txt"], "extension"),
    (["--eta", "1", "--map-plot", "{tmp}/m.png", "--sampling", "with_replacement"], "Bernoulli"),
])
def test_main_cli_plot_errors(tmp_path, capsys, extra, message):
    argv = ["sgd", "--construction", "--n", "4"] + [a.format(tmp=tmp_path) for a in extra]
    assert symstab_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
