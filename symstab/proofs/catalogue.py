"""The stated list of certified cases behind ``symstab prove`` (results A1-A5 and B2), and the writer.

``CASES[result]`` lists ``(name, build)`` pairs; ``prove(results, out)`` builds each
certificate (every one is accepted by the independent checker before it is
written) and writes ``out/<name>.json``, ``.tex`` and, where Coq applies, ``.v``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputError
from ..network import LinearNetwork
from .certificates import a1_certificate, a2_certificate, a3_certificate, a4_certificate, b_certificate
from .coq import coq_script, coq_supported
from .lower_bounds import a5_certificate
from .render import certificate_latex

__all__ = ["CASES", "RESULTS", "prove"]

RESULTS = ("A1", "A2", "A3", "A4", "A5", "B")


def _w(widths, target):
    return LinearNetwork.whitened(widths, target)


CASES = {
    "A1": [
        ("A1_1-1-2_target-3-4", lambda: a1_certificate(_w((1, 1, 2), [[3], [4]]))),
        ("A1_2-1-2_target-1-2-3-4", lambda: a1_certificate(_w((2, 1, 2), [[1, 2], [3, 4]]))),
        ("A1_2-2-2_target-3-0-0-1", lambda: a1_certificate(_w((2, 2, 2), [[3, 0], [0, 1]]))),
        ("A1_1-2-2-1_target-3", lambda: a1_certificate(_w((1, 2, 2, 1), [[3]]))),
    ],
    "A2": [
        ("A2_1-1-2_target-3-4", lambda: a2_certificate(_w((1, 1, 2), [[3], [4]]))),
        ("A2_2-2-2_target-5-0-0-2", lambda: a2_certificate(_w((2, 2, 2), [[5, 0], [0, 2]]))),
        ("A2_2-1-2_non-filling_target-3-0-0-1", lambda: a2_certificate(_w((2, 1, 2), [[3, 0], [0, 1]]))),
        ("A2_1-2-2-1_target-3", lambda: a2_certificate(_w((1, 2, 2, 1), [[3]]))),
    ],
    "A3": [
        ("A3_1-1-2_proper", lambda: a3_certificate(_w((1, 1, 2), [[3], [4]]))),
        ("A3_2-2-2_proper", lambda: a3_certificate(_w((2, 2, 2), [[5, 0], [0, 2]]))),
        ("A3_1-2-2-1_not-proper", lambda: a3_certificate(_w((1, 2, 2, 1), [[3]]))),
    ],
    "A4": [
        ("A4_1-1-2_stable", lambda: a4_certificate(_w((1, 1, 2), [[3], [4]]), [1, 3, 4], "1/20")),
        ("A4_1-1-2_marginal", lambda: a4_certificate(_w((1, 1, 2), [[3], [4]]), [1, 3, 4], "1/13")),
        ("A4_1-1-2_unstable", lambda: a4_certificate(_w((1, 1, 2), [[3], [4]]), [1, 3, 4], "1/10")),
        ("A4_2-2-2_stable", lambda: a4_certificate(_w((2, 2, 2), [[5, 0], [0, 2]]), [1, 0, 0, 1, 5, 0, 0, 2], "1/20")),
    ],
    "A5": [
        ("A5_1-1-1_data", lambda: a5_certificate(LinearNetwork((1, 1, 1), [[2, 1]], [[3, 4]]))),
        ("A5_1-1-1-1_target-8", lambda: a5_certificate(_w((1, 1, 1, 1), [[8]]))),
        ("A5_1-1-2_target-3-4", lambda: a5_certificate(_w((1, 1, 2), [[3], [4]]))),
        ("A5_2-2-2_target-5-0-0-2", lambda: a5_certificate(_w((2, 2, 2), [[5, 0], [0, 2]]))),
        ("A5_2-1-2_non-filling_target-3-0-0-1", lambda: a5_certificate(_w((2, 1, 2), [[3, 0], [0, 1]]))),
    ],
    "B": [
        ("B_uniform-counterexample_n2_B1", lambda: b_certificate([[[0, 0], [0, 1]], [[0, 0], [0, 4]]], 1)),
        ("B_n3_B2_without-replacement", lambda: b_certificate(
            [[[2, 1], [1, 1]], [[1, 0], [0, 3]], [[0, 0], [0, 1]]], 2, "without_replacement")),
    ],
}


def prove(results, out, progress=None) -> list:
    """Build and write the certificates of ``results`` (names from :data:`RESULTS` or ``"all"``) under ``out``.

    Returns the list of written paths; ``progress(done, total)`` is called after each case.
    """
    wanted = list(RESULTS) if "all" in results else list(dict.fromkeys(results))
    unknown = [r for r in wanted if r not in CASES]
    if unknown:
        raise InvalidInputError(f"unknown result {unknown[0]!r}; choose all or one of {', '.join(RESULTS)}")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InvalidInputError(f"cannot create the output directory {out}: {err.strerror}") from None
    todo = [case for r in wanted for case in CASES[r]]
    written = []
    for k, (name, build) in enumerate(todo, 1):
        cert = build()
        base = out / name.replace("-", "_")  # a Coq file name must be an identifier
        cert.write(base.with_suffix(".json"))
        base.with_suffix(".tex").write_text(certificate_latex(cert.data, name), encoding="utf-8")
        written += [base.with_suffix(".json"), base.with_suffix(".tex")]
        if coq_supported(cert.data) is None:
            base.with_suffix(".v").write_text(coq_script(cert.data), encoding="utf-8")
            written.append(base.with_suffix(".v"))
        if progress is not None:
            progress(k, len(todo))
    return written
