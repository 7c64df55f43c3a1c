"""proofs/: the committed certificates are current, valid, typeset, and (where coqc exists) replayed by Coq."""

import shutil
import subprocess
from pathlib import Path

import pytest

from symstab.check import check_file
from symstab.cli import main
from symstab.proofs.catalogue import CASES, prove

CERTS = Path(__file__).resolve().parents[1] / "proofs" / "certificates"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("certificates")
    prove(["all"], out)
    return out


def test_proofs_directory_is_what_prove_all_writes(regenerated):
    committed = sorted(p.name for p in CERTS.iterdir())
    assert committed == sorted(p.name for p in regenerated.iterdir())
    for name in committed:
        assert (CERTS / name).read_text() == (regenerated / name).read_text(), f"{name} is stale: run symstab prove all"
    assert len(list(CERTS.glob("*.json"))) == sum(len(v) for v in CASES.values())


def test_every_committed_certificate_is_valid_through_the_cli(capsys):
    files = sorted(str(p) for p in CERTS.glob("*.json"))
    assert main(["check", *files]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(files) and all(": valid: " in line for line in lines)


def test_the_required_eta_c_cases_are_certified_exactly():
    expected = {"A5_1_1_1_data": "1/10", "A5_1_1_1_1_target_8": "1/24", "A5_1_1_2_target_3_4": "1/5",
                "A5_2_2_2_target_5_0_0_2": "1/5", "A5_2_1_2_non_filling_target_3_0_0_1": "1/3"}
    for name, eta in expected.items():
        ok, claim = check_file(CERTS / f"{name}.json")
        assert ok and f"eta_C = {eta} exactly" in claim


def test_a_tampered_certificate_fails_through_the_cli(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text((CERTS / "A5_1_1_1_data.json").read_text().replace('"l_star": "20"', '"l_star": "21"'))
    assert main(["check", str(CERTS / "A1_1_1_2_target_3_4.json"), str(bad)]) == 1
    out = capsys.readouterr().out
    assert ": valid: " in out and "bad.json: invalid: A5 (v^T H v >= l* ||v||^2): the identity" in out


def test_prove_rejects_an_unknown_result_and_an_unwritable_directory(capsys):
    assert main(["prove", "A9"]) == 2
    assert "invalid choice: 'A9'" in capsys.readouterr().err
    assert main(["prove", "A1", "--out", "/proc/nope"]) == 2
    assert "cannot create the output directory" in capsys.readouterr().err


def _coqc(tmp_path, names):
    for name in names:
        shutil.copy(CERTS / f"{name}.v", tmp_path)
        run = subprocess.run(["coqc", f"{name}.v"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(shutil.which("coqc") is None, reason="coqc not installed (.ci/run installs Debian's coq): skipped")
def test_coq_replays_the_a1_and_scalar_a5_certificates(tmp_path):
    _coqc(tmp_path, ["A1_1_1_2_target_3_4", "A5_1_1_1_data", "A5_1_1_1_1_target_8"])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("coqc") is None, reason="coqc not installed (.ci/run installs Debian's coq): skipped")
def test_coq_replays_every_exported_certificate(tmp_path):
    _coqc(tmp_path, [p.stem for p in CERTS.glob("*.v")])


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed: LaTeX compile check skipped")
def test_the_latex_fragments_compile(tmp_path):
    body = "\n".join(rf"\input{{{p.with_suffix('')}}}" for p in sorted(CERTS.glob("*.tex")))
    (tmp_path / "all.tex").write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{amsmath,amssymb}\n"
                                      "\\begin{document}\n" + body + "\n\\end{document}\n")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


@pytest.mark.parametrize("n, sigma, batch", [(3, 2, 1), (4, 3, 2), (5, 2, 2)])
def test_mean_square_certificate_with_a_rational_threshold_is_accepted(n, sigma, batch):
    # rho = 4/3 for (3, 2, 1): its interval must isolate it among every root of the charpoly,
    # not only among the roots of its own (linear) factor
    from fractions import Fraction

    from symstab.check import check_certificate
    from symstab.proofs.certificates import b_certificate
    from symstab.sgd import coherence_construction

    cert = b_certificate(coherence_construction(n, sigma), batch)
    assert check_certificate(cert.data) == cert.claim
    lo, hi = (Fraction(x) for x in cert.data["rho"]["interval"])
    assert lo < hi
