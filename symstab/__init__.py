"""symstab: exact verification of gradient-descent stability for linear networks.

The exact layer (python-flint polynomials, sympy for display) derives the GD map's
Jacobian determinant, the manifold of minima, spectra and critical step sizes; see
``../shared/MATH.md`` for the mathematical contract.
"""

from .errors import SymstabError
from .network import LinearNetwork

__version__ = "0.1.0"
__all__ = ["LinearNetwork", "SymstabError", "__version__"]
