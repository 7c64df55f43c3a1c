"""Shared by the benchmark scripts: one measurement in a subprocess with a time budget.

A script that imports this answers ``python SCRIPT --child INDEX KIND`` by printing one
JSON object (its last stdout line); :func:`run_child` runs that and reads it back.
"""

from __future__ import annotations

import json
import subprocess
import sys


def run_child(script: str, index: int, kind: str, timeout: float) -> dict:
    """``script --child index kind`` in a subprocess, killed after ``timeout`` s (then ``{"timeout": timeout}``)."""
    try:
        done = subprocess.run([sys.executable, script, "--child", str(index), kind], capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])
