"""The compiled report (interface layer): a standalone LaTeX appendix of A1-A6 or B1-B3, behind ``symstab report``.

:func:`network_document` typesets an analysis (:func:`symstab.report.analyze`) as
theorem-style statements A1-A5, in that order, each followed by the kind of
evidence that backs it and the data of its checked certificate
(:mod:`symstab.proofs`), with an observation A6 and its figure when a sweep is
given. :func:`sgd_document` does the same for paper B's SGD analysis (B1-B3).
Points are labelled once (``\\tag`` and ``\\label``) and referred to by label.
A formula too large to typeset is stated by its size (terms, degree) and the key
under which the machine-readable formulas file (JSON, written next to the report)
holds it in full. The document needs only ``fontenc``, ``amsmath``, ``amssymb``,
``amsthm``, ``geometry`` and, with a figure, ``graphicx`` (all in texlive-latex-base).
:func:`write_document` writes the ``.tex`` or runs pdflatex for a ``.pdf``.
"""

from .files import formulas_path, write_document
from .latex import Document
from .network import network_document
from .sgd import sgd_document

__all__ = ["Document", "formulas_path", "network_document", "sgd_document", "write_document"]
