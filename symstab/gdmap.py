"""Result A1: the GD map, its Jacobian determinant det(I - eta H), det(2I - eta H), charpoly(H), and non-singularity.

All three determinants come from one computation: the characteristic-polynomial
coefficients ``c_k(theta)`` of the Hessian (``det(lam I - H) = sum_k c_k lam^(D-k)``),
obtained by Berkowitz's division-free algorithm over python-flint integer
polynomials. Then

* ``det(I - eta H)  = sum_k c_k eta^k``,
* ``det(2I - eta H) = sum_k c_k 2^(D-k) eta^k`` (DG has eigenvalue -1: eta = 2/lambda),
* ``det(lam I - H)  = sum_k c_k lam^(D-k)``.

The A1 certificate (docs/theory.md, A1) needs only exact Hessians at rational points,
so it scales to architectures far beyond the full polynomial.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import sympy

from . import detpoly, detsparse
from .budget import guard
from .detplan import (  # noqa: F401 (re-exported)
    certificate_cost,
    choose_method,
    estimate_cost,
    guard_det,
    is_scalar_net,
)
from .errors import InvalidInputError, TooLargeError
from .exact.algebraic import univariate
from .exact.latex import LatexDisplay, display, to_latex
from .exact.matrices import object_array, product_chain
from .exact.numberfield import AlgebraicPoint
from .exact.numbers import to_exact
from .exact.poly import ExactPolynomial, berkowitz, reverse_last
from .network import gradient_from_weights, hessian_from_weights


def charpoly_coefficients(net, *, force: bool = False, progress=None) -> tuple:
    """``(c_0, ..., c_D)`` with ``det(lam I - H(theta)) = sum_k c_k lam^(D-k)``, in ``net.ring``.

    Cached on the network. Scalar networks (``d_0 = d_H = 1``, depth >= 2) take the
    structured path :func:`_scalar_net_coefficients`; every other network runs
    Berkowitz over ``fmpz_mpoly`` after clearing denominators (``H = H_Z / d``,
    then ``c_k = c_k(H_Z) / d^k``).
    """
    cached = net.__dict__.get("_charpoly_coefficients")
    if cached is not None:
        return cached
    guard_det(net, force, "the characteristic polynomial of the Hessian",
           method="single-layer" if net.depth == 1 else "scalar" if is_scalar_net(net) else "berkowitz")
    if net.depth == 1:
        result = _single_layer_coefficients(net)
    elif is_scalar_net(net):
        result = _scalar_net_coefficients(net, progress)
    else:
        result = _berkowitz_coefficients(net, progress)
    net.__dict__["_charpoly_coefficients"] = result
    return result


def _single_layer_coefficients(net) -> tuple:
    """Depth 1: ``H = 2c kron(I_{d_1}, Sigma)`` is constant, so charpoly(H) = charpoly(2c Sigma)^{d_1}."""
    ctx = net.ring.ctx
    zero, one = ctx.constant(0), ctx.constant(1)
    Sigma, _, _, _ = net.poly_data
    c2 = 2 * net.loss_scale_fmpq
    block = berkowitz([[zero + c2 * s for s in row] for row in Sigma], zero, one)
    coeffs = [one]
    for _ in range(net.widths[1]):
        coeffs = [sum((coeffs[j] * block[i - j] for j in range(max(0, i - len(block) + 1), min(i, len(coeffs) - 1) + 1)), zero)
                  for i in range(len(coeffs) + len(block) - 1)]
    return tuple(coeffs)


def _berkowitz_coefficients(net, progress) -> tuple:
    ring = net.ring
    zctx = flint.fmpz_mpoly_ctx.get(ring.names, "degrevlex")
    scaled, denominator = detpoly.integer_matrix(net.hessian_polys, zctx)
    coeffs_z = berkowitz(scaled, zctx.constant(0), zctx.constant(1), progress=progress)
    # fmpz -> fmpq in C, then the scale 1 / denominator^k
    return tuple(flint.fmpq_mpoly(c, ring.ctx) * flint.fmpq(1, denominator**k) for k, c in enumerate(coeffs_z))


def _scalar_net_coefficients(net, progress) -> tuple:
    """Charpoly coefficients for ``d_0 = d_H = 1`` from the structure of the Hessian.

    With scalar input and output, ``mu`` is a polynomial, ``Sigma = s`` and ``Y X^T = w``,
    so ``H = a g g^T + b K`` with ``g = grad mu``, ``K = Hess mu`` (entries of degree
    ``H - 2``, much smaller than those of H), ``a = 2cs`` and ``b = 2c(s mu - w)``.
    By the matrix determinant lemma and ``adj(lam I - M) = sum_j lam^(D-1-j) sum_{i<=j} c_i(M) M^(j-i)``,

        c_k(H) = b^k c_k(K) - a b^(k-1) sum_{i<k} c_i(K) g^T K^(k-1-i) g.

    Only Berkowitz on K and the walks ``g^T K^t g`` are needed; the tests check the
    result against Berkowitz on H.
    """
    ctx = net.ring.ctx
    zero, one = ctx.constant(0), ctx.constant(1)
    weights = net.poly_weights
    Sigma, YXt, _, _ = net.poly_data
    # With Sigma = 0, Y X^T = -1 and c = 1/2 the loss formulas give grad mu and Hess mu.
    unit = (object_array([[zero]]), object_array([[-one]]), flint.fmpq(1, 2))
    K = [[zero + k for k in row] for row in hessian_from_weights(weights, *unit)]
    g = [zero + x for block in gradient_from_weights(weights, *unit) for x in block.flat]
    B, A = product_chain(weights)
    mu = zero + (A[0] @ weights[0] @ B[0])[0, 0]
    c = net.loss_scale_fmpq
    s, w = zero + Sigma[0, 0], zero + YXt[0, 0]
    a = 2 * c * s
    b = 2 * c * (s * mu - w)
    return tuple(detpoly.rank_one_update_coefficients(K, g, a, b, zero, one, progress))


METHODS = ("auto", "berkowitz", "scalar", "single-layer", "invariant", "lowrank", "residual", "scalar-residual",
           "schur", "sparse")


def method_applies(net, method: str) -> bool:
    """Whether the exact method ``method`` (a name of :data:`METHODS` other than ``"auto"``) applies to ``net``."""
    if method in ("berkowitz",):
        return True
    if method == "single-layer":
        return net.depth == 1
    if method == "scalar":
        return is_scalar_net(net)
    if net.is_family or net.depth == 1:
        return False
    if method == "invariant":
        return detpoly.invariant_applies(net)
    if method == "scalar-residual":
        return is_scalar_net(net)
    if method == "lowrank":
        return detpoly.lowrank_applies(net)
    if method == "sparse":
        return detsparse.sparse_applies(net)
    if method == "schur":
        return detpoly.schur_applies(net)
    return method == "residual"


def _from_coefficients(coeffs, ctx):
    """``sum_k c_k eta^k`` in ``ctx`` (the coefficients' generators then ``eta``), by C-level ``compose``."""
    gens = ctx.gens()
    eta = gens[-1]
    poly = ctx.constant(0)
    for c in reversed(coeffs):
        poly = poly * eta + c.compose(*gens[:-1], ctx=ctx)
    return poly


def det_polynomial(net, *, method: str = "auto", force: bool = False, progress=None, seed: int = 0):
    """``(P, method)`` with ``P(theta, eta) = det(I - eta H(theta))`` as an ``fmpq_mpoly`` in ``net.ring + eta``.

    ``method="auto"`` takes :func:`choose_method`; any name of :data:`METHODS` forces that
    method where it applies. Every method is exact (ring operations over Z or Q only); the structured
    ones (``"invariant"``, ``"lowrank"``, ``"residual"``, ``"scalar-residual"``, ``"schur"``, ``"sparse"``) are also
    checked exactly at random points (``seed``) against the exact Hessian: two (the first integral, the second
    rational up to 10^6 terms), one integral point above 10^7 terms.
    Cached on the network per method.
    """
    if method not in METHODS:
        raise InvalidInputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    chosen = choose_method(net) if method == "auto" else method
    if not method_applies(net, chosen):
        raise InvalidInputError(f"method {chosen!r} does not apply to widths {net.widths}"
                                + (" with symbolic data" if net.is_family else ""))
    cache = net.__dict__.setdefault("_det_polynomials", {})
    if chosen in cache:
        return cache[chosen], chosen
    guard_det(net, force, "det(I - eta H)", method=chosen)
    ctx = net.ring.extend("eta").ctx
    if chosen in ("berkowitz", "scalar", "single-layer"):
        if chosen == "berkowitz":
            coeffs = _berkowitz_coefficients(net, progress)
        elif chosen == "scalar":
            coeffs = _scalar_net_coefficients(net, progress)
        else:
            coeffs = _single_layer_coefficients(net)
        poly = _from_coefficients(coeffs, ctx)
    else:
        compute = {"invariant": detpoly.invariant_det_poly, "residual": detpoly.residual_det_poly,
                   "lowrank": detpoly.lowrank_det_poly, "sparse": detsparse.sparse_det_poly,
                   "schur": detpoly.schur_det_poly,
                   "scalar-residual": detpoly.scalar_residual_det_poly}[chosen]
        steps = [0]

        def phase(done, total):  # the method's phases, then one more step for the exact spot check
            steps[0] = total
            progress(done, total + 1)

        poly = compute(net, phase if progress is not None else None)
        # above 10^7 terms one exact point (~25 s for (1,3,3,1), 84 M terms): a guard against bugs in these
        # deterministic methods ("sparse" has also been checked modulo a fresh prime), not a proof
        detpoly.spot_check(net, poly, seed=seed, points=1 if len(poly) > 10**7 else 2)
        if progress is not None:
            progress(steps[0] + 1, steps[0] + 1)
    cache[chosen] = poly
    return poly, chosen


def _assemble(net, variable: str, kind: str, *, force: bool, progress=None, method: str = "auto") -> ExactPolynomial:
    """The three determinants from ``P = det(I - eta H)``, by C-level operations only."""
    P, chosen = det_polynomial(net, method=method, force=force, progress=progress)
    ring = net.ring.extend(variable)
    D = net.num_params
    if kind == "jacobian":
        poly = P
    elif kind == "stability":  # det(2I - eta H) = 2^D P(theta, eta / 2)
        gens = ring.ctx.gens()
        poly = P.compose(*gens[:-1], gens[-1] / 2, ctx=ring.ctx) * 2**D
    else:  # det(lam I - H) = lam^D P(theta, 1 / lam), reversed in C (derivatives in eta, no dict)
        poly = reverse_last(P, ring.ctx, D)
    evidence = detsparse.EVIDENCE if chosen == "sparse" else "exact"
    return ExactPolynomial(poly=poly, ring=ring, kind=kind, num_params=D, method=chosen, evidence=evidence)


def gd_jacobian_det(net, *, force: bool = False, progress=None, method: str = "auto") -> ExactPolynomial:
    """``p(theta, eta) = det(I - eta H(theta))``, the Jacobian determinant of the GD map.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> p = gd_jacobian_det(LinearNetwork.whitened((1, 1), [[3]]))
    >>> p.as_expr()
    1 - eta
    """
    return _assemble(net, "eta", "jacobian", force=force, progress=progress, method=method)


def stability_det(net, *, force: bool = False, progress=None, method: str = "auto") -> ExactPolynomial:
    """``det(2I - eta H(theta))``; it vanishes where DG has the eigenvalue -1.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> stability_det(LinearNetwork.whitened((1, 1), [[3]])).as_expr()
    2 - eta
    """
    return _assemble(net, "eta", "stability", force=force, progress=progress, method=method)


def hessian_charpoly(net, *, force: bool = False, progress=None, method: str = "auto") -> ExactPolynomial:
    """``det(lam I - H(theta))`` as a polynomial in ``(theta, lam)``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> hessian_charpoly(LinearNetwork.whitened((1, 1), [[3]])).as_expr()
    lam - 1
    """
    return _assemble(net, "lam", "charpoly", force=force, progress=progress, method=method)


def gd_map_exprs(net) -> list:
    """The GD map ``G(theta) = theta - eta grad L(theta)`` as sympy expressions in (theta, eta).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> gd_map_exprs(LinearNetwork.whitened((1, 1), [[3]]))
    [W1_0_0 - eta*(W1_0_0 - 3)]
    """
    eta = sympy.Symbol("eta")
    return [s - eta * sympy.factor(g) for s, g in zip(net.parameter_symbols, net.gradient_exprs())]


def gd_step(net, theta, eta) -> list:
    """One exact GD step ``theta - eta grad L(theta)``: Fractions at a rational point, an
    :class:`~symstab.exact.numberfield.AlgebraicPoint` (same field) at an algebraic one; ``eta`` rational.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> gd_step(LinearNetwork.whitened((1, 1, 1), [[2]]), [1, 1], "1/2")
    [Fraction(3, 2), Fraction(3, 2)]
    >>> gd_step(LinearNetwork.whitened((1, 1, 1), [[2]]), [sympy.sqrt(2), 1], "1/2").strings()
    ['sqrt(2)/2 + 1', 'sqrt(2)']
    """
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction):
        raise InvalidInputError("eta must be an exact number")
    point = net.exact_point(theta)
    grad = net.gradient_at(point)
    new = [t - step * g for t, g in zip(point, grad)]
    return AlgebraicPoint(new, point.field) if isinstance(point, AlgebraicPoint) else new


