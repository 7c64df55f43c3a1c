"""classify(theta, eta): exact verdicts against direct spectra."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symstab import LinearNetwork
from symstab.errors import InvalidInputError


def test_worked_example_verdicts():
    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    theta = [1, 3, 4]  # a = 1: non-zero spectrum {1, 26}
    assert net.classify(theta, Fraction(1, 13)).verdict == "marginal"
    assert net.classify(theta, Fraction(1, 20)).verdict == "stable"
    c = net.classify(theta, Fraction(1, 10))
    assert c.verdict == "unstable"
    assert sorted(c.dg_eigenvalues) == sorted([sympy.Rational(9, 10), sympy.Rational(-8, 5), 1])
    assert c.to_dict()["evidence"] == "exact" and "unstable" in c.latex()


def test_irrational_sharpness_near_the_boundary():
    net = LinearNetwork.whitened((2, 2, 2), [[3, 0], [0, 1]])
    theta = net.minima().point(seed=3)
    s = net.spectrum_at(theta)
    lo, hi = s.eigenvalues[-1].enclosure
    eta_below = Fraction(2) / hi - Fraction(1, 10**12)  # 2/eta > lambda_max: stable
    eta_above = Fraction(2) / lo + Fraction(1, 10**12)
    assert net.classify(theta, eta_below).verdict == "stable"
    assert net.classify(theta, eta_above).verdict == "unstable"


@pytest.mark.parametrize("eta", [0, -1, "x"])
def test_bad_eta(eta):
    with pytest.raises(InvalidInputError):
        LinearNetwork.whitened((1, 1, 2), [[3], [4]]).classify([1, 3, 4], eta)


def test_point_off_the_manifold_is_refused_with_residual():
    with pytest.raises(InvalidInputError, match="not on M"):
        LinearNetwork.whitened((1, 1, 2), [[3], [4]]).classify([1, 1, 1], "1/10")


@settings(max_examples=20)
@given(st.sampled_from([((1, 1, 2), [[3], [4]]), ((2, 2, 2), [[3, 0], [0, 1]]), ((1, 2, 1), [[2]]),
                        ((2, 1, 1, 2), [[1, 2], [2, 4]])]),
       st.integers(0, 50), st.fractions(min_value=Fraction(1, 1000), max_value=1, max_denominator=1000))
def test_classify_agrees_with_direct_spectrum(case, seed, eta):
    widths, target = case
    net = LinearNetwork.whitened(widths, target)
    theta = net.minima().point(seed=seed)
    verdict = net.classify(theta, eta).verdict
    H = net.hessian_at(theta)
    D = net.num_params
    lam_max = max(np.linalg.eigvalsh(np.array([[float(H[i, j]) for j in range(D)] for i in range(D)])))
    if abs(lam_max - 2 / float(eta)) > 1e-6 * max(1.0, lam_max):
        assert verdict == ("stable" if lam_max < 2 / float(eta) else "unstable")
