"""Exact primitives, the bottom layer: every module above imports from here, and this imports nothing above.

* :mod:`~symstab.exact.numbers` -- strict parsing of user input, conversions between Fraction, sympy and flint rationals;
* :mod:`~symstab.exact.algebraic` -- real algebraic numbers: exact eigenvalues, largest roots, exact signs, root isolation, rigorous enclosures,
  outward-rounded decimals;
* :mod:`~symstab.exact.matrices` -- layer products (any scalar type), ranks, kernels, projectors, matrix conversions;
* :mod:`~symstab.exact.poly` -- the polynomial engine (python-flint ``fmpq_mpoly`` with a sympy bridge).
"""
