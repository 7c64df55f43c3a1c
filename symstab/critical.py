"""Stability of minima under GD with step eta (result A4, pointwise part).

At a point theta of M, DG = I - eta H has eigenvalue 1 on the tangent space
(ker H) and ``1 - eta lambda_i`` in the normal directions. The minimum is linearly
stable when every ``|1 - eta lambda_i| < 1`` (``lambda_max < 2/eta``), unstable when
``lambda_max > 2/eta`` and marginal at equality (MATH.md 1.3, A4). The comparison
is exact: the enclosure of lambda_max from :mod:`symstab.spectrum` is refined until
it separates from ``2/eta``, and equality is decided by the minimal polynomial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy

from .errors import InvalidInputError, TooLargeError
from .parsing import check_seed, format_interval, to_exact
from .parsing import outward_decimal as _decimal


@dataclass(frozen=True)
class Classification:
    """Verdict for a minimum: ``"stable"``, ``"unstable"`` or ``"marginal"``, with the eigenvalues of DG."""

    verdict: str
    eta: Fraction
    lambda_max: sympy.Expr
    dg_eigenvalues: tuple  # exact sympy numbers 1 - eta*lambda (normal directions), then 1 (tangent)
    tangent_multiplicity: int
    theta: tuple = field(repr=False)
    evidence: str = "exact"

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "eta": str(self.eta),
            "lambda_max": sympy.sstr(self.lambda_max),
            "two_over_eta": str(2 / self.eta),
            "dg_eigenvalues": [sympy.sstr(v) for v in self.dg_eigenvalues],
            "tangent_multiplicity": self.tangent_multiplicity,
            "evidence": self.evidence,
        }

    def latex(self) -> str:
        rel = {"stable": "<", "unstable": ">", "marginal": "="}[self.verdict]
        return (rf"\lambda_{{\max}} = {sympy.latex(self.lambda_max)} {rel} \frac{{2}}{{\eta}} = "
                rf"{sympy.latex(sympy.Rational(2) / sympy.Rational(self.eta.numerator, self.eta.denominator))}"
                rf"\quad(\text{{{self.verdict}}})")

    def __str__(self) -> str:
        how = "decided exactly" if self.evidence == "exact" else "decided by a rigorous enclosure"
        dg = ", ".join(_brief(v) for v in self.dg_eigenvalues) if self.dg_eigenvalues else "not computed"
        return (f"{self.verdict}: lambda_max = {_brief(self.lambda_max)} vs 2/eta = {2 / self.eta} "
                f"({how}); DG eigenvalues {dg}")


def _brief(value, limit: int = 40) -> str:
    """An exact number in sympy form when short, else its 12-digit value marked as exact-algebraic."""
    text = sympy.sstr(value)
    if len(text) <= limit:
        return text
    return f"{sympy.N(value, 12)} (exact algebraic, shown rounded)"


def _compare(eigenvalue, bound: Fraction) -> int:
    """Exact sign of ``lambda - bound`` for an eigenvalue with enclosure and minimal polynomial."""
    lo, hi = eigenvalue.enclosure
    if lo > bound:
        return 1
    if hi < bound:
        return -1
    lam = sympy.Symbol("lam")
    if sympy.Poly(eigenvalue.minimal_polynomial, lam).eval(sympy.Rational(bound.numerator, bound.denominator)) == 0:
        return 0  # bound is a root of the irreducible minimal polynomial, hence (degree 1) equal
    diff = eigenvalue.value - sympy.Rational(bound.numerator, bound.denominator)
    return 1 if bool(diff > 0) else -1  # sympy decides the sign of a non-zero algebraic number exactly


def classify(net, theta, eta) -> Classification:
    """Classify the minimum ``theta`` of ``net`` for the step ``eta`` (result A4).

    Parameters
    ----------
    net : LinearNetwork
    theta : sequence of exact numbers
        A point of M (checked exactly; a point off M is refused with its residual).
    eta : exact positive number

    Returns
    -------
    Classification

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> net.classify([1, 3, 4], "1/13").verdict      # lambda_max = 26 = 2/eta
    'marginal'
    >>> net.classify([1, 3, 4], "1/20").verdict
    'stable'
    """
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError(f"eta must be an exact positive number, got {eta!r}")
    point = [to_exact(t, where="theta") for t in theta]
    net.minima().check_on_manifold(point)
    bound = 2 / step
    try:
        spectrum = net.spectrum_at(point)
    except TooLargeError:
        from .spectrum import sharpness_enclosure

        lo, hi = sharpness_enclosure(net, point)
        if lo <= bound <= hi:
            raise InvalidInputError(
                f"2/eta = {bound} lies in the rigorous enclosure {format_interval(lo, hi)} of lambda_max "
                "and the exact spectrum is too large: undecided (use spectrum_at(..., force=True))") from None
        mid = (lo + hi) / 2
        return Classification(verdict="unstable" if lo > bound else "stable", eta=step,
                              lambda_max=sympy.Rational(mid.numerator, mid.denominator), dg_eigenvalues=(),
                              tangent_multiplicity=net.minima().dimension or 0, theta=tuple(point),
                              evidence=f"rigorous enclosure {format_interval(lo, hi, 15)} of lambda_max "
                                       "(exact spectrum too large)")
    positive = [e for e in spectrum.eigenvalues if e.enclosure[0] > 0]
    if not positive:  # H = 0 at this minimum (e.g. the origin when W* = 0, depth >= 3)
        verdict = "stable"
        top = sympy.Integer(0)
    else:
        top_eig = positive[-1]
        top = top_eig.value
        sign = _compare(top_eig, bound)
        verdict = {1: "unstable", 0: "marginal", -1: "stable"}[sign]
    eta_s = sympy.Rational(step.numerator, step.denominator)
    dg = tuple(1 - eta_s * e.value for e in spectrum.eigenvalues for _ in range(e.multiplicity))
    return Classification(verdict=verdict, eta=step, lambda_max=top,
                          dg_eigenvalues=dg + (sympy.Integer(1),) * spectrum.zero_multiplicity,
                          tangent_multiplicity=spectrum.zero_multiplicity, theta=tuple(point))


# =====================================================================================
# Critical step sizes eta_C and eta_E (result A5)
# =====================================================================================

_T = sympy.Symbol("t", positive=True)
_L = sympy.Symbol("lam")


def _kappa(net) -> sympy.Rational:
    """``2c``: the Hessian on M is ``2c J^T (Sigma-weighted) J`` for the loss ``c ||.||^2``."""
    return 2 * sympy.Rational(net.loss_scale.numerator, net.loss_scale.denominator)


def _frac(v) -> Fraction:
    v = sympy.Rational(v)
    return Fraction(int(v.p), int(v.q))


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
        v = _frac(value)
        return v, v
    x = sympy.Symbol("x")
    poly = sympy.minimal_polynomial(value, x, polys=True)
    approx = sympy.Rational(str(sympy.N(value, 60)))
    slack = sympy.Rational(1, 10**45)
    step = sympy.Rational(eps.numerator, eps.denominator)
    hits = [(a, b) for (a, b), _ in poly.intervals(eps=step)
            if a - slack <= approx <= b + slack]
    if len(hits) != 1:
        raise RuntimeError(f"could not isolate the algebraic number {value} (found {len(hits)} candidates)")
    a, b = hits[0]
    return _frac(a), _frac(b)


def _eigenvalues_exact(matrix: sympy.Matrix) -> list:
    """Eigenvalues of a rational symmetric matrix, exact, ascending (with repeats).

    The order is decided by exact real-root isolation, not by a float evaluation.
    """
    from .minima import _descending_eigenvalues, _root_value

    return [_root_value(key) for key in reversed(_descending_eigenvalues(sympy.Matrix(matrix)))]


def _scalar_sigma(Sigma: sympy.Matrix):
    """``s`` when ``Sigma = s I`` exactly, else None."""
    s = Sigma[0, 0]
    for i in range(Sigma.rows):
        for j in range(Sigma.cols):
            want = s if i == j else 0
            if sympy.simplify(Sigma[i, j] - want) != 0:
                return None
    return s


@dataclass(frozen=True)
class CriticalStepSizes:
    """``eta_C = 2 / min_M lambda_max`` and ``eta_E = 2 / inf_M lambda_min^+`` with their evidence.

    Attributes
    ----------
    eta_C : sympy.Expr or None
        Exact value (closed form, radicals, ``CRootOf``, ``oo``, or an
        expression in the data symbols); None when only bounds are known.
    eta_C_interval : (lo, hi) or None
        Rigorous rational enclosure of ``eta_C`` (Fractions; ``hi`` None when
        no upper bound is known). For a symbolic family: None.
    eta_E : sympy.Expr or None
        ``sympy.oo`` (with :attr:`escape_curve`) when ``d_0 d_H >= 2``.
    lambda_star : sympy.Expr or None
        ``min_M lambda_max``.
    witness : tuple or None
        A point of M attaining the minimum: sympy numbers when
        :attr:`witness_exact`, else ``dps``-digit decimal strings.
    escape_curve : EscapeCurve or None
    method : str
        How ``eta_C`` was obtained.
    evidence : str
        ``"exact"``, ``"enclosure"`` or ``"bounds"`` (never a bare float).
    proof : Z3Proof or None
        z3's verdict on "no point of M has ``lambda_max < 2/eta`` for ``eta > eta_C``".
    assumptions : tuple of str
        Conditions on the data symbols under which a symbolic result holds.
    """

    widths: tuple
    loss: str
    eta_C: object
    eta_C_interval: tuple | None
    eta_E: object
    lambda_star: object
    witness: tuple | None
    witness_exact: bool
    escape_curve: object
    method: str
    evidence: str
    proof: object
    dimension: int | None
    filling: bool
    assumptions: tuple = ()
    notes: tuple = ()
    numerical_check: dict | None = None
    eta_C_numerical: float | None = None

    @property
    def eta_C_float(self) -> float | None:
        """``float(eta_C)``; from the enclosure's midpoint when only an enclosure is known; None for ``oo``."""
        if self.eta_C is not None and not self.eta_C.free_symbols:
            return None if self.eta_C == sympy.oo else float(sympy.N(self.eta_C, 20))
        if self.eta_C_interval is not None and self.eta_C_interval[1] is not None:
            lo, hi = self.eta_C_interval
            if hi - lo <= Fraction(1, 10**12) * abs(hi):  # relative: eta_C may be 1e-13 or 1e13
                return float((lo + hi) / 2)
        return None

    @property
    def eta_E_float(self) -> float | None:
        if self.eta_E is None or self.eta_E == sympy.oo or self.eta_E.free_symbols:
            return None
        return float(sympy.N(self.eta_E, 20))

    def to_dict(self) -> dict:
        def s(v):
            return None if v is None else sympy.sstr(v)

        interval = None
        if self.eta_C_interval is not None:
            interval = [_decimal(self.eta_C_interval[0], floor=True),
                        None if self.eta_C_interval[1] is None else _decimal(self.eta_C_interval[1], floor=False)]
        return {
            "widths": list(self.widths),
            "loss": self.loss,
            "eta_C": s(self.eta_C),
            "eta_C_float": self.eta_C_float,
            "eta_C_interval": interval,
            "eta_C_numerical": self.eta_C_numerical,
            "eta_E": s(self.eta_E),
            "eta_E_float": self.eta_E_float,
            "lambda_star": s(self.lambda_star),
            "method": self.method,
            "evidence": self.evidence,
            "witness": None if self.witness is None else [str(v) for v in self.witness],
            "witness_exact": self.witness_exact,
            "dimension": self.dimension,
            "filling": self.filling,
            "assumptions": list(self.assumptions),
            "escape_curve": None if self.escape_curve is None else self.escape_curve.to_dict(),
            "proof": None if self.proof is None else self.proof.to_dict(),
            "numerical_check": self.numerical_check,
            "notes": list(self.notes),
        }

    def latex(self) -> str:
        lines = [r"\begin{align*}"]
        if self.lambda_star is not None:
            lines.append(rf"\min_{{\theta\in M}} \lambda_{{\max}}(\nabla^2 L(\theta)) &= {sympy.latex(self.lambda_star)} \\")
        if self.eta_C is not None:
            lines.append(rf"\eta_C &= {sympy.latex(self.eta_C)} \\")
        if self.eta_C_interval is not None:
            lo, hi = self.eta_C_interval
            hi_s = r"\infty" if hi is None else _decimal(hi, floor=False, digits=20)
            lines.append(rf"\eta_C &\in [{_decimal(lo, floor=True, digits=20)}, {hi_s}] \\")
        if self.eta_C is None and self.eta_C_numerical is not None:
            lines.append(rf"\eta_C &\approx {float(self.eta_C_numerical):.10g} \quad\text{{(numerical, not certified)}} \\")
        if self.eta_E is not None:
            lines.append(rf"\eta_E &= {sympy.latex(self.eta_E)}")
        if len(lines) == 1:
            lines.append(r"&\text{no critical step size was computed} \\")
        lines.append(r"\end{align*}")
        text = "\n".join(lines).replace(r"\\" + "\n" + r"\end", "\n" + r"\end")
        evidence = {"exact": "exact", "enclosure": "rigorous enclosure", "bounds": "rigorous bounds",
                    "numerical": "numerical only", "none": "no evidence"}.get(self.evidence, self.evidence)
        extra = f" Assumptions: {'; '.join(self.assumptions)}." if self.assumptions else ""
        return text + f"\n% method: {self.method} ({evidence}).{extra}"

    def __str__(self) -> str:
        lines = [f"critical step sizes for widths {self.widths} (loss {self.loss}):"]
        if self.lambda_star is not None:
            lines.append(f"  min over M of lambda_max = {sympy.sstr(self.lambda_star)}")
        eta_c = sympy.sstr(self.eta_C) if self.eta_C is not None else "not known exactly"
        lines.append(f"  eta_C = {eta_c}" + (f" ~ {self.eta_C_float:.12g}" if self.eta_C_float else ""))
        if self.eta_C_interval is not None:
            lo, hi = self.eta_C_interval
            lines.append(f"  eta_C in [{_decimal(lo, True, 25)}, {'oo' if hi is None else _decimal(hi, False, 25)}]"
                         " (rigorous)")
        if self.eta_C_numerical is not None and self.eta_C is None:
            lines.append(f"  eta_C ~ {self.eta_C_numerical:.10g} (best value a numerical search found, not certified)")
        lines.append(f"  eta_E = {'unknown' if self.eta_E is None else sympy.sstr(self.eta_E)}")
        lines.append(f"  method: {self.method} [{self.evidence}]")
        if self.witness is not None:
            kind = "exact" if self.witness_exact else "enclosed" if self.evidence == "bounds" else "numerical"
            lines.append(f"  witness ({kind}): [{', '.join(_short(v) for v in self.witness)}]")
        if self.escape_curve is not None:
            lines.append("  " + str(self.escape_curve).replace("\n", "\n  "))
        if self.proof is not None:
            lines.append(f"  z3: {self.proof}")
        lines.extend(f"  assumption: {a}" for a in self.assumptions)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _short(v) -> str:
    text = str(v) if isinstance(v, str) else sympy.sstr(v)
    return text if len(text) <= 24 else text[:21] + "..."


