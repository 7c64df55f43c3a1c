"""Hessian spectra at exact points (result A3, pointwise part).

At a rational point the Hessian is an exact rational symmetric matrix; its
characteristic polynomial is computed by python-flint, factored over Q, and each
non-zero eigenvalue is returned both as an exact algebraic number (a closed form
for factors of degree <= 2, a ``CRootOf`` otherwise) and as a rigorous enclosure
(arb balls from flint's certified complex root isolation, turned into exact
rational endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import flint
import sympy

from .errors import InvalidInputError
from .gdmap import _univariate

LAM = sympy.Symbol("lam")


def _exact(x) -> Fraction:
    """The exact rational value of an arf/mag midpoint or radius (``man * 2**exp``)."""
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def _enclose(ball) -> tuple:
    """Exact rational ``(lo, hi)`` containing the real arb ``ball``."""
    mid, rad = _exact(ball.mid()), _exact(ball.rad())
    return mid - rad, mid + rad


def _real_roots(factor, prec: int) -> list:
    """Enclosures of the (all real) roots of an irreducible ``fmpq_poly``, ascending, disjoint."""
    ints = flint.fmpz_poly([int(c * factor.denom()) for c in factor.coeffs()])
    old = flint.ctx.prec
    try:
        while True:
            flint.ctx.prec = prec
            roots = ints.complex_roots()
            boxes = []
            for root, mult in roots:
                if not root.imag.contains(0):
                    raise InvalidInputError("a Hessian eigenvalue is not real: the matrix is not symmetric")
                boxes.append(_enclose(root.real))
            boxes.sort()
            if all(a[1] < b[0] for a, b in zip(boxes, boxes[1:])):
                return boxes
            prec *= 2
    finally:
        flint.ctx.prec = old


def _closed_form(factor_sympy: sympy.Poly, k: int):
    """The k-th smallest real root of an irreducible factor: radicals up to degree 2, else CRootOf."""
    if factor_sympy.degree() <= 2:
        roots = sorted(sympy.roots(factor_sympy, multiple=True), key=lambda r: float(r))
        return roots[k] if roots[k].is_Rational else sympy.radsimp(roots[k])
    return sympy.CRootOf(factor_sympy, k)


@dataclass(frozen=True)
class Eigenvalue:
    """A non-zero Hessian eigenvalue: exact value, minimal polynomial, multiplicity, enclosure."""

    value: sympy.Expr
    minimal_polynomial: sympy.Expr
    multiplicity: int
    enclosure: tuple  # (lo, hi) exact Fractions

    def to_dict(self) -> dict:
        return {
            "value": sympy.sstr(self.value),
            "minimal_polynomial": sympy.sstr(self.minimal_polynomial),
            "multiplicity": self.multiplicity,
            "enclosure": [str(self.enclosure[0]), str(self.enclosure[1])],
            "float": float((self.enclosure[0] + self.enclosure[1]) / 2),
        }


@dataclass(frozen=True)
class Spectrum:
    """The exact spectrum of the Hessian at a rational point.

    ``nonzero`` lists the distinct non-zero eigenvalues in ascending order (exact sympy
    numbers); ``eigenvalues`` carries multiplicities and rigorous enclosures.
    """

    theta: tuple = field(repr=False)
    charpoly: sympy.Expr
    zero_multiplicity: int
    eigenvalues: tuple

    @property
    def nonzero(self) -> list:
        return [e.value for e in self.eigenvalues]

    @property
    def enclosures(self) -> list:
        return [e.enclosure for e in self.eigenvalues]

    @property
    def lambda_max(self):
        """The sharpness: the largest eigenvalue (``0`` when every other one is negative)."""
        if not self.eigenvalues:
            return sympy.Integer(0)
        top = self.eigenvalues[-1]
        if top.enclosure[0] > 0 or self.zero_multiplicity == 0:
            return top.value
        return sympy.Integer(0)

    @property
    def lambda_min_plus(self):
        """The smallest positive eigenvalue, or None."""
        positive = [e for e in self.eigenvalues if e.enclosure[0] > 0]
        return positive[0].value if positive else None

    def to_dict(self) -> dict:
        return {
            "theta": [str(t) for t in self.theta],
            "charpoly": sympy.sstr(self.charpoly),
            "zero_multiplicity": self.zero_multiplicity,
            "eigenvalues": [e.to_dict() for e in self.eigenvalues],
            "lambda_max": sympy.sstr(self.lambda_max),
            "evidence": "exact (algebraic numbers) with rigorous enclosures",
        }

    def latex(self) -> str:
        parts = [sympy.latex(e.value) + (f"^{{({e.multiplicity})}}" if e.multiplicity > 1 else "")
                 for e in self.eigenvalues]
        zero = f"0^{{({self.zero_multiplicity})}}" if self.zero_multiplicity else ""
        return r"\operatorname{spec} \nabla^2 L(\theta) = \left\{" + ", ".join(filter(None, [zero] + parts)) + r"\right\}"

    def __str__(self) -> str:
        lines = [f"charpoly: {sympy.sstr(self.charpoly)}", f"zero eigenvalue multiplicity: {self.zero_multiplicity}"]
        for e in self.eigenvalues:
            lo, hi = e.enclosure
            lines.append(f"  {sympy.sstr(e.value)} (x{e.multiplicity}) in [{float(lo):.12g}, {float(hi):.12g}]")
        return "\n".join(lines)


def spectrum_at(net, theta, *, prec: int = 64) -> Spectrum:
    """The exact Hessian spectrum of ``net`` at the rational point ``theta``.

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers
        Parameters in order (W1 row-major, W2, ...).
    prec : int
        Starting precision (bits) of the root enclosures; doubled until they separate.

    Returns
    -------
    Spectrum

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> s = spectrum_at(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), [1, 3, 4])
    >>> s.zero_multiplicity, s.nonzero
    (1, [1, 26])
    """
    from .parsing import to_exact

    point = tuple(to_exact(t, where="theta") for t in theta)
    cp = net.hessian_at(point).charpoly()
    coeffs = cp.coeffs()
    zero = next(i for i, c in enumerate(coeffs) if c != 0)
    _, factors = cp.factor()
    factors = [(f, int(m)) for f, m in factors if not (f.degree() == 1 and f.coeffs()[0] == 0)]
    while True:  # distinct irreducible factors have distinct roots: refine until all boxes separate
        boxes = [_real_roots(f, prec) for f, _ in factors]
        flat = sorted(b for bs in boxes for b in bs)
        if all(a[1] < b[0] for a, b in zip(flat, flat[1:])):
            break
        prec *= 2
    eigen = []
    for (f, mult), fboxes in zip(factors, boxes):
        f_sym = _univariate(f, LAM)
        for k, box in enumerate(fboxes):
            eigen.append(Eigenvalue(value=_closed_form(f_sym, k), minimal_polynomial=f_sym.monic().as_expr(),
                                    multiplicity=mult, enclosure=box))
    eigen.sort(key=lambda e: e.enclosure[0])
    charpoly = _univariate(cp, LAM).as_expr()
    return Spectrum(theta=point, charpoly=charpoly, zero_multiplicity=zero, eigenvalues=tuple(eigen))
