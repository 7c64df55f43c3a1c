"""The polynomial engine (bottom layer): exact multivariate polynomials, python-flint ``fmpq_mpoly`` plus a sympy bridge.

python-flint is the engine (it multiplies and divides polynomials with tens of
thousands of terms in microseconds); sympy is used only for display, LaTeX and
algebra on results. :class:`Ring` names the generators once; :class:`ExactPolynomial`
is the result object that every determinant in :mod:`symstab.gdmap` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import combinations

import flint
import sympy

from ..errors import InvalidInputError, SymbolicDataError
from .latex import (
    LINE_WIDTH,
    LatexDisplay,
    display,
    fits_on_page,
    join_factors,
    latex_name,
    monomial,
    size_statement,
    to_latex,
    visible_width,
)
from .latex import text as latex_text
from .numberfield import AlgebraicPoint
from .numbers import to_exact


class Ring:
    """Named generators of a polynomial ring over Q, shared by flint and sympy.

    Parameters
    ----------
    names : sequence of str
        Generator names, in order (parameters first, then data symbols, then
        ``eta`` or ``lam`` where present).

    Examples
    --------
    >>> R = Ring(("x", "y"))
    >>> x, y = R.gens
    >>> R.to_sympy(x * y - 1)
    x*y - 1
    """

    def __init__(self, names):
        self.names = tuple(names)
        if len(set(self.names)) != len(self.names):
            raise InvalidInputError(f"duplicate generator names in {self.names}")
        self.ctx = flint.fmpq_mpoly_ctx.get(self.names, "degrevlex")
        self.symbols = tuple(sympy.Symbol(n) for n in self.names)

    @property
    def gens(self):
        return self.ctx.gens()

    def gen(self, name: str):
        return self.ctx.gens()[self.names.index(name)]

    def constant(self, value):
        return self.ctx.constant(flint.fmpq(value.numerator, value.denominator)
                                 if isinstance(value, Fraction) else value)

    def extend(self, *extra: str) -> "Ring":
        """The ring with generators ``names + extra``."""
        return Ring(self.names + tuple(extra))

    def embed(self, poly, source: "Ring"):
        """Map ``poly`` from ``source`` (whose generators all occur here) into this ring."""
        index = [self.names.index(n) for n in source.names]
        nvars = len(self.names)
        terms = {}
        for exps, coeff in poly.to_dict().items():
            new = [0] * nvars
            for k, e in zip(index, exps):
                new[k] = e
            terms[tuple(new)] = coeff
        return self.ctx.from_dict(terms)

    def to_sympy(self, poly) -> sympy.Expr:
        """Convert a flint polynomial of this ring to a sympy expression."""
        terms = {exps: sympy.Rational(int(c.p), int(c.q)) for exps, c in poly.to_dict().items()}
        if not terms:
            return sympy.Integer(0)
        return sympy.Poly.from_dict(terms, *self.symbols, domain=sympy.QQ).as_expr()

    def from_sympy(self, expr) -> "flint.fmpq_mpoly":
        """Convert a sympy polynomial in this ring's symbols (rational coefficients)."""
        if isinstance(expr, str):
            raise InvalidInputError("from_sympy takes sympy expressions, not text")
        expr = expr if isinstance(expr, sympy.Basic) else sympy.Integer(int(expr))
        extra = expr.free_symbols - set(self.symbols)
        if extra:
            raise InvalidInputError(f"symbols {sorted(map(str, extra))} are not generators of {self.names}")
        poly = sympy.Poly(expr, *self.symbols, domain=sympy.QQ)
        return self.ctx.from_dict(
            {m: flint.fmpq(int(c.p), int(c.q)) for m, c in poly.terms()}
        )

    def latex_names(self) -> dict:
        return {s: latex_name(n) for s, n in zip(self.symbols, self.names)}

    def latex(self, expr: sympy.Expr) -> str:
        """Math-mode LaTeX of a sympy expression in this ring's symbols (:func:`symstab.exact.latex.to_latex`)."""
        return to_latex(expr)


