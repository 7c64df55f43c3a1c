"""Real algebraic numbers (bottom layer): exact eigenvalues, root isolation, rigorous enclosures.

Every exact eigenvalue symstab reports comes from here. A real algebraic number
is known by an irreducible polynomial over Q and an isolating rational
interval; it is shown in closed form (a rational, radicals up to degree 2, else
a sympy ``CRootOf``) and enclosed rigorously:

* :func:`real_root_balls` gives the real roots of a squarefree integer polynomial
  as arb balls (python-flint's certified complex root finder), and
  :func:`real_root_boxes` isolates the (all real) roots of an irreducible
  polynomial by disjoint exact rational boxes (the balls turned into rational
  endpoints by :func:`ball_endpoints`);
* :func:`descending_eigenvalues` orders the eigenvalues of a symmetric rational
  matrix by exact joint real-root isolation of the factors of its
  characteristic polynomial (sympy, Vincent-Akritas-Strzebonski);
* :func:`enclose_algebraic` encloses any real algebraic sympy expression from its
  minimal polynomial; :func:`exact_sign` decides its sign;
* :func:`largest_real_root` gives the largest root of a real-rooted polynomial (a
  characteristic polynomial) as an :class:`Algebraic` that compares exactly with rationals;
* :func:`outward_decimal` and :func:`format_interval` print enclosures as
  decimals rounded outwards, so that a printed interval is still an enclosure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy

from ..errors import InvalidInputError
from .numbers import as_fmpq, as_fraction, as_rational

__all__ = [
    "Algebraic",
    "arf_to_fraction",
    "ball_endpoints",
    "descending_eigenvalues",
    "eigenvalues_exact",
    "enclose_algebraic",
    "exact_sign",
    "format_interval",
    "largest_real_root",
    "outward_decimal",
    "positive_cell_samples",
    "real_root_balls",
    "real_root_boxes",
    "root_closed_form",
    "root_value",
    "sign_changes",
    "tail_sum",
    "top_eigenvalue_upper",
    "univariate",
]

_x = sympy.Symbol("x")


# --- arb balls as exact rationals -----------------------------------------------------

def arf_to_fraction(x) -> Fraction:
    """The exact rational value of an arb midpoint (``arf``) or radius (``mag``): ``man * 2**exp``.

    Examples
    --------
    >>> arf_to_fraction(flint.arb("0.75").mid())
    Fraction(3, 4)
    """
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def ball_endpoints(ball) -> tuple:
    """Exact rational ``(lo, hi)`` containing the real arb ``ball``.

    Examples
    --------
    >>> lo, hi = ball_endpoints(flint.arb(2).sqrt())
    >>> lo**2 < 2 < hi**2, hi - lo < Fraction(1, 10**15)
    (True, True)
    """
    mid, rad = arf_to_fraction(ball.mid()), arf_to_fraction(ball.rad())
    return mid - rad, mid + rad


# --- root isolation ---------------------------------------------------------------------

def univariate(poly, symbol) -> sympy.Poly:
    """A python-flint ``fmpq_poly`` as a sympy ``Poly`` in ``symbol``.

    Examples
    --------
    >>> univariate(flint.fmpq_poly([1, 0, 2]), sympy.Symbol("lam"))
    Poly(2*lam**2 + 1, lam, domain='ZZ')
    """
    return sympy.Poly([as_rational(c) for c in reversed(poly.coeffs())], symbol)


def real_root_balls(poly, prec: int = 64) -> list:
    """The real roots of a squarefree polynomial over Z or Q as arb balls, ascending.

    python-flint's certified complex root isolation at ``prec`` bits returns every
    real root with an exactly zero imaginary part and keeps the other roots off the
    real axis, so the real roots are exactly those. At a low ``prec`` two balls may
    still overlap; a caller that needs them disjoint doubles ``prec``
    (:func:`real_root_boxes`).

    Parameters
    ----------
    poly : flint.fmpz_poly or flint.fmpq_poly
        Squarefree, of degree at least 1.
    prec : int
        Working precision in bits.

    Returns
    -------
    list of flint.arb
        One ball per real root, sorted by midpoint.

    Examples
    --------
    >>> p = flint.fmpz_poly([-2, 0, 0, 1]) * flint.fmpz_poly([-1, 0, 1])  # (x^3 - 2)(x^2 - 1)
    >>> [round(float(b.mid()), 6) for b in real_root_balls(p)]
    [-1.0, 1.0, 1.259921]
    """
    ints = poly.numer() if isinstance(poly, flint.fmpq_poly) else poly
    with flint.ctx.workprec(prec):
        return sorted((r.real for r, _ in ints.complex_roots() if r.imag.is_zero()), key=lambda b: float(b.mid()))


def real_root_boxes(factor, prec: int = 64) -> list:
    """Disjoint rational boxes of the (all real) roots of an irreducible ``fmpq_poly``, ascending.

    The balls of :func:`real_root_balls` at ``prec`` bits, ``prec`` doubled until they
    separate.

    Raises
    ------
    InvalidInputError
        A root is not real (the polynomial is not a symmetric matrix's factor).

    Examples
    --------
    >>> [tuple(map(float, b)) for b in real_root_boxes(flint.fmpq_poly([-2, 0, 1]), 30)]  # doctest: +ELLIPSIS
    [(-1.414213..., -1.414213...), (1.414213..., 1.414213...)]
    """
    while True:
        balls = real_root_balls(factor, prec)
        if len(balls) != factor.degree():
            raise InvalidInputError("a Hessian eigenvalue is not real: the matrix is not symmetric")
        boxes = sorted(ball_endpoints(b) for b in balls)
        if all(a[1] < b[0] for a, b in zip(boxes, boxes[1:])):
            return boxes
        prec *= 2


def root_closed_form(factor_sympy: sympy.Poly, k: int):
    """The k-th smallest real root of an irreducible factor: radicals up to degree 2, else ``CRootOf``.

    Examples
    --------
    >>> root_closed_form(sympy.Poly(_x**2 - 2, _x), 1)
    sqrt(2)
    """
    if factor_sympy.degree() <= 2:
        roots = sorted(sympy.roots(factor_sympy, multiple=True), key=lambda r: float(r))
        return roots[k] if roots[k].is_Rational else sympy.radsimp(roots[k])
    return sympy.CRootOf(factor_sympy, k)


def top_eigenvalue_upper(matrix) -> Fraction:
    """A rigorous rational upper bound of the largest eigenvalue of a symmetric ``flint.fmpq_mat``.

    The characteristic polynomial is factored over Q and each factor's real roots
    are isolated (:func:`real_root_boxes`); the top box's upper end is returned.

    Examples
    --------
    >>> top_eigenvalue_upper(flint.fmpq_mat([[2, 1], [1, 2]])) >= 3
    True
    """
    return max(box[1] for f, _ in matrix.charpoly().factor()[1] if f.degree() > 0 for box in real_root_boxes(f, 64))


def positive_cell_samples(polys, var) -> list:
    """Rational points, one in every open cell of ``(0, oo)`` cut by the positive roots of ``polys``.

    Exact: the roots are isolated by rational intervals (sympy), refined until
    they are disjoint and away from 0; samples are the interval endpoints and
    midpoints between them, minus any point that is itself a root.

    Examples
    --------
    >>> t = sympy.Symbol("t")
    >>> positive_cell_samples([sympy.Poly(t - 1, t)], t)
    [1/2, 2]
    """
    polys = [p for p in polys if p.degree() > 0]
    if not polys:
        return [sympy.Integer(1)]
    step = sympy.Rational(1, 10**6)
    while True:
        boxes = sorted(((a, b) for (a, b), _ in sympy.intervals(polys, eps=step, inf=0) if b > 0))
        if all(a > 0 for a, _ in boxes) and all(b1 < a2 for (_, b1), (a2, _) in zip(boxes, boxes[1:])):
            break
        step /= 1000
    if not boxes:
        return [sympy.Integer(1)]
    points = [boxes[0][0] / 2, boxes[-1][1] + 1]
    for (a1, b1), (a2, b2) in zip(boxes, boxes[1:]):
        points.extend([b1, (b1 + a2) / 2, a2])
    return [p for p in points if all(q.eval(p) != 0 for q in polys)]


def sign_changes(coeffs) -> int:
    """Sign changes in a coefficient sequence (zeros skipped): Descartes' rule of signs.

    Examples
    --------
    >>> sign_changes([1, 0, -3, 2])
    2
    """
    signs = [c > 0 for c in coeffs if c != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


# --- exact eigenvalues of symmetric rational matrices -------------------------------------

def descending_eigenvalues(K: sympy.Matrix) -> list:
    """Exact eigenvalues of the symmetric rational ``K``, descending, with multiplicity.

    Each eigenvalue is a key ``(f, i)``: the ``i``-th real root (ascending) of the
    monic irreducible factor ``f`` of ``det(x I - K)``. The order comes from
    exact real-root isolation of the square-free part (disjoint rational
    intervals), so equal eigenvalues have equal keys and distinct ones are
    ordered rigorously. :func:`root_value` turns a key into a number.

    Examples
    --------
    >>> [root_value(k) for k in descending_eigenvalues(sympy.Matrix([[2, 1], [1, 2]]))]
    [3, 1]
    """
    _, factors = sympy.factor_list(K.charpoly(_x).as_expr(), _x)
    polys = [(sympy.Poly(f, _x, domain="QQ").monic(), e) for f, e in factors]
    # joint isolation: every interval belongs to exactly one irreducible factor (distinct
    # irreducibles share no root), and the intervals are ordered and pairwise disjoint
    seen = [0] * len(polys)
    out = []
    for _, owners in sorted(sympy.intervals([f for f, _ in polys]), key=lambda item: item[0]):
        for k in owners:
            f, e = polys[k]
            out.extend([(f, seen[k] if f.degree() > 1 else 0)] * e)
            seen[k] += 1
    if len(out) != K.rows:
        raise RuntimeError("internal error: a symmetric matrix has non-real eigenvalues")
    return list(reversed(out))


def root_value(key, radicals: bool = True):
    """The exact eigenvalue of a key of :func:`descending_eigenvalues`: a Rational, radicals (degree 2) or ``CRootOf``."""
    f, index = key
    return sympy.rootof(f.as_expr(), index, radicals=radicals and f.degree() <= 2)


def eigenvalues_exact(matrix: sympy.Matrix) -> list:
    """Eigenvalues of a rational symmetric matrix, exact, ascending (with repeats).

    The order is decided by exact real-root isolation, not by a float evaluation.

    Examples
    --------
    >>> eigenvalues_exact(sympy.Matrix([[1, 1], [1, 1]]))
    [0, 2]
    """
    return [root_value(key) for key in reversed(descending_eigenvalues(sympy.Matrix(matrix)))]


def enclose_algebraic(value, eps: Fraction) -> tuple:
    """A rigorous rational enclosure ``(lo, hi)``, ``hi - lo <= eps``, of a real algebraic number.

    The minimal polynomial is computed exactly (sympy); its real roots are
    isolated by exact rational intervals (Vincent-Akritas-Strzebonski, sympy's
    ``Poly.intervals``), and the one interval containing a 30-digit-safe
    approximation of ``value`` is returned. Raises when the choice is ambiguous.

    Parameters
    ----------
    value : sympy expression (a real algebraic number)
    eps : Fraction

    Returns
    -------
    tuple of Fraction

    Examples
    --------
    >>> lo, hi = enclose_algebraic(sympy.sqrt(2), Fraction(1, 10**6))
    >>> lo <= Fraction(14142135, 10**7) <= hi, hi - lo <= Fraction(1, 10**6)
    (True, True)
    """
    value = sympy.sympify(value)
    if value.is_Rational:
        v = as_fraction(value)
        return v, v
    poly = sympy.minimal_polynomial(value, _x, polys=True)
    approx = sympy.Rational(str(sympy.N(value, 60)))
    slack = sympy.Rational(1, 10**45)
    step = as_rational(eps)
    hits = [(a, b) for (a, b), _ in poly.intervals(eps=step)
            if a - slack <= approx <= b + slack]
    if len(hits) != 1:
        raise RuntimeError(f"could not isolate the algebraic number {value} (found {len(hits)} candidates)")
    a, b = hits[0]
    return as_fraction(a), as_fraction(b)


def tail_sum(eigenvalues, r: int):
    """``sum_{i > r} lambda_i`` of descending eigenvalue keys, exactly: whole factors by their trace, the rest root by root.

    Examples
    --------
    >>> tail_sum(descending_eigenvalues(sympy.diag(3, 2, 1)), 1)
    3
    """
    top, bottom = eigenvalues[:r], eigenvalues[r:]
    total = sympy.Integer(0)
    done = set()
    for lam in bottom:
        if lam in done:
            continue
        f = lam[0]
        roots = [mu for mu in dict.fromkeys(eigenvalues) if mu[0] == f]
        mult = bottom.count(lam)
        if all(mu not in top for mu in roots):
            coeffs = f.all_coeffs()
            total += mult * (-coeffs[1] / coeffs[0])
            done.update(roots)
        else:
            total += mult * root_value(lam)
            done.add(lam)
    return sympy.expand(total)


# --- the largest root of a real-rooted polynomial, and exact signs ------------------------------

@dataclass(frozen=True)
class Algebraic:
    """The largest real root of an irreducible integer polynomial ``poly``.

    ``expr`` is its closed form (a Rational, a quadratic surd or a ``CRootOf``) and
    ``value`` a float approximation.
    """

    poly: sympy.Poly
    expr: sympy.Expr
    value: float

    def compare(self, q: Fraction) -> int:
        """Exact sign of ``self - q`` for a rational q.

        Examples
        --------
        >>> root = largest_real_root(flint.fmpq_poly([-2, 0, 1]))  # sqrt(2)
        >>> root.compare(Fraction(7, 5)), root.compare(Fraction(3, 2))
        (1, -1)
        """
        q_s = as_rational(q)
        if self.poly.degree() == 1 or self.expr.is_Rational:
            diff = self.expr - q_s
            return int(diff.p > 0) - int(diff.p < 0)
        # Irreducible of degree >= 2, so q is not a root; all roots are real, so
        # Descartes' rule of signs on f(x + q) counts the roots above q exactly.
        f = flint.fmpq_poly([int(c) for c in reversed(self.poly.all_coeffs())])
        shifted = f(flint.fmpq_poly([as_fmpq(q), 1]))
        return 1 if sign_changes(shifted.coeffs()) > 0 else -1


def largest_real_root(charpoly: "flint.fmpq_poly") -> Algebraic:
    """Exact largest root of a polynomial whose roots are all real.

    The roots being real is the caller's guarantee: characteristic polynomials of
    symmetric matrices or of ``C^{-1} D`` (similar to a symmetric matrix).  The
    polynomial is factored over Q and the factor carrying the largest root chosen
    by flint's certified complex roots.

    Parameters
    ----------
    charpoly : python-flint fmpq_poly

    Returns
    -------
    Algebraic

    Examples
    --------
    >>> largest_real_root(flint.fmpq_poly([6, -5, 1])).expr  # (x - 2)(x - 3)
    3
    >>> largest_real_root(flint.fmpq_poly([-1, 0, 2])).expr
    sqrt(2)/2
    >>> largest_real_root(flint.fmpq_poly([-1, 6, -9, 3])).expr
    CRootOf(3*x**3 - 9*x**2 + 6*x - 1, 2)
    """
    _, factors = charpoly.factor()
    best = None
    for factor, _mult in factors:
        z = factor.numer()
        roots = [r.real.mid() for r, _m in z.complex_roots()]
        top = max(float(r) for r in roots)
        if best is None or top > best[1]:
            best = (z, top)
    z, top = best
    # The float is the arb midpoint at flint's working precision, not an end of
    # exact.algebraic.real_root_boxes: it is reported (lambda_1_float, eta_star_float).
    poly = univariate(z, _x)
    if poly.degree() == 2:
        # The quadratic formula, not exact.algebraic.root_closed_form: that one goes
        # through sympy.roots, which may rescale the polynomial first, and for large
        # coefficients the surd can then come out in another (equal) printed form.
        a, b, c = poly.all_coeffs()
        if a < 0:
            a, b, c = -a, -b, -c
        expr = sympy.radsimp((-b + sympy.sqrt(b * b - 4 * a * c)) / (2 * a))
    else:
        # a Rational, or CRootOf(poly, degree - 1): all roots real, the last one is the largest
        expr = root_closed_form(poly, poly.degree() - 1)
    return Algebraic(poly, expr, float(top))


def exact_sign(expr) -> int:
    """Exact sign of a real algebraic sympy expression (evaluation, then zero test).

    Parameters
    ----------
    expr : sympy expression or number
        A real algebraic number (rationals, radicals, ``CRootOf``).

    Returns
    -------
    int
        -1, 0 or 1.

    Examples
    --------
    >>> exact_sign(sympy.sqrt(2) - sympy.Rational(7, 5)), exact_sign(sympy.sqrt(8) - 2 * sympy.sqrt(2))
    (1, 0)
    """
    expr = sympy.sympify(expr)
    if expr.is_Rational:
        return int(expr.p > 0) - int(expr.p < 0)
    value = sympy.N(expr, 60)
    if abs(value) > sympy.Float(10) ** -45:
        return 1 if value > 0 else -1
    if expr.equals(0):
        return 0
    value = sympy.N(expr, 300)
    if value == 0:
        raise InvalidInputError(f"cannot decide the sign of {expr}")
    return 1 if value > 0 else -1


# --- printing enclosures without losing rigour ----------------------------------------------

def outward_decimal(q, floor: bool, digits: int = 40) -> str:
    """``q`` as a decimal with ``digits`` places, rounded down (``floor``) or up.

    Printed interval ends stay enclosures: ``[outward_decimal(lo, True),
    outward_decimal(hi, False)]`` contains ``[lo, hi]``.

    >>> outward_decimal(Fraction(2, 3), True, 4), outward_decimal(Fraction(2, 3), False, 4)
    ('0.6666', '0.6667')
    """
    q = Fraction(q)
    scale = 10**digits
    n = (q.numerator * scale) // q.denominator if floor else -((-q.numerator * scale) // q.denominator)
    sign = "-" if n < 0 else ""
    n = abs(n)
    whole, frac = divmod(n, scale)
    return f"{sign}{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}"


def format_interval(lo, hi, significant: int = 12) -> str:
    """``"[lo, hi]"`` with about ``significant`` digits, rounded outwards (still an enclosure).

    >>> format_interval(Fraction(1, 3), Fraction(1, 3), 5)
    '[0.33333, 0.33334]'
    """
    lo, hi = Fraction(lo), Fraction(hi)
    size = max(abs(lo), abs(hi))
    exponent = math.floor(math.log10(size)) if size else 0
    places = max(0, significant - 1 - exponent)
    return f"[{outward_decimal(lo, True, places)}, {outward_decimal(hi, False, places)}]"
