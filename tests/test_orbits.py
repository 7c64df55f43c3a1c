"""Tests of symstab.orbits (beyond the threshold): 2-cycles, flip coefficient, invariants, diagrams, CLI.

The required checks are derived here from scratch with sympy (the loss is written
out by hand, the GD map differentiated here), never taken from the package.
"""

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.cli import main
from symstab.errors import InvalidInputError, TooLargeError
from symstab.orbits import cycle_families, period_two
from symstab.orbits.cycles import _general_cycles, _scalar_cycles
from symstab.orbits.algebra import point_values
from symstab.orbits.flip import flip_coefficient, flip_coefficient_1d
from symstab.orbits.invariants import gf_sharpness, gf_sharpness_along, imbalance_at, imbalance_drift

a, b, e, u = sympy.symbols("a b eta u", real=True)


# --------------------------------------------------------------------------- independent derivation, (1,1,1)


@pytest.fixture(scope="module")
def derivation():
    """The balanced 2-cycle of L = 1/2 (ab - 1)^2, derived from scratch."""
    L = (a * b - 1) ** 2 / 2
    G = sympy.Matrix([a - e * sympy.diff(L, a), b - e * sympy.diff(L, b)])
    # on the balanced line a = b = u the map is one-dimensional
    f = G[0].subs({a: u, b: u})
    two_cycle = sympy.cancel((f.subs(u, f) - u) / (f - u))
    P = sympy.Symbol("P")
    # the cycle polynomial is even in u: write it in P = u^2 and solve
    inP = sympy.Poly(sympy.expand(sympy.numer(sympy.together(two_cycle))).subs(u, sympy.sqrt(P)), P)
    # drop P where f(u) = -u: there u -> -u is a 2-cycle with one product (not the pair P_+, P_-)
    products = [p for p in sympy.solve(inP.as_expr(), P)
                if sympy.simplify(f.subs(u, sympy.sqrt(p)) + sympy.sqrt(p)) != 0]
    J = G.jacobian([a, b])
    return {"G": G, "J": J, "f": f, "products": products}


def _floquet_eigen(derivation, eta):
    """Multipliers of the balanced cycle at a rational eta, from the derived map."""
    P1, P2 = [sympy.nsimplify(p.subs(e, eta)) for p in derivation["products"]]
    u1 = sympy.sqrt(P1)
    u2 = sympy.simplify(derivation["f"].subs({u: u1, e: eta}))
    assert sympy.simplify(u2 ** 2 - P2) == 0 or sympy.simplify(u2 ** 2 - P1) == 0
    J = derivation["J"].subs(e, eta)
    M = (J.subs({a: u2, b: u2}) * J.subs({a: u1, b: u1})).applyfunc(sympy.simplify)
    return sorted((sympy.nsimplify(sympy.simplify(v)) for v in M.eigenvals()), key=lambda v: float(v))


def test_required_check_products_match_the_stated_formula(derivation):
    stated = {((e + 1) + s * sympy.sqrt((e - 1) * (e + 3))) / (2 * e) for s in (1, -1)}
    derived = derivation["products"]
    assert len(derived) == 2
    for d in derived:
        assert any(sympy.simplify(d - s) == 0 for s in stated)
    assert sympy.simplify(derived[0] * derived[1] - 1 / e ** 2) == 0


@pytest.mark.parametrize("eta", ["11/10", "6/5", "3/2"])
def test_required_check_against_period_two(derivation, eta):
    eta_q = sympy.Rational(eta)
    res = period_two(LinearNetwork.whitened((1, 1, 1), [[1]]), eta)
    P1, P2 = sorted(float(p.subs(e, eta_q)) for p in derivation["products"])
    balanced = [o for o in res.orbits if sorted(round(p[0] * p[1], 9) for p in o.points) == [round(P1, 9), round(P2, 9)]]
    assert len(balanced) == 2  # the two sign copies (a, b) -> (-a, -b)
    mults = _floquet_eigen(derivation, eta_q)
    stated = sorted([7 - 4 * eta_q - 2 * eta_q ** 2, 3 - 2 * eta_q], key=float)
    assert mults == stated
    for o in balanced:
        assert sorted(sympy.Rational(m) for m in o.multipliers_exact) == stated
        assert o.stable == all(abs(m) < 1 for m in stated)


