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


# --- the text report: order and labels ------------------------------------------------------------------

def test_analyze_sections_come_in_order_and_name_their_points():
    from symstab import LinearNetwork
    from symstab.report import analyze

    report = analyze(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), prove=False)
    assert [key for key, *_ in report.sections] == ["nonsingularity", "minima", "spectrum", "classification",
                                                     "critical"]
    text = str(report)
    heads = [text.index(f"== A{k}:") for k in range(1, 6)]
    assert heads == sorted(heads)
    a2, a3, a4, a5 = (text[heads[k]:heads[k + 1]] if k < 4 else text[heads[k]:] for k in range(1, 5))
    assert "the point theta^(1) of M" in a2 and "at theta^(1)" in a3
    assert "at theta^(1), eta =" in a4 and "the point theta^(2) of M" in a4 and "witness theta^* of A5" in a4
    assert "witness theta^* (exact)" in a5
    assert "too long to print" not in text
    data = report.to_dict()
    assert data["minima"]["point_label"] == "theta^(1)" and data["critical"]["witness_label"] == "theta^*"


# --- the compiled report ---------------------------------------------------------------------------------

ALLOWED_PACKAGES = {"fontenc", "amsmath", "amssymb", "amsthm", "geometry", "graphicx",
                    "lmodern"}  # lmodern only under \IfFileExists: vector fonts where it is installed


def _network_document(widths, target, **kwargs):
    from symstab import LinearNetwork
    from symstab.document import network_document
    from symstab.report import analyze

    net = LinearNetwork.whitened(widths, target)
    return net, network_document(analyze(net, prove=False, document=True), formulas_file="r.formulas.json", **kwargs)


def _positions(tex, needles):
    return [tex.index(n) for n in needles]