# --- witnesses ---------------------------------------------------------------------

def _balanced_witness_exact(widths, T: sympy.Matrix):
    """The balanced factorisation ``W_l = sum_i s_i^(1/H) (...)`` of a rank-one or diagonal target, exact.

    Returns the flat parameter tuple, or None when the target is neither.
    """
    H = len(widths) - 1
    d0, dH = widths[0], widths[-1]
    pairs = []  # (s_i, u_i, v_i) with T = sum s_i u_i v_i^T, u, v orthonormal
    if T.rank() == 1:
        i, j = next((i, j) for i in range(dH) for j in range(d0) if T[i, j] != 0)
        a, b = T[:, j], T[i, :].T / T[i, j]
        na, nb = sympy.sqrt(sum(v**2 for v in a)), sympy.sqrt(sum(v**2 for v in b))
        pairs.append((na * nb, a / na, b / nb))
    elif all(T[i, j] == 0 for i in range(dH) for j in range(d0) if i != j):
        for i in range(min(d0, dH)):
            if T[i, i] != 0:
                u = sympy.zeros(dH, 1)
                u[i] = sympy.sign(T[i, i])
                v = sympy.zeros(d0, 1)
                v[i] = 1
                pairs.append((abs(T[i, i]), u, v))
    else:
        return None
    weights = []
    for l in range(1, H + 1):
        W = sympy.zeros(widths[l], widths[l - 1])
        for k, (s, u, v) in enumerate(pairs):
            root = sympy.root(s, H)
            left = u if l == H else sympy.Matrix([1 if m == k else 0 for m in range(widths[l])])
            right = v if l == 1 else sympy.Matrix([1 if m == k else 0 for m in range(widths[l - 1])])
            W += root * left * right.T
        weights.append(W)
    product = weights[0]
    for W in weights[1:]:
        product = W * product
    if any(sympy.simplify(v) != 0 for v in (product - T)):
        raise RuntimeError("internal error: balanced witness is not on M")
    return tuple(sympy.radsimp(v) for W in weights for v in W)


