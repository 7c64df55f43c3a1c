"""Tests of the exact eta-intervals of 2-cycle branches (symstab.orbits.intervals, families.stability_interval,
families.aligned_interval).

The expected intervals are derived here by hand with sympy (the GD maps written out from the
loss, the multipliers from hand-written Jacobians), and checked numerically with float GD
near each end; never taken from the package.
"""

from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.errors import PrecisionLimitError
from symstab.orbits import intervals, period_two
from symstab.orbits.cycles import _scalar_cycles
from symstab.orbits.families import stability_interval, stability_interval_sympy
from symstab.orbits.intervals import _positive_roots

t, r = sympy.symbols("t r", positive=True)


def _reduce(expr):
    """``expr`` (rational in t and r = sqrt((t - 1)(t + 3))) reduced by r^2 = (t - 1)(t + 3)."""
    num, den = sympy.fraction(sympy.together(sympy.expand(expr)))
    rel = r ** 2 - (t - 1) * (t + 3)
    num = sympy.Poly(sympy.expand(num), r).rem(sympy.Poly(rel, r)).as_expr()
    den = sympy.Poly(sympy.expand(den), r).rem(sympy.Poly(rel, r)).as_expr()
    return sympy.factor(sympy.cancel(num / den))


def _region(*mults):
    """The t > 1 where every multiplier (a polynomial in t) is strictly inside (-1, 1)."""
    out = sympy.Interval.open(1, sympy.oo)
    for m in mults:
        for ineq in (m < 1, m > -1):
            out = out.intersect(sympy.solve_univariate_inequality(ineq, t, relational=False))
    return out


def _balanced_stability_set():
    """The (1,1,1) target-1 balanced cycle at step t, from scratch: products, multipliers, and the t-interval where
    it exists and every multiplier (along, across, and the transverse one of the (1,1,n) embedding) is inside (-1, 1)."""
    a, b, u = sympy.symbols("a b u", real=True)
    L = (a * b - 1) ** 2 / 2
    G = sympy.Matrix([a - t * sympy.diff(L, a), b - t * sympy.diff(L, b)])
    J = G.jacobian([a, b])
    f = G[0].subs(b, a)  # the balanced line a = b: f(u) = u (1 - t (u^2 - 1))
    assert sympy.expand(f - a * (1 - t * (a ** 2 - 1))) == 0
    # in P = u^2, P' = P (1 - t (P - 1))^2; the 2-cycle pair (r = sqrt((t - 1)(t + 3)), t > 1)
    Pp, Pm = (t + 1 + r) / (2 * t), (t + 1 - r) / (2 * t)
    assert _reduce(Pp * (1 - t * (Pp - 1)) ** 2 - Pm) == 0 and _reduce(Pm * (1 - t * (Pm - 1)) ** 2 - Pp) == 0
    # at a balanced point (u, u), (1, 1) and (1, -1) are eigenvectors of J; their eigenvalues, in P = u^2
    Ju = J.subs({a: u, b: u})
    ev_along = sympy.expand((Ju * sympy.Matrix([1, 1]))[0]).subs(u ** 2, sympy.Symbol("P"))
    ev_across = sympy.expand((Ju * sympy.Matrix([1, -1]))[0]).subs(u ** 2, sympy.Symbol("P"))
    assert sympy.expand((Ju * sympy.Matrix([1, 1]))[0] - (Ju * sympy.Matrix([1, 1]))[1]) == 0
    Psym = sympy.Symbol("P")
    along = _reduce(ev_along.subs(Psym, Pp) * ev_along.subs(Psym, Pm))
    across = _reduce(ev_across.subs(Psym, Pp) * ev_across.subs(Psym, Pm))
    transverse = _reduce((1 - t * Pp) * (1 - t * Pm))  # (1,1,n): v' = (1 - eta a^2) v, eta a^2 = t P after scaling
    return _region(along, across, transverse), along, across, transverse


@pytest.fixture(scope="module")
def balanced():
    return _balanced_stability_set()


def test_hand_derivation_matches_the_issue(balanced):
    region, along, across, transverse = balanced
    assert sympy.expand(along - (7 - 4 * t - 2 * t ** 2)) == 0 and sympy.expand(across - (3 - 2 * t)) == 0
    assert sympy.expand(transverse - (1 - t)) == 0
    assert region == sympy.Interval.open(1, sympy.sqrt(5) - 1)


def _exact(text):
    return sympy.sympify(text, rational=True)


