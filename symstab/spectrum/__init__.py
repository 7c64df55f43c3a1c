"""Result A3: Hessian spectra on M, the properness of the sharpness, escape and bounded-sharpness curves.

* :mod:`~symstab.spectrum.pointwise` -- exact spectra at rational points, the ``d_0 d_H`` normal operator on M,
  rigorous sharpness enclosures for large Hessians;
* :mod:`~symstab.spectrum.along` -- closed-form spectra along all of M;
* :mod:`~symstab.spectrum.curves` -- escape curves (``lambda_min^+ -> 0``) and bounded-sharpness curves;
* :mod:`~symstab.spectrum.proper` -- the A3 dichotomy: a properness proof or a disproof;
* :mod:`~symstab.spectrum.plots` -- the figure: eigenvalues along those curves against ``||theta||``.

Every public name is re-exported here: ``from symstab.spectrum import properness``.
"""

from .along import SpectrumAlongM, spectrum_along
from .curves import TAU, BoundedSharpnessCurve, EscapeCurve, bounded_sharpness_curve, escape_curve
from .plots import plot_spectrum_curves
from .pointwise import (EXACT_SPECTRUM_SECONDS, LAM, Eigenvalue, Spectrum, normal_operator, sharpness_enclosure,
                        spectrum_at)
from .proper import ProperProof, hessian_rank_bound, jacobian_frobenius_squared, properness

__all__ = [
    "EXACT_SPECTRUM_SECONDS",
    "LAM",
    "TAU",
    "BoundedSharpnessCurve",
    "Eigenvalue",
    "EscapeCurve",
    "ProperProof",
    "Spectrum",
    "SpectrumAlongM",
    "bounded_sharpness_curve",
    "escape_curve",
    "hessian_rank_bound",
    "jacobian_frobenius_squared",
    "normal_operator",
    "plot_spectrum_curves",
    "properness",
    "sharpness_enclosure",
    "spectrum_along",
    "spectrum_at",
]