def berkowitz(matrix, zero, one, progress=None) -> list:
    """Characteristic-polynomial coefficients by Berkowitz's division-free algorithm.

    Returns ``[c_0, ..., c_n]`` with ``det(lam I - A) = sum_k c_k lam^(n-k)``,
    ``c_0 = 1``. Only ring operations are used, so the entries may be flint
    polynomials, Fractions or integers. Berkowitz, "On computing the determinant
    in small parallel time using a small number of processors", IPL 18 (1984);
    O(n^4) ring operations, no divisions.

    Parameters
    ----------
    matrix : list of lists
        Square matrix over a commutative ring.
    zero, one : ring elements
        The ring's 0 and 1.
    progress : callable, optional
        Called as ``progress(done, total)`` after each bordering step; the
        last steps dominate the cost.

    Returns
    -------
    list

    Examples
    --------
    >>> berkowitz([[2, 1], [1, 2]], 0, 1)   # lam^2 - 4 lam + 3
    [1, -4, 3]
    """
    n = len(matrix)
    if n == 0:
        return [one]
    A = matrix
    coeffs = [one, -A[0][0]]
    for r in range(1, n):
        column = [A[i][r] for i in range(r)]
        row = A[r][:r]
        # Toeplitz column: 1, -a_rr, -R S, -R A S, ..., -R A^(r-1) S
        toeplitz = [one, -A[r][r]]
        v = column
        for k in range(r):
            acc = zero
            for i in range(r):
                acc += row[i] * v[i]
            toeplitz.append(-acc)
            if k < r - 1:
                new = []
                for i in range(r):
                    acc = zero
                    Ai = A[i]
                    for j in range(r):
                        acc += Ai[j] * v[j]
                    new.append(acc)
                v = new
        new_coeffs = []
        for i in range(r + 2):
            acc = zero
            for j in range(max(0, i - r - 1), min(i, r) + 1):
                acc += toeplitz[i - j] * coeffs[j]
            new_coeffs.append(acc)
        coeffs = new_coeffs
        if progress is not None:
            progress(r + 1, n)
    return coeffs


def adjugate_action(matrix, coeffs, v, zero) -> list:
    """The coefficients of ``adj(lam I - A) v`` in powers of ``lam``, from the characteristic polynomial of ``A``.

    With ``det(lam I - A) = sum_k c_k lam^(n-k)`` (``coeffs``, as :func:`berkowitz` returns them),
    Cayley-Hamilton gives ``adj(lam I - A) = sum_(j<n) lam^(n-1-j) sum_(i<=j) c_i A^(j-i)``, so the
    coefficient vectors obey ``Y_0 = v`` and ``Y_j = A Y_(j-1) + c_j v``: ``n - 1`` matrix-vector products
    and no division. Every ``Y_j`` is a coefficient of the adjugate itself, so nothing grows beyond the
    result (the powers ``A^t v`` it replaces grow without bound and cancel in the sum).

    Parameters
    ----------
    matrix : list of lists
        Square ``n x n`` matrix ``A`` over a commutative ring.
    coeffs : list
        ``[c_0, ..., c_n]``, the characteristic polynomial of ``A`` (``c_0 = 1``).
    v : list
        A vector of length ``n``.
    zero : ring element
        The ring's 0.

    Returns
    -------
    list
        ``[Y_0, ..., Y_(n-1)]``: ``adj(lam I - A) v = sum_j Y_j lam^(n-1-j)``.

    Examples
    --------
    >>> A = [[2, 1], [1, 2]]
    >>> adjugate_action(A, berkowitz(A, 0, 1), [1, 0], 0)   # adj(lam I - A) e_1 = (lam - 2, 1)
    [[1, 0], [-2, 1]]
    """
    n = len(v)
    out = [list(v)]
    for j in range(1, n):
        previous = out[-1]
        c = coeffs[j]
        row = []
        for i in range(n):
            acc = c * v[i]
            Ai = matrix[i]
            for k in range(n):
                acc += Ai[k] * previous[k]
            row.append(acc)
        out.append(row)
    return out


