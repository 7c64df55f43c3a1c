"""symstab: exact verification of gradient-descent stability for linear networks.

The exact layer (python-flint polynomials, sympy for display) derives the GD map's
Jacobian determinant, the manifold of minima, spectra and critical step sizes; the
numerical layer checks them with GD trajectories. The mathematics (results A1-A6
and B1-B3, conventions, closed forms) is in the project's ``docs/theory.md``; the
README's architecture section shows which module holds which result.
"""

from .audits import AuditResult, audit
from .errors import SymstabError
from .network import LinearNetwork

__version__ = "0.1.0"
__all__ = ["AuditResult", "LinearNetwork", "SymstabError", "__version__", "audit"]