def test_required_check_stability_interval(derivation):
    mults = [7 - 4 * e - 2 * e ** 2, 3 - 2 * e]
    region = sympy.Interval.open(1, sympy.oo)
    for m in mults:
        region = region.intersect(sympy.solveset(sympy.Abs(m) < 1, e, sympy.S.Reals))
    assert region == sympy.Interval.open(1, sympy.sqrt(5) - 1)
    res = period_two(LinearNetwork.whitened((1, 1, 1), [[1]]), "11/10")
    stable = [o for o in res.orbits if o.stable]
    assert len(stable) == 2
    for o in stable:
        lo, hi = (sympy.sympify(v) for v in o.stable_eta_interval_exact)
        assert (lo, sympy.simplify(hi - (sympy.sqrt(5) - 1))) == (1, 0)
        assert o.stable_eta_interval == pytest.approx([1.0, 5 ** 0.5 - 1])


def test_closed_form_family_in_eta(derivation):
    fams = cycle_families(LinearNetwork.whitened((1, 1, 1), [[1]]))
    products = [p for f in fams if f["sign"] == 1 and "products" in f for p in f["products"]]
    eta = sympy.Symbol("eta", positive=True)
    derived = [d.subs(e, eta) for d in derivation["products"]]
    matched = [p for p in products if any(sympy.simplify(p - d) == 0 for d in derived)]
    assert len(matched) == 2


# --------------------------------------------------------------------------- solvers agree


def _cycle_set(found):
    return {frozenset(tuple(round(float(v), 10) for v in p) for p in point_values(c, 20)) for c, _, _ in found}


@pytest.mark.parametrize("net", [LinearNetwork.whitened((1, 1, 1), [[1]]),
                                 LinearNetwork((1, 1, 1), [[1, 2]], [[1, 3]]),
                                 LinearNetwork.whitened((1, 1, 1), [[2]], loss="sum")])
def test_scalar_reduction_finds_exactly_the_groebner_cycles(net):
    eta = Fraction(3, 5) if net.loss == "sum" else Fraction(11, 10) if net.n == 1 else Fraction(1, 4)
    fast = _cycle_set(_scalar_cycles(net, eta))
    slow = _cycle_set(_general_cycles(net, eta, 0))
    # the scalar path lists sign patterns with first sign + ; add the hidden-symmetry copies
    copies = {frozenset(tuple(-v for v in p) for p in c) for c in fast}
    assert slow == fast | copies
    assert slow


def _gd(net, theta, eta):
    g = np.array([float(v) for v in net.gradient_at([Fraction(t).limit_denominator(10**15) for t in theta])])
    return np.array(theta) - float(eta) * g


def test_general_cycles_are_cycles_and_match_float_gd():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    res = period_two(net, "11/50")
    assert res.orbits
    for o in res.orbits:
        x, y = (np.array(p) for p in o.points)
        assert np.abs(_gd(net, list(x), Fraction(11, 50)) - y).max() < 1e-9
        assert np.abs(_gd(net, list(y), Fraction(11, 50)) - x).max() < 1e-9
        assert np.abs(x - y).max() > 1e-3
    # GD from random starts settles on the stable ones (a float reference)
    from symstab import simulate

    runs = simulate.gd(net, 0.22, inits=20, steps=4000, seed=0)
    stable = [np.array(p) for o in res.orbits if o.stable for p in o.points]
    for theta, period in zip(runs.final_theta, runs.period):
        if period == 2:
            assert min(np.abs(theta - s).max() for s in stable) < 1e-5


def test_hidden_width_two_is_reduced_by_the_slice():
    res = period_two(LinearNetwork.whitened((1, 2, 1), [[1]]), "11/10")
    stable = [o for o in res.orbits if o.stable]
    assert stable and all(o.neutral == 1 for o in stable)
    for o in stable:  # the balanced cycle of (1,1,1), embedded: same non-neutral multipliers
        assert sorted(o.multipliers_exact) == sorted(["9/50", "4/5", "4/5", "1"])


def test_period_two_errors():
    net = LinearNetwork.whitened((1, 1, 1), [[1]])
    for bad in ("0", "-1", 0.5, "pi"):
        with pytest.raises(InvalidInputError):
            period_two(net, bad)
    with pytest.raises(TooLargeError, match="estimated"):
        period_two(LinearNetwork.whitened((2, 2, 2), [[1, 0], [0, 1]]), "1")


# --------------------------------------------------------------------------- flip


