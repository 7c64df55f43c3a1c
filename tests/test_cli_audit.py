"""``symstab audit`` through the real entry point (subprocess): --list, --claim --json, bad input."""

import json
import os
import subprocess
import sys

from symstab.audits import catalogue


def run(*args):
    script = os.path.join(os.path.dirname(sys.executable), "symstab")  # the installed console script
    return subprocess.run([script, "audit", *args], capture_output=True, text=True, timeout=300)


def test_list_prints_name_tab_statement_per_claim():
    out = run("--list")
    assert out.returncode == 0
    lines = out.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(catalogue())
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


def test_claim_json_has_the_interface_keys():
    out = run("--claim", "coherence-condition-exact", "--json", "--seed", "1", "--max-examples", "10")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert list(d)[:6] == ["claim", "verdict", "examples_tried", "seed", "counterexample", "expected"]
    assert d["verdict"] == "counterexample" and d["expected"] == "counterexample" and d["seed"] == 1
    assert isinstance(d["counterexample"], dict) and d["examples_tried"] <= 10
    true = json.loads(run("--claim", "sgd-coherence-bernoulli", "--json", "--max-examples", "5").stdout)
    assert (true["verdict"], true["counterexample"], true["examples_tried"]) == ("none found", None, 5)
    assert d["prove_hint"].startswith("then try `symstab prove B` on this case")    # an extra key
    assert true["prove_hint"].startswith("then try `symstab prove B` on this case")


def test_bad_input_exits_2_with_one_line():
    for args in (["--claim", "nope", "--json"], ["--claim", "A1-nonsingular", "--max-examples", "0"],
                 ["--claim", "A1-nonsingular", "--seed", "-3"]):
        out = run(*args)
        assert out.returncode == 2 and out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("symstab audit: error:")