def _balanced_witness_numeric(widths, T: sympy.Matrix, dps: int):
    """Balanced factorisation from a ``dps``-digit SVD of the target (mpmath)."""
    H = len(widths) - 1
    with mpmath.workdps(dps + 10):
        Tm = mpmath.matrix([[mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in row] for row in T.tolist()])
        U, S, V = mpmath.svd_r(Tm)
        k = len(S)
        weights = []
        for l in range(1, H + 1):
            rows, cols = widths[l], widths[l - 1]
            W = mpmath.matrix(rows, cols)
            for i in range(k):
                root = mpmath.root(S[i], H)
                for a in range(rows):
                    for b in range(cols):
                        left = U[a, i] if l == H else (1 if a == i else 0)
                        right = V[i, b] if l == 1 else (1 if b == i else 0)
                        W[a, b] += root * left * right
            weights.append(W)
        return tuple(mpmath.nstr(v, dps) for W in weights for v in W)


def _lambda_max_numeric(net, theta, dps: int):
    """``lambda_max`` of the normal operator at a point given by decimal strings or sympy numbers (mpmath)."""
    from .spectrum import normal_operator

    with mpmath.workdps(dps + 10):
        values = [mpmath.mpf(v) if isinstance(v, str) else mpmath.mpf(sympy.N(v, dps + 10)) for v in theta]
        weights = [sympy.Matrix(W.tolist()) for W in net.split(values)]
        K = normal_operator(net, [W.applyfunc(lambda v: sympy.Float(v, dps + 10)) for W in weights], symmetric=True)
        Sigma = net.Sigma
        dH = net.widths[-1]
        # eigenvalues of K (I (x) Sigma): those of S^(1/2) K S^(1/2); use the generalized form via Cholesky
        G = sympy.kronecker_product(sympy.eye(dH), Sigma)
        Km = mpmath.matrix([[mpmath.mpf(v) for v in row] for row in K.tolist()])
        Gm = mpmath.matrix([[mpmath.mpf(sympy.N(v, dps + 10)) for v in row] for row in G.tolist()])
        Lc = mpmath.cholesky(Gm)
        A = Lc.T * Km * Lc
        E = mpmath.eigsy(A, eigvals_only=True)
        return max(E)


# --- the main entry point ------------------------------------------------------------

def critical_step_sizes(net, *, dps: int = 50, prove: bool = True, z3_timeout: float = 10.0,
                        seed: int = 0, search_points: int = 6) -> CriticalStepSizes:
    """The critical step sizes ``eta_C`` and ``eta_E`` of ``net`` (result A5, MATH.md 1.3-1.4).

    Methods, tried in order:

    * depth 1: M is one point and ``H = 2c (I (x) Sigma)``: exact eigenvalues of Sigma;
    * target 0 (depth >= 2): the origin is in M with ``H = 0``, so ``eta_C = oo``;
    * ``Sigma = s I`` (whitened data, scalar input, scalar networks), filling:
      ``min_M lambda_max = 2c s H s_max(target)^(2 - 2/H)``, attained at the
      balanced factorisation (closed form; families supported);
    * widths ``(d, k, 1)`` with general Sigma, filling:
      ``min_t lambda_max(2c (t Sigma + v v^T / t))``, ``v = Sigma^(1/2) w*``
      (MATH.md 1.4). The minimum is a root of resultants of the critical-point
      equations; the right root is identified exactly by deciding
      ``exists t > 0 : lambda_max(t) < l`` for rational ``l`` (Sylvester
      minors, exact one-dimensional cell decomposition). Exact algebraic answer;
    * otherwise: rigorous bounds. Upper bound of the minimum from an exact
      rational point of M found by a numerical search along the orbit of the
      rescaling group (``W_l -> G_l W_l G_{l-1}^{-1}`` keeps the product exactly);
      lower bound ``2c lambda_min(Sigma) H s_max^(2-2/H)`` (filling case).

    ``eta_E = eta_C`` for ``d_0 = d_H = 1``; for ``d_0 d_H >= 2``, ``eta_E = oo``
    with an :class:`~symstab.spectrum.EscapeCurve` checked exactly. For tiny
    cases (``D <= 6``) z3 is asked to prove that no point of M has
    ``lambda_max < 2/eta`` when ``eta > eta_C``.

    Parameters
    ----------
    net : LinearNetwork
    dps : int
        Digits for numerical witnesses and checks; enclosures are refined to
        width below ``10^-(dps - 10)``.
    prove : bool
        Run z3 on tiny cases.
    z3_timeout : float
        Seconds given to z3 (``unknown`` on timeout: not proved).
    seed : int
        Seed of the search in the bounds method and of the base point of the escape curve.
    search_points : int
        Starting points for the bounds method.

    Returns
    -------
    CriticalStepSizes

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> cs = LinearNetwork.whitened((1, 1, 2), [[3], [4]]).critical_step_sizes(prove=False)
    >>> cs.eta_C, cs.eta_E, cs.method
    (1/5, oo, 'closed form (Sigma = s I, balanced factorisation)')
    >>> y = sympy.Symbol("y", positive=True)
    >>> LinearNetwork.whitened((1, 1, 1, 1), [[y]]).critical_step_sizes().eta_C
    2/(3*y**(4/3))
    """
    if dps < 20:
        raise InvalidInputError(f"dps must be at least 20, got {dps}")
    seed = check_seed(seed)
    M = net.minima(dps=dps)
    kappa = _kappa(net)
    H, dH = net.depth, net.widths[-1]
    family = net.is_family
    common = dict(widths=net.widths, loss=net.loss, dimension=M.dimension, filling=M.filling)
    eps = Fraction(1, 10 ** (dps - 10))
    notes = []

    if H == 1:
        return _depth_one(net, M, kappa, eps, common)
    if family:
        return _family(net, M, kappa, common)
    if not M.filling:
        return _bounds(net, M, kappa, eps, dps, seed, search_points, common, prove, z3_timeout)
    T = sympy.Matrix(M.target)
    if all(v == 0 for v in T):
        return CriticalStepSizes(
            eta_C=sympy.oo, eta_C_interval=None, eta_E=sympy.oo, lambda_star=sympy.Integer(0),
            witness=tuple(sympy.Integer(0) for _ in range(net.num_params)), witness_exact=True,
            escape_curve=None, method="target 0: the origin is a minimum with Hess L = 0",
            evidence="exact", proof=None,
            notes=("every eta > 0 leaves the origin stable (lambda_max = 0 there)",), **common)
    s = _scalar_sigma(net.Sigma)
    if s is not None:
        sigma2 = _eigenvalues_exact(T * T.T)[-1]
        lam = kappa * s * H * sympy.Pow(sigma2, sympy.Rational(H - 1, H))
        lam = sympy.radsimp(sympy.simplify(lam))
        eta = sympy.radsimp(sympy.simplify(2 / lam))
        lo, hi = enclose_algebraic(eta, eps)
        witness = _balanced_witness_exact(net.widths, T)
        exact_witness = witness is not None
        if witness is None:
            witness = _balanced_witness_numeric(net.widths, T, dps)
        check = _witness_check(net, witness, lam, dps)
        result = dict(eta_C=eta, eta_C_interval=(lo, hi), lambda_star=lam, witness=witness,
                      witness_exact=exact_witness, method="closed form (Sigma = s I, balanced factorisation)",
                      evidence="exact", numerical_check=check)
    elif H == 2 and dH == 1:
        result = _one_parameter(net, M, kappa, eps, dps)
    else:
        return _bounds(net, M, kappa, eps, dps, seed, search_points, common, prove, z3_timeout)
    eta_E, curve, more = _eta_E(net, M, result["eta_C"], seed)
    notes.extend(more)
    proof = None
    lam_star = result["lambda_star"]
    if prove and net.num_params <= 6:
        degree = 1 if lam_star.is_Rational else sympy.degree(sympy.minimal_polynomial(lam_star, _L), _L)
        if degree <= 3:
            from .certify import z3_critical_proof

            proof = z3_critical_proof(net, M, lam_star, timeout=z3_timeout)
        else:
            notes.append(f"z3 not run: lambda* has algebraic degree {degree} > 3 (nlsat times out)")
    return CriticalStepSizes(eta_E=eta_E, escape_curve=curve, proof=proof, notes=tuple(notes),
                             **result, **common)


def _witness_check(net, witness, lam, dps) -> dict:
    """Numerical re-evaluation of ``lambda_max`` at the witness (a check, not a proof)."""
    value = _lambda_max_numeric(net, witness, dps)
    with mpmath.workdps(dps + 10):
        target = mpmath.mpf(sympy.N(lam, dps + 10))
        err = abs(value - target)
        return {"kind": "numerical", "digits": dps, "lambda_max_at_witness": mpmath.nstr(value, 30),
                "abs_error": mpmath.nstr(err, 5), "agrees": bool(err <= mpmath.mpf(10) ** (-(dps - 15)) * max(1, abs(target)))}