# --- result A1 ---------------------------------------------------------------------

@dataclass(frozen=True)
class ExceptionalEta:
    """A candidate exceptional step ``eta = 1/lambda`` and what is known about it."""

    value: sympy.Expr
    minimal_polynomial: sympy.Expr  # in the symbol eta
    confirmed: bool | None  # True: p(., eta) vanishes identically; False: it does not; None: undecided
    reason: str

    def to_dict(self) -> dict:
        return {
            "value": sympy.sstr(self.value),
            "value_float": float(sympy.N(self.value, 30)),
            "minimal_polynomial": sympy.sstr(self.minimal_polynomial),
            "confirmed": self.confirmed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class NonsingularityCertificate(LatexDisplay):
    """Result A1: G_eta is non-singular for every eta > 0 outside the finite set E.

    ``holds`` is always True for a linear network: ``p(theta, 0) = 1``, so ``p(theta_0, .)`` is a
    non-zero polynomial in eta at any exact point and E is finite; the content of the
    certificate is E itself.
    ``points`` are the exact parameter vectors used; ``gcd`` is the gcd (in ``lam``)
    of the non-zero-root parts of the characteristic polynomials of H at those
    points; every eta in E is ``1/lambda`` for a positive root of ``gcd``.
    All arithmetic is exact (python-flint rationals), so the statement is proved.
    """

    widths: tuple
    loss: str
    num_params: int
    points: list = field(repr=False)
    gcd: sympy.Expr
    exceptional_etas: list
    candidates: tuple = field(repr=False)
    holds: bool = True

    @property
    def exceptional_set_is_known(self) -> bool:
        """True when every candidate was decided, so E is known exactly."""
        return all(e.confirmed is not None for e in self.candidates)

    @property
    def exceptional_set_is_empty(self) -> bool:
        """True when E is proved empty (no candidate, or every candidate decided non-exceptional)."""
        return all(e.confirmed is False for e in self.candidates)

    @property
    def conclusion(self) -> str:
        k = len(self.points)
        if self.exceptional_set_is_empty:
            how = (f"at {k} exact point(s) the characteristic polynomials of the Hessian have no common "
                   "positive root")
            if self.candidates:
                how += (" except " + ", ".join(f"lambda = 1/({sympy.sstr(e.value)})" for e in self.candidates)
                        + ", each shown not to be an eigenvalue of H(theta) for all theta")
            return (
                f"Proved (exact arithmetic): for widths {self.widths} the GD map G_eta is non-singular "
                f"for every eta > 0: {how}, so det(I - eta H(theta)) is a non-zero polynomial in "
                "theta for every eta > 0 and its zero set is Lebesgue-null."
            )
        confirmed = [e for e in self.candidates if e.confirmed]
        undecided = [e for e in self.candidates if e.confirmed is None]
        if self.exceptional_set_is_known:
            text = (f"Proved (exact arithmetic): for widths {self.widths} the GD map G_eta is non-singular for "
                    f"every eta > 0 except E = {{{', '.join(sympy.sstr(e.value) for e in confirmed)}}}, "
                    "where det(I - eta H(theta)) vanishes identically (G_eta is singular).")
        else:
            text = (f"Proved (exact arithmetic): for widths {self.widths} the GD map G_eta is non-singular for "
                    f"every eta > 0 outside E, where E is contained in "
                    f"{{{', '.join(sympy.sstr(e.value) for e in self.candidates)}}}.")
            if confirmed:
                text += f" Exceptional: {', '.join(sympy.sstr(e.value) for e in confirmed)}."
            text += f" Undecided: {', '.join(sympy.sstr(e.value) for e in undecided)}."
        return text

    def latex_formula(self) -> str:
        """Math mode: the exceptional set E and the gcd that certifies it."""
        confirmed = [e for e in self.candidates if e.confirmed]
        if self.exceptional_set_is_empty:
            eset = r"E = \emptyset"
        else:
            vals = confirmed if self.exceptional_set_is_known else self.candidates
            eset = (r"E = \left\{" if self.exceptional_set_is_known else r"E \subseteq \left\{") + ", ".join(
                to_latex(sympy.radsimp(e.value)) for e in vals) + r"\right\}"
        return eset + r",\quad \gcd_k \frac{\chi_{H(\theta_k)}(\lambda)}{\lambda^{m_k}} = " + to_latex(self.gcd)

    def latex(self) -> str:
        """Text-mode fragment: the statement of A1 with E, its evidence (exact) and the certifying gcd."""
        eset = self.latex_formula().split(r",\quad")[0]
        widths = ",".join(map(str, self.widths))
        return (r"\textbf{Result A1 (exact).} For the linear network with widths $(" + widths + r")$, "
                r"$p(\theta,\eta) = \det\left(I - \eta \nabla^2 L(\theta)\right)$ is a non-zero polynomial in "
                r"$\theta$ for every $\eta > 0$ with $\eta \notin E$, where $" + eset + r"$; hence the gradient-descent"
                r" map $G_\eta$ is non-singular for every such $\eta$. Shown with "
                f"{len(self.points)} exact point(s) $\\theta_k$ (exact arithmetic): the greatest common divisor of "
                r"the non-zero-root parts of the characteristic polynomials of the Hessian is"
                "\n" + display(r"\gcd_k \frac{\chi_{H(\theta_k)}(\lambda)}{\lambda^{m_k}}", self.gcd) + "\n"
                r"and every $\eta \in E$ is $1/\lambda$ for a positive root $\lambda$ of it.")

    def to_dict(self) -> dict:
        return {
            "result": "A1",
            "widths": list(self.widths),
            "loss": self.loss,
            "num_params": self.num_params,
            "holds": self.holds,
            "evidence": "exact",
            "points": [[str(v) for v in p] for p in self.points],
            "gcd": sympy.sstr(self.gcd),
            "exceptional_etas": [sympy.sstr(e) for e in self.exceptional_etas],
            "candidates": [e.to_dict() for e in self.candidates],
            "conclusion": self.conclusion,
        }

    def __str__(self) -> str:
        return self.conclusion


def _strip_zero_roots(poly):
    """Divide an fmpq_poly by the largest power of lam dividing it."""
    coeffs = poly.coeffs()
    shift = next(i for i, c in enumerate(coeffs) if c != 0)
    return flint.fmpq_poly(coeffs[shift:])


def nonsingularity_certificate(net, seed: int = 0, *, max_points: int = 6, entry_range: int = 3,
                               points=None, decide: bool = True, force: bool = False,
                               progress=None) -> NonsingularityCertificate:
    """Certify result A1 for ``net``: compute the exceptional step set E exactly.

    For an exact point theta_0, ``E`` is contained in ``{1/lambda : lambda > 0 a root of
    charpoly(H(theta_0))}``; the gcd over several points shrinks the candidates,
    usually to none. Each remaining candidate is decided exactly (``p(., eta)`` vanishes
    identically iff its minimal polynomial divides charpoly(H) in ``Q[theta, lam]``) when
    the full polynomial is small enough, and reported undecided otherwise.

    Parameters
    ----------
    net : LinearNetwork
        Numeric data (a symbolic family is refused).
    seed : int
        Seed of the random integer points.
    max_points : int
        Stop after this many points even if candidates remain.
    entry_range : int
        Point entries are integers in ``[-entry_range, entry_range]``.
    points : list of sequences, optional
        Explicit exact points to use first.
    decide : bool
        Try to decide remaining candidates with the full polynomial.
    force : bool
        Compute even when :func:`certificate_cost` is above the limit of
        :func:`symstab.budget.guard` (otherwise :class:`TooLargeError`, one line).
    progress : callable ``(done, total)``, optional
        Called after each point with the points done and the most that will be tried.

    Returns
    -------
    NonsingularityCertificate

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> cert = nonsingularity_certificate(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> cert.exceptional_etas, cert.holds
    ([], True)
    >>> nonsingularity_certificate(LinearNetwork.whitened((1, 1), [[3]])).exceptional_etas
    [1]
    """
    net.require_numeric("the non-singularity certificate")
    if not isinstance(max_points, int) or max_points < 1:
        raise InvalidInputError(f"max_points must be a positive integer, got {max_points!r}")
    if not isinstance(entry_range, int) or entry_range < 0:
        raise InvalidInputError(f"entry_range must be a non-negative integer, got {entry_range!r}")
    guard(certificate_cost(net), force)
    rng = random.Random(seed)
    D = net.num_params
    todo = []
    for p in points or []:
        if isinstance(p, (str, bytes)) or not hasattr(p, "__len__") or len(p) != D:
            raise InvalidInputError(f"each point must be a sequence of D = {D} exact numbers, got {p!r}")
        todo.append([to_exact(v, where="point") for v in p])
    used, g = [], None
    budget = max(max_points, len(todo))
    for k in range(budget):
        if k < len(todo):
            theta = todo[k]
        else:
            theta = [Fraction(rng.randint(-entry_range, entry_range)) for _ in range(D)]
        cp = _strip_zero_roots(net.hessian_at(theta).charpoly())
        used.append(theta)
        g = cp if g is None else g.gcd(cp)
        if progress is not None:
            progress(budget if g.degree() == 0 else k + 1, budget)
        if g.degree() == 0:
            break
    lam = sympy.Symbol("lam")
    eta = sympy.Symbol("eta")
    g_expr = univariate(g, lam).monic().as_expr()
    candidates = []
    if g.degree() > 0:
        content, factors = g.factor()
        for f, _ in factors:
            f_sym = univariate(f, lam)
            roots = [r for r in f_sym.real_roots() if r.is_positive]
            if not roots:
                continue
            eta_poly = sympy.Poly(f_sym.as_expr().subs(lam, 1 / eta) * eta ** f_sym.degree(), eta)
            confirmed, reason = _decide(net, f) if decide else (None, "not decided (decide=False)")
            for root in roots:
                value = 1 / root
                candidates.append(ExceptionalEta(
                    value=value, minimal_polynomial=eta_poly.monic().as_expr(),
                    confirmed=confirmed, reason=reason,
                ))
    exceptional = [c.value for c in candidates if c.confirmed]
    return NonsingularityCertificate(
        widths=net.widths, loss=net.loss, num_params=D, points=used, gcd=g_expr,
        exceptional_etas=exceptional, candidates=tuple(candidates),
    )


def _decide(net, factor) -> tuple:
    """Does the irreducible ``factor(lam)`` divide charpoly(H)(theta, lam) identically?"""
    try:
        cp = hessian_charpoly(net)
    except TooLargeError as err:
        return None, f"full polynomial too large to decide ({err})"
    ctx = cp.ring.ctx
    lam = ctx.gens()[-1]
    f = sum((lam**i * c for i, c in enumerate(factor.coeffs())), ctx.constant(0))
    common = cp.poly.gcd(f)
    if not common.is_constant():  # f is irreducible over Q, so f | cp iff gcd is non-trivial
        return True, "its minimal polynomial divides det(lam I - H(theta)) identically (exact)"
    return False, "its minimal polynomial does not divide det(lam I - H(theta)) (exact)"
