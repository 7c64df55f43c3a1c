"""Result A3 at a point: exact Hessian spectra, the normal operator on M, rigorous sharpness enclosures.

At a rational point the Hessian is an exact rational symmetric matrix; its
characteristic polynomial is computed by python-flint, factored over Q, and each
non-zero eigenvalue is returned both as an exact algebraic number (a closed form
for factors of degree <= 2, a ``CRootOf`` otherwise) and as a rigorous enclosure
(:mod:`symstab.exact.algebraic`). On M (filling case) the non-zero spectrum is
that of the ``d_0 d_H``-square :func:`normal_operator`, whatever D is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np
import sympy

from ..budget import Estimate, guard
from ..errors import InvalidInputError
from ..exact.algebraic import ball_endpoints, format_interval, real_root_boxes, root_closed_form, univariate
from ..exact.algebraic import outward_decimal as _decimal
from ..exact.fieldspectrum import field_spectrum
from ..exact.latex import ROOT_NOTE, LatexDisplay, display, to_latex
from ..exact.matrices import identity_like, object_array, product_chain
from ..exact.numberfield import AlgebraicPoint
from ..exact.numbers import as_fmpq
from ..minima import minima
from ..network import jacobian_gram_from_weights

__all__ = ["EXACT_SPECTRUM_SECONDS", "Eigenvalue", "Spectrum", "normal_operator", "sharpness_enclosure",
           "spectrum_at"]

LAM = sympy.Symbol("lam")


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
class Spectrum(LatexDisplay):
    """The exact spectrum of the Hessian at a rational point.

    ``nonzero`` lists the distinct non-zero eigenvalues in ascending order (exact sympy
    numbers); ``eigenvalues`` carries multiplicities and rigorous enclosures.
    """

    theta: tuple = field(repr=False)
    charpoly: sympy.Expr
    zero_multiplicity: int
    eigenvalues: tuple
    method: str = "full Hessian"

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

    def _latex_items(self) -> list:
        parts = [to_latex(e.value) + (f"^{{({e.multiplicity})}}" if e.multiplicity > 1 else "")
                 for e in self.eigenvalues]
        return ([f"0^{{({self.zero_multiplicity})}}"] if self.zero_multiplicity else []) + parts

    def latex_formula(self) -> str:
        """Math mode: the spectrum as a set, multiplicities as superscripts ``^{(m)}``."""
        return r"\operatorname{spec} \nabla^2 L(\theta) = \left\{" + ", ".join(self._latex_items()) + r"\right\}"

    def latex(self) -> str:
        """Text-mode fragment: the exact spectrum, broken across lines, with enclosures and the evidence."""
        items = self._latex_items()
        terms = [r"\{" + items[0]] + items[1:] if items else [r"\{"]
        terms = [t + "," for t in terms[:-1]] + [terms[-1] + r"\}"]
        encl = [rf"[{_decimal(e.enclosure[0], floor=True, digits=8)}, {_decimal(e.enclosure[1], floor=False, digits=8)}]"
                for e in self.eigenvalues if not e.value.is_Rational]
        encl = [t + "," for t in encl[:-1]] + encl[-1:]
        roots = ROOT_NOTE if any(r"\operatorname{root}" in t for t in terms) else ""
        return ("Exact Hessian spectrum at the point (eigenvalues exact, enclosures rigorous; a superscript $(m)$ is a "
                r"multiplicity" + roots + "):"
                "\n" + display(r"\operatorname{spec} \nabla^2 L(\theta)", terms)
                + ("\nwith enclosures of the irrational eigenvalues, in the order listed,\n" + display("", encl)
                   if encl else ""))

    def __str__(self) -> str:
        lines = [f"charpoly: {sympy.sstr(self.charpoly)}", f"zero eigenvalue multiplicity: {self.zero_multiplicity}"]
        for e in self.eigenvalues:
            lo, hi = e.enclosure
            lines.append(f"  {sympy.sstr(e.value)} (x{e.multiplicity}) in {format_interval(lo, hi)}")
        return "\n".join(lines)


def _charpoly_on_M(net, point):
    """``det(lam I - H) = lam^(D - n) det(lam I - K)`` at a point of M (filling), or None off M.

    ``H = (2c J^T G) J`` and ``K = J (2c J^T G)`` share their non-zero
    eigenvalues with multiplicities, so the ``D x D`` characteristic polynomial
    comes from the ``n x n`` one, ``n = d_0 d_H`` (see :func:`normal_operator`).
    """
    n = net.widths[0] * net.widths[-1]
    if net.is_family or net.num_params <= n:
        return None
    M = minima(net)
    if not M.filling or not M.points_exact:
        return None
    weights = net.exact_weights(point)
    B, A = product_chain(weights)
    mu = A[0] @ weights[0] @ B[0]
    target = M.target
    if any(mu[i, j] != as_fmpq(target[i, j])
           for i in range(mu.shape[0]) for j in range(mu.shape[1])):
        return None
    Sigma, _ = net.fmpq_data
    N = jacobian_gram_from_weights(weights)
    K = 2 * net.loss_scale_fmpq * (N @ np.kron(identity_like(net.widths[-1], Sigma), Sigma))
    cp = flint.fmpq_mat(K.tolist()).charpoly()
    return cp * flint.fmpq_poly([0] * (net.num_params - n) + [1])


EXACT_SPECTRUM_SECONDS = 60.0


def _charpoly_seconds(n: int) -> float:
    """Estimated time of flint's exact charpoly of an ``n x n`` Hessian (fit: 0.9 s at 240, 17 s at 448)."""
    return 17.0 * (n / 448) ** 4.7