def test_the_document_states_A1_to_A5_in_order_with_labels_and_evidence():
    import re

    _, doc = _network_document((2, 1, 2), [[3, 0], [0, 1]])
    tex = doc.tex
    labels = [rf"\label{{thm:A{k}}}" for k in range(1, 6)]
    assert _positions(tex, labels) == sorted(_positions(tex, labels))
    packages = {p for group in re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", tex) for p in group.split(",")}
    assert packages <= ALLOWED_PACKAGES and r"\usepackage[T1]{fontenc}" in tex
    # the points: labelled once, referred to by theorem
    for label, tag in (("theta1", r"\theta^{(1)}"), ("witness", r"\theta^*")):
        assert tex.count(rf"\label{{pt:{label}}}") == 1 and rf"\tag{{${tag}$}}" in tex
    assert r"the point $\theta^{(1)}$ of Theorem~\ref{thm:A2}" in tex
    assert tex.index(r"\label{pt:theta1}") < tex.index(r"\label{thm:A3}")
    # evidence of every statement, with the five words only
    kinds = re.findall(r"\\begin\{evidence\}\[([^]]*)\]", tex)
    assert len(kinds) == 5 and set(kinds) <= {"certified", "exact", "rigorous enclosure",
                                             "solver verdict, no certificate", "numerical"}
    assert kinds[0] == "certified" and kinds[4] == "certified"  # A1 and (for this net) A5 have checked certificates
    assert r"\paragraph{Certificate A1.}" in tex and r"\paragraph{Certificate A5.}" in tex
    assert "too long to print" not in tex and "proved" not in tex.lower().replace("not proper", "")


def test_a_formula_too_large_to_typeset_is_stated_by_size_and_written_to_the_formulas_file():
    import sympy

    from symstab.document.latex import Document, Formulas

    doc = Document()
    f = Formulas(doc, "r.formulas.json")
    x, y = sympy.symbols("x y")
    big = sympy.expand((x + y + 1) ** 12)  # 91 terms
    sentence = f.sum("big", "a test polynomial", big, "q", "The polynomial $q$")
    assert "91 terms, total degree 12" in sentence and r"\texttt{r.formulas.json}" in sentence
    assert sympy.sympify(doc.formulas["big"]["value"]) == big and doc.formulas["big"]["terms"] == 91
    small = f.sum("small", "a small one", x**2 - y, "r", "The polynomial $r$")
    assert small.startswith(r"\begin{equation*}") and "r = " in small and doc.formulas["small"]["terms"] == 2
    long_sum = f.sum("long", "a long sum", sum(sympy.Symbol(f"W1_0_{k}") ** 2 for k in range(30)), "s", "$s$")
    assert long_sum.startswith(r"\begin{align*}") and long_sum.count(r"\\") >= 2  # broken across lines


def test_the_determinant_of_2_2_2_goes_to_the_formulas_file(tmp_path):
    import json

    from symstab.document import write_document

    net, doc = _network_document((2, 2, 2), [[1, 2], [3, 4]])
    p = net.gd_jacobian_det()
    entry = doc.formulas["A1.p"]
    assert entry["terms"] == p.nterms and entry["degree"] == p.degree
    assert f"{p.nterms} terms, total degree {p.degree}" in doc.tex and r"\texttt{A1.p}" in doc.tex
    written = write_document(doc, tmp_path / "r.tex")
    assert [w.name for w in written] == ["r.tex", "r.formulas.json"]
    stored = json.loads((tmp_path / "r.formulas.json").read_text())["formulas"]["A1.p"]
    assert stored["value"].count("eta") >= 1 and stored["terms"] == p.nterms


def test_the_sgd_document_states_B1_to_B3_with_the_certificate():
    from symstab import sgd
    from symstab.document import sgd_document
    from symstab.proofs.certificates import b_certificate

    hs = [[[1, 1], [1, 1]], [[1, 0], [0, 0]]]
    cert = b_certificate(hs, 1)
    doc = sgd_document(sgd.analyze(hs, batch=1, eta="1/2"), hessians=hs, source="given",
                       certificate={"status": "certified", "claim": cert.claim, "data": cert.data})
    tex = doc.tex
    labels = [rf"\label{{thm:B{k}}}" for k in range(1, 4)]
    assert _positions(tex, labels) == sorted(_positions(tex, labels))
    assert r"\begin{evidence}[certified]" in tex and r"\paragraph{Certificate B2.}" in tex
    assert r"\operatorname{root}_{3}" in tex and "CRootOf" not in tex  # eta* = 2/CRootOf(3x^3 - 9x^2 + 6x - 1, 2)
    assert r"H_{1} = \begin{bmatrix}" in tex and "mean-square stable" in tex


def _pdflatex_or_skip():
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed: the compiled report is not built (install texlive-latex-base)")


@pytest.mark.parametrize("argv", [
    ["--widths", "2,2,2", "--whitened", "--target", "1,2;3,4"],   # the example (filling)
    ["--widths", "2,1,2", "--whitened", "--target", "3,0;0,1"],   # non-filling
    ["--hessians", "{d}/h.json", "--batch", "1", "--eta", "1/2"],  # SGD input
], ids=["2-2-2", "non-filling", "sgd"])
def test_report_compiles_to_pdf(tmp_path, capsys, argv):
    _pdflatex_or_skip()
    (tmp_path / "h.json").write_text('[[["1","1"],["1","1"]], [["1","0"],["0","0"]], [["0","0"],["0","2"]]]')
    out = tmp_path / "r.pdf"
    argv = [a.replace("{d}", str(tmp_path)) for a in argv]
    assert main(["report", *argv, "--no-z3" if "--widths" in argv else "--method", *([] if "--widths" in argv
                 else ["exact"]), "--out", str(out)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-" and (tmp_path / "r.formulas.json").is_file()
    assert not (tmp_path / "r.log").exists()
    assert capsys.readouterr().out.startswith(f"report written to {out}")


def test_report_with_a_sweep_includes_observation_A6_and_its_figure(tmp_path, capsys):
    out = tmp_path / "r.tex"
    assert main(["report", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--no-z3", "--sweep", "0.9,1.1",
                 "--inits", "8", "--steps", "300", "--workers", "1", "--out", str(out)]) == 0
    tex = out.read_text()
    assert tex.index(r"\label{thm:A5}") < tex.index(r"\label{thm:A6}") < tex.index(r"\includegraphics")
    assert (tmp_path / "r-sweep.pdf").is_file() and r"\usepackage{graphicx}" in tex
    assert r"\begin{evidence}[numerical]" in tex.split(r"\label{thm:A6}")[1]
    assert "figure" in capsys.readouterr().out


def test_pdf_without_pdflatex_writes_the_tex_and_says_how(tmp_path, capsys, monkeypatch):
    import symstab.document.files as files

    monkeypatch.setattr(files.shutil, "which", lambda name: None)
    out = tmp_path / "r.pdf"
    assert main(["report", "--construction", "--n", "6", "--sigma", "4", "--batch", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pdflatex is not installed" in err and "pdflatex r.tex" in err
    assert (tmp_path / "r.tex").is_file() and not out.exists()


def test_a_latex_error_is_one_line_with_the_log_kept(tmp_path):
    _pdflatex_or_skip()
    from symstab.document import Document, write_document
    from symstab.errors import InvalidInputError

    doc = Document(tex="\\documentclass{article}\n\\begin{document}\n\\undefinedmacro\n\\end{document}\n")
    with pytest.raises(InvalidInputError, match="Undefined control sequence") as info:
        write_document(doc, tmp_path / "bad.pdf")
    assert "\n" not in str(info.value) and (tmp_path / "bad.log").is_file() and (tmp_path / "bad.tex").is_file()


def test_an_irrational_target_keeps_the_numbering_and_rounds_a_wide_witness_with_its_exact_entries_on_file():
    net, doc = _network_document((2, 1, 2), [[1, 2], [3, 4]])  # M has no rational point
    assert r"\setcounter{resultA}{4}\begin{resultA}[critical step sizes]\label{thm:A5}" in doc.tex
    # theta^(1) is an exact algebraic point (coordinates in Q(sqrt 221)), shown exactly and used by A3 and A4
    assert r"\tag{$\theta^{(1)}$}" in doc.tex and r"\sqrt{221}" in doc.tex.split(r"\tag{$\theta^{(1)}$}")[0]
    assert r"number field $\mathbb{Q}(\alpha)$" in doc.tex and "of Theorem~\\ref{thm:A2}" in doc.tex
    entry = doc.formulas["A5.witness"]
    assert len(entry["value"]) == net.num_params and any("sqrt" in v for v in entry["value"])
    assert r"\texttt{A5.witness}" in doc.tex and r"\tag{$\theta^*$}" in doc.tex


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