def test_flip_normal_form_of_the_double_well():
    x, mu = sympy.symbols("x mu", positive=True)
    assert sympy.simplify(flip_coefficient_1d((x ** 2 - mu) ** 2 / 4, x, sympy.sqrt(mu)).coefficient - 96 * mu) == 0


@pytest.mark.parametrize("quartic, born_above", [(-sympy.Rational(1, 4), True), (sympy.Rational(1, 4), False)])
def test_flip_sign_matches_the_exact_cycle(quartic, born_above):
    """f = x^2/2 + q x^4: the symmetric 2-cycle x -> -x, found here directly, is stable above 2 iff supercritical."""
    x = sympy.Symbol("x", real=True)
    f = x ** 2 / 2 + quartic * x ** 4
    coeff = flip_coefficient_1d(f, x, 0)
    assert coeff.eta == 2
    eta = sympy.Rational(21, 10) if born_above else sympy.Rational(19, 10)
    step = x - eta * sympy.diff(f, x)
    sols = [s for s in sympy.solve(step + x, x) if s.is_real and s != 0]
    assert sols  # the cycle exists on the side the verdict says
    mult = sympy.diff(step, x)
    m = sympy.simplify(mult.subs(x, sols[0]) * mult.subs(x, -sols[0]))
    assert (abs(m) < 1) == born_above == (coeff.coefficient > 0)


def test_flip_along_network_direction_agrees_with_the_exact_cycle_birth():
    r = flip_coefficient(LinearNetwork.whitened((1, 1, 1), [[1]]), [1, 1])
    assert r.eta == 1 and r.coefficient > 0
    # and a stable 2-cycle does exist just above eta = 1
    assert any(o.stable for o in period_two(LinearNetwork.whitened((1, 1, 1), [[1]]), "101/100").orbits)


# --------------------------------------------------------------------------- invariants

rationals = st.fractions(min_value=-3, max_value=3, max_denominator=7)


def _reference_drift(net, theta, eta):
    """D_l(G(theta)) - D_l(theta) from sympy differentiation of the loss, directly."""
    syms = net.parameter_symbols
    L = net.loss_expr()
    grad = [sympy.diff(L, s) for s in syms]
    point = dict(zip(syms, [sympy.Rational(t.numerator, t.denominator) for t in theta]))
    nxt = [point[s] - sympy.Rational(eta.numerator, eta.denominator) * g.subs(point) for s, g in zip(syms, grad)]
    def mats(values):
        W = net.split(list(values))
        return [sympy.Matrix(w.tolist()) for w in W]
    before, after = mats([point[s] for s in syms]), mats(nxt)
    return [(after[l + 1].T * after[l + 1] - after[l] * after[l].T)
            - (before[l + 1].T * before[l + 1] - before[l] * before[l].T) for l in range(len(before) - 1)]


@settings(max_examples=15)
@given(data=st.data(), widths=st.sampled_from([(1, 1, 1), (2, 2, 2), (1, 2, 1), (2, 1, 2, 1)]),
       eta=st.fractions(min_value=Fraction(1, 9), max_value=2, max_denominator=9))
def test_imbalance_drift_is_exact(data, widths, eta):
    target = [[1 + i + 2 * j for j in range(widths[0])] for i in range(widths[-1])]
    net = LinearNetwork.whitened(widths, target)
    theta = data.draw(st.lists(rationals, min_size=net.num_params, max_size=net.num_params))
    ref = _reference_drift(net, theta, eta)
    got = imbalance_at(net, theta, eta)
    for r, g in zip(ref, got):
        assert g["after"] - g["before"] == r == g["drift"]
    sym = imbalance_drift(net)
    subs = dict(zip(net.parameter_symbols, [sympy.Rational(t.numerator, t.denominator) for t in theta]))
    subs[sympy.Symbol("eta")] = sympy.Rational(eta.numerator, eta.denominator)
    for r, s in zip(ref, sym):
        assert s["drift"].subs(subs) == r


