"""Audits: try to break a conjecture before proving it (search, shrink, show as mathematics).

:func:`audit` searches a hypothesis strategy (see :mod:`symstab.strategies`) for a
counterexample to a claim and shrinks it; :func:`catalogue` lists the named claims about
results A1-A6 and B1-B3 (true ones, and false statements from the literature's
summaries), each with its statement, source and expected verdict. "none found" is never
a proof.
"""

from . import claims  # noqa: F401  (registers the named claims)
from .engine import VERDICTS, AuditResult, Check, Claim, audit, catalogue, compare, register
from .render import jsonable, latex_value

__all__ = ["VERDICTS", "AuditResult", "Check", "Claim", "audit", "catalogue", "compare", "jsonable",
           "latex_value", "register"]