def _depth_one(net, M, kappa, eps, common) -> CriticalStepSizes:
    net.require_numeric("critical step sizes of a depth-1 family")
    eig = _eigenvalues_exact(net.Sigma)
    top, bottom = kappa * eig[-1], kappa * eig[0]
    eta_C, eta_E = sympy.radsimp(2 / top), sympy.radsimp(2 / bottom)
    return CriticalStepSizes(
        eta_C=eta_C, eta_C_interval=enclose_algebraic(eta_C, eps), eta_E=eta_E, lambda_star=top,
        witness=tuple(v for v in sympy.Matrix(M.target)), witness_exact=True, escape_curve=None,
        method="depth 1: M is one point, Hess L = 2c (I (x) Sigma)", evidence="exact", proof=None, **common)


def _family(net, M, kappa, common) -> CriticalStepSizes:
    """Closed forms in the data symbols (``Sigma = s I``, filling, vector target)."""
    from .errors import SymbolicDataError

    s = _scalar_sigma(net.Sigma)
    if s is None or not M.filling or M.target is None:
        raise SymbolicDataError("critical step sizes of a family need Sigma = s I and a filling target "
                                "(a closed form); substitute values for the other cases")
    T = sympy.Matrix(M.target)
    H, d0, dH = net.depth, net.widths[0], net.widths[-1]
    if min(d0, dH) != 1:
        raise SymbolicDataError("closed forms for families are implemented for vector targets "
                                "(d_0 = 1 or d_H = 1); substitute values for matrix targets")
    if d0 == dH == 1:  # |t|, which sympy can simplify further (e.g. to t for a positive symbol)
        sigma = sympy.Abs(sympy.factor(sympy.cancel(T[0, 0])))
    else:
        sigma = sympy.sqrt(sympy.factor(sum(v**2 for v in T)))
    lam = _simplest(kappa * s * H * sigma ** (2 - sympy.Rational(2, H)), net.symbols)
    eta = _simplest(2 / lam, net.symbols)
    assumptions = [f"{sym} real" + (", > 0" if sym.is_positive else "") for sym in net.symbols]
    assumptions.append(f"Sigma = ({sympy.sstr(sympy.factor(s))}) I != 0 (the data X is not zero)")
    assumptions.append("target != 0 (else eta_C = oo)")
    eta_E = eta if d0 == dH == 1 else sympy.oo
    notes = []
    if eta_E == sympy.oo:
        notes.append("eta_E = oo by MATH.md A5; the escape curve is computed for numeric data "
                     "(substitute values to see it)")
    return CriticalStepSizes(eta_C=eta, eta_C_interval=None, eta_E=eta_E, lambda_star=lam,
                             witness=None, witness_exact=False, escape_curve=None,
                             method="closed form (Sigma = s I, balanced factorisation)", evidence="exact",
                             proof=None, assumptions=tuple(assumptions), notes=tuple(notes), **common)


def _simplest(expr, symbols=()):
    """``expr`` or its simplification with the data symbols taken real, whichever is shorter."""
    real = {sym: sympy.Symbol(sym.name, real=True) for sym in symbols if not sym.is_real}
    back = {v: k for k, v in real.items()}
    simpler = sympy.simplify(sympy.simplify(expr.xreplace(real))).xreplace(back)
    return simpler if sympy.count_ops(simpler) < sympy.count_ops(expr) else expr


# --- (d, k, 1) with general Sigma: an exact algebraic minimum -----------------------------