def test_imbalance_at_an_exact_algebraic_point_of_M_is_exact():
    """(2,1,2), irrational target: the drift identity holds exactly in Q(sqrt 221), against sympy's own step."""
    net = LinearNetwork.whitened((2, 1, 2), [[1, 2], [3, 4]])
    point = net.minima().point(seed=0)
    got = imbalance_at(net, point, "1/10")[0]
    assert not all(v.is_Rational for v in got["before"])                    # radicals, not rounded rationals
    syms = net.parameter_symbols
    L = net.loss_expr()
    values = dict(zip(syms, point.to_sympy()))
    nxt = [values[s] - sympy.Rational(1, 10) * sympy.diff(L, s).subs(values) for s in syms]
    W1, W2 = (sympy.Matrix(w.tolist()) for w in net.split(nxt))
    after = W2.T * W2 - W1 * W1.T
    assert (after - got["after"]).applyfunc(sympy.simplify) == sympy.zeros(1, 1)
    assert (got["after"] - got["before"] - got["drift"]).applyfunc(sympy.simplify) == sympy.zeros(1, 1)


def test_depth_two_drift_matches_the_stated_formula():
    net = LinearNetwork.whitened((2, 2, 2), [[1, 2], [0, 1]])
    drift = imbalance_drift(net)[0]["drift"]
    W1, W2 = (sympy.Matrix(w.tolist()) for w in net.split(list(net.parameter_symbols)))
    Gm = W2 * W1 - sympy.Matrix([[1, 2], [0, 1]])
    eta = sympy.Symbol("eta")
    stated = eta ** 2 * (W2.T * Gm * Gm.T * W2 - W1 * Gm.T * Gm * W1.T)  # for W1 W1^T - W2^T W2
    assert (drift + stated).applyfunc(sympy.expand) == sympy.zeros(2, 2)


def test_gf_sharpness_depth_two_against_the_flow_limit():
    net = LinearNetwork.whitened((1, 1, 1), [[2]])
    for theta in ([3, 1], [1, 2], ["1/2", "5/3"]):
        t = [sympy.Rational(v) for v in theta]
        A, B = sympy.symbols("A B", positive=True)
        sol = sympy.solve([A ** 2 - B ** 2 - (t[0] ** 2 - t[1] ** 2), A * B - 2], [A, B], dict=True)
        H = net.hessian_at_weights([sympy.Matrix([[sol[0][A]]]), sympy.Matrix([[sol[0][B]]])])
        top = max(H.eigenvals(), key=lambda v: float(v))
        assert sympy.simplify(gf_sharpness(net, theta) - top) == 0


def test_gf_sharpness_decreases_below_the_bound_and_can_fail_above():
    net = LinearNetwork.whitened((1, 1, 1), [[1]])
    below = gf_sharpness_along(net, [2, "1/3"], "1/4", steps=3)  # exact iterates: digits triple per step
    assert below["violations"] == [] and all(0 < b ** 2 < 2 for b in below["bound"])
    assert below["sharpness"][-1] < below["sharpness"][0]
    above = gf_sharpness_along(net, [2, 1], "3/2", steps=1)  # eta |g| = 3/2 > sqrt 2
    assert above["above_bound"] and above["violations"] == []
    assert above["sharpness"][1] > above["sharpness"][0]


def test_gf_sharpness_depth_three_is_exact_algebraic():
    net = LinearNetwork.whitened((1, 1, 1, 1), [[1]])
    v = gf_sharpness(net, [1, 1, 1])
    assert sympy.simplify(v - 3) == 0  # balanced minimum: H s^(2 - 2/H) = 3


# --------------------------------------------------------------------------- numerics and CLI


def test_sweep_reports_the_period_two_fraction():
    from symstab import simulate

    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    sweep = simulate.convergence_sweep(net, [0.9, 1.1], n_inits=30, steps=3000, seed=0, eta_C="1/5", workers=1)
    rows = sweep.to_dict()["rows"]
    for r in rows:
        total = r["converged_fraction"] + r["period2_fraction"] + r["other_bounded_fraction"] + r["diverged_fraction"]
        assert total == pytest.approx(1.0)
    assert rows[1]["period2_fraction"] > 0.5 and rows[0]["period2_fraction"] == 0
    assert "period-2" in sweep.table()


