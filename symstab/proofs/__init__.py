"""Proof back-ends: what backs a claim beyond symstab's own exact arithmetic.

* :mod:`~symstab.proofs.solver` -- z3's verdicts on polynomial inequalities (a solver verdict, no certificate).
"""

from .solver import Z3Proof, to_z3, z3_critical_proof

__all__ = ["Z3Proof", "to_z3", "z3_critical_proof"]
