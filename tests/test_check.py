"""The independent checker: its algebra against sympy, certificates accepted, every tampered number rejected."""

import ast
import copy
import json
import random
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symstab import check
from symstab.check import (CheckFailed, Field, Network, Poly, charpoly, check_certificate, check_file, is_psd,
                           roots_in, ugcd)

ROOT = Path(__file__).resolve().parents[1]
CERTS = ROOT / "proofs" / "certificates"
x = sympy.Symbol("x")
small = st.fractions(min_value=-5, max_value=5, max_denominator=6)


def test_the_checker_imports_nothing_but_the_standard_library():
    tree = ast.parse((ROOT / "symstab" / "check.py").read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert names <= {"__future__", "json", "re", "fractions"}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


@given(st.lists(small, min_size=2, max_size=6), small, small)
def test_sturm_counts_distinct_roots_like_sympy(coeffs, a, b):
    p = [Fraction(c) for c in coeffs]
    if p[-1] == 0:
        p[-1] = Fraction(1)
    lo, hi = min(a, b), max(a, b)
    poly = sympy.Poly(list(reversed([sympy.Rational(c) for c in p])), x)
    if lo == hi or poly.eval(lo) == 0:
        return
    expected = len({r for r in poly.real_roots() if lo < r <= hi})
    assert roots_in(p, lo, hi) == expected
    assert roots_in(p, lo) == len({r for r in poly.real_roots() if r > lo})


@given(st.lists(st.lists(small, min_size=3, max_size=3), min_size=3, max_size=3))
def test_charpoly_and_psd_match_sympy(rows):
    A = [[Fraction(v) for v in row] for row in rows]
    S = [[A[i][j] + A[j][i] for j in range(3)] for i in range(3)]
    M = sympy.Matrix(3, 3, lambda i, j: sympy.Rational(A[i][j]))
    assert charpoly(A) == [Fraction(int(c.p), int(c.q)) for c in reversed(M.charpoly(x).all_coeffs())]
    Ms = sympy.Matrix(3, 3, lambda i, j: sympy.Rational(S[i][j]))
    assert is_psd(S) == all(sympy.re(e) >= 0 for e in Ms.eigenvals())


@given(st.lists(small, min_size=1, max_size=4))
def test_signs_in_a_number_field_match_sympy(coeffs):
    field = Field({"minimal_polynomial": ["-2", "0", "-3", "0", "1"], "interval": ["1", "2"]})  # sqrt(3/2 + sqrt(17)/2)
    alpha = sympy.sqrt(sympy.Rational(3, 2) + sympy.sqrt(17) / 2)
    value = sum(sympy.Rational(c) * alpha**i for i, c in enumerate(coeffs))  # degree < 4: zero iff all c = 0
    elt = field.elt([str(c) for c in coeffs])
    assert elt.sign() == (0 if not any(coeffs) else int(sympy.sign(value.evalf(50))))
    if elt.sign():
        assert (elt / elt - 1).sign() == 0 and ((elt * elt) / elt - elt).sign() == 0


def test_poly_arithmetic_and_gcd_against_sympy():
    a, b = sympy.symbols("a b")
    p = Poly.parse([["3/2", [2, 0]], ["-1", [1, 1]], ["4", [0, 0]]], 2)
    q = Poly.parse([["1", [1, 0]], ["1/3", [0, 2]]], 2)
    expected = sympy.Poly(sympy.expand((sympy.Rational(3, 2) * a**2 - a * b + 4) * (a + b**2 / 3) - 2), a, b)
    got = p * q - 2
    assert {e: c for e, c in got.t.items()} == {m: Fraction(int(c.p), int(c.q)) for m, c in expected.terms()}
    assert ugcd([Fraction(-1), 0, 1], [Fraction(1), 1]) == [1, 1]


def test_hessian_from_jets_matches_symstab():
    from symstab import LinearNetwork

    net = LinearNetwork((2, 2, 1), [[1, 2, 0], [0, 1, 1]], [[3, 1, 2]])
    theta = [Fraction(1, 2), 2, -1, 3, 1, Fraction(-2, 3)]
    mine = Network({"widths": [2, 2, 1], "X": [["1", "2", "0"], ["0", "1", "1"]], "Y": [["3", "1", "2"]],
                    "loss": "half"}).hessian(theta)
    theirs = net.hessian_at(theta)
    assert mine == [[Fraction(int(theirs[i, j].p), int(theirs[i, j].q)) for j in range(6)] for i in range(6)]


def _gram_certificate():
    """(1,1,1), y = 1: v = (b, a), l* = 2, with Gram-matrix sums of squares (written by hand)."""
    t = lambda *terms: [[c, e] for c, e in terms]  # noqa: E731
    return {
        "format": "symstab-certificate", "version": 1, "result": "A5", "claim": "",
        "network": {"widths": [1, 1, 1], "X": [["1"]], "Y": [["1"]], "loss": "half"},
        "minima": {"product": [["1"]]},
        "lower": {
            "l_star": "2", "direction": [t(["1", [0, 1]]), t(["1", [1, 0]])],
            # f = S (a - b)^2 + (2 S + 2 ab)(ab - 1), S (a-b)^2 = z^T I z with z = (a^2 - ab, ab - b^2)
            "rayleigh": {"multiplier": {"constant": "1", "sos": []}, "constant": "0",
                         "sos": [{"weight": "1", "gram": {"basis": [t(["1", [2, 0]], ["-1", [1, 1]]),
                                                                    t(["1", [1, 1]], ["-1", [0, 2]])],
                                                          "matrix": [["1", "0"], ["0", "1"]]}}],
                         "ideal": [t(["2", [2, 0]], ["2", [0, 2]], ["2", [1, 1]])]},
            # ||v||^2 = a^2 + b^2 = 2 + [a b] [[1,-1],[-1,1]] [a b]^T + 2 (ab - 1)
            "direction_nonzero": {"multiplier": {"constant": "1", "sos": []}, "constant": "2",
                                  "sos": [{"weight": "1", "gram": {"basis": [t(["1", [1, 0]]), t(["1", [0, 1]])],
                                                                   "matrix": [["1", "-1"], ["-1", "1"]]}}],
                                  "ideal": [t(["2", [0, 0]])]}},
    }


def test_a_hand_written_gram_certificate_is_accepted_and_its_claim_rebuilt():
    cert = _gram_certificate()
    with pytest.raises(CheckFailed, match="stated claim differs"):
        check_certificate(cert)
    cert["claim"] = "A5 for widths (1,1,1): lambda_max(H(theta)) >= 2 for every theta in M"
    assert check_certificate(cert) == cert["claim"]
    cert["lower"]["rayleigh"]["sos"][0]["gram"]["matrix"] = [["1", "2"], ["2", "1"]]  # not PSD
    with pytest.raises(CheckFailed, match="positive semi-definite"):
        check_certificate(cert)


def _numbers(obj, path=()):
    """Every number in a certificate: ("p/q" strings and integers), with its path."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k != "claim":
                yield from _numbers(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, path + (i,))
    elif isinstance(obj, bool):
        return
    elif isinstance(obj, int) or (isinstance(obj, str) and check._NUM.match(obj)):
        yield path


def _bumped(cert, path):
    out = copy.deepcopy(cert)
    node = out
    for key in path[:-1]:
        node = node[key]
    value = node[path[-1]]
    node[path[-1]] = value + 1 if isinstance(value, int) else str(Fraction(value) + 1)
    return out


KINDS = ["A1_1_1_2_target_3_4", "A1_2_1_2_target_1_2_3_4", "A2_2_1_2_non_filling_target_3_0_0_1", "A3_1_1_2_proper",
         "A3_1_2_2_1_not_proper", "A4_1_1_2_marginal", "A5_1_1_1_data", "A5_1_1_1_1_target_8",
         "A5_2_1_2_non_filling_target_3_0_0_1", "B_uniform_counterexample_n2_B1", "B_n3_B2_without_replacement"]


@pytest.mark.parametrize("name", KINDS)
def test_changing_any_single_number_gets_the_certificate_rejected(name):
    cert = json.loads((CERTS / f"{name}.json").read_text())
    assert check_certificate(cert) == cert["claim"]
    paths = list(_numbers(cert))
    sample = paths if len(paths) <= 60 else random.Random(0).sample(paths, 60)
    for path in sample:
        with pytest.raises(CheckFailed):
            check_certificate(_bumped(cert, path))


def test_malformed_files_are_invalid_not_crashes(tmp_path):
    cases = {"empty.json": "", "list.json": "[]", "trunc.json": '{"format": "symstab-certificate", "ver',
             "version.json": json.dumps({"format": "symstab-certificate", "version": 7}),
             "kind.json": json.dumps({"format": "symstab-certificate", "version": 1, "result": "Z9"}),
             "expr.json": json.dumps({"format": "symstab-certificate", "version": 1, "result": "A1",
                                      "network": {"widths": [1, 1], "X": [["__import__('os')"]], "Y": [["1"]],
                                                  "loss": "half"}})}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        ok, message = check_file(tmp_path / name)
        assert not ok and message and "\n" not in message
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    assert not check_file(tmp_path / "bin.json")[0]
    assert not check_file(tmp_path / "missing.json")[0]