def _cell_samples(polys, var) -> list:
    """Rational points, one in every open cell of ``(0, oo)`` cut by the positive roots of ``polys``.

    Exact: the roots are isolated by rational intervals (sympy), refined until
    they are disjoint and away from 0; samples are the interval endpoints and
    midpoints between them, minus any point that is itself a root.
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


def _one_parameter(net, M, kappa, eps, dps) -> dict:
    """``min_t lambda_max(2c (t I + w w^T / t) Sigma)`` exactly, for widths ``(d, k, 1)`` (MATH.md 1.4).

    Reduction: ``t = ||W_2||^2`` and ``W_1^T W_1 >= w w^T / t`` (Cauchy-Schwarz,
    ``w = W_1^T W_2^T``) with equality for rank-one ``W_1``, so the minimum over
    M is a minimum over ``t > 0``.
    """
    lam, t = sympy.symbols("lam t")
    d = net.widths[0]
    w = sympy.Matrix(M.target).T
    Sigma, eye = net.Sigma, sympy.eye(d)
    F = sympy.Poly((t * lam * eye - kappa * (t**2 * eye + w * w.T) * Sigma).det(method="berkowitz"), lam, t)
    factors = [f for f, _ in F.factor_list()[1] if f.degree(lam) > 0]
    candidates = []
    for f in factors:
        ft = f.diff(t)
        if ft.is_zero:
            candidates.append(sympy.Poly(f.as_expr(), lam))
            continue
        candidates.append(sympy.Poly(sympy.resultant(f.as_expr(), ft.as_expr(), t), lam))
        if f.degree(lam) > 1:
            candidates.append(sympy.Poly(sympy.resultant(f.as_expr(), f.diff(lam).as_expr(), t), lam))
    for i in range(len(factors)):
        for j in range(i + 1, len(factors)):
            candidates.append(sympy.Poly(sympy.resultant(factors[i].as_expr(), factors[j].as_expr(), t), lam))
    irreducible = []
    for c in candidates:
        if c.is_zero or c.degree() == 0:
            continue
        for g, _ in c.factor_list()[1]:
            g = g.monic()
            if g.degree() > 0 and g not in irreducible:
                irreducible.append(g)
    step = sympy.Rational(1, 10**6)
    while True:
        roots = sorted(((a, b, k) for (a, b), idx in sympy.intervals(irreducible, eps=step, inf=0)
                        for k in idx if b > 0), key=lambda r: r[0])
        if all(r1[1] < r2[0] for r1, r2 in zip(roots, roots[1:])) and all(r[0] > 0 for r in roots):
            break
        step /= 1000

    Sinv = Sigma.inv()

    def below(ell) -> bool:
        """Exactly: is there t > 0 with lambda_max < ell, i.e. ell t Sigma^-1 - 2c (t^2 I + w w^T) > 0?"""
        S = ell * t * Sinv - kappa * (t**2 * eye + w * w.T)
        minors = [sympy.Poly(S[:k, :k].det(method="berkowitz"), t) for k in range(1, d + 1)]
        return any(all(m.eval(p) > 0 for m in minors) for p in _cell_samples(minors, t))

    chosen = None
    for j, (a, b, k) in enumerate(roots):
        u = (b + roots[j + 1][0]) / 2 if j + 1 < len(roots) else b + 1
        if below(u):
            chosen = (a, b, k)
            break
    if chosen is None:
        raise RuntimeError("internal error: no candidate root is the minimum of lambda_max")
    g = irreducible[chosen[2]]
    index = sum(1 for a, b, k in roots if k == chosen[2] and b < chosen[0])
    negatives = len([r for r in sympy.real_roots(g) if r <= 0])
    from .spectrum import _closed_form

    lam_star = _closed_form(g, negatives + index)
    lo_l, hi_l = enclose_algebraic(lam_star, eps / 100)
    eta = sympy.radsimp(2 / lam_star) if not isinstance(lam_star, sympy.CRootOf) else 2 / lam_star
    witness, check = _one_parameter_witness(net, w, kappa, lam_star, dps)
    return dict(eta_C=eta, eta_C_interval=(2 / hi_l, 2 / lo_l), lambda_star=lam_star, witness=witness,
                witness_exact=False, numerical_check=check,
                method="(d, k, 1) reduction to min over t > 0; exact root of the critical-point resultants, "
                       "identified (and the minimum proved) by an exact cell decomposition",
                evidence="exact")


def _one_parameter_witness(net, w, kappa, lam_star, dps):
    """Golden-section minimisation of the convex ``t -> lambda_max`` at ``2 dps`` digits; witness from ``t*``."""
    d, k = net.widths[0], net.widths[1]
    with mpmath.workdps(2 * dps + 20):
        Sigma = mpmath.matrix([[mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in row]
                               for row in net.Sigma.tolist()])
        L = mpmath.cholesky(Sigma)
        wv = mpmath.matrix([mpmath.mpf(sympy.Rational(v).p) / sympy.Rational(v).q for v in w])
        kap = mpmath.mpf(kappa.p) / kappa.q

        def f(u):
            tt = mpmath.exp(u)
            A = tt * mpmath.eye(d) + (wv * wv.T) / tt
            return kap * max(mpmath.eigsy(L.T * A * L, eigvals_only=True))

        scale = mpmath.log(mpmath.norm(wv))
        a, b = scale - 30, scale + 30
        g = (mpmath.sqrt(5) - 1) / 2
        c, e = b - g * (b - a), a + g * (b - a)
        fc, fe = f(c), f(e)
        tol = mpmath.mpf(10) ** (-(dps + 5))
        while b - a > tol:
            if fc < fe:
                b, e, fe = e, c, fc
                c = b - g * (b - a)
                fc = f(c)
            else:
                a, c, fc = c, e, fe
                e = a + g * (b - a)
                fe = f(e)
        u = (a + b) / 2
        value = f(u)
        root = mpmath.sqrt(mpmath.exp(u))
        W1 = [[wv[j] / root if i == 0 else mpmath.mpf(0) for j in range(d)] for i in range(k)]
        W2 = [root if i == 0 else mpmath.mpf(0) for i in range(k)]
        witness = tuple(mpmath.nstr(v, dps) for v in [x for row in W1 for x in row] + W2)
        target = mpmath.mpf(sympy.N(lam_star, 2 * dps + 20))
        err = abs(value - target)
        check = {"kind": "numerical (golden-section minimisation)", "digits": dps,
                 "numerical_minimum": mpmath.nstr(value, dps), "abs_error": mpmath.nstr(err, 5),
                 "agrees": bool(err <= mpmath.mpf(10) ** (-dps) * max(1, abs(target)))}
    return witness, check


# --- the general case: rigorous bounds -------------------------------------------------

def _float_lambda_max(net, weights, filling: bool, chol, kappa: float) -> float:
    import numpy as np

    from .network import hessian_from_weights, product_chain

    if filling:
        B, A = product_chain(weights)
        N = sum(np.kron(A[l] @ A[l].T, B[l].T @ B[l]) for l in range(len(weights)))
        G = np.kron(np.eye(weights[-1].shape[0]), chol)
        return float(np.linalg.eigvalsh(G.T @ N @ G)[-1]) * kappa
    Sigma = np.array(net.Sigma.tolist(), dtype=float)
    YXt = np.array((net.Y * net.X.T).tolist(), dtype=float)
    Hs = hessian_from_weights(weights, Sigma, YXt, float(net.loss_scale))
    return float(np.linalg.eigvalsh(Hs)[-1])


def _exact_lambda_max_upper(net, theta, filling: bool) -> Fraction:
    """A rigorous upper bound of ``lambda_max`` at an exact point of M."""
    from .spectrum import normal_operator

    if not filling:
        return net.spectrum_at(theta).eigenvalues[-1].enclosure[1]
    weights = [sympy.Matrix([[sympy.Rational(int(v.p), int(v.q)) for v in row] for row in W])
               for W in net.exact_weights(theta)]
    K = normal_operator(net, weights)
    import flint

    from .minima import _fmpq
    from .spectrum import _top_eigenvalue_upper

    return _top_eigenvalue_upper(flint.fmpq_mat(K.rows, K.cols, [_fmpq(v) for v in K]))


def _bounds(net, M, kappa, eps, dps, seed, search_points, common, prove, z3_timeout) -> CriticalStepSizes:
    """Rigorous ``eta_C`` bounds when no closed form or exact reduction applies.

    The upper bound of ``min_M lambda_max`` is ``lambda_max`` at an exact point of
    M near the best point a numerical search found (:func:`_search_on_M`); the
    search is a heuristic, so only the bound it yields is rigorous.
    """
    net.require_numeric("critical step sizes")
    H = net.depth
    value, theta_f = _search_on_M(net, M, kappa, seed, search_points)
    # round to ~6 significant digits of the layers' size ||T||^(1/H), whatever the scale of the data
    size = max(abs(float(v)) for v in theta_f) if len(theta_f) else 1.0
    denominator = 10**6 * max(1, math.ceil(1 / size)) if size > 0 else 10**6
    algebraic = None
    if not M.points_exact and M.target_field == "algebraic":
        algebraic = _algebraic_point_near(net, M, theta_f, denominator)
    if not M.points_exact and algebraic is None:
        witness = tuple(sympy.Float(float(v), 17) for v in theta_f)
        return CriticalStepSizes(
            eta_C=None, eta_C_interval=None, eta_E=None, lambda_star=None, witness=witness, witness_exact=False,
            escape_curve=None, eta_C_numerical=2 / value,
            method="numerical only: projected random search over M in float64 (the target is not known "
                   "exactly here, so there is no exact point of M to bound the minimum rigorously)",
            evidence="numerical", proof=None,
            notes=tuple(M.notes) + ("eta_C_numerical is the best value found by a local search, "
                                    "not a certified minimum",), **common)
    witness_exact = True
    if algebraic is not None:
        exact, balls = algebraic
        upper = _lambda_max_upper_from_balls(net, balls)
        how = ("near the best point of a numerical search over M; layers rounded to rationals except a "
               "rational-times-exact factorisation of the irrational target at the bottleneck, so the point is "
               "algebraic and exactly on M; lambda_max there bounded in ball arithmetic (arb Hessian, Weyl)")
        if exact is not None:
            witness = tuple(exact)
        else:
            witness, witness_exact = tuple(sympy.Float(x.mid().str(32, radius=False), 30) for x in balls), False
            radius = max(float(x.rad()) for x in balls)
            how += (f"; the witness is that algebraic point, shown as 30-digit midpoints of enclosures of "
                    f"radius <= {radius:.1e}")
    else:
        exact = _exact_point_near(net, M, theta_f, denominator)
        how = "near the best point of a numerical search over M, made exact by solving one layer"
        if exact is None:  # no layer can be solved exactly: move an exact point of M along the rescaling orbit
            exact = _orbit_search(net, M, kappa, seed, search_points)
            how = "from a numerical search along the rescaling orbits of exact points of M, rounded to rationals"
        witness = tuple(exact)
        M.check_on_manifold(witness)
        upper = _exact_lambda_max_upper(net, witness, M.filling)
    hi_eta = None
    notes = [f"eta_C's lower end: lambda_max at an exact point of M ({how}) bounds the minimum from above",
             "eta_C_numerical is the best value the search found, not a certified minimum"]
    import flint

    from .spectrum import _enclose

    lam_min_sigma = _eigenvalues_exact(net.Sigma)[0]
    lo_s = enclose_algebraic(lam_min_sigma, Fraction(1, 10**30))[0]
    target = sympy.Matrix(M.target)
    if M.points_exact:
        sigma2 = _eigenvalues_exact(target * target.T)[-1]
        lo_t = enclose_algebraic(sigma2, Fraction(1, 10**30))[0]
    else:  # s_max^2 >= ||target||_F^2 / rank (equality for rank 1)
        lo_t = enclose_algebraic(sympy.expand((target * target.T).trace()), Fraction(1, 10**30))[0] / M.rank
    old = flint.ctx.prec
    try:
        flint.ctx.prec = 200
        power = flint.arb(flint.fmpq(lo_t.numerator, lo_t.denominator)) ** flint.arb(flint.fmpq(H - 1, H))
        lower = Fraction(int(kappa.p), int(kappa.q)) * lo_s * H * _enclose(power)[0]
    finally:
        flint.ctx.prec = old
    if M.filling:
        notes.append("eta_C's upper end: lambda_max >= 2c lambda_min(Sigma) lambda_max(J J^T) >= "
                     "2c lambda_min(Sigma) H s_max^(2-2/H) (whitened minimum)")
    else:
        # tr H = tr(2c J^T (Sigma-weighted) J): the residual term has a zero diagonal (mu is linear
        # in each entry), and lambda_max >= tr H / rank H
        from .spectrum import _hessian_rank_bound

        k = _hessian_rank_bound(net, M)
        lower = lower / k
        notes.append(f"eta_C's upper end (non-filling): lambda_max >= tr H / rank H >= 2c lambda_min(Sigma) "
                     f"||J||_F^2 / {k} >= 2c lambda_min(Sigma) H s_max^(2-2/H) / {k} (the residual term is "
                     "traceless; rank H <= " + ("D - dim M" if M.is_smooth else "D") + ")")
    if lower > 0:
        hi_eta = 2 / lower
    eta_E, curve, more = _eta_E(net, M, None, seed)
    notes.extend(more)
    return CriticalStepSizes(
        eta_C=None, eta_C_interval=(2 / upper, hi_eta), eta_E=eta_E, lambda_star=None, witness=witness,
        witness_exact=witness_exact, escape_curve=curve,
        method="bounds: lambda_max at an exact point of M found by a numerical search (upper bound of the "
               "minimum), Sigma-weighted whitened bound (lower bound)",
        evidence="bounds", proof=None, eta_C_numerical=2 / min(value, float(upper)), notes=tuple(notes), **common)


def _search_on_M(net, M, kappa, seed, starts, iters=400):
    """Heuristic minimisation of ``lambda_max`` over M in float64: random steps projected back onto M.

    Projection is Gauss-Newton on ``mu(theta) = target`` (M is a fibre of mu).
    Starts: exact points of M when it has them, then random points projected
    onto M. Returns ``(value, theta)``; the value is only a numerical estimate.
    """
    import numpy as np

    from .network import product_chain

    rng = np.random.default_rng(seed)
    T = np.array([[float(sympy.N(v, 20)) for v in row] for row in sympy.Matrix(M.target).tolist()])
    norm_T = float(np.linalg.norm(T))
    tol = 1e-11 * norm_T if norm_T > 0 else 1e-11  # relative: targets may be 1e-12 or 1e12
    scale = norm_T ** (1 / net.depth) if norm_T > 0 else 1.0  # layers of a point of M have this size
    chol = np.linalg.cholesky(np.array(net.Sigma.tolist(), dtype=float))
    D, kap = net.num_params, float(kappa)

    def project(theta, rounds=30):
        for _ in range(rounds):
            W = net.split(theta, dtype=float)
            A_, B_ = product_chain(W)
            mu = B_[0] @ W[0] @ A_[0]
            r = (mu - T).ravel()
            if np.linalg.norm(r) < tol:
                return theta
            J = np.hstack([np.kron(B_[l], A_[l].T) for l in range(len(W))])
            theta = theta - np.linalg.lstsq(J, r, rcond=None)[0]
        return None

    def value_at(theta):
        return _float_lambda_max(net, net.split(theta, dtype=float), M.filling, chol, kap)

    initial = []
    for k in range(starts):
        if k % 2 == 0:
            initial.append(np.array([float(v) for v in M.point(seed=seed * 1000 + k)]))
        else:
            guess = project(rng.standard_normal(D) * scale)
            if guess is not None:
                initial.append(guess)
    best = (np.inf, None)
    for theta in initial:
        value, step = value_at(theta), 0.3
        for _ in range(iters):
            trial = project(theta + step * rng.standard_normal(D) * (scale + np.abs(theta)), 20)
            trial_value = value_at(trial) if trial is not None else np.inf
            if trial_value < value:
                theta, value, step = trial, trial_value, step * 1.3
            else:
                step *= 0.93
            if step < 1e-9:
                break
        if value < best[0]:
            best = (value, theta)
    return best


def _solved_point(net, theta, denominator, T):
    """Round all layers of ``theta`` but one to rationals, then solve that one so the product is ``T`` exactly.

    The solved layer gets the smallest exact correction ``(T - W P) P^+`` (or its
    mirror for the first layer), so the point stays close to ``theta``. ``T`` may
    hold algebraic numbers or symbols: the solved layer is affine in ``T`` with
    rational coefficients. Returns the weights (sympy matrices) or None when
    neither end layer can be solved (a bottleneck narrower than ``d_0`` and ``d_H``).
    """
    from .spectrum import _chain

    values = [Fraction(str(v) if isinstance(v, str) else repr(float(sympy.N(v, 20)) if isinstance(v, sympy.Basic)
                                                              else float(v))).limit_denominator(denominator)
              for v in theta]
    weights = [sympy.Matrix([[sympy.Rational(x.numerator, x.denominator) for x in row] for row in W])
               for W in net.split(values)]
    for solve_last in (True, False):
        trial = list(weights)
        try:
            if solve_last:
                P = _chain(trial[:-1], net.widths[0])  # W_(H-1) .. W_1
                if P.rank() < P.cols:
                    continue
                trial[-1] = trial[-1] + (T - trial[-1] * P) * (P.T * P).inv() * P.T
            else:
                Q = _chain(trial[1:], net.widths[1])  # W_H .. W_2
                if Q.rank() < Q.rows:
                    continue
                trial[0] = trial[0] + Q.T * (Q * Q.T).inv() * (T - Q * trial[0])
        except (ValueError, ZeroDivisionError, sympy.matrices.exceptions.NonInvertibleMatrixError):
            continue
        trial = [W.applyfunc(sympy.expand) for W in trial]
        if all(sympy.expand(e) == 0 for e in _chain(trial, net.widths[0]) - T):
            return trial
    return None


def _exact_point_near(net, M, theta, denominator):
    """A rational point of M near ``theta`` (:func:`_solved_point` with the rational target), or None."""
    if not M.points_exact:
        return None
    trial = _solved_point(net, theta, denominator, sympy.Matrix(M.target))
    if trial is None:
        return None
    return [Fraction(int(v.p), int(v.q)) for W in trial for v in W]


def _algebraic_point_near(net, M, theta, denominator, prec: int = 256):
    """An exact point of M near ``theta`` for an irrational (algebraic) target, with rigorous arb enclosures.

    With ``r = rank T`` at a bottleneck interface ``b`` (``d_b = r``): ``U`` is
    ``r`` independent columns of ``T`` and ``V = (U^T U)^-1 U^T T``, so ``T = U V``
    exactly. ``G`` is a rational ``r x r`` matrix near the float point's
    ``W_b..W_1 V^+``; the layers below ``b`` are made to multiply to ``G V`` and
    those above to ``U G^-1`` by rounding all of them but one (first / last) to
    rationals and solving that one (the corrections of :func:`_solved_point`).
    Every step is an exact identity, so the point lies on M; its coordinates are
    returned as arb balls computed from rational enclosures of ``T``
    (:func:`enclose_algebraic`) and, when ``T`` has radicals only, exactly
    (sympy; ``None`` for ``CRootOf`` targets). Returns ``(exact, balls)`` or None.
    """
    import flint
    import numpy as np

    from .minima import _fmpq
    from .spectrum import _chain

    T = sympy.Matrix(M.target)
    r, widths, H = M.rank, net.widths, net.depth
    inner = [l for l in range(1, H) if widths[l] == r]
    if not inner or r is None or r == 0:
        return None
    b = inner[0]
    Tf = np.array([[float(sympy.N(v, 30)) for v in T.row(i)] for i in range(T.rows)])
    cols = []
    for j in range(T.cols):  # r independent columns of T (greedy, float; checked exactly below)
        if np.linalg.matrix_rank(Tf[:, cols + [j]], tol=1e-9 * np.linalg.norm(Tf)) == len(cols) + 1:
            cols.append(j)
        if len(cols) == r:
            break
    if len(cols) < r:
        return None
    values = [Fraction(repr(float(v))).limit_denominator(denominator) for v in theta]
    rational = [sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in row] for row in W])
                for W in net.split(values)]
    floats = [np.array(W, dtype=float) for W in net.split([float(v) for v in theta], dtype=float)]
    left_f = floats[0]
    for W in floats[1:b]:
        left_f = W @ left_f
    Uf = Tf[:, cols]
    Vf = np.linalg.solve(Uf.T @ Uf, Uf.T @ Tf)
    Gf = left_f @ np.linalg.pinv(Vf)
    G = sympy.Matrix(r, r, lambda i, j: sympy.Rational(Fraction(repr(float(Gf[i, j]))).limit_denominator(denominator)))
    if G.det() == 0:
        return None
    Ginv = G.inv()
    Q = _chain(rational[1:b], widths[1])  # W_b .. W_2 (rational), r x d_1
    C = _chain(rational[b:H - 1], widths[b])  # W_(H-1) .. W_(b+1) (rational), d_(H-1) x r
    if Q.rank() < Q.rows or C.rank() < C.cols:
        return None
    left_solve = Q.T * (Q * Q.T).inv()  # W_1 = W1 + Qs (L - Q W1)
    right_solve = (C.T * C).inv() * C.T  # W_H = WH + (R - WH C) Cs

    def layers_for(Tm, U, conv):
        """The layers for target ``Tm`` (columns ``U``), in ``Tm``'s matrix type (sympy or arb_mat);
        ``conv`` maps the rational sympy matrices to that type."""
        V = (U.transpose() * U).inv() * U.transpose() * Tm
        L, R = conv(G) * V, U * conv(Ginv)
        layers = [conv(W) for W in rational]
        layers[0] = layers[0] + conv(left_solve) * (L - conv(Q) * layers[0]) if b > 1 else L
        layers[H - 1] = layers[H - 1] + (R - layers[H - 1] * conv(C)) * conv(right_solve) if b < H - 1 else R
        return layers

    eps = Fraction(1, 2 ** (prec - 16))
    # the formulas in ball arithmetic (this also checks that U^T U is invertible)
    old = flint.ctx.prec
    try:
        flint.ctx.prec = prec

        def q2a(v):
            return flint.arb(_fmpq(v))

        def amat(M_):
            return flint.arb_mat(M_.rows, M_.cols, [q2a(v) for v in M_])

        boxes = [enclose_algebraic(v, eps) for v in T]
        Ta = flint.arb_mat(T.rows, T.cols, [q2a(lo).union(q2a(hi)) for lo, hi in boxes])
        Ua = flint.arb_mat(T.rows, r, [Ta[i, j] for i in range(T.rows) for j in cols])
        layers_a = layers_for(Ta, Ua, amat)
        balls = [W[i, j] for W in layers_a for i in range(W.nrows()) for j in range(W.ncols())]
    except ZeroDivisionError:
        return None
    finally:
        flint.ctx.prec = old
    exact = None
    if not T.has(sympy.CRootOf):  # radicals: the exact coordinates stay small (CRootOf ones do not)
        exact = [sympy.radsimp(sympy.expand(v)) for W in layers_for(T, T[:, cols], lambda m: m) for v in W]
    return exact, balls


def _lambda_max_upper_from_balls(net, balls, prec: int = 256) -> Fraction:
    """A rigorous upper bound of ``lambda_max(Hess L)`` at a point known by arb enclosures of its entries.

    The Hessian is evaluated in ball arithmetic (:func:`hessian_from_weights` on
    object arrays of ``flint.arb``); with ``A`` in ``A_mid +- R``,
    ``lambda_max(A) <= lambda_max(A_mid) + ||R||_F`` (Weyl), and
    ``lambda_max(A_mid)`` is enclosed exactly (rational charpoly, root isolation).
    """
    import flint
    import numpy as np

    from .minima import _fmpq
    from .network import hessian_from_weights
    from .spectrum import _enclose, _exact, _top_eigenvalue_upper

    old = flint.ctx.prec
    try:
        flint.ctx.prec = prec

        def arb_matrix(M):
            return np.array([[flint.arb(_fmpq(v)) for v in M.row(i)] for i in range(M.rows)], dtype=object)

        weights = [np.array(W, dtype=object) for W in net.split(balls, dtype=object)]
        Hess = hessian_from_weights(weights, arb_matrix(net.Sigma), arb_matrix(net.Y * net.X.T),
                                    flint.arb(_fmpq(net.loss_scale)))
        D = Hess.shape[0]
        mids = [[_exact(Hess[i, j].mid()) for j in range(D)] for i in range(D)]
        rad2 = sum(_exact(Hess[i, j].rad()) ** 2 for i in range(D) for j in range(D))
        mid = flint.fmpq_mat(D, D, [flint.fmpq(v.numerator, v.denominator)
                                    for i in range(D) for v in [(mids[i][j] + mids[j][i]) / 2 for j in range(D)]])
        asym = max(abs(mids[i][j] - mids[j][i]) / 2 for i in range(D) for j in range(D))
        top = _top_eigenvalue_upper(mid)
        spread = _enclose(flint.arb(flint.fmpq(rad2.numerator, rad2.denominator)).sqrt())[1]
    finally:
        flint.ctx.prec = old
    return top + spread + D * asym


def _orbit_search(net, M, kappa, seed, starts):
    """An exact point of M with small ``lambda_max``: rational rescalings ``G_l`` of exact points of M."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(np.array(net.Sigma.tolist(), dtype=float))
    H, widths = net.depth, net.widths
    best = None
    for start in range(starts):
        theta0 = M.point(seed=seed * 1000 + start)
        W0 = [np.array([[float(v) for v in row] for row in W], dtype=float) for W in net.split(theta0)]
        G = [np.eye(widths[l]) for l in range(1, H)]

        def apply(Gs):
            out = []
            for l in range(H):
                W = W0[l]
                if l < H - 1:
                    W = Gs[l] @ W
                if l > 0:
                    W = W @ np.linalg.inv(Gs[l - 1])
                out.append(W)
            return out

        value = _float_lambda_max(net, apply(G), M.filling, chol, float(kappa))
        step = 0.3
        for _ in range(600):
            trial = [g @ (np.eye(g.shape[0]) + step * rng.standard_normal(g.shape)) for g in G]
            if any(abs(np.linalg.det(g)) < 1e-8 for g in trial):
                continue
            v = _float_lambda_max(net, apply(trial), M.filling, chol, float(kappa))
            if v < value:
                G, value = trial, v
                step *= 1.2
            else:
                step *= 0.95
            if step < 1e-7:
                break
        if best is None or value < best[0]:
            best = (value, G, theta0)
    value, G, theta0 = best
    weights = [sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in row] for row in W])
               for W in net.split(theta0)]
    Gs = [sympy.Matrix([[sympy.Rational(Fraction(float(x)).limit_denominator(10**6)) for x in row] for row in g])
          for g in G]
    exact = []
    for l in range(H):
        W = weights[l]
        if l < H - 1:
            W = Gs[l] * W
        if l > 0:
            W = W * Gs[l - 1].inv()
        exact.append(W)
    return [_frac(v) for W in exact for v in W]


