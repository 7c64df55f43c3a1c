"""Real number fields Q(alpha) (bottom layer): exact points of M with irrational coordinates.

When the minimal product of a non-filling network is irrational (result A2), its
points are not rational, but they lie in a real number field ``K = Q(alpha)``.
This module makes them exact, typed values that the point APIs accept:

* :class:`NumberField` -- ``alpha`` is the root of an irreducible ``f in Q[x]``
  in an isolating rational interval; it encloses ``alpha`` to any precision;
* :class:`FieldElement` -- ``p(alpha)`` with ``p`` reduced modulo ``f`` (a
  python-flint ``fmpq_poly``): exact ``+ - * /``, equality, and an exact sign
  (zero iff ``p = 0``; otherwise arb balls at rising precision);
* :class:`AlgebraicPoint` -- a tuple of elements of one field, a parameter vector;
* :func:`field_from_sympy` / :func:`algebraic_point` -- real algebraic sympy
  numbers (radicals, ``CRootOf``) put into one field, via the single algebraic atom
  they are written in or sympy's primitive element;
* :func:`field_rref` -- Gauss-Jordan elimination over any exact field (used for
  rank factorisations of irrational targets).

The spectrum of a matrix over ``K`` is in :mod:`symstab.exact.fieldspectrum`.
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral, Rational

import flint
import sympy

from ..errors import InvalidInputError
from .algebraic import ball_endpoints, enclose_algebraic
from .numbers import parse_number

__all__ = ["AlgebraicPoint", "FieldElement", "NumberField", "adjoin_root", "algebraic_point", "field_from_sympy", "field_rref",
           "is_field_point"]

_t = sympy.Dummy("t")


def _fmpq(value) -> "flint.fmpq":
    if isinstance(value, flint.fmpq):
        return value
    if isinstance(value, (Integral, flint.fmpz)):
        return flint.fmpq(int(value))
    if isinstance(value, sympy.Rational):
        return flint.fmpq(int(value.p), int(value.q))
    if isinstance(value, Rational):
        return flint.fmpq(int(value.numerator), int(value.denominator))
    raise TypeError(f"not a rational number: {value!r}")


class NumberField:
    """``Q(alpha)``, ``alpha`` the only root of the irreducible ``minpoly`` in ``[lo, hi]``.

    Parameters
    ----------
    minpoly : python-flint ``fmpq_poly``, irreducible over Q, degree >= 1
    interval : (Fraction, Fraction)
        Rational ends isolating one real root.
    generator : sympy expression, optional
        The closed form of ``alpha`` (radicals or ``CRootOf``), used to print elements.

    Examples
    --------
    >>> K = NumberField(flint.fmpq_poly([-2, 0, 1]), (Fraction(1), Fraction(2)))
    >>> a = K.gen
    >>> a * a == 2, (1 / (1 + a)).to_sympy()
    (True, -1 + sqrt(2))
    """

    def __init__(self, minpoly, interval, generator=None):
        f = flint.fmpq_poly(minpoly)
        if f.degree() < 1:
            raise InvalidInputError("a number field needs a minimal polynomial of degree >= 1")
        _, factors = f.factor()
        if len(factors) != 1 or factors[0][1] != 1:
            raise InvalidInputError(f"the minimal polynomial {f} is not irreducible over Q")
        lo, hi = Fraction(interval[0]), Fraction(interval[1])
        poly = sympy.Poly([sympy.Rational(str(c)) for c in reversed(f.coeffs())], _t)
        if lo > hi or poly.count_roots(sympy.Rational(lo.numerator, lo.denominator),
                                       sympy.Rational(hi.numerator, hi.denominator)) != 1:
            raise InvalidInputError(f"[{lo}, {hi}] does not isolate one real root of {f}")
        self.minpoly = f * (1 / f.coeffs()[-1])  # monic
        self.degree = f.degree()
        self._interval = (lo, hi)
        if generator is None:
            index = sum(1 for r in poly.real_roots() if r < sympy.Rational(lo.numerator, lo.denominator))
            generator = sympy.rootof(poly.as_expr().subs(_t, sympy.Symbol("x")), index, radicals=f.degree() <= 2)
        self.generator = generator

    def __repr__(self) -> str:
        return f"NumberField(Q({sympy.sstr(self.generator)}), minpoly {self.minpoly})"

    def same_as(self, other) -> bool:
        """True when ``other`` is this field with the same generator (same polynomial, same root)."""
        if self is other:
            return True
        if not isinstance(other, NumberField) or self.minpoly != other.minpoly:
            return False
        (a, b), (c, d) = self.interval(Fraction(1, 2**40)), other.interval(Fraction(1, 2**40))
        return not (b < c or d < a) and self._isolates(max(a, c), min(b, d))

    def _isolates(self, lo, hi) -> bool:
        return lo <= hi and self._sign(lo) * self._sign(hi) <= 0

    def _sign(self, q: Fraction) -> int:
        v = self.minpoly(flint.fmpq(q.numerator, q.denominator))
        return (v > 0) - (v < 0)

    def interval(self, width: Fraction) -> tuple:
        """An isolating interval of ``alpha`` no wider than ``width`` (bisection, exact)."""
        lo, hi = self._interval
        if lo == hi:
            return lo, hi
        s_lo = self._sign(lo)
        while hi - lo > width:
            mid = (lo + hi) / 2
            s = self._sign(mid)
            if s == 0:
                lo = hi = mid
                break
            if s == s_lo:
                lo = mid
            else:
                hi = mid
        self._interval = (lo, hi)
        return lo, hi

    def ball(self, prec: int) -> "flint.arb":
        """An arb ball containing ``alpha`` of radius about ``2^-prec``."""
        lo, hi = self.interval(Fraction(1, 2**prec))
        with flint.ctx.workprec(prec + 20):
            a, b = flint.arb(flint.fmpq(lo.numerator, lo.denominator)), flint.arb(flint.fmpq(hi.numerator, hi.denominator))
            return a.union(b)

    def __call__(self, value) -> "FieldElement":
        """An element from a rational, an ``fmpq_poly`` in ``alpha``, or a coefficient list (constant first)."""
        if isinstance(value, FieldElement):
            if not value.field.same_as(self):
                raise InvalidInputError("elements of different number fields cannot be combined")
            return value
        if isinstance(value, flint.fmpq_poly):
            return FieldElement(self, value % self.minpoly)
        if isinstance(value, (list, tuple)):
            return FieldElement(self, flint.fmpq_poly([_fmpq(c) for c in value]) % self.minpoly)
        return FieldElement(self, flint.fmpq_poly([_fmpq(value)]))

    @property
    def gen(self) -> "FieldElement":
        return self(flint.fmpq_poly([0, 1]))

    def from_poly_expr(self, expr, symbol) -> "FieldElement":
        """The element ``q(alpha)`` of a sympy polynomial ``q`` in ``symbol`` with rational coefficients."""
        p = sympy.Poly(sympy.expand(expr), symbol, domain="QQ")
        return self(flint.fmpq_poly([_fmpq(c) for c in reversed(p.all_coeffs())]))

    def from_sympy(self, expr) -> "FieldElement":
        """The element equal to a real algebraic sympy number of this field (its atoms are expressed in the
        generator with sympy's ``to_number_field``; :class:`InvalidInputError` when one is not in the field)."""
        return _element(self, expr)


class FieldElement:
    """An exact element ``p(alpha)`` of a :class:`NumberField` (``p`` reduced modulo the minimal polynomial).

    Supports ``+ - * /`` and ``**`` (integer) with elements of the same field and
    with rationals, exact ``==``, ``sign()`` and the orderings, ``float()``.
    """

    __slots__ = ("field", "poly")

    def __init__(self, field: NumberField, poly):
        self.field = field
        self.poly = poly

    def _coerce(self, other):
        if isinstance(other, FieldElement):
            if not other.field.same_as(self.field):
                raise InvalidInputError("elements of different number fields cannot be combined")
            return other.poly
        try:
            return flint.fmpq_poly([_fmpq(other)])
        except TypeError:
            return None

    def __add__(self, other):
        p = self._coerce(other)
        return NotImplemented if p is None else FieldElement(self.field, self.poly + p)

    __radd__ = __add__

    def __sub__(self, other):
        p = self._coerce(other)
        return NotImplemented if p is None else FieldElement(self.field, self.poly - p)

    def __rsub__(self, other):
        p = self._coerce(other)
        return NotImplemented if p is None else FieldElement(self.field, p - self.poly)

    def __mul__(self, other):
        p = self._coerce(other)
        if p is None:
            return NotImplemented
        prod = self.poly * p
        return FieldElement(self.field, prod % self.field.minpoly if prod.degree() >= self.field.degree else prod)

    __rmul__ = __mul__

    def __neg__(self):
        return FieldElement(self.field, -self.poly)

    def __pos__(self):
        return self

    def inverse(self) -> "FieldElement":
        """``1 / self`` by the extended Euclidean algorithm modulo the minimal polynomial."""
        if self.poly.is_zero():
            raise ZeroDivisionError("division by zero in a number field")
        g, s, _ = self.poly.xgcd(self.field.minpoly)
        return FieldElement(self.field, (s * (1 / g.coeffs()[0])) % self.field.minpoly)

    def __truediv__(self, other):
        p = self._coerce(other)
        if p is None:
            return NotImplemented
        return self * FieldElement(self.field, p).inverse()

    def __rtruediv__(self, other):
        p = self._coerce(other)
        return NotImplemented if p is None else FieldElement(self.field, p) * self.inverse()

    def __pow__(self, k):
        if not isinstance(k, Integral):
            return NotImplemented
        base, out = (self if k >= 0 else self.inverse()), FieldElement(self.field, flint.fmpq_poly([1]))
        for _ in range(abs(int(k))):
            out = out * base
        return out

    def __eq__(self, other):
        p = self._coerce(other)
        return NotImplemented if p is None else self.poly == p

    def __hash__(self):
        return hash(Fraction(str(self.poly.coeffs()[0]))) if self.is_rational() and self.poly.degree() >= 0 else (
            0 if self.poly.is_zero() else hash(str(self.poly)))

    def __bool__(self):
        return not self.poly.is_zero()

    def is_rational(self) -> bool:
        return self.poly.degree() <= 0

    def to_fraction(self) -> Fraction:
        """The value as a Fraction (rational elements only)."""
        if not self.is_rational():
            raise InvalidInputError(f"{self} is irrational")
        return Fraction(str(self.poly.coeffs()[0])) if self.poly.degree() == 0 else Fraction(0)

    def ball(self, prec: int) -> "flint.arb":
        """An arb ball containing the value."""
        a = self.field.ball(prec)
        with flint.ctx.workprec(prec + 20):
            out = flint.arb(0)
            for c in reversed(self.poly.coeffs()):
                out = out * a + flint.arb(c)
            return out

    def enclosure(self, prec: int = 64) -> tuple:
        """Rational ``(lo, hi)`` containing the value."""
        return ball_endpoints(self.ball(prec))

    def sign(self) -> int:
        """The exact sign: 0 iff the reduced polynomial is 0, else decided on arb balls of rising precision."""
        if self.poly.is_zero():
            return 0
        prec = 64
        while True:
            b = self.ball(prec)
            if b > 0:
                return 1
            if b < 0:
                return -1
            prec *= 2

    def __lt__(self, other):
        return (self - other).sign() < 0

    def __le__(self, other):
        return (self - other).sign() <= 0

    def __gt__(self, other):
        return (self - other).sign() > 0

    def __ge__(self, other):
        return (self - other).sign() >= 0

    def __abs__(self):
        return -self if self.sign() < 0 else self

    def __float__(self):
        return float(self.ball(80).mid())

    def to_poly_expr(self, symbol) -> sympy.Expr:
        """The reduced polynomial ``p`` as a sympy expression in ``symbol`` (standing for ``alpha``)."""
        return sum((sympy.Rational(str(c)) * symbol**k for k, c in enumerate(self.poly.coeffs())), sympy.Integer(0))

    def to_sympy(self) -> sympy.Expr:
        """The value as a sympy expression in the field's generator."""
        g = self.field.generator
        expr = sum((sympy.Rational(str(c)) * g**k for k, c in enumerate(self.poly.coeffs())), sympy.Integer(0))
        return sympy.expand(expr)

    def __repr__(self):
        return f"FieldElement({sympy.sstr(self.to_sympy())})"

    def __str__(self):
        return sympy.sstr(self.to_sympy())


class AlgebraicPoint(tuple):
    """A parameter vector whose coordinates are :class:`FieldElement` s of one :class:`NumberField`.

    A tuple (so ``len``, indexing and iteration work) with the attribute ``field``.
    The point APIs (``gradient_at``, ``loss_at``, ``product_at``,
    ``hessian_at``, ``spectrum_at``, ``classify``, ``gd_step``, ``StableSet.contains``,
    ``sharpness_enclosure``, ``ExactPolynomial.evaluate``, ``orbits.flip_coefficient``) accept it and compute
    exactly (``sharpness_enclosure``: a rigorous enclosure).

    Examples
    --------
    >>> p = algebraic_point([1, sympy.sqrt(2), sympy.Rational(1, 2) - sympy.sqrt(2)])
    >>> p.field.degree, [str(v) for v in p], sum(p) == sympy.Rational(3, 2)
    (2, ['1', 'sqrt(2)', '1/2 - sqrt(2)'], True)
    """

    def __new__(cls, coordinates, field: NumberField):
        self = super().__new__(cls, (field(v) for v in coordinates))
        self.field = field
        return self

    def to_sympy(self) -> list:
        return [v.to_sympy() for v in self]

    def floats(self) -> list:
        return [float(v) for v in self]

    def strings(self) -> list:
        return [str(v) for v in self]


def _atoms(expr):
    """Algebraic atoms of a sympy number: ``CRootOf`` s and rational powers of rationals."""
    return {a for a in sympy.sympify(expr).atoms(sympy.CRootOf, sympy.Pow)
            if isinstance(a, sympy.CRootOf) or (a.exp.is_Rational and not a.exp.is_Integer and a.base.is_Rational)}


def field_from_sympy(values) -> NumberField:
    """One real number field containing every real algebraic sympy number in ``values``.

    When the irrational values are written in one algebraic atom (``sqrt(221)``, a
    ``CRootOf``), that atom generates the field; otherwise sympy's
    ``primitive_element`` of the atoms does. Raises :class:`InvalidInputError` when a
    value is not a real algebraic number written in radicals or ``CRootOf``.

    Examples
    --------
    >>> K = field_from_sympy([sympy.sqrt(2) + 1, sympy.Rational(3, 4)])
    >>> K.minpoly, K.generator
    (x^2 + (-2), sqrt(2))
    """
    exprs = [sympy.sympify(v) for v in values]
    for e in exprs:
        if e.free_symbols or not e.is_real:
            raise InvalidInputError(f"{e} is not a real algebraic number")
    atoms = sorted(set().union(*(_atoms(e) for e in exprs)), key=sympy.default_sort_key)
    if not atoms:
        gen = sympy.Integer(0)
        return NumberField(flint.fmpq_poly([0, 1]), (Fraction(0), Fraction(0)), gen)
    if len(atoms) == 1:
        gen = atoms[0]
    else:
        x = sympy.Dummy("x")
        _, coeffs = sympy.primitive_element(atoms, x)
        gen = sympy.Add(*(c * a for c, a in zip(coeffs, atoms)))
    poly = sympy.minimal_polynomial(gen, _t, polys=True)
    lo, hi = enclose_algebraic(gen, Fraction(1, 2**30))
    f = flint.fmpq_poly([_fmpq(c) for c in reversed(poly.all_coeffs())])
    field = NumberField(f, (lo, hi), gen)
    if len(atoms) > 1:
        field._atom_values = {a: _express(field, a, gen) for a in atoms}
        field._atom_values[gen] = field.gen
    return field


def _express(field, atom, gen):
    """``atom`` as an element of ``field = Q(gen)`` (sympy's ``to_number_field``)."""
    coeffs = sympy.to_number_field(atom, gen).coeffs()
    return field([sympy.Rational(c) for c in reversed(coeffs)])


def _element(field: NumberField, expr) -> FieldElement:
    """A real algebraic sympy number as an element of ``field`` (its atoms expressed in the generator)."""
    expr = sympy.sympify(expr)
    if expr.is_Rational:
        return field(expr)
    known = field.__dict__.setdefault("_atom_values", {})
    known.setdefault(field.generator, field.gen)
    for atom in _atoms(expr):
        if atom not in known:
            try:
                known[atom] = _express(field, atom, field.generator)
            except (ValueError, sympy.polys.polyerrors.PolynomialError, sympy.polys.polyerrors.IsomorphismFailed,
                    NotImplementedError) as err:
                raise InvalidInputError(f"{atom} is not in the number field {field}") from err
    symbols = {a: sympy.Dummy() for a in known}
    num, den = sympy.fraction(sympy.together(expr.xreplace(symbols)))

    def value(e):
        p = sympy.Poly(sympy.expand(e), *symbols.values(), domain="QQ")
        out = field(0)
        for monom, c in p.terms():
            term = field(c)
            for a, k in zip(symbols, monom):
                term = term * known[a] ** k
            out = out + term
        return out

    return value(num) / value(den)


def algebraic_point(values, field: NumberField | None = None) -> AlgebraicPoint:
    """An :class:`AlgebraicPoint` from field elements, rationals and real algebraic sympy numbers.

    Examples
    --------
    >>> algebraic_point([sympy.sqrt(3), 2]).floats()  # doctest: +ELLIPSIS
    [1.73205080756887..., 2.0]
    """
    values = list(values)
    fields = [v.field for v in values if isinstance(v, FieldElement)]
    if field is None and fields:
        field = fields[0]
    if any(not f.same_as(field) for f in fields):
        raise InvalidInputError("the coordinates lie in different number fields")
    symbolic = [v for v in values if isinstance(v, sympy.Basic) and not v.is_Rational]
    if field is None:
        field = field_from_sympy(symbolic)
    out = []
    for v in values:
        if isinstance(v, FieldElement):
            out.append(v)
        elif isinstance(v, sympy.Basic) and not v.is_Rational:
            out.append(_element(field, v))
        elif isinstance(v, str):
            out.append(field(parse_number(v)))
        else:
            out.append(field(v))
    return AlgebraicPoint(out, field)


def adjoin_root(field: NumberField, g, index: int):
    """``L = K(beta)`` for ``beta`` the ``index``-th real root (ascending) of ``g in Q[x]``: ``(L, embed, beta)``.

    ``K = field`` is ``Q(alpha)``; ``L`` is one :class:`NumberField` ``Q(gamma)`` containing
    ``alpha`` and ``beta`` (sympy's primitive element when both are irrational),
    ``embed`` maps elements of ``K`` into ``L``, and ``beta`` is an element of ``L``.
    This is the tower ``Q(alpha)(beta)`` flattened to a single generator, so the
    exact arithmetic, signs and row reduction of this module apply in it unchanged.

    Parameters
    ----------
    field : NumberField
    g : python-flint ``fmpq_poly``, irreducible over Q
    index : int
        Which real root of ``g``, counted from the smallest (0).

    Examples
    --------
    >>> K = NumberField(flint.fmpq_poly([-2, 0, 1]), (1, 2))            # Q(sqrt 2)
    >>> L, embed, beta = adjoin_root(K, flint.fmpq_poly([-3, 0, 1]), 1)  # adjoin sqrt 3
    >>> L.degree, beta * beta == 3, embed(K.gen) ** 2 == 2
    (4, True, True)
    """
    g = flint.fmpq_poly(g)
    x = sympy.Symbol("x")
    gexpr = sympy.Poly([sympy.Rational(str(c)) for c in reversed(g.coeffs())], x).as_expr()
    root = sympy.rootof(gexpr, index, radicals=g.degree() <= 2)
    if g.degree() == 1:
        return field, (lambda e: field(e)), field(root)
    atoms = [root] if field.degree == 1 else [field.generator, root]
    L = field_from_sympy(atoms)
    alpha = L.from_sympy(field.generator) if field.degree > 1 else None

    def embed(e):
        e = field(e)
        if alpha is None:
            return L(e.to_fraction())
        out = L(0)
        for c in reversed(e.poly.coeffs()):
            out = out * alpha + L(Fraction(int(c.p), int(c.q)))
        return out

    return L, embed, L.from_sympy(root)


def field_rref(rows):
    """Reduced row echelon form over an exact field (Fractions or :class:`FieldElement` s): ``(R, pivots)``.

    Examples
    --------
    >>> R, piv = field_rref([[Fraction(2), Fraction(4)], [Fraction(1), Fraction(2)]])
    >>> R, piv
    ([[Fraction(1, 1), Fraction(2, 1)], [Fraction(0, 1), Fraction(0, 1)]], [0])
    """
    R = [list(r) for r in rows]
    m, n = len(R), len(R[0]) if R else 0
    pivots, row = [], 0
    for col in range(n):
        pivot = next((i for i in range(row, m) if R[i][col] != 0), None)
        if pivot is None:
            continue
        R[row], R[pivot] = R[pivot], R[row]
        inv = 1 / R[row][col]
        R[row] = [v * inv for v in R[row]]
        for i in range(m):
            if i != row and R[i][col] != 0:
                c = R[i][col]
                R[i] = [a - c * b for a, b in zip(R[i], R[row])]
        pivots.append(col)
        row += 1
        if row == m:
            break
    return R, pivots


def is_field_point(theta) -> bool:
    """True when some coordinate of ``theta`` is a :class:`FieldElement` (an algebraic point).

    Examples
    --------
    >>> is_field_point([1, 2]), is_field_point(algebraic_point([sympy.sqrt(5)]))
    (False, True)
    """
    return isinstance(theta, AlgebraicPoint) or any(isinstance(v, FieldElement) for v in theta)