def spectrum_at(net, theta, *, prec: int = 64, method: str = "auto", force: bool = False) -> Spectrum:
    """The exact Hessian spectrum of ``net`` at the rational point ``theta``.

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers
        Parameters in order (W1 row-major, W2, ...).
    prec : int
        Starting precision (bits) of the root enclosures; doubled until they separate.
    method : ``"auto"``, ``"normal"`` or ``"full"``
        ``"normal"`` uses the ``d_0 d_H``-square normal operator when ``theta`` is
        on M in the filling case (``det(lam I - H) = lam^(D-n) det(lam I - K)``,
        exact; 0.17 s instead of 17 s for D = 448), falling back to the full
        ``D x D`` Hessian elsewhere; ``"auto"`` does so when ``D > 64``.
    force : bool
        Compute a full-Hessian spectrum even when it is estimated above a minute
        (otherwise :class:`TooLargeError`, which points to :func:`sharpness_enclosure`).

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
    if method not in ("auto", "normal", "full"):
        raise InvalidInputError(f"method must be 'auto', 'normal' or 'full', got {method!r}")
    exact = net.exact_point(theta)
    if isinstance(exact, AlgebraicPoint):
        return _spectrum_in_field(net, exact, prec, force)
    point = tuple(exact)
    use_normal = method == "normal" or (method == "auto" and net.num_params > 64)
    cp = _charpoly_on_M(net, point) if use_normal else None
    used = "normal operator (d_0 d_H square) on M" if cp is not None else "full Hessian"
    if cp is None:
        D = net.num_params
        guard(Estimate(f"an exact spectrum of the {D} x {D} Hessian (off M or non-filling, so the d_0 d_H "
                       "normal operator does not apply)", _charpoly_seconds(D), 80e6 + 100.0 * D * D), force,
              max_seconds=EXACT_SPECTRUM_SECONDS,
              hint="use sharpness_enclosure(net, theta) for a rigorous enclosure of lambda_max")
        cp = net.hessian_at(point).charpoly()
    coeffs = cp.coeffs()
    zero = next(i for i, c in enumerate(coeffs) if c != 0)
    _, factors = cp.factor()
    factors = [(f, int(m)) for f, m in factors if not (f.degree() == 1 and f.coeffs()[0] == 0)]
    while True:  # distinct irreducible factors have distinct roots: refine until all boxes separate
        boxes = [real_root_boxes(f, prec) for f, _ in factors]
        flat = sorted(b for bs in boxes for b in bs)
        if all(a[1] < b[0] for a, b in zip(flat, flat[1:])):
            break
        prec *= 2
    eigen = []
    for (f, mult), fboxes in zip(factors, boxes):
        f_sym = univariate(f, LAM)
        for k, box in enumerate(fboxes):
            eigen.append(Eigenvalue(value=root_closed_form(f_sym, k), minimal_polynomial=f_sym.monic().as_expr(),
                                    multiplicity=mult, enclosure=box))
    eigen.sort(key=lambda e: e.enclosure[0])
    charpoly = univariate(cp, LAM).as_expr()
    return Spectrum(theta=point, charpoly=charpoly, zero_multiplicity=zero, eigenvalues=tuple(eigen), method=used)


def _spectrum_in_field(net, point, prec: int, force: bool) -> Spectrum:
    """The exact spectrum at an algebraic point (coordinates in ``K = Q(alpha)``): see
    :func:`symstab.exact.fieldspectrum.field_spectrum` (norm over Q, gcds over K, certified root selection)."""
    D, m = net.num_params, point.field.degree
    guard(Estimate(f"an exact spectrum of the {D} x {D} Hessian over a degree-{m} number field (its norm is a "
                   f"{D * m} x {D * m} rational characteristic polynomial)", _charpoly_seconds(D * m) + 2e-5 * D**3 * m,
                   80e6 + 100.0 * (D * m) ** 2), force, max_seconds=EXACT_SPECTRUM_SECONDS,
          hint="use sharpness_enclosure(net, theta) at a nearby rational point for a rigorous enclosure")
    H = net.hessian_at(point)
    cp, zero, found = field_spectrum(H, point.field, prec)
    eigen = []
    for g, k, mult, box in found:
        g_sym = univariate(g, LAM)
        eigen.append(Eigenvalue(value=root_closed_form(g_sym, k), minimal_polynomial=g_sym.monic().as_expr(),
                                multiplicity=mult, enclosure=box))
    charpoly = sympy.expand(sum((c.to_sympy() * LAM**i for i, c in enumerate(cp)), sympy.Integer(0)))
    return Spectrum(theta=tuple(point), charpoly=charpoly, zero_multiplicity=zero, eigenvalues=tuple(eigen),
                    method=f"full Hessian over a degree-{m} number field")


# --- the normal operator: the non-zero spectrum of H on M in d_0 d_H dimensions ---------

def normal_operator(net, weights, *, symmetric: bool = False) -> sympy.Matrix:
    """The ``d_H d_0`` square matrix whose non-zero eigenvalues are those of ``Hess L`` on M.

    In the filling case the Hessian at a point of M is ``2c J^T G J`` with
    ``J = D mu`` and ``G(Delta) = Delta Sigma`` (docs/theory.md, A2). Its non-zero
    eigenvalues are those of ``K = 2c N (I (x) Sigma)`` with
    ``N = J J^T = sum_l (A_l A_l^T) (x) (B_l^T B_l)`` (row-major vec,
    ``mu = A_l W_l B_l``). ``K`` is ``d_H d_0`` square whatever D is, which makes
    spectra along M and the critical step sizes cheap. With
    ``symmetric=True`` the matrix ``2c N`` is returned instead (its congruence
    with ``I (x) Sigma^{-1}`` is what the Sylvester criteria use).

    Parameters
    ----------
    net : LinearNetwork
    weights : list of sympy matrices ``[W_1, ..., W_H]``
        Exact or symbolic entries (need not lie on M; then K is only the
        Gauss-Newton part).
    symmetric : bool

    Returns
    -------
    sympy.Matrix

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> a = sympy.Symbol("a", positive=True)
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> K = normal_operator(net, [sympy.Matrix([[a]]), sympy.Matrix([[3 / a], [4 / a]])])
    >>> {sympy.expand(e) for e in K.eigenvals()} == {a**2, a**2 + 25 / a**2}   # docs/theory.md, A5
    True
    """
    dH = weights[-1].rows
    N = sympy.Matrix(jacobian_gram_from_weights([object_array(W.tolist()) for W in weights]).tolist())
    c = net.kappa
    if symmetric:
        return (c * N).applyfunc(sympy.expand)
    return (c * N * sympy.kronecker_product(sympy.eye(dH), net.Sigma)).applyfunc(sympy.cancel)


# --- rigorous enclosure of the sharpness without a characteristic polynomial --------------------

def sharpness_enclosure(net, theta, *, margin: float = 1e-8) -> tuple:
    """A rigorous rational enclosure ``(lo, hi)`` of ``lambda_max(Hess L(theta))`` for any size.

    For architectures too large for an exact spectrum. With a float eigenpair
    ``(lam~, x)`` of the exact Hessian ``H``:

    * ``lo = x^T H x / x^T x`` for the rational vector ``x`` (Rayleigh quotient;
      evaluated in arb ball arithmetic and rounded down);
    * ``hi = b + ||E||_F`` where ``b = lam~ + margin |lam~|``, ``L`` is a float
      Cholesky factor of ``b I - H`` and ``E = b I - H - L L^T`` is enclosed in
      ball arithmetic: ``b I - H = L L^T + E >= -||E||_F I``.

    At an algebraic point (:class:`~symstab.exact.numberfield.AlgebraicPoint`) ``H``
    is entered as arb balls containing its exact entries, so both bounds hold for
    the exact ``H`` too.

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers, or an AlgebraicPoint
    margin : float
        Relative shift above the float ``lam~`` that makes ``b I - H`` safely positive definite.

    Returns
    -------
    tuple of Fraction

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> lo, hi = sharpness_enclosure(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), [1, 3, 4])
    >>> lo <= 26 <= hi, float(hi - lo) < 1e-5
    (True, True)
    """
    point = net.exact_point(theta)
    if isinstance(point, AlgebraicPoint):  # entries p(alpha): arb balls from the isolating interval of alpha
        rows = net.hessian_at(point)
        n = len(rows)
        with flint.ctx.workprec(128):
            Ha = flint.arb_mat([[h.ball(160) for h in row] for row in rows])
    else:
        Hq = net.hessian_at(point)
        n = Hq.nrows()
        with flint.ctx.workprec(128):
            Ha = flint.arb_mat(Hq)
    Hf = np.array([[float(Ha[i, j].mid()) for j in range(n)] for i in range(n)])
    values, vectors = np.linalg.eigh(Hf)
    top = float(values[-1])
    with flint.ctx.workprec(128):
        x = flint.arb_mat([[flint.arb(float(v))] for v in vectors[:, -1]])
        num = (x.transpose() * Ha * x)[0, 0]
        den = (x.transpose() * x)[0, 0]
        lo = ball_endpoints(num / den)[0]
        shift = top + margin * max(abs(top), 1.0)
        for _ in range(40):
            try:
                L = np.linalg.cholesky(shift * np.eye(n) - Hf)
                break
            except np.linalg.LinAlgError:
                shift += margin * max(abs(top), 1.0) * 10
        else:  # pragma: no cover - numpy could not factor a shifted positive definite matrix
            raise RuntimeError("Cholesky of b I - H failed after 40 shifts")
        b = Fraction(shift)
        La = flint.arb_mat([[flint.arb(float(v)) for v in row] for row in L])
        E = flint.arb_mat(n, n, [flint.fmpq(b.numerator, b.denominator) if i == j else 0
                                  for i in range(n) for j in range(n)]) - Ha - La * La.transpose()
        frob = sum((E[i, j] ** 2 for i in range(n) for j in range(n)), flint.arb(0)).sqrt()
        hi = b + ball_endpoints(frob)[1]
    return lo, hi