def rank_one_charpoly(matrix, coeffs, u, s, zero) -> list:
    """The characteristic polynomial of ``A + s u u^T`` from that of ``A``, by the matrix determinant lemma.

    ``det(lam I - A - s u u^T) = det(lam I - A) - s u^T adj(lam I - A) u``, with the adjugate applied
    by :func:`adjugate_action`. Applied once per term of a low-rank update ``J^T S J`` this gives the
    characteristic polynomial of ``A + J^T S J`` without division (each step needs the characteristic
    polynomial of the previous matrix, which the previous step returns).

    Parameters
    ----------
    matrix : list of lists
        Square ``n x n`` matrix ``A`` over a commutative ring.
    coeffs : list
        ``[c_0, ..., c_n]``, the characteristic polynomial of ``A``.
    u : list
        A vector of length ``n``.
    s : ring element or number
        The weight of the update.
    zero : ring element
        The ring's 0.

    Returns
    -------
    list
        ``[c'_0, ..., c'_n]`` with ``det(lam I - A - s u u^T) = sum_k c'_k lam^(n-k)``.

    Examples
    --------
    >>> A = [[2, 1], [1, 2]]
    >>> rank_one_charpoly(A, berkowitz(A, 0, 1), [1, 1], 3, 0)   # A + 3 u u^T = [[5, 4], [4, 5]]
    [1, -10, 9]
    """
    n = len(u)
    Y = adjugate_action(matrix, coeffs, u, zero)
    out = [coeffs[0]]
    for k in range(1, n + 1):
        acc = zero
        y = Y[k - 1]
        for i in range(n):
            acc += u[i] * y[i]
        out.append(coeffs[k] - s * acc)
    return out


def laplace_det(matrix, zero):
    """Determinant of a small square matrix over a commutative ring by Laplace expansion with memoised minors.

    Expands along the rows from the bottom: the minors of the last ``k`` rows on every ``k``-subset
    of columns are built from those of the last ``k - 1`` rows, ``n 2^(n-1)`` ring multiplications
    in all and no divisions. For ``n <= 6`` with large polynomial entries this is several times
    faster than Berkowitz (which computes every coefficient of the characteristic polynomial).

    Examples
    --------
    >>> laplace_det([[2, 1, 0], [1, 3, 1], [0, 1, 4]], 0)
    18
    """
    n = len(matrix)
    if n == 0:
        return zero + 1
    previous = {(j,): matrix[n - 1][j] for j in range(n)}
    for k in range(2, n + 1):
        row = matrix[n - k]
        current = {}
        for cols in combinations(range(n), k):
            acc = zero
            for idx, c in enumerate(cols):
                term = row[c] * previous[cols[:idx] + cols[idx + 1:]]
                acc = acc + term if idx % 2 == 0 else acc - term
            current[cols] = acc
        previous = current
    return previous[tuple(range(n))]


def reverse_last(poly, ctx, degree: int):
    """``z^degree * poly(x, 1/y)`` in ``ctx`` (same generator count, last one ``z``), by C-level operations only.

    ``poly`` has degree at most ``degree`` in its last generator ``y``. With
    ``c_k(x) = (d/dy)^k poly |_(y=0) / k!`` the result is ``sum_k c_k(x) z^(degree-k)``:
    derivatives, substitutions, a monomial ``compose`` and products by monomials, each one
    python-flint call (no Python dictionary of terms).

    Examples
    --------
    >>> ctx = flint.fmpq_mpoly_ctx.get(("x", "eta"), "lex")
    >>> x, eta = ctx.gens()
    >>> reverse_last(1 - 3 * x * eta + eta**2, flint.fmpq_mpoly_ctx.get(("x", "lam"), "lex"), 2)
    -3*x*lam + lam^2 + 1
    """
    name = poly.context().names()[-1]
    gens = ctx.gens()
    z = gens[-1]
    out = ctx.constant(0)
    current = poly
    factorial = 1
    for k in range(degree + 1):
        if current.is_zero():
            break
        if k:
            current = current.derivative(name)
            factorial *= k
        low = current.subs({name: 0})
        if not low.is_zero():
            out += low.compose(*gens[:-1], z, ctx=ctx) * (z ** (degree - k) / factorial)
    if not current.derivative(name).is_zero():
        raise InvalidInputError(f"reverse_last: degree in {name} exceeds {degree}")
    return out


