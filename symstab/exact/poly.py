"""The polynomial engine (bottom layer): exact multivariate polynomials, python-flint ``fmpq_mpoly`` plus a sympy bridge.

python-flint is the engine (it multiplies and divides polynomials with tens of
thousands of terms in microseconds); sympy is used only for display, LaTeX and
algebra on results. :class:`Ring` names the generators once; :class:`ExactPolynomial`
is the result object that every determinant in :mod:`symstab.gdmap` returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import flint
import sympy

from ..errors import InvalidInputError, SymbolicDataError
from .numbers import to_exact

_PARAM = re.compile(r"^W(\d+)_(\d+)_(\d+)$")


def latex_name(name: str) -> str:
    r"""LaTeX for a generator name: ``W1_0_2`` -> ``W^{(1)}_{02}``, ``eta`` -> ``\eta``.

    Examples
    --------
    >>> latex_name("W2_1_0")
    'W^{(2)}_{10}'
    >>> latex_name("W1_12_3")
    'W^{(1)}_{12,3}'
    >>> latex_name("lam")
    '\\lambda'
    """
    m = _PARAM.match(name)
    if m:
        layer, i, j = m.groups()
        sep = "," if len(i) > 1 or len(j) > 1 else ""
        return f"W^{{({layer})}}_{{{i}{sep}{j}}}"
    if name == "eta":
        return r"\eta"
    if name == "lam":
        return r"\lambda"
    return sympy.latex(sympy.Symbol(name))


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
        return sympy.latex(expr, symbol_names=self.latex_names())


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


@dataclass(frozen=True)
class ExactPolynomial:
    """An exact polynomial in the network parameters and one spectral variable.

    ``kind`` is ``"jacobian"`` for det(I - eta H), ``"stability"`` for
    det(2I - eta H) or ``"charpoly"`` for det(lam I - H). The spectral variable
    (``eta`` or ``lam``) is the last generator of :attr:`ring`; the parameters
    (and any data symbols) come first, in parameter order. ``method`` names the exact
    method that computed it (see :func:`symstab.gdmap.det_polynomial`).
    """

    poly: object = field(repr=False)
    ring: Ring = field(repr=False)
    kind: str
    num_params: int
    method: str = "berkowitz"

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

    def latex(self) -> str:
        r"""LaTeX of the polynomial, with ``W^{(l)}_{ij}``, ``\eta``, ``\lambda``."""
        return self.ring.latex(self._expr)

    def __str__(self) -> str:
        return sympy.sstr(self._expr)

    def text_chunks(self, style: str = "text", progress=None, terms_per_chunk: int = 2000):
        r"""The polynomial as text, in chunks, term by term from flint: no sympy expression is built,
        so memory stays at one chunk and time is linear in the number of terms.

        ``style="text"`` gives Python/sympy syntax (``3/4*W1_0_0**2*eta``), ``"latex"``
        the notation of :meth:`latex`.  The terms come in flint's order, which may
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
        if latex:
            powers = [(n if n.startswith("\\") else "{" + n + "}") if "^" in n else n for n in names]
        total = len(self.poly)
        if total == 0:
            yield "0"
            return
        buf, done = [], 0
        for exps, coeff in self.poly.terms():
            factors = []
            for name, power_base, e in zip(names, powers if latex else names, exps):
                if e == 1:
                    factors.append(name)
                elif e:
                    factors.append(f"{power_base}^{{{e}}}" if latex else f"{name}**{e}")
            c = Fraction(int(coeff.p), int(coeff.q))
            sign = "-" if c < 0 else "+"
            c = abs(c)
            if latex:
                cs = "" if c == 1 and factors else (str(c.numerator) if c.denominator == 1
                                                     else f"\\frac{{{c.numerator}}}{{{c.denominator}}}")
                term = " ".join(([cs] if cs else []) + factors)
            else:
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
                (ExactPolynomial(f, self.ring, self.kind, self.num_params, self.method), int(m)) for f, m in factors
            ),
        )

    def evaluate(self, theta, eta=None, *, lam=None, data=None) -> Fraction:
        """Exact value at parameters ``theta`` and spectral value ``eta`` (or ``lam``).

        Parameters
        ----------
        theta : sequence of exact numbers
            Parameters in order (W1 row-major, then W2, ...).
        eta : exact number
            Value of the spectral variable (named ``lam`` for the charpoly; ``lam=``
            is accepted as a synonym).
        data : dict, optional
            Values of the data symbols when the network is a family.

        Returns
        -------
        Fraction
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

    def latex(self) -> str:
        if not self.factors:
            return sympy.latex(self.as_expr())
        ring = self.factors[0][0].ring
        parts = [] if self.content == 1 else [sympy.latex(sympy.Rational(self.content.numerator, self.content.denominator))]
        for f, m in self.factors:
            body = ring.latex(f.as_expr())
            body = body if f.nterms == 1 and m == 1 else rf"\left({body}\right)"
            parts.append(body + (f"^{{{m}}}" if m > 1 else ""))
        return " ".join(parts)

    def __str__(self) -> str:
        parts = [] if self.content == 1 else [str(self.content)]
        parts += [f"({f})" + (f"**{m}" if m > 1 else "") for f, m in self.factors]
        return "*".join(parts) or "1"