@pytest.mark.parametrize("target, eta", [([[3], [4]], "11/50"), ([[1], [2]], "1/2")])
def test_one_one_two_aligned_interval_against_the_hand_derivation(balanced, target, eta):
    """(1,1,2), target y: on W_2 || y the cycle is the (1,1,1) one at t = eta |y| (coordinates scaled by |y|^(1/2)),
    plus the transverse multiplier; so the interval is the hand-derived t-region divided by |y|."""
    region = balanced[0]
    sigma = sympy.sqrt(sum(v[0] ** 2 for v in target))
    res = period_two(LinearNetwork.whitened((1, 1, 2), target), eta)
    stable = [o for o in res.orbits if o.stable]
    assert stable
    for o in stable:
        lo, hi = (_exact(v) for v in o.stable_eta_interval_exact)
        assert sympy.simplify(lo - region.start / sigma) == 0 and sympy.simplify(hi - region.end / sigma) == 0
        assert o.stable_eta_interval == pytest.approx([float(region.start / sigma), float(region.end / sigma)])


def test_two_one_one_gets_the_transposed_interval():
    a = period_two(LinearNetwork.whitened((2, 1, 1), [[1, 2]]), "1/2")
    b = period_two(LinearNetwork.whitened((1, 1, 2), [[1], [2]]), "1/2")
    assert sorted(o.stable_eta_interval_exact for o in a.orbits if o.stable) == \
        sorted(o.stable_eta_interval_exact for o in b.orbits if o.stable)
    assert all(o.stable_eta_interval_exact == ("sqrt(5)/5", "1 - sqrt(5)/5") for o in a.orbits if o.stable)


def test_one_two_one_aligned_interval(balanced):
    """(1,2,1), target y: the aligned cycle is the (1,1,1) cycle with target y, i.e. t = eta y after scaling; the
    transverse multiplier (1 - eta^2 g_1^2)(1 - eta^2 g_2^2) equals the across one (derived here)."""
    # the orthogonal parts (a_p, b_p) of the layers obey a_p' = a_p - eta g b_p, b_p' = b_p - eta g a_p (g = mu - y):
    # over the cycle one eigenvalue is 1 (the rotation), the other the product of the determinants 1 - eta^2 g^2
    Pp, Pm = (t + 1 + r) / (2 * t), (t + 1 - r) / (2 * t)
    transverse = _reduce((1 - t ** 2 * (Pp - 1) ** 2) * (1 - t ** 2 * (Pm - 1) ** 2))
    assert sympy.expand(transverse - (3 - 2 * t)) == 0
    region = balanced[0]
    for y, eta in ((1, "11/10"), (2, "3/5")):
        res = period_two(LinearNetwork.whitened((1, 2, 1), [[y]]), eta)
        stable = [o for o in res.orbits if o.stable]
        assert stable and all(o.neutral == 1 for o in stable)
        for o in stable:
            lo, hi = (_exact(v) for v in o.stable_eta_interval_exact)
            assert sympy.simplify(lo - region.start / y) == 0 and sympy.simplify(hi - region.end / y) == 0


def _gd(grad, theta, eta, steps):
    for _ in range(steps):
        theta = theta - eta * grad(theta)
    return theta


def _grad_112(y):
    y = np.array(y, dtype=float)

    def grad(p):
        a, b = p[0], p[1:]
        r = a * b - y
        return np.concatenate([[b @ r], a * r])
    return grad


def test_one_one_two_float_gd_near_each_end():
    """At rational steps 3 % inside each end GD started 1e-6 off the cycle returns to it; 3 % above the upper end it
    leaves (float64)."""
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    grad = _grad_112([3, 4])
    o = next(o for o in period_two(net, "11/50").orbits if o.stable)
    lo, hi = o.stable_eta_interval
    rng = np.random.default_rng(0)
    for eta, inside in ((lo * 1.03, True), (hi * 0.97, True), (hi * 1.03, False)):
        e = Fraction(eta).limit_denominator(1000)
        ref = np.array(o.points[0])
        cyc = min(period_two(net, e, intervals=False).orbits, key=lambda c: min(np.abs(np.array(p) - ref).max() for p in c.points))
        x = np.array(cyc.points[0])
        start = x + 1e-6 * rng.standard_normal(3)
        end = _gd(grad, start, float(e), 4000)
        dist = min(np.abs(end - np.array(p)).max() for p in cyc.points)
        assert (dist < 1e-8) == inside, (e, dist)


def _grad_scalar(H):
    def grad(w):
        mu = np.prod(w)
        return np.array([(mu - 1) * np.prod(np.delete(w, i)) for i in range(H)])
    return grad


