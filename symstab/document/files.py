"""Writing the compiled report: the ``.tex``, or a ``.pdf`` through pdflatex, with its formulas file and figures.

The formulas file ``<stem>.formulas.json`` holds every formula the document
states, in full (interface layer).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import InvalidInputError
from ..files import save_figure
from .latex import Document

__all__ = ["formulas_path", "write_document"]

def formulas_path(out) -> Path:
    """The machine-readable formulas file written next to a report: ``r.pdf`` -> ``r.formulas.json``."""
    out = Path(out)
    return out.with_name(out.stem + ".formulas.json")


def write_document(doc: Document, out, *, pdf: bool | None = None) -> list:
    """Write ``doc`` to ``out`` (LaTeX source, or with ``pdf`` -- default: a ``.pdf`` suffix -- a PDF through
    pdflatex) with its formulas file and figures next to it; return the paths written.

    For ``.pdf``, pdflatex runs twice (for the references) in a temporary directory;
    a failure raises :class:`~symstab.errors.InvalidInputError` on one line naming
    the first LaTeX error, with the ``.tex`` and the log kept next to ``out``. Without
    pdflatex the ``.tex`` is written and the error says how to compile it.
    """
    out = Path(out)
    written = []
    data = formulas_path(out)
    data.write_text(json.dumps({"formulas": doc.formulas}, indent=1) + "\n", encoding="utf-8")
    written.append(data)
    for name, fig in doc.figures.items():
        written.append(save_figure(fig, out.with_name(name), "figure"))
    if not (out.suffix.lower() == ".pdf" if pdf is None else pdf):
        out.write_text(doc.tex, encoding="utf-8")
        return [out, *written]
    tex_path = out.with_suffix(".tex")
    if shutil.which("pdflatex") is None:
        tex_path.write_text(doc.tex, encoding="utf-8")
        raise InvalidInputError(f"pdflatex is not installed: wrote {tex_path} instead; compile it with "
                                f"`pdflatex {tex_path.name}` where TeX Live is installed (Debian: texlive-latex-base)")
    with tempfile.TemporaryDirectory(prefix="symstab-report-") as tmp:
        work = Path(tmp)
        (work / "report.tex").write_text(doc.tex, encoding="utf-8")
        for name in doc.figures:
            shutil.copy(out.with_name(name), work / name)
        for _ in range(2):
            try:
                run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                                     cwd=work, capture_output=True, text=True, timeout=600, errors="replace")
            except subprocess.TimeoutExpired:
                raise InvalidInputError("pdflatex ran for more than 10 minutes; write --out report.tex and "
                                        "compile it yourself") from None
            if run.returncode != 0:
                log = out.with_suffix(".log")
                tex_path.write_text(doc.tex, encoding="utf-8")
                shutil.copy(work / "report.log", log) if (work / "report.log").exists() else log.write_text(run.stdout)
                first = next((line for line in run.stdout.splitlines() if line.startswith("!")), "unknown error")
                raise InvalidInputError(f"pdflatex failed: {first.lstrip('! ')}; the source is {tex_path} "
                                        f"and the log {log}")
        shutil.copy(work / "report.pdf", out)
    return [out, *written]