def _eta_E(net, M, eta_C, seed):
    """``eta_E``: ``eta_C`` for scalar input and output; ``oo`` with a checked escape curve otherwise."""
    d0, dH = net.widths[0], net.widths[-1]
    if d0 == dH == 1:
        return eta_C, None, ["d_0 = d_H = 1: one non-zero eigenvalue on M, so eta_E = eta_C"]
    from .spectrum import escape_curve

    curve = escape_curve(net, seed=seed)
    if curve is not None and curve.proved:
        return sympy.oo, curve, []
    return None, curve, ["eta_E not decided: no escape curve was verified for this case"]


# =====================================================================================
# M_SS(eta) and M_WS(eta) as semi-algebraic sets (result A4)
# =====================================================================================

@dataclass(frozen=True)
class StableSet:
    """``M_SS(eta)`` (every normal direction contracts) or ``M_WS(eta)`` (at least one does).

    With ``l = 2/eta``, ``N = J J^T`` and ``S(theta) = l (I (x) Sigma^-1) - 2c N(theta)``
    (symmetric, ``d_0 d_H`` square), Sylvester's law of inertia gives
    ``#{positive eigenvalues of S} = #{eigenvalues of K below l}`` where the
    ``n - k`` zero eigenvalues of K (``k = rank J``) always count. Hence

    * ``M_SS = {theta in M : S(theta) > 0}`` -- all leading principal minors
      of ``S`` positive (:attr:`conditions`);
    * ``M_WS = {theta in M : S(theta) has more than n - k positive eigenvalues}``
      -- by Descartes' rule (S is real-rooted), more than ``n - k`` sign changes
      in the coefficients of ``det(x I - S(theta))`` (:attr:`conditions`).

    Non-filling (``filling`` False): the Hessian on M has a residual term, so
    ``S(theta) = l I - Hess L(theta)`` (``D`` square); ``M_SS`` is again ``S > 0``
    and ``M_WS`` asks for more than ``D - rank Hess L`` positive eigenvalues of ``S``
    (the kernel of ``Hess L`` holds the tangent space of M).

    Membership of an exact point (:meth:`contains`) is decided exactly.
    """

    kind: str
    eta: Fraction
    conditions: tuple
    radius_bound: object
    net: object = field(repr=False, compare=False)
    filling: bool = True
    curve: object = field(default=None, repr=False, compare=False)

    def contains(self, theta) -> bool:
        """Exact membership of a rational point (checked to lie on M)."""
        import flint

        M = self.net.minima()
        if not M.points_exact:
            raise InvalidInputError("membership is decided at rational points of M; this target is irrational, "
                                    "so M has none (use classify with an exact point of your own)")
        point = [to_exact(t, where="theta") for t in theta]
        M.check_on_manifold(point)
        S = _inertia_matrix(self.net, [sympy.Matrix([[sympy.Rational(int(v.p), int(v.q)) for v in row] for row in W])
                                       for W in self.net.exact_weights(point)], self.eta)
        if self.kind == "M_SS":
            return all(S[:k, :k].det() > 0 for k in range(1, S.rows + 1))
        Sq = flint.fmpq_mat(S.rows, S.cols, [flint.fmpq(int(v.p), int(v.q)) for v in S])
        if self.filling:
            kernel = S.rows - _rank_J(self.net, point)
        else:  # rank Hess L = rank(l I - S)
            ell = flint.fmpq(2 * self.eta.denominator, self.eta.numerator)
            kernel = S.rows - (ell * flint.fmpq_mat(S.rows, S.rows, [int(i == j) for i in range(S.rows)
                                                                      for j in range(S.rows)]) - Sq).rank()
        return _sign_changes(Sq.charpoly().coeffs()) > kernel

    def to_dict(self) -> dict:
        return {"kind": self.kind, "eta": str(self.eta), "conditions": [sympy.sstr(c) for c in self.conditions],
                "radius_bound": None if self.radius_bound is None else sympy.sstr(self.radius_bound),
                "description": self.description}

    @property
    def description(self) -> str:
        S = ("S(theta) = (2/eta)(I (x) Sigma^-1) - 2c J J^T" if self.filling
             else "S(theta) = (2/eta) I - Hess L(theta) (non-filling: residual term included)")
        if self.kind == "M_SS":
            return f"{{theta in M : leading principal minors of {S} all > 0}}"
        n = "d_0 d_H - rank J" if self.filling else "D - rank Hess L"
        return f"{{theta in M : the coefficients of det(x I - S(theta)) have more than {n} sign changes; {S}}}"

    def latex(self) -> str:
        name = r"M_{SS}" if self.kind == "M_SS" else r"M_{WS}"
        ell = sympy.Rational(2) / sympy.Rational(self.eta.numerator, self.eta.denominator)
        if self.filling:
            rank, S = r"n - \operatorname{rank} J", rf"{sympy.latex(ell)}\,(I \otimes \Sigma^{{-1}}) - 2c\,J J^\top"
        else:
            rank, S = r"D - \operatorname{rank} \nabla^2 L", rf"{sympy.latex(ell)}\,I - \nabla^2 L(\theta)"
        head = (rf"{name}(\eta) = \{{\theta \in M : "
                + (r"\Delta_i(\theta) > 0,\ i = 1..n" if self.kind == "M_SS" else rf"\operatorname{{var}}(\chi_S) > {rank}")
                + rf"\}},\quad S = {S}")
        if self.radius_bound == 0:
            head += r",\quad \text{empty}"
        elif self.radius_bound == sympy.oo:
            head += r",\quad \text{unbounded}"
        elif self.radius_bound is not None:
            head += rf",\quad \|\theta\| < {sympy.latex(self.radius_bound)}"
        return head

    def __str__(self) -> str:
        lines = [f"{self.kind}(eta = {self.eta}) = {self.description}"]
        if not self.conditions:
            lines.append(f"  (defining polynomials not expanded for D = {self.net.num_params}, d_0 d_H = "
                         f"{self.net.widths[0] * self.net.widths[-1]}; exact membership of rational points "
                         "is still decided exactly by contains())")
        for i, c in enumerate(self.conditions, 1):
            text = sympy.sstr(c)
            lines.append(f"  condition {i}: {text if len(text) < 300 else text[:297] + '...'}")
        if self.radius_bound == 0:
            lines.append("  EMPTY (rigorous): eta exceeds the upper end of the eta_C enclosure, so lambda_max > 2/eta "
                         "on all of M")
        elif self.radius_bound == sympy.oo:
            top = "" if self.curve is None else f" = {format(float(sympy.N(self.curve.lambda_max, 20)), '.12g')}"
            lines.append(f"  UNBOUNDED (exact): a curve in M with ||theta|| -> oo and constant lambda_max{top} < 2/eta "
                         "lies in it (see spectrum.bounded_sharpness_curve)")
        elif self.radius_bound is not None:
            lines.append(f"  bounded: ||theta|| < {sympy.sstr(self.radius_bound)} on M_SS (from the properness bound)")
        return "\n".join(lines)