def test_depth_three_scalar_interval_ends():
    """(1,1,1,1), target 1: the branch is born at eta = 2/lambda_max of the balanced minimum (1,1,1), lambda_max = 3
    (the Hessian there is the all-ones matrix), so lo = 2/3; float GD checks the upper end from both sides."""
    net = LinearNetwork.whitened((1, 1, 1, 1), [[1]])
    res = period_two(net, "7/10")
    stable = [o for o in res.orbits if o.stable]
    assert stable
    H = sympy.ones(3, 3)
    lam = max(H.eigenvals())
    for o in stable:
        assert _exact(o.stable_eta_interval_exact[0]) == 2 / lam
        assert o.stable_eta_interval_exact[1].startswith("CRootOf(")
        assert sympy.N(_exact(o.stable_eta_interval_exact[1]), 15) == pytest.approx(o.stable_eta_interval[1])
    hi = stable[0].stable_eta_interval[1]
    rng = np.random.default_rng(1)
    grad = _grad_scalar(3)
    for eta, inside in ((hi * 0.98, True), (hi * 1.02, False)):
        e = Fraction(eta).limit_denominator(200)
        near = [o for o in period_two(net, e, intervals=False).orbits if o.family == stable[0].family]
        x = min((np.array(p) for o in near for p in o.points), key=lambda p: np.abs(p - np.array(stable[0].points[0])).max())
        end = _gd(grad, x + 1e-7 * rng.standard_normal(3), float(e), 6000)
        dist = min(np.abs(end - np.array(p)).max() for o in near for p in o.points)
        assert (dist < 1e-8) == inside, (e, dist)


@settings(max_examples=3, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 3), st.sampled_from([Fraction(11, 10), Fraction(6, 5), Fraction(3, 5)]))
def test_flint_interval_matches_the_sympy_reference_on_depth_two(p, q, eta):
    """Fast path (flint, certified continuation) against the slow sympy reference, (1,1,1) target p/q."""
    net = LinearNetwork.whitened((1, 1, 1), [[Fraction(p, q)]])
    e = eta / Fraction(p, q)
    for cycle, _, s in _scalar_cycles(net, e)[:4]:
        fast = stability_interval(net, e, s, cycle, True)
        slow = stability_interval_sympy(net, e, s, cycle, True)
        if fast[0] != (None, None):
            assert [None if v is None else sympy.simplify(_exact(v) - _exact(w)) for v, w in zip(fast[1], slow[1])] \
                == [None if v is None else 0 for v in fast[1]]


CAVEAT = ("an end at a root of the discriminant or leading coefficient is where certified continuation stops; "
          "that the branch ends there is not proved")


def test_non_aligned_architectures_say_why():
    res = period_two(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), "11/50")
    # the stable (aligned) cycles have their interval; a note there is only the continuation caveat
    assert all(o.stable_eta_interval != (None, None) and o.interval_note in ("", CAVEAT) for o in res.orbits if o.stable)
    d = res.to_dict()["orbits"][0]
    assert "interval_note" in d and len(d["stable_eta_interval"]) == 2


def _near_pair(bits):
    """The integer polynomials of 4/3 and 4/3 + 2^-bits/3 (``bits`` even, so both are primitive): two roots that
    python-flint's balls (about 2 prec bits accurate) separate only from about ``bits / 2`` bits of precision on."""
    return [flint.fmpz_poly([-4, 3]), flint.fmpz_poly([-(2 ** (bits + 2) + 1), 3 * 2 ** bits])]


def test_candidate_ends_that_do_not_separate_raise_at_the_precision_cap():
    """Roots 2^-300/3 apart overlap as 128-bit balls: with the cap at 128 bits the helper gives up (0 doublings)
    instead of returning them, and with the cap at 256 bits one doubling separates them; roots 2^-600/3 apart still
    overlap at 256 bits (1 doubling)."""
    with pytest.raises(PrecisionLimitError, match=r"after 0 precision doublings \(128 to 128 bits\)"):
        _positive_roots(_near_pair(300), max_prec=128)
    with pytest.raises(PrecisionLimitError, match=r"after 1 precision doublings \(128 to 256 bits\)"):
        _positive_roots(_near_pair(600), max_prec=256)
    roots, _ = _positive_roots(_near_pair(300), max_prec=256)
    assert [r.poly for r in roots] == _near_pair(300) and roots[0].ball < roots[1].ball
    assert roots[0].exact() == "4/3" and Fraction(roots[1].exact()) - Fraction(4, 3) == Fraction(1, 3 * 2 ** 300)


def test_unseparated_candidate_ends_give_null_ends_and_a_note(monkeypatch):
    """An unseparated root is never reported as an interval end: two candidate roots 2^-5000/3 apart (beyond the
    default 2048-bit cap) added to the (1,1,1) problem leave every interval null, and interval_note says why."""
    orig = intervals._positive_roots
    monkeypatch.setattr(intervals, "_positive_roots", lambda polys: orig(polys + _near_pair(5000)))
    res = period_two(LinearNetwork.whitened((1, 1, 1), [[1]]), "11/10")
    assert any(o.stable for o in res.orbits)
    for o in res.orbits:
        assert o.stable_eta_interval == (None, None) and o.stable_eta_interval_exact == (None, None)
        assert o.exists_eta_interval == (None, None)
        assert "could not be separated" in o.interval_note and "after 4 precision doublings" in o.interval_note
