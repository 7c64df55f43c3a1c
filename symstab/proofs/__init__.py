"""Proof back-ends: what backs a claim beyond symstab's own exact arithmetic.

* :mod:`~symstab.proofs.solver` -- z3's verdicts on polynomial inequalities (a solver verdict, no certificate).
* :mod:`~symstab.proofs.certificates` -- certificates for results A1-A4 and B2, accepted by :mod:`symstab.check`.
* :mod:`~symstab.proofs.lower_bounds` -- result A5: certified lower and upper ends of ``min_M lambda_max``.
* :mod:`~symstab.proofs.coq`, :mod:`~symstab.proofs.render` -- Coq scripts and LaTeX fragments of certificates.
* :mod:`~symstab.proofs.catalogue` -- the stated cases behind ``symstab prove``.

Only the solver is imported here: ``critical/`` uses it, and the certificate modules sit
above ``critical/`` (import them by their module path).
"""

from .solver import Z3Proof, to_z3, z3_critical_proof

__all__ = ["Z3Proof", "to_z3", "z3_critical_proof"]