def _inertia_matrix(net, weights, eta: Fraction) -> sympy.Matrix:
    from .spectrum import _symbolic_hessian, normal_operator

    ell = sympy.Rational(2 * eta.denominator, eta.numerator)
    if not net.minima().filling:
        return (ell * sympy.eye(net.num_params) - _symbolic_hessian(net, weights)).applyfunc(sympy.expand)
    dH = net.widths[-1]
    return (ell * sympy.kronecker_product(sympy.eye(dH), net.Sigma.inv())
            - normal_operator(net, weights, symmetric=True)).applyfunc(sympy.expand)


def _sign_changes(coeffs) -> int:
    signs = [c > 0 for c in coeffs if c != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _rank_J(net, point) -> int:
    from .minima import _rank, product_jacobian

    return _rank(product_jacobian(net, point))


def stable_set(net, eta, kind: str = "M_SS", *, symbolic_limit: int = 4, symbolic_params: int = 8,
               decide_empty: bool = True) -> StableSet:
    """``M_SS(eta)`` or ``M_WS(eta)`` as a semi-algebraic set (result A4); numeric data.

    Parameters
    ----------
    net : LinearNetwork
    eta : exact positive number
    kind : ``"M_SS"`` or ``"M_WS"``
    symbolic_limit : int
        Largest ``d_0 d_H`` for which the defining polynomials are expanded symbolically.
    symbolic_params : int
        Largest parameter count ``D`` for which they are expanded (beyond it the
        expansions take minutes and run to pages; the set is described by the
        matrix ``S(theta)`` and exact membership still works).
    decide_empty : bool
        Compute ``eta_C``'s enclosure to report ``M_SS`` empty (``radius_bound = 0``)
        when ``eta`` exceeds it (up to a few seconds without a closed form).

    Returns
    -------
    StableSet

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> ss = stable_set(net, "1/20")
    >>> ss.contains([1, 3, 4]), ss.contains(["1/2", 6, 8])   # lambda_max = 26 and 100 + 1/4 vs 2/eta = 40
    (True, False)
    >>> ss.radius_bound    # lambda_max >= ||theta||^2 / 2 on M
    4*sqrt(5)
    """
    from .spectrum import properness

    if kind not in ("M_SS", "M_WS"):
        raise InvalidInputError(f"kind must be 'M_SS' or 'M_WS', got {kind!r}")
    step = to_exact(eta, where="eta")
    if not isinstance(step, Fraction) or step <= 0:
        raise InvalidInputError(f"eta must be an exact positive number, got {eta!r}")
    net.require_numeric("M_SS / M_WS")
    M = net.minima()
    conditions = ()
    n = net.widths[0] * net.widths[-1] if M.filling else net.num_params
    if n <= symbolic_limit and net.num_params <= symbolic_params:
        names = sympy.symbols(" ".join(net.param_names))
        names = names if isinstance(names, tuple) else (names,)
        S = _inertia_matrix(net, [sympy.Matrix(W.tolist()) for W in net.split(list(names))], step)
        if kind == "M_SS":
            conditions = tuple(sympy.expand(S[:k, :k].det(method="berkowitz")) for k in range(1, n + 1))
        else:
            x = sympy.Symbol("x")
            conditions = tuple(sympy.Poly(S.charpoly(x).as_expr(), x).all_coeffs())
    radius = curve = None
    if kind == "M_SS":
        level = 2 / sympy.Rational(step.numerator, step.denominator)
        proof = properness(net)
        radius = proof.radius(level)
        steps = []  # critical_step_sizes, computed at most once and only when needed

        def eta_c():
            if not steps:
                steps.append(critical_step_sizes(net, prove=False))
            return steps[0]

        curve = _unbounded_curve_below(net, M, proof, level, eta_c) if proof.disproved else None
        if curve is not None:
            radius = sympy.oo  # the whole bounded-sharpness curve lies in M_SS(eta)
        elif decide_empty:
            cs = eta_c()
            top = None if cs.eta_C_interval is None else cs.eta_C_interval[1]
            if top is not None and top != sympy.oo and step > top:  # lambda_max >= 2/top > 2/eta on all of M
                radius = sympy.Integer(0)
    return StableSet(kind=kind, eta=step, conditions=conditions, radius_bound=radius, net=net, filling=M.filling,
                     curve=curve)


def _unbounded_curve_below(net, M, proof, level, eta_c):
    """A bounded-sharpness curve with ``lambda_max < level`` (it lies in ``M_SS``), or None.

    The default curve (from the rank factorisation) is tried first, then one
    from an exact point of M next to the ``eta_C`` witness, whose constant
    ``lambda_max`` is within rounding of ``min_M lambda_max``; ``eta_c()`` returns
    the (cached) :class:`CriticalStepSizes`.
    """
    from .spectrum import bounded_sharpness_curve

    def below(curve):
        return (curve is not None and curve.proved
                and enclose_algebraic(curve.lambda_max, Fraction(1, 10**30))[1] < level)

    if below(proof.counterexample):
        return proof.counterexample
    cs = eta_c()
    if cs.witness is None:
        return None
    base = _exact_point_near(net, M, cs.witness, 10**8)  # exact or numerical witness: rounded, one layer solved
    curve = bounded_sharpness_curve(net, base) if base is not None else None
    return curve if below(curve) else None