@dataclass(frozen=True)
class ExactPolynomial(LatexDisplay):
    """An exact polynomial in the network parameters and one spectral variable.

    ``kind`` is ``"jacobian"`` for det(I - eta H), ``"stability"`` for
    det(2I - eta H) or ``"charpoly"`` for det(lam I - H). The spectral variable
    (``eta`` or ``lam``) is the last generator of :attr:`ring`; the parameters
    (and any data symbols) come first, in parameter order. ``method`` names the exact
    method that computed it (see :func:`symstab.gdmap.det_polynomial`); ``evidence`` says what
    backs it: ``"exact"``, or for a method whose reconstruction is probabilistic (``"sparse"``)
    what checked it.
    """

    poly: object = field(repr=False)
    ring: Ring = field(repr=False)
    kind: str
    num_params: int
    method: str = "berkowitz"
    evidence: str = "exact"

    @property
    def variable(self) -> str:
        return self.ring.names[-1]

    @property
    def degree(self) -> int:
        """Total degree in all generators."""
        return int(self.poly.total_degree())

    @property
    def degrees(self) -> dict:
        """Degree in each generator, by name."""
        return {n: int(d) for n, d in zip(self.ring.names, self.poly.degrees())}

    @property
    def nterms(self) -> int:
        return len(self.poly)

    @cached_property
    def _expr(self) -> sympy.Expr:
        return self.ring.to_sympy(self.poly)

    def as_expr(self) -> sympy.Expr:
        """The polynomial as a sympy expression (symbols named as in :attr:`ring`)."""
        return self._expr

    @property
    def latex_lhs(self) -> str:
        r"""Math-mode name of the polynomial: ``\det(I - \eta \nabla^2 L(\theta))`` etc."""
        return {"jacobian": r"\det\left(I - \eta \nabla^2 L(\theta)\right)",
                "stability": r"\det\left(2I - \eta \nabla^2 L(\theta)\right)",
                "charpoly": r"\det\left(\lambda I - \nabla^2 L(\theta)\right)"}.get(self.kind, "p")

    def latex_terms(self) -> list:
        """The signed terms (``"+ ..."``/``"- ..."``, the first without ``+``) in flint's order, formatted from flint."""
        names = [latex_name(n) for n in self.ring.names]
        terms = [monomial(Fraction(int(c.p), int(c.q)), list(zip(names, exps))) for exps, c in self.poly.terms()]
        if not terms:
            return ["0"]
        if terms[0].startswith("+ "):
            terms[0] = terms[0][2:]
        return terms

    def latex_formula(self) -> str:
        r"""The polynomial as one math-mode line (``W_{l}(i,j)``, ``\eta``, ``\lambda``; read back by
        ``sympy.parsing.latex.parse_latex(..., backend="lark")``). Any size: for documents use :meth:`latex`."""
        return " ".join(self.latex_terms())

    def _size_degrees(self) -> dict:
        return {latex_name(self.variable): self.degrees[self.variable]}

    def latex(self, where: str = "") -> str:
        r"""Text-mode fragment: the polynomial as a display broken across lines, or, when it would take more than
        about a page (:func:`symstab.exact.latex.fits_on_page`), its size and where its exact form is.

        ``where`` (text mode) says where the machine-readable form is; default: the JSON output of ``symstab det``.
        """
        what = {"jacobian": "the Jacobian determinant of the GD map", "stability": "the stability polynomial",
                "charpoly": "the characteristic polynomial of the Hessian"}.get(self.kind, "the polynomial")
        backing = "exact" if self.evidence == "exact" else latex_text(self.evidence)
        head = (f"{what[:1].upper() + what[1:]} ${self.latex_lhs}$ (rational coefficients, {backing}; "
                f"{self.nterms} terms, total degree {self.degree}; $W_{{l}}(i,j)$ is entry $(i,j)$ of $W_l$)")
        if not fits_on_page(nterms=self.nterms):
            return self._too_large(what, where)
        terms = self.latex_terms()
        if not fits_on_page(terms):
            return self._too_large(what, where)
        return head + ":\n" + display(self.latex_lhs, terms)

    def _too_large(self, what: str, where: str) -> str:
        where = where or (r"in the JSON output of \texttt{symstab det} with \texttt{-{}-json} (keys \texttt{polynomial}"
                          r" and \texttt{latex}) and from the method \texttt{as\_expr} of the Python object")
        out = size_statement(f"{what} ${self.latex_lhs}$", nterms=self.nterms, degree=self.degree,
                             degrees=self._size_degrees(), where=where)
        return out if self.evidence == "exact" else out + f" What backs it: {latex_text(self.evidence)}."

    def _repr_latex_(self) -> str:
        if not fits_on_page(nterms=self.nterms):
            return rf"$$\text{{{self.nterms} terms, total degree {self.degree}: too large to display}}$$"
        return "$$" + self.latex_lhs + " = " + self.latex_formula() + "$$"

    def __str__(self) -> str:
        return sympy.sstr(self._expr)

    def text_chunks(self, style: str = "text", progress=None, terms_per_chunk: int = 2000):
        r"""The polynomial as text, in chunks, term by term from flint: no sympy expression is built,
        so memory stays at one chunk and time is linear in the number of terms.

        ``style="text"`` gives Python/sympy syntax (``3/4*W1_0_0**2*eta``), ``"latex"``
        the notation of :meth:`latex_formula`.  The terms come in flint's order, which may
        differ from sympy's; the polynomial is the same.

        Parameters
        ----------
        style : ``"text"`` or ``"latex"``
        progress : callable ``(done, total)``, optional
            Called after each chunk with the terms written so far.
        terms_per_chunk : int

        Yields
        ------
        str

        Examples
        --------
        >>> from symstab import LinearNetwork
        >>> p = LinearNetwork.whitened((1, 1), [[2]]).gd_jacobian_det()
        >>> "".join(p.text_chunks()), "".join(p.text_chunks("latex"))
        ('-eta + 1', '- \\eta + 1')
        >>> sympy.simplify(sympy.sympify("".join(p.text_chunks())) - p.as_expr())
        0
        """
        if style not in ("text", "latex"):
            raise ValueError(f"style must be 'text' or 'latex', got {style!r}")
        latex = style == "latex"
        names = [latex_name(n) for n in self.ring.names] if latex else list(self.ring.names)
        total = len(self.poly)
        if total == 0:
            yield "0"
            return
        buf, done = [], 0
        for exps, coeff in self.poly.terms():
            c = Fraction(int(coeff.p), int(coeff.q))
            if latex:
                term = monomial(c, list(zip(names, exps)))
                sign, term = term[0], term[2:]
            else:
                factors = [name if e == 1 else f"{name}**{e}" for name, e in zip(names, exps) if e]
                sign = "-" if c < 0 else "+"
                c = abs(c)
                cs = "" if c == 1 and factors else str(c)
                term = "*".join(([cs] if cs else []) + factors)
            if done == 0 and not buf:
                buf.append(term if sign == "+" else f"{sign}{'' if not latex else ' '}{term}")
            else:
                buf.append(f" {sign} {term}")
            if len(buf) == terms_per_chunk:
                done += len(buf)
                yield "".join(buf)
                buf = []
                if progress is not None:
                    progress(done, total)
        if buf:
            done += len(buf)
            yield "".join(buf)
        if progress is not None:
            progress(done, total)

    def factor(self) -> "Factorization":
        """Exact factorisation over Q (flint's multivariate factoring)."""
        content, factors = self.poly.factor()
        return Factorization(
            content=Fraction(int(content.p), int(content.q)),
            factors=tuple(
                (ExactPolynomial(f, self.ring, self.kind, self.num_params, self.method, self.evidence), int(m))
                for f, m in factors
            ),
        )

    def evaluate(self, theta, eta=None, *, lam=None, data=None) -> Fraction:
        """Exact value at parameters ``theta`` and spectral value ``eta`` (or ``lam``).

        Parameters
        ----------
        theta : sequence of exact numbers, or an :class:`~symstab.exact.numberfield.AlgebraicPoint`
            Parameters in order (W1 row-major, then W2, ...). At an algebraic point (e.g. a point
            of M for an irrational target) the value is an exact element of its number field.
        eta : exact number
            Value of the spectral variable (named ``lam`` for the charpoly; ``lam=``
            is accepted as a synonym).
        data : dict, optional
            Values of the data symbols when the network is a family.

        Returns
        -------
        Fraction, or a FieldElement at an algebraic point
        """
        value = eta if eta is not None else lam
        if value is None:
            raise InvalidInputError(f"evaluate needs a value for {self.variable}")
        if isinstance(theta, (str, bytes)) or not hasattr(theta, "__len__"):
            raise InvalidInputError(f"theta must be a sequence of {self.num_params} exact numbers, got {theta!r}")
        if len(theta) != self.num_params:
            raise InvalidInputError(f"theta has {len(theta)} entries, the network has {self.num_params} parameters")
        data_names = self.ring.names[self.num_params:-1]
        data = dict(data or {})
        given = {str(k): v for k, v in data.items()}
        missing = [n for n in data_names if n not in given]
        extra = sorted(set(given) - set(data_names))
        if extra:
            raise InvalidInputError(f"data gives values for {extra}, which are not data symbols of this polynomial")
        if missing:
            raise SymbolicDataError(
                f"the data is a family in {', '.join(data_names)}; pass data={{...}} with values for {missing}"
            )
        if isinstance(theta, AlgebraicPoint):  # exact, in the point's number field
            rest = [to_exact(given[n], where=n) for n in data_names] + [to_exact(value, where=self.variable)]
            if not all(isinstance(v, Fraction) for v in rest):
                raise InvalidInputError("evaluate at an algebraic point takes rational data and a rational "
                                        f"{self.variable}")
            K = theta.field
            point = [*theta, *(K(v) for v in rest)]
            total = K(0)
            for exps, c in zip(self.poly.monoms(), self.poly.coeffs()):
                term = K(Fraction(int(c.p), int(c.q)))
                for x, e in zip(point, exps):
                    if e:
                        term = term * x ** int(e)
                total = total + term
            return total
        point = [to_exact(t, where="theta") for t in theta]
        point += [to_exact(given[n], where=n) for n in data_names]
        point.append(to_exact(value, where=self.variable))
        if not all(isinstance(v, Fraction) for v in point):
            raise InvalidInputError("evaluate takes exact numbers, not symbolic expressions")
        result = self.poly(*[flint.fmpq(v.numerator, v.denominator) for v in point])
        return Fraction(int(result.p), int(result.q))


