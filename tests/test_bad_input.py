"""Bad input through the real entry point: every case exits 2 with exactly one line on stderr, no traceback, < 5 s.

Each case runs in its own process.  Starting Python and importing symstab costs
about half a second, so the cases are forked from one server process that has
imported ``symstab.cli`` once (:class:`ForkServer`): the child runs
``symstab.cli.main(argv)`` -- the function the ``symstab`` console script calls --
with its own stdout/stderr files and exit status, as the script would, and an
uncaught exception prints its traceback as the interpreter would.  A few cases
also run the installed ``symstab`` script itself, to check that the two agree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TIME_LIMIT = 5.0

_SERVER = textwrap.dedent(r'''
    import json, os, sys, tempfile, time, traceback
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from symstab.cli import main
    work = tempfile.mkdtemp(prefix="symstab-fuzz-")
    out_path, err_path = os.path.join(work, "out"), os.path.join(work, "err")
    print("ready", flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.chdir(req["cwd"])
            for fd, path in ((1, out_path), (2, err_path)):
                f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(f, fd)
                os.close(f)
            sys.argv = ["symstab", *req["argv"]]
            try:
                code = main(req["argv"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                traceback.print_exc()
                code = 1
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        status, timed_out = None, False
        while status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
            elif time.monotonic() - start > req["timeout"]:
                os.kill(pid, 9)
                status = os.waitpid(pid, 0)[1]
                timed_out = True
            else:
                time.sleep(0.005)
        seconds = time.monotonic() - start
        with open(out_path, errors="replace") as fo, open(err_path, errors="replace") as fe:
            reply = {"code": os.waitstatus_to_exitcode(status), "out": fo.read(), "err": fe.read(),
                     "seconds": seconds, "timed_out": timed_out}
        print(json.dumps(reply), flush=True)
''')


class ForkServer:
    """One Python process that has imported symstab; each :meth:`run` forks a child that runs ``main(argv)``."""

    def __init__(self):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        self.proc = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)
        assert self.proc.stdout.readline().strip() == "ready"

    def run(self, argv, cwd, timeout=TIME_LIMIT + 5):
        self.proc.stdin.write(json.dumps({"argv": list(argv), "cwd": str(cwd), "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server():
    s = ForkServer()
    yield s
    s.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Malformed input files of every format the CLI reads."""
    d = tmp_path_factory.mktemp("bad")
    np.save(d / "object.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(d / "nan.npy", np.full((2, 2, 2), np.nan))
    np.save(d / "inf.npy", np.full((1, 1, 1), np.inf))
    np.save(d / "nonsquare.npy", np.zeros((2, 2, 3)))
    np.save(d / "strings.npy", np.array(["a", "b"]))
    np.save(d / "vector.npy", np.zeros(3))
    np.save(d / "negative.npy", -np.ones((2, 1, 1)))
    np.save(d / "complex.npy", np.ones((1, 1, 1), dtype=complex))
    (d / "empty.npy").write_bytes(b"")
    (d / "binary.npy").write_bytes(bytes(range(256)))
    (d / "truncated.npy").write_bytes((d / "nan.npy").read_bytes()[:90])
    (d / "empty.json").write_text("")
    (d / "binary.json").write_bytes(bytes(range(256)) * 4)
    (d / "truncated.json").write_text('[[["1", "0"], ["0"')
    (d / "float.json").write_text("[[[0.5]]]")
    (d / "dict.json").write_text('{"a": 1}')
    (d / "ragged.json").write_text('[[["1", "0"], ["0"]]]')
    (d / "inject.json").write_text("""[[["__import__('os').system('echo pwned')"]]]""")
    (d / "nested.json").write_text("[" * 100000 + "]" * 100000)
    (d / "huge_int.json").write_text('[[["' + "9" * 5000 + '"]]]')
    (d / "asymmetric.json").write_text('[[["1", "2"], ["3", "4"]]]')
    (d / "nan.json").write_text('[[["nan"]]]')
    (d / "emptylist.json").write_text("[]")
    (d / "null.json").write_text("null")
    (d / "hessians.txt").write_text("1")
    (d / "cp_binary.jsonl").write_bytes(bytes(range(256)))
    (d / "cp_list.jsonl").write_text("[1, 2]\n")
    (d / "cp_other.jsonl").write_text('{"kind": "cell", "row": {}}\n')
    (d / "cp_settings.jsonl").write_text('{"kind": "config", "config": {"n_inits": -1}}\n')
    (d / "readonly.json").write_text("x")
    (d / "a_directory").mkdir()
    return d


NET = ["--widths", "1,1,2", "--whitened", "--target", "3;4"]
CERT = str(Path(__file__).resolve().parents[1] / "proofs" / "certificates") + "/"
SIM = ["simulate", *NET, "--eta-C", "1/5", "--eta-ratios", "0.9", "--inits", "4", "--steps", "10", "--workers", "1"]
SGD = ["sgd", "--construction", "--n", "12", "--sigma", "3", "--batch", "4"]

CASES = {
    # top level and argparse's own errors
    "no such command": ["bogus"],
    "unknown flag": ["det", *NET, "--bogus"],
    "missing --widths": ["det", "--whitened", "--target", "1"],
    "bad --loss": ["det", *NET, "--loss", "bogus"],
    "bad --which": ["det", *NET, "--which", "everything"],
    "flag without value": ["det", "--widths"],
    "sgd without source": ["sgd", "--batch", "1"],
    "sgd both sources": ["sgd", "--construction", "--hessians", "x.json", "--batch", "1"],
    # widths
    "widths empty": ["det", "--widths", "", "--whitened", "--target", "1"],
    "widths letters": ["det", "--widths", "a,b", "--whitened", "--target", "1"],
    "widths zero": ["det", "--widths", "2,0,2", "--whitened", "--target", "1,0;0,1"],
    "widths negative": ["det", "--widths", "-1,2", "--whitened", "--target", "1"],
    "widths float": ["det", "--widths", "1.5,2", "--whitened", "--target", "1"],
    "widths one layer": ["det", "--widths", "2", "--whitened", "--target", "1"],
    "widths huge": ["det", "--widths", "1,99999999999999999999,1", "--whitened", "--target", "1"],
    "widths injection": ["det", "--widths", "__import__('os').getcwd()", "--whitened", "--target", "1"],
    # matrices
    "target wrong shape": ["det", "--widths", "1,1,2", "--whitened", "--target", "3,4"],
    "target ragged": ["det", "--widths", "2,1,2", "--whitened", "--target", "1,2;3"],
    "target letters": ["det", *NET[:3], "--target", "x;y"],
    "target nan": ["det", *NET[:3], "--target", "nan;1"],
    "target inf": ["det", *NET[:3], "--target", "inf;1"],
    "target injection": ["det", *NET[:3], "--target", "__import__('os').system('true');1"],
    "target sympy": ["det", *NET[:3], "--target", "sqrt(2);1"],
    "target zero denominator": ["det", *NET[:3], "--target", "1/0;1"],
    "target too long": ["det", *NET[:3], "--target", "9" * 5000 + ";1"],
    "target empty": ["det", *NET[:3], "--target", ""],
    "whitened without target": ["det", "--widths", "1,1", "--whitened"],
    "whitened and X": ["det", *NET, "--X", "1"],
    "X without Y": ["det", "--widths", "2,1,2", "--X", "1,0;0,1"],
    "X singular": ["det", "--widths", "2,1,2", "--X", "1,0;0,0", "--Y", "1,2;3,4"],
    "Y wrong rows": ["det", "--widths", "2,1,2", "--X", "1,0;0,1", "--Y", "1,2;3,4;5,6"],
    # too large
    "det too large": ["det", "--widths", "2,2,2,2", "--whitened", "--target", "1,0;0,1"],
    "certify too large": ["certify", "--widths", "1,300,300,1", "--whitened", "--target", "1"],
    "certify too slow": ["certify", "--widths", "1,60,60,1", "--whitened", "--target", "1"],
    "simulate too large": [*SIM[:-6], "--inits", "100000000000000", "--steps", "10"],
    "simulate too many steps": [*SIM[:-6], "--inits", "1000000", "--steps", "100000000"],
    # certify flags
    "certify seed letters": ["certify", *NET, "--seed", "abc"],
    "certify seed negative": ["certify", *NET, "--seed", "-1"],
    "certify max-points zero": ["certify", *NET, "--max-points", "0"],
    "certify max-points huge": ["certify", *NET, "--max-points", "10000000"],
    # critical / analyze
    "critical dps low": ["critical", *NET, "--dps", "5"],
    "critical dps huge": ["critical", *NET, "--dps", "100000"],
    "critical dps float": ["critical", *NET, "--dps", "50.5"],
    "critical seed 1e3": ["critical", *NET, "--seed", "1e3"],
    "critical d_H": ["critical", "--widths", "2,1,1", "--whitened", "--target", "3;4"],
    "analyze latex dir": ["analyze", *NET, "--no-z3", "--latex", "{d}/a_directory"],
    "analyze latex proc": ["analyze", *NET, "--no-z3", "--latex", "/proc/report.tex"],
    "analyze latex sys": ["analyze", *NET, "--no-z3", "--latex", "/sys/report.tex"],
    "analyze latex missing dir": ["analyze", *NET, "--no-z3", "--latex", "/no/such/dir/r.tex"],
    # report
    "report without input": ["report", "--out", "r.tex"],
    "report both inputs": ["report", *NET, "--construction", "--n", "4", "--sigma", "2", "--batch", "2", "--out", "r.tex"],
    "report without out": ["report", *NET],
    "report out extension": ["report", *NET, "--no-z3", "--out", "r.docx"],
    "report out dir": ["report", *NET, "--no-z3", "--out", "{d}/a_directory"],
    "report out missing dir": ["report", *NET, "--no-z3", "--out", "/no/such/dir/r.pdf"],
    "report out proc": ["report", *NET, "--no-z3", "--out", "/proc/r.tex"],
    "report sweep letters": ["report", *NET, "--no-z3", "--sweep", "a,b", "--out", "r.tex"],
    "report sweep on sgd": ["report", "--construction", "--n", "4", "--sigma", "2", "--batch", "2", "--sweep", "1.1",
                            "--out", "r.tex"],
    "report sgd without batch": ["report", "--construction", "--n", "4", "--sigma", "2", "--out", "r.tex"],
    "report batch on a network": ["report", *NET, "--batch", "2", "--out", "r.tex"],
    "report hessians injection": ["report", "--hessians", "{d}/inject.json", "--batch", "1", "--out", "r.tex"],
    "report dps low": ["report", *NET, "--dps", "16", "--out", "r.tex"],
    # simulate flags
    "simulate seed abc": [*SIM, "--seed", "abc"],
    "simulate seed negative": [*SIM, "--seed", "-5"],
    "simulate seed hex": [*SIM, "--seed", "0x10"],
    "simulate seed underscore": [*SIM, "--seed", "1_000"],
    "simulate inits zero": [*SIM, "--inits", "0"],
    "simulate inits negative": [*SIM, "--inits", "-3"],
    "simulate inits float": [*SIM, "--inits", "1.5"],
    "simulate steps nan": [*SIM, "--steps", "nan"],
    "simulate workers zero": [*SIM, "--workers", "0"],
    "simulate workers huge": [*SIM, "--workers", "100000"],
    "simulate init-scale nan": [*SIM, "--init-scale", "nan"],
    "simulate init-scale inf": [*SIM, "--init-scale", "inf"],
    "simulate init-scale negative": [*SIM, "--init-scale", "-1"],
    "simulate init-scale zero": [*SIM, "--init-scale", "0"],
    "simulate eta-C negative": [*SIM, "--eta-C", "-1/5"],
    "simulate eta-C zero": [*SIM, "--eta-C", "0"],
    "simulate eta-C letters": [*SIM, "--eta-C", "fast"],
    "simulate eta-ratios empty": [*SIM, "--eta-ratios", ""],
    "simulate eta-ratios nan": [*SIM, "--eta-ratios", "nan"],
    "simulate eta-ratios negative": [*SIM, "--eta-ratios", "0.9,-1"],
    "simulate eta-ratios inf": [*SIM, "--eta-ratios", "inf"],
    "simulate memory letters": [*SIM, "--memory", "lots"],
    "simulate memory tiny": [*SIM, "--memory", "1K"],
    "simulate checkpoint proc": [*SIM, "--checkpoint", "/proc/cp.jsonl"],
    "simulate checkpoint sys": [*SIM, "--checkpoint", "/sys/cp.jsonl"],
    "simulate checkpoint dir": [*SIM, "--checkpoint", "{d}/a_directory"],
    "simulate checkpoint missing dir": [*SIM, "--checkpoint", "/no/such/dir/cp.jsonl"],
    "simulate checkpoint dev-null": [*SIM, "--checkpoint", "/dev/null"],
    "simulate checkpoint binary": [*SIM, "--checkpoint", "{d}/cp_binary.jsonl"],
    "simulate checkpoint list": [*SIM, "--checkpoint", "{d}/cp_list.jsonl"],
    "simulate checkpoint no config": [*SIM, "--checkpoint", "{d}/cp_other.jsonl"],
    "simulate checkpoint other settings": [*SIM, "--checkpoint", "{d}/cp_settings.jsonl"],
    "simulate plot extension": [*SIM, "--plot", "{d}/out.xyz"],
    "simulate plot proc": [*SIM, "--plot", "/proc/out.png"],
    # sgd flags
    "sgd n zero": ["sgd", "--construction", "--n", "0", "--sigma", "1", "--batch", "1"],
    "sgd n letters": ["sgd", "--construction", "--n", "many", "--sigma", "1", "--batch", "1"],
    "sgd sigma above n": ["sgd", "--construction", "--n", "3", "--sigma", "4", "--batch", "1"],
    "sgd batch above n": ["sgd", "--construction", "--n", "3", "--sigma", "1", "--batch", "4"],
    "sgd batch zero": [*SGD[:-1], "0"],
    "sgd construction without n": ["sgd", "--construction", "--batch", "1"],
    "sgd dps low": [*SGD, "--dps", "5"],
    "sgd eta negative": [*SGD, "--eta", "-1"],
    "sgd eta nan": [*SGD, "--eta", "nan"],
    "sgd eta injection": [*SGD, "--eta", "__import__('os')"],
    "sgd scale zero": [*SGD, "--scale", "0"],
    "sgd scale letters": [*SGD, "--scale", "big"],
    "sgd sampling bogus": [*SGD, "--sampling", "poisson"],
    "sgd dense huge n": ["sgd", "--construction", "--n", "100000000", "--sigma", "3", "--batch", "4", "--method",
                         "exact"],
    "sgd n with hessians": ["sgd", "--hessians", "{d}/float.json", "--n", "3", "--batch", "1"],
    # hessian files
    "npy object": ["sgd", "--hessians", "{d}/object.npy", "--batch", "1"],
    "npy nan": ["sgd", "--hessians", "{d}/nan.npy", "--batch", "1"],
    "npy inf": ["sgd", "--hessians", "{d}/inf.npy", "--batch", "1"],
    "npy non-square": ["sgd", "--hessians", "{d}/nonsquare.npy", "--batch", "1"],
    "npy strings": ["sgd", "--hessians", "{d}/strings.npy", "--batch", "1"],
    "npy vector": ["sgd", "--hessians", "{d}/vector.npy", "--batch", "1"],
    "npy not PSD": ["sgd", "--hessians", "{d}/negative.npy", "--batch", "1"],
    "npy complex": ["sgd", "--hessians", "{d}/complex.npy", "--batch", "1"],
    "npy empty file": ["sgd", "--hessians", "{d}/empty.npy", "--batch", "1"],
    "npy binary file": ["sgd", "--hessians", "{d}/binary.npy", "--batch", "1"],
    "npy truncated": ["sgd", "--hessians", "{d}/truncated.npy", "--batch", "1"],
    "json empty file": ["sgd", "--hessians", "{d}/empty.json", "--batch", "1"],
    "json binary file": ["sgd", "--hessians", "{d}/binary.json", "--batch", "1"],
    "json truncated": ["sgd", "--hessians", "{d}/truncated.json", "--batch", "1"],
    "json float": ["sgd", "--hessians", "{d}/float.json", "--batch", "1"],
    "json dict": ["sgd", "--hessians", "{d}/dict.json", "--batch", "1"],
    "json ragged": ["sgd", "--hessians", "{d}/ragged.json", "--batch", "1"],
    "json injection": ["sgd", "--hessians", "{d}/inject.json", "--batch", "1"],
    "json nested deep": ["sgd", "--hessians", "{d}/nested.json", "--batch", "1"],
    "json huge integer": ["sgd", "--hessians", "{d}/huge_int.json", "--batch", "1"],
    "json asymmetric": ["sgd", "--hessians", "{d}/asymmetric.json", "--batch", "1"],
    "json nan string": ["sgd", "--hessians", "{d}/nan.json", "--batch", "1"],
    "json empty list": ["sgd", "--hessians", "{d}/emptylist.json", "--batch", "1"],
    "json null": ["sgd", "--hessians", "{d}/null.json", "--batch", "1"],
    "hessians txt": ["sgd", "--hessians", "{d}/hessians.txt", "--batch", "1"],
    "hessians missing": ["sgd", "--hessians", "{d}/missing.json", "--batch", "1"],
    "hessians directory": ["sgd", "--hessians", "{d}/a_directory", "--batch", "1"],
    # certificates and audits
    "prove unknown result": ["prove", "A9"],
    "prove nothing": ["prove"],
    "prove unwritable directory": ["prove", "A1", "--out", "/proc/symstab-certificates"],
    "prove out is a file": ["prove", "A1", "--out", "{d}/hessians.txt"],
    "check nothing": ["check"],
    "check coq with two files": ["check", "{d}/empty.json", "{d}/dict.json", "--coq", "/tmp/never-written.v"],
    "check coq unwritable": ["check", CERT + "A5_1_1_1_data.json", "--coq", "/proc/a5.v"],
    "check coq unsupported kind": ["check", CERT + "B_uniform_counterexample_n2_B1.json", "--coq", "/tmp/never.v"],
    "audit unknown claim": ["audit", "--claim", "__import__('os')"],
    "audit negative examples": ["audit", "--claim", "A1-nonsingular", "--max-examples", "-3"],
    "audit seed letters": ["audit", "--claim", "A1-nonsingular", "--seed", "abc"],
    # orbits and the bifurcation diagram
    "orbits eta zero": ["orbits", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta", "0"],
    "orbits eta expression": ["orbits", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta", "__import__('os')"],
    "orbits no eta": ["orbits", "--widths", "1,1,1", "--whitened", "--target", "1"],
    "bifurcation range reversed": ["bifurcation", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta-min", "2",
                                   "--eta-max", "1", "--plot", "/tmp/never.png"],
    "bifurcation plot unwritable": ["bifurcation", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta-min",
                                    "0.8", "--eta-max", "1.6", "--plot", "/proc/bif.png"],
    "bifurcation too many kept iterates": ["bifurcation", "--widths", "1,1,1", "--whitened", "--target", "1",
                                           "--eta-min", "0.8", "--eta-max", "1.6", "--keep", "100000000"],
    "bifurcation grid zero": ["bifurcation", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta-min", "0.8",
                              "--eta-max", "1.6", "--n-eta", "0"],
    "bifurcation seed negative": ["bifurcation", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta-min",
                                  "0.8", "--eta-max", "1.6", "--seed", "-1"],
    "orbits seed negative": ["orbits", "--widths", "1,1,1", "--whitened", "--target", "1", "--eta", "11/10",
                             "--seed", "-1"],    # the flip coefficient at a minimum
    "flip not a minimum": ["flip", "--widths", "1,1,1", "--whitened", "--target", "1", "--theta", "1,2"],
    "flip theta expression": ["flip", "--widths", "1,1,1", "--whitened", "--target", "1", "--theta", "__import__('os')"],
    "flip theta wrong length": ["flip", "--widths", "1,1,1", "--whitened", "--target", "1", "--theta", "1,1,1"],
    "flip theta and seed": ["flip", "--widths", "1,1,1", "--whitened", "--target", "1", "--theta", "1,1",
                            "--point-seed", "0"],
    "flip no point": ["flip", "--widths", "1,1,1", "--whitened", "--target", "1"],
    "flip multiple top eigenvalue": ["flip", "--widths", "2,2,2", "--whitened", "--target", "1,0;0,1", "--theta",
                                     "1,0,0,1,1,0,0,1"],
}


def _check(result, name):
    err = result["err"]
    assert not result["timed_out"], f"{name}: still running after {TIME_LIMIT + 5} s"
    assert "Traceback" not in err, f"{name}: {err}"
    assert result["code"] == 2, f"{name}: exit {result['code']}, stderr {err!r}"
    assert err.count("\n") == 1 and err.endswith("\n"), f"{name}: {err!r}"
    assert ": error: " in err and "--help" in err, f"{name}: {err!r}"
    assert result["out"] == "", f"{name}: {result['out'][:200]!r}"
    assert result["seconds"] < TIME_LIMIT, f"{name}: {result['seconds']:.1f} s"


def test_there_are_at_least_80_cases():
    assert len(CASES) >= 80


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_refused_on_one_line(server, files, tmp_path, name):
    argv = [a.replace("{d}", str(files)) for a in CASES[name]]
    _check(server.run(argv, tmp_path), name)


@pytest.mark.skipif(shutil.which("symstab") is None, reason="the symstab script is not installed")
@pytest.mark.parametrize("name", ["bad --loss", "simulate checkpoint proc"])
def test_the_installed_script_agrees(server, files, tmp_path, name):
    """The same cases through the console script itself, one fresh interpreter each."""
    argv = [a.replace("{d}", str(files)) for a in CASES[name]]
    proc = subprocess.run([shutil.which("symstab"), *argv], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    forked = server.run(argv, tmp_path)
    assert proc.returncode == forked["code"] == 2
    assert proc.stderr == forked["err"] and proc.stdout == ""


def test_read_only_file_is_refused_before_work(server, files, tmp_path):
    target = tmp_path / "ro" / "cp.jsonl"
    target.parent.mkdir()
    target.parent.chmod(0o500)
    try:
        result = server.run([*SIM, "--checkpoint", str(target)], tmp_path)
    finally:
        target.parent.chmod(0o700)
    if os.geteuid() == 0:  # root writes through permission bits: only a real read-only mount would refuse
        assert result["code"] in (0, 2) and "Traceback" not in result["err"]
    else:
        _check(result, "read-only directory")


# Every numeric flag, with a command around it that is fast for any valid value.
NUMERIC_FLAGS = {
    "--seed": SIM, "--inits": SIM, "--steps": SIM, "--workers": SIM[:-2], "--init-scale": SIM,
    "--eta-C": SIM, "--eta-ratios": SIM, "--memory": SIM, "--max-points": ["certify", *NET],
    "--dps": ["critical", *NET, "--no-z3"], "--n": ["sgd", "--construction", "--sigma", "1", "--batch", "1"],
    "--sigma": ["sgd", "--construction", "--n", "12", "--batch", "1"], "--batch": SGD[:-2],
    "--eta": SGD, "--scale": SGD, "--widths": ["det", "--whitened", "--target", "1"],
    "--target": ["det", "--widths", "1,1", "--whitened"],
}


def _with_flag(base, flag, value):
    argv = list(base)
    if flag in argv:
        i = argv.index(flag)
        del argv[i:i + 2]
    return [*argv, f"{flag}={value}"]


@pytest.mark.parametrize("flag", sorted(NUMERIC_FLAGS))
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(min_size=0, max_size=24).filter(lambda b: b"\x00" not in b))
def test_random_bytes_in_a_numeric_flag(server, tmp_path_factory, flag, raw):
    """Random bytes (decoded as the interpreter decodes argv) in each numeric flag: an answer or one line."""
    value = raw.decode(sys.getfilesystemencoding(), "surrogateescape")
    cwd = tmp_path_factory.getbasetemp()
    result = server.run(_with_flag(NUMERIC_FLAGS[flag], flag, value), cwd)
    assert not result["timed_out"] and "Traceback" not in result["err"], result
    assert result["code"] in (0, 2), result
    if result["code"] == 2:
        assert result["err"].count("\n") == 1 and ": error: " in result["err"], result
