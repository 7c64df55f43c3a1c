"""The notebooks run top to bottom (their code cells, in one namespace)."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED = {"a1_tour.ipynb": "non-singular", "critical_tour.ipynb": "eta_C is the edge",
            "audit_tour.ipynb": "counterexample found", "04_phase_transition_eos.ipynb": "exact stable intervals",
            "05_sgd_coherence.ipynb": "mean square divergent but almost surely convergent"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, capsys):
    cells = json.loads(path.read_text())["cells"]
    namespace = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)  # the repo's own notebook
    assert EXPECTED[path.name] in capsys.readouterr().out