@dataclass(frozen=True)
class Factorization:
    """``content * prod(f ** m for f, m in factors)``, exact over Q."""

    content: Fraction
    factors: tuple

    def as_expr(self) -> sympy.Expr:
        expr = sympy.Rational(self.content.numerator, self.content.denominator)
        for f, m in self.factors:
            expr *= f.as_expr() ** m
        return expr

    def latex_formula(self) -> str:
        """Math-mode product ``c (f_1)^{m_1} (f_2)^{m_2} ...`` (parseable: see :mod:`symstab.exact.latex`)."""
        c = self.content
        parts = [] if abs(c) == 1 and self.factors else [to_latex(sympy.Rational(abs(c.numerator), c.denominator))]
        for f, m in self.factors:
            body = f.latex_formula()
            if f.nterms > 1 or m > 1 or " " in body:
                body = rf"\left({body}\right)"
            parts.append(body + (f"^{{{m}}}" if m > 1 else ""))
        return ("- " if c < 0 else "") + join_factors(parts)

    def latex(self, where: str = "") -> str:
        """Text-mode fragment: the factorisation over Q, each long factor displayed on its own (broken across lines)."""
        if not self.factors:
            return f"The polynomial is the constant ${self.latex_formula()}$."
        first = self.factors[0][0]
        lhs = first.latex_lhs
        whole = self.latex_formula()
        head = r"Exact factorisation over $\mathbb{Q}$ ($W_{l}(i,j)$ is entry $(i,j)$ of $W_l$)"
        if visible_width(lhs) + visible_width(whole) + 3 <= LINE_WIDTH:
            return head + ":\n" + display(lhs, [whole])
        names, bodies = [], []
        for k, (f, m) in enumerate(self.factors, 1):
            names.append(f"f_{{{k}}}" + (f"^{{{m}}}" if m > 1 else ""))
            bodies.append(display(f"f_{{{k}}}", f.latex_terms()) if fits_on_page(nterms=f.nterms)
                          and fits_on_page(f.latex_terms()) else f._too_large(f"the factor $f_{{{k}}}$", where))
        c = self.content
        cs = "" if abs(c) == 1 else to_latex(sympy.Rational(abs(c.numerator), c.denominator)) + " "
        return (head + ":\n" + display(lhs, [f"{'- ' if c < 0 else ''}{cs}{' '.join(names)}"])
                + "\nThe factors are:\n" + "\n".join(bodies))

    def _repr_latex_(self) -> str:
        nterms = sum(f.nterms for f, _ in self.factors)
        if not fits_on_page(nterms=nterms):
            return rf"$$\text{{{len(self.factors)} factors, {nterms} terms: too large to display}}$$"
        return "$$" + self.latex_formula() + "$$"

    def __str__(self) -> str:
        parts = [] if self.content == 1 else [str(self.content)]
        parts += [f"({f})" + (f"**{m}" if m > 1 else "") for f, m in self.factors]
        return "*".join(parts) or "1"
