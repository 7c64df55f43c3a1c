"""The command line: one-line errors, exit codes, JSON keys of every subcommand."""

import json
import subprocess
import sys

import pytest

from symstab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_output_cut_short_by_the_reader_is_not_a_traceback():
    """The reader closes the pipe before symstab writes (as `| head` does): quiet exit, status 0."""
    proc = subprocess.Popen([sys.executable, "-m", "symstab.cli", "certify", "--widths", "1,1,2", "--whitened",
                             "--target", "3;4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # long before the child has imported symstab and printed
    assert proc.wait(timeout=300) == 0
    assert proc.stderr.read() == b""


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "symstab 0.1.0" in capsys.readouterr().out


def test_det_json_keys(capsys):
    code, out, _ = run(capsys, "det", "--widths", "2,1,2", "--X", "1,0;0,1", "--Y", "1,2;3,4", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"widths", "num_params", "degree", "nterms", "polynomial", "latex"} <= set(data)
    assert data["widths"] == [2, 1, 2] and data["num_params"] == 4
    assert "eta" in data["polynomial"] and "srepr" not in data["polynomial"] and "Symbol(" not in data["polynomial"]
    assert data["polynomial"].count("+") + data["polynomial"].count("-") >= data["nterms"] - 1


@pytest.mark.parametrize("which,var", [("jacobian", "eta"), ("stability", "eta"), ("charpoly", "lam")])
def test_det_which(capsys, which, var):
    code, out, _ = run(capsys, "det", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--which", which, "--json")
    data = json.loads(out)
    assert code == 0 and var in data["polynomial"]


def test_det_text_latex_and_factor(capsys):
    code, out, _ = run(capsys, "det", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--factor")
    assert code == 0 and "factorization: (W1_0_0**2*eta - 1)" in out
    code, out, _ = run(capsys, "det", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--latex")
    assert code == 0 and r"W_{1}(1,1)" in out


def test_certify(capsys):
    code, out, _ = run(capsys, "certify", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--json")
    data = json.loads(out)
    assert code == 0 and data["holds"] and data["exceptional_etas"] == []


@pytest.mark.parametrize("argv,message", [
    (["det", "--widths", "2,1,2", "--X", "1,0;0,1", "--Y", "1,2;3"], "unequal length"),
    (["det", "--widths", "2,1,2", "--X", "1,0;0,0", "--Y", "1,2;3,4"], "singular"),
    (["det", "--widths", "2,0,2", "--whitened", "--target", "1,0;0,1"], "at least 1"),
    (["det", "--widths", "2,1,2", "--X", "1,0;0,1", "--Y", "1,x;3,4"], "not an exact number"),
    (["det", "--widths", "2,1,2", "--X", "1,0;0,1", "--Y", "1,2;3,4;5,6"], "Y has 3 rows"),
    (["det", "--widths", "2,2,2,2", "--whitened", "--target", "1,0;0,1"], "pass force=True"),
    (["det", "--widths", "2,2", "--whitened"], "needs --target"),
    (["det", "--widths", "2,2"], "give --X and --Y"),
    (["det", "--widths", "1,1", "--X", "nan", "--Y", "1"], "not an exact number"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("symstab det: error:") and message in err


def test_console_script_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "symstab.cli", "det", "--widths", "1,0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_negative_leading_entries_are_values_not_flags(capsys):
    code, out, _ = run(capsys, "det", "--widths", "2,1,2", "--whitened", "--target", "-1,0;0,1", "--json")
    assert code == 0 and json.loads(out)["num_params"] == 4
    code, _, err = run(capsys, "det", "--widths", "-1,2", "--whitened", "--target", "1")
    assert code == 2 and "widths" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv,message", [
    (["certify", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--max-points", "0"], "--max-points: must be an integer in 1..1000"),
    (["det", "--widths", "1,1000,1", "--whitened", "--target", "1"], "estimated"),
    (["det", "--widths", "30000,1", "--whitened", "--target", "1"], "target has 1 columns"),
])
def test_more_bad_input(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("extra,message", [
    (["--checkpoint", "/nonexistent/dir/f.jsonl"], "--checkpoint: directory '/nonexistent/dir' does not exist"),
    (["--checkpoint", "."], "is a directory"),
    (["--plot", "/nonexistent/dir/out.png"], "--plot: directory '/nonexistent/dir' does not exist"),
    (["--plot", "out.xyz"], "extension '.xyz'"),
])
def test_simulate_output_paths_are_checked_before_the_sweep(capsys, extra, message):
    code, out, err = run(capsys, "simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4",
                         "--eta-ratios", "0.9", "--inits", "4", "--steps", "10", "--workers", "1", "--quiet", *extra)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_api_output_paths_raise_symstab_errors(tmp_path):
    from symstab import LinearNetwork, simulate
    from symstab.errors import InvalidInputError

    net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    with pytest.raises(InvalidInputError, match="does not exist"):
        simulate.convergence_sweep(net, [0.9], n_inits=4, steps=10, eta_C="1/5", workers=1,
                                   checkpoint=tmp_path / "no" / "f.jsonl")
    sweep = simulate.convergence_sweep(net, [0.9], n_inits=4, steps=10, eta_C="1/5", workers=1)
    with pytest.raises(InvalidInputError, match="is a directory"):
        sweep.plot(tmp_path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        simulate.plot_trajectory(net, 0.18, steps=5, path=tmp_path / "no" / "t.png")
    sweep.plot(tmp_path / "ok.svg")
    assert (tmp_path / "ok.svg").read_text().lstrip().startswith("<?xml")


# --- critical and analyze ----------------------------------------------------------------------

def test_cli_critical_json_keys(capsys):
    assert main(["critical", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("eta_C", "eta_C_float", "eta_C_interval", "eta_E", "eta_E_float", "method", "witness",
                "dimension", "filling"):
        assert key in out
    assert out["eta_C"] == "1/5" and out["eta_C_float"] == 0.2 and out["eta_E"] == "oo"
    assert out["eta_E_float"] is None and out["eta_C_interval"] == ["0.2", "0.2"]
    assert out["dimension"] == 1 and out["filling"] is True and len(out["witness"]) == 3


def test_cli_critical_bad_input(capsys):
    assert main(["critical", "--widths", "2,1,1", "--whitened", "--target", "3;4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d_H" in err


def test_cli_critical_and_analyze_reject_bad_paths_and_precision(tmp_path, capsys):
    base = ["--widths", "1,1,2", "--whitened", "--target", "3;4", "--no-z3"]
    assert main(["analyze", *base, "--latex", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["critical", *base, "--dps", "100000"]) == 2
    assert "--dps: must be an integer in 20..1000" in capsys.readouterr().err
    # general Sigma, non-filling: bounds, whose LaTeX marks the search value as numerical
    assert main(["critical", "--widths", "2,1,2", "--X", "1,1;0,1", "--Y", "1,2;3,4", "--latex"]) == 0
    assert "numerical, not certified" in capsys.readouterr().out
    # whitened non-filling: exact (docs/theory.md, "eta_C for whitened non-filling networks")
    assert main(["critical", "--widths", "2,1,2", "--whitened", "--target", "1,1;1,2", "--no-z3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["filling"] is False and out["evidence"] == "exact" and "CRootOf" not in out["eta_C"]
    assert abs(out["eta_C_float"] - 2 / (3 + 5 ** 0.5)) < 1e-15
    assert main(["critical", "--widths", "2,1,2", "--whitened", "--target", "1,1;1,2", "--latex"]) == 0
    assert "numerical, not certified" not in capsys.readouterr().out


def test_ctrl_c_says_what_was_kept_and_how_to_resume(capsys, tmp_path, monkeypatch):
    """Ctrl-C during the second cell: exit 130, one line naming the checkpoint, the cells kept and the command."""
    from symstab import simulate

    real_task = simulate.sweep.run_cell
    calls = []

    def interrupted_second_cell(problem, spec):
        calls.append(spec["cell"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_task(problem, spec)

    monkeypatch.setattr(simulate.sweep, "run_cell", interrupted_second_cell)
    cp = tmp_path / "cp.jsonl"
    argv = ["simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--eta-C", "1/5", "--eta-ratios",
            "0.9,1.1,1.2", "--inits", "8", "--steps", "50", "--workers", "1", "--checkpoint", str(cp)]
    code, out, err = run(capsys, *argv)
    assert code == 130 and out == "" and err.count("\n") == 1
    assert f"kept 1 of 3 cells in the checkpoint {cp}" in err
    assert err.rstrip().endswith("resume with: symstab " + " ".join(argv).replace("3;4", "'3;4'"))
    calls.clear()
    code, out, err = run(capsys, *argv[:-2])
    assert code == 130 and "nothing was kept (no --checkpoint)" in err


def test_one_line_errors_come_from_the_shared_parser():
    """A subcommand registered on the parser inherits the one-line errors (new subcommands need nothing)."""
    from symstab.cli import build_parser
    from symstab.cli.common import OneLineParser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert all(isinstance(p, OneLineParser) for p in sub.choices.values())
    extra = sub.add_parser("extra")
    extra.add_argument("--k", type=int)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["extra", "--k", "x"])
    assert exc.value.code == 2


def test_det_streams_large_polynomials_as_the_same_json(capsys, monkeypatch):
    """Above the streaming size the JSON is written term by term: same keys, same polynomial."""
    import sympy

    from symstab.cli import det as cli_det

    argv = ["det", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--json"]
    code, out, _ = run(capsys, *argv)
    whole = json.loads(out)
    monkeypatch.setattr(cli_det, "_STREAM_TERMS", 3)
    code, out, _ = run(capsys, *argv)
    streamed = json.loads(out)
    assert code == 0 and list(streamed) == list(whole)[:len(streamed)] and set(streamed) == set(whole)
    assert {k: v for k, v in streamed.items() if k not in ("polynomial", "latex")} == \
        {k: v for k, v in whole.items() if k not in ("polynomial", "latex")}
    assert sympy.expand(sympy.sympify(streamed["polynomial"]) - sympy.sympify(whole["polynomial"])) == 0
    assert streamed["latex"].count(r"\eta") == whole["latex"].count(r"\eta")
    code, out, _ = run(capsys, *argv[:-1], "--latex")  # a text-mode fragment, the sum broken across lines
    assert code == 0 and r"\begin{align*}" in out and "- 25 \\eta^{2} + 1" in out


def test_cli_critical_plots(tmp_path, capsys):
    base = ["critical", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--no-z3", "--no-certificate"]
    assert main([*base, "--plot", str(tmp_path / "M.png"), "--eta", "1/6",
                 "--plot-curves", str(tmp_path / "curves.svg")]) == 0
    out = capsys.readouterr().out
    assert "eta_C = 1/5" in out and f"--plot: figure written to {tmp_path / 'M.png'}" in out
    assert (tmp_path / "M.png").stat().st_size > 5000
    assert (tmp_path / "curves.svg").read_text().lstrip().startswith("<?xml")
    for extra, message in ((["--eta", "1/6"], "--eta only sets the step marked by --plot"),
                           (["--plot", str(tmp_path / "x.png"), "--eta", "0"], "--eta must be positive"),
                           (["--plot", str(tmp_path / "x.png"), "--eta", "1/x"], "--eta: not an exact number")):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
    assert main(["critical", "--widths", "1,2,1", "--whitened", "--target", "3", "--plot", str(tmp_path / "y.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hidden width 1" in err and not (tmp_path / "y.png").exists()


def test_cli_det_plot(tmp_path, capsys):
    base = ["det", "--widths", "1,1,1", "--whitened", "--target", "2", "--quiet"]
    assert main([*base, "--plot", str(tmp_path / "s.png"), "--eta", "1/4"]) == 0
    assert "--plot: figure written to" in capsys.readouterr().out and (tmp_path / "s.png").stat().st_size > 5000
    for extra, message in ((["--eta", "1/4"], "--plot and --eta go together"),
                           (["--plot", str(tmp_path / "t.png"), "--eta", "-1"], "--eta must be positive")):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err


def test_critical_too_large_is_one_line_with_the_estimate(capsys):
    code, out, err = run(capsys, "critical", "--widths", "4,150,150,4", "--whitened", "--target",
                         "1,0,0,0;0,1,0,0;0,0,1,0;0,0,0,1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("symstab critical: error: eta_C and eta_E for widths (4, 150, 150, 4)")
    assert "is estimated at" in err and "--force" in err


def test_a_real_sigint_keeps_the_checkpoint_and_prints_the_resume_command(tmp_path):
    """SIGINT to a real process once its first cell is in the checkpoint: exit 130, one line on stderr
    naming the checkpoint, the cells kept, and the command that resumes."""
    import signal
    import time

    cp = tmp_path / "cp.jsonl"
    ratios = "1.1,1.15,1.2,1.25,1.3,1.35,1.4,1.45"  # above eta_C: runs stay on 2-cycles to the end (seconds per cell)
    argv = ["simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--eta-C", "1/5", "--eta-ratios",
            ratios, "--inits", "5000", "--steps", "20000", "--workers", "1", "--checkpoint", str(cp)]
    # SIG_DFL first: a shell without job control starts background jobs with SIGINT ignored, and the child
    # would inherit that (the test then failed when the suite ran with `&`, never in the foreground)
    proc = subprocess.Popen([sys.executable, "-m", "symstab.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if cp.exists() and '{"kind": "cell"' in cp.read_text():
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the sweep ended before it could be interrupted: {proc.communicate()}"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    cells = cp.read_text().count('{"kind": "cell"')
    assert proc.returncode == 130 and out == "" and err.count("\n") == 1, err
    assert 1 <= cells < 8
    assert f"symstab simulate: interrupted; kept {cells} of 8 cells in the checkpoint {cp}; " in err
    assert err.rstrip().endswith("resume with: symstab " + " ".join(argv).replace("3;4", "'3;4'"))
