import importlib.util
from pathlib import Path

PROOFS = Path(__file__).resolve().parents[1] / "proofs"


def test_a1_document_is_current():
    spec = importlib.util.spec_from_file_location("generate_a1", PROOFS / "generate_a1.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (PROOFS / "A1_certificates.tex").read_text() == module.render()
