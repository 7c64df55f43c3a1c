"""The analysis report (``symstab analyze``): every result A1-A5 with its evidence, as text, JSON and LaTeX."""

import json
import shutil
import subprocess
from fractions import Fraction

import pytest

from symstab.cli import main


def test_cli_analyze_report_json_and_latex(tmp_path, capsys):
    tex = tmp_path / "report.tex"
    assert main(["analyze", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--latex", str(tex)]) == 0
    out = capsys.readouterr().out
    for title in ("A1", "A2", "A3", "A4", "A5"):
        assert title in out
    assert "marginal" in out and "eta_C = 1/5" in out
    assert main(["analyze", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--json", "--no-z3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["critical"]["eta_C"] == "1/5" and data["minima"]["dimension"] == 1
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed: LaTeX compile check skipped")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def test_analyze_with_a_tiny_eta_C_and_a_negative_seed(capsys):
    """eta_C = 1/2000: the example steps are the simplest rationals 10-20% below / above it (not 0 or 1/1000)."""
    assert main(["analyze", "--widths", "1,1,1", "--whitened", "--target", "2000", "--json", "--no-z3"]) == 0
    data = json.loads(capsys.readouterr().out)
    steps = [Fraction(c["eta"]) for c in data["classification"] if "eta" in c]
    assert steps and all(0 < e < Fraction(1, 2000) or e > Fraction(1, 2000) for e in steps)
    near = [c for c in data["classification"] if "point" in c]
    assert near and near[0]["verdict"] == "stable" and Fraction(near[0]["eta"]) < Fraction(1, 2000)
    for command in ("analyze", "critical"):
        assert main([command, "--widths", "2,1,2", "--whitened", "--target", "3,0;0,1", "--seed", "-1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--seed: must be a non-negative integer" in err


def test_analyze_is_refused_up_front_with_its_estimate(capsys):
    """analyze states the estimate of its dominant parts (A1 certificate, eta_C, eta_E) and the --force hint."""
    from symstab import LinearNetwork
    from symstab.cli import main
    from symstab.report import analysis_cost

    est = analysis_cost(LinearNetwork.whitened((1, 300, 300, 1), [[1]]))
    assert est.seconds > 600 and "A1 certificate" in est.what
    assert main(["analyze", "--widths", "1,300,300,1", "--whitened", "--target", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("symstab analyze: error: the analysis of widths (1, 300, 300, 1)") and "--force" in err
