"""Exact real spectra of symmetric matrices over a real number field (bottom layer; used by result A3).

For a symmetric matrix ``H`` with entries in ``K = Q(alpha)`` (a Hessian at an
algebraic point of M), the eigenvalues are real algebraic numbers. They are found
exactly, without floating-point decisions:

1. ``p(x) = det(x I - H)`` over K, by Hessenberg reduction (:func:`charpoly_over_field`);
2. its norm ``N(x) = prod_sigma p^sigma(x) in Q[x]``, the characteristic polynomial
   of the rational ``D deg(K)``-square matrix of ``v -> H v`` on ``K^D = Q^(D deg K)``
   (python-flint), factored over Q;
3. for each irreducible factor ``g`` of N, the gcds ``q_1 = gcd(p, g)``,
   ``q_{k+1} = gcd(p / (q_1 ... q_k), q_k)`` over K: the roots of ``q_k`` are the
   eigenvalues that are roots of ``g`` with multiplicity ``>= k``;
4. which roots of ``g`` are roots of ``q_k`` is decided by counting: ``q_k`` is
   square-free with ``deg q_k`` real roots, all among the (certified, isolated) real
   roots of ``g``; a root where the arb value of ``q_k`` excludes 0 is not one, and the
   precision is doubled until exactly ``deg q_k`` candidates remain.

:func:`is_positive_definite` decides ``S > 0`` for a symmetric ``S`` over K by the
signs of the pivots of Gaussian elimination without pivoting (``d_k = Delta_k /
Delta_{k-1}``, so all ``d_k > 0`` iff all leading principal minors ``Delta_k > 0``).

Each eigenvalue is returned as ``(g, index, multiplicity, (lo, hi))``: the
``index``-th real root (ascending) of the irreducible ``g in Q[x]``, the same keys
as :func:`symstab.exact.algebraic.descending_eigenvalues` uses for rational matrices.
"""

from __future__ import annotations

import flint

from .algebraic import ball_endpoints, real_root_balls
from .numberfield import NumberField

__all__ = ["charpoly_over_field", "field_spectrum", "is_positive_definite", "norm_charpoly", "poly_gcd"]


def charpoly_over_field(H, one=1) -> list:
    """``det(x I - H)`` over an exact field, coefficients constant first (Hessenberg reduction, O(n^3)).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> charpoly_over_field([[F(1), F(2)], [F(3), F(4)]])
    [Fraction(-2, 1), Fraction(-5, 1), 1]
    """
    n = len(H)
    A = [list(row) for row in H]
    for m in range(1, n - 1):
        i = next((i for i in range(m, n) if A[i][m - 1] != 0), None)
        if i is None:
            continue
        if i != m:
            A[i], A[m] = A[m], A[i]
            for row in A:
                row[i], row[m] = row[m], row[i]
        t = A[m][m - 1]
        for i in range(m + 1, n):
            if A[i][m - 1] == 0:
                continue
            u = A[i][m - 1] / t
            A[i] = [a - u * b for a, b in zip(A[i], A[m])]
            for row in A:
                row[m] = row[m] + u * row[i]
    polys = [[one]]
    for k in range(n):
        new = [0 * one] + polys[k]  # x p_k
        for j, c in enumerate(polys[k]):
            new[j] = new[j] - A[k][k] * c
        t = one
        for i in range(k - 1, -1, -1):
            t = t * A[i + 1][i]
            coeff = t * A[i][k]
            if coeff != 0:
                for j, c in enumerate(polys[i]):
                    new[j] = new[j] - coeff * c
        polys.append(new)
    return polys[n]


def is_positive_definite(S) -> bool:
    """Exactly whether the symmetric ``S`` (Fractions or FieldElements) is positive definite.

    Gaussian elimination without pivoting: the k-th pivot is ``Delta_k / Delta_{k-1}``
    (leading principal minors), so ``S > 0`` iff every pivot is positive (Sylvester);
    each sign is exact (``FieldElement.sign``).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> is_positive_definite([[F(2), F(1)], [F(1), F(1)]]), is_positive_definite([[F(1), F(2)], [F(2), F(1)]])
    (True, False)
    """
    A = [list(row) for row in S]
    n = len(A)
    for k in range(n):
        if not A[k][k] > 0:
            return False
        inv = 1 / A[k][k]
        for i in range(k + 1, n):
            if A[i][k] != 0:
                u = A[i][k] * inv
                A[i] = A[i][:k + 1] + [a - u * b for a, b in zip(A[i][k + 1:], A[k][k + 1:])]
    return True


def _trim(p):
    p = list(p)
    while p and p[-1] == 0:
        p.pop()
    return p