def test_cli_orbits_json(capsys):
    code = main(["orbits", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta", "11/10", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["orbits"]
    for o in out["orbits"]:
        assert {"points", "points_exact", "multipliers", "multipliers_exact", "stable", "stable_eta_interval"} <= set(o)
        assert len(o["points"]) == 2 and all(isinstance(v, float) for p in o["points"] for v in p)
        assert all(isinstance(s, str) for p in o["points_exact"] for s in p)
        assert isinstance(o["stable"], bool) and len(o["stable_eta_interval"]) == 2
    assert sum(o["stable"] for o in out["orbits"]) == 2


@pytest.mark.parametrize("argv", [["--eta", "0"], ["--eta", "-1"], ["--eta", "pi"], ["--eta", "sqrt(2)"]])
def test_cli_orbits_bad_input(capsys, argv):
    code = main(["orbits", "--widths", "1,1,1", "--whitened", "--target", "1", *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("symstab orbits: error:") and err.count("\n") == 1


def test_cli_orbits_too_large_is_refused_with_an_estimate(capsys):
    code = main(["orbits", "--widths", "2,2,2", "--whitened", "--target", "1,0;0,1", "--eta", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "estimated" in err and "--force" in err


def test_cli_bifurcation_plot(capsys, tmp_path):
    plot = tmp_path / "bif.png"
    code = main(["bifurcation", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta-min", "0.9",
                 "--eta-max", "1.3", "--n-eta", "20", "--inits", "2", "--steps", "300", "--keep", "4",
                 "--plot", str(plot), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and plot.stat().st_size > 1000
    assert [i[2:] for i in out["stable_intervals"]] == [["1", "-1 + sqrt(5)"]]


def test_charpoly_roots_fallback_matches_eigenvalues():
    """The fallback used when mpmath's QR stalls: roots of det(lam I - M(z0)) with multiplicity."""
    import mpmath

    from symstab.orbits.algebra import LAM, Z, _charpoly_roots

    cp = sympy.Poly((LAM - 1) ** 2 * (LAM - Z) * (LAM + Z), LAM, Z, domain="QQ")   # repeated root 1
    with mpmath.workdps(40):
        roots = sorted(_charpoly_roots(cp, mpmath.sqrt(2)), key=lambda r: float(mpmath.re(r)))
        expected = [-mpmath.sqrt(2), 1, 1, mpmath.sqrt(2)]
        assert all(abs(r - e) < mpmath.mpf(10) ** -15 for r, e in zip(roots, expected))


@pytest.mark.slow
def test_depth_four_scalar_cycles_with_repeated_multipliers():
    """(1,1,1,1,1) at eta = 3/5: mpmath's QR did not converge on one Floquet matrix (bench_orbits, 2026-11-30)."""
    eta = 0.6
    res = period_two(LinearNetwork.whitened((1, 1, 1, 1, 1), [[1]]), "3/5", intervals=False)
    assert res.orbits

    def step(w):   # L = (w1 w2 w3 w4 - 1)^2 / 2, written out here
        P = np.prod(w)
        return np.array([wi - eta * (P - 1) * np.prod(np.delete(w, i)) for i, wi in enumerate(w)])

    for o in res.orbits:
        a, b = (np.array(p, dtype=float) for p in o.points)
        assert np.allclose(step(a), b, atol=1e-9) and np.allclose(step(b), a, atol=1e-9)
        moduli = [abs(complex(*m) if isinstance(m, (list, tuple)) else complex(m)) for m in o.multipliers]
        assert o.stable == all(r < 1 for r in moduli)


def test_a_net_with_d0_above_dH_is_solved_on_its_transpose_and_mapped_back():
    """(2,1,1), Y = (1 1), eta = 3/5: the points are 2-cycles of the original GD map, written out by hand here
    (W_1 = (a b), W_2 = (c): grad = (c r_1, c r_2, a r_1 + b r_2), r = c (a, b) - Y), and the multipliers are
    those of the transposed (1,1,2) net."""
    eta = Fraction(3, 5)
    net = LinearNetwork.whitened((2, 1, 1), [[1, 1]])
    res = period_two(net, eta, intervals=False)
    assert "transposed network" in res.method and len(res.orbits) >= 1

    def G(p):
        a, b, c = p
        r1, r2 = c * a - 1, c * b - 1
        return np.array([a - 0.6 * c * r1, b - 0.6 * c * r2, c - 0.6 * (a * r1 + b * r2)])

    for orbit in res.orbits:
        x, y = (np.array(p) for p in orbit.points)
        assert np.allclose(G(x), y, atol=1e-9) and np.allclose(G(y), x, atol=1e-9)
        assert not np.allclose(x, y)
    flipped = period_two(LinearNetwork.whitened((1, 1, 2), [[1], [1]]), eta, intervals=False)
    assert sorted(o.multipliers_exact for o in res.orbits) == sorted(o.multipliers_exact for o in flipped.orbits)