def _divmod(a, b):
    a, b = _trim(a), _trim(b)
    q = [0 * b[-1]] * max(len(a) - len(b) + 1, 0)
    inv = 1 / b[-1]
    while len(a) >= len(b):
        c = a[-1] * inv
        shift = len(a) - len(b)
        q[shift] = c
        for j, v in enumerate(b):
            a[shift + j] = a[shift + j] - c * v
        a.pop()
        a = _trim(a)
    return q, a


def poly_gcd(a, b) -> list:
    """Monic gcd of two polynomials over an exact field (coefficient lists, constant first).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> poly_gcd([F(-1), F(0), F(1)], [F(1), F(1)])   # gcd(x^2 - 1, x + 1)
    [Fraction(1, 1), Fraction(1, 1)]
    """
    a, b = _trim(a), _trim(b)
    while b:
        a, b = b, _divmod(a, b)[1]
    inv = 1 / a[-1]
    return [c * inv for c in a]


def norm_charpoly(H, field: NumberField) -> "flint.fmpq_poly":
    """``N(x) = prod_sigma det(x I - H^sigma)``: the characteristic polynomial of ``H`` acting on ``Q^(n deg K)``.

    Examples
    --------
    >>> K = NumberField(flint.fmpq_poly([-2, 0, 1]), (1, 2))
    >>> print(norm_charpoly([[K.gen]], K))     # (x - sqrt 2)(x + sqrt 2)
    x^2 + (-2)
    """
    n, m = len(H), field.degree
    f = field.minpoly
    big = flint.fmpq_mat(n * m, n * m)
    for i in range(n):
        for j in range(n):
            h = field(H[i][j]).poly
            for c in range(m):
                column = (h * flint.fmpq_poly([0] * c + [1])) % f
                for r, v in enumerate(column.coeffs()):
                    big[i * m + r, j * m + c] = v
    return big.charpoly()


def _value(poly, lam, prec):
    """An arb/acb enclosure of ``poly(lam)`` for ``poly`` over K (list of FieldElements)."""
    with flint.ctx.workprec(prec + 20):
        out = flint.acb(0)
        for c in reversed(poly):
            out = out * lam + c.ball(prec)
        return out


def field_spectrum(H, field: NumberField, prec: int = 64):
    """The exact spectrum of the symmetric matrix ``H`` over ``K``.

    Returns
    -------
    (charpoly, zero_multiplicity, eigenvalues)
        ``charpoly``: ``det(x I - H)`` as FieldElements, constant first;
        ``eigenvalues``: ``(g, index, multiplicity, (lo, hi))`` for each distinct
        non-zero eigenvalue, ascending, with ``g`` a monic irreducible
        ``fmpq_poly`` and ``(lo, hi)`` a rational enclosure; the boxes are disjoint.

    Examples
    --------
    >>> K = NumberField(flint.fmpq_poly([-2, 0, 1]), (1, 2))
    >>> a = K.gen
    >>> _, zero, eig = field_spectrum([[a, 0], [0, a]], K)
    >>> [(str(g), i, m) for g, i, m, _ in eig]      # sqrt(2), twice
    [('x^2 + (-2)', 1, 2)]
    """
    one = field(1)
    p = [field(c) for c in charpoly_over_field([[field(v) for v in row] for row in H], one)]
    zero = next(i for i, c in enumerate(p) if c != 0)
    rest = p[zero:]
    factors = [g for g, _ in norm_charpoly(H, field).factor()[1] if g.degree() > 0 and g != flint.fmpq_poly([0, 1])]
    layers = []  # (g, [q_1, q_2, ...])
    for g in factors:
        g = g * (1 / g.coeffs()[-1])
        gk = [field(c) for c in g.coeffs()]
        q = poly_gcd(rest, gk)
        chain, cur = [], rest
        while len(q) > 1:
            chain.append(q)
            cur = _divmod(cur, q)[0]
            q = poly_gcd(cur, q)
        if chain:
            layers.append((g, chain))
    while True:
        out = []
        ok = True
        for g, chain in layers:
            real = real_root_balls(flint.fmpz_poly([int(c * g.denom()) for c in g.coeffs()]), prec)
            mult = [0] * len(real)
            for q in chain:
                hits = [k for k, r in enumerate(real) if _value(q, flint.acb(r), prec).contains(0)]
                if len(hits) != len(q) - 1:
                    ok = False
                    break
                for k in hits:
                    mult[k] += 1
            if not ok:
                break
            out.extend((g, k, mult[k], ball_endpoints(real[k])) for k in range(len(real)) if mult[k])
        if ok:
            out.sort(key=lambda e: e[3][0])
            if all(a[3][1] < b[3][0] for a, b in zip(out, out[1:])):
                return p, zero, out
        prec *= 2

