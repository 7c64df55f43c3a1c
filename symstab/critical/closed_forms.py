"""Result A5 in closed form: depth 1, ``Sigma = s I`` (balanced factorisations), families, and ``eta_E``.

The closed forms of docs/theory.md (A5 table) with their witnesses: the balanced
factorisation of the target, exact for rank-one and diagonal targets and at
``dps`` digits otherwise, re-evaluated numerically as a check (labelled as such).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy

from ..errors import SymbolicDataError
from ..exact.algebraic import eigenvalues_exact, enclose_algebraic
from ..exact.latex import to_latex
from ..exact.matrices import scalar_identity_factor
from ..exact.numbers import as_rational
from ..spectrum import escape_curve, normal_operator
from .result import CriticalStepSizes

__all__ = ["balanced_witness_exact", "balanced_witness_numeric", "depth_one", "eta_E", "family",
           "lambda_max_numeric", "scalar_sigma_closed_form", "witness_check"]


# --- witnesses: balanced factorisations --------------------------------------------

def balanced_witness_exact(widths, T: sympy.Matrix, rank=None):
    """The balanced factorisation ``W_l = sum_i s_i^(1/H) (...)`` of a rank-one or diagonal target, exact.

    ``rank``: the rank of ``T`` when known (sympy's rank of a matrix of ``CRootOf`` entries takes minutes).
    Returns the flat parameter tuple, or None when the target is neither.
    """
    H = len(widths) - 1
    d0, dH = widths[0], widths[-1]
    pairs = []  # (s_i, u_i, v_i) with T = sum s_i u_i v_i^T, u, v orthonormal
    if (T.rank() if rank is None else rank) == 1:
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
    return tuple(v if v.is_Rational else sympy.radsimp(v) for W in weights for v in W)  # most entries are 0


def balanced_witness_numeric(widths, T: sympy.Matrix, dps: int):
    """Balanced factorisation from a ``dps``-digit SVD of the target (mpmath)."""
    H = len(widths) - 1
    with mpmath.workdps(dps + 10):
        # rational, or algebraic (a non-filling target's entries hold roots of K's characteristic polynomial)
        Tm = mpmath.matrix([[mpmath.mpf(as_rational(v).p) / as_rational(v).q if v.is_Rational
                             else mpmath.mpf(sympy.N(v, dps + 10)) for v in row] for row in T.tolist()])
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


def lambda_max_numeric(net, theta, dps: int):
    """``lambda_max`` of the normal operator at a point given by decimal strings or sympy numbers (mpmath)."""
    with mpmath.workdps(dps + 10):
        values = [mpmath.mpf(v) if isinstance(v, str) else mpmath.mpf(int(v)) if v.is_Integer
                  else mpmath.mpf(sympy.N(v, dps + 10)) for v in theta]
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


def scalar_sigma_closed_form(net, T: sympy.Matrix, s, eps: Fraction, dps: int, W_star=None, rank=None) -> dict:
    """``min_M lambda_max = 2c s H s_max(W*)^(2 - 2/H)`` for ``Sigma = s I``, at the balanced factorisation of ``T``.

    ``T`` is the product on M; ``W_star`` (default ``T``) the target, whose largest
    singular value ``T`` keeps also when M is non-filling (docs/theory.md,
    "eta_C for whitened non-filling networks").

    Returns the fields of :class:`CriticalStepSizes` that the closed form fixes: the
    exact ``eta_C`` with an enclosure, ``lambda*``, the witness (exact for rank-one
    or diagonal targets, ``dps`` digits otherwise) and a numerical re-evaluation.
    """
    H = net.depth
    top = T if W_star is None else sympy.Matrix(W_star)
    sigma2 = eigenvalues_exact(top * top.T)[-1]
    lam = net.kappa * s * H * sympy.Pow(sigma2, sympy.Rational(H - 1, H))
    lam = sympy.radsimp(sympy.simplify(lam))
    eta = sympy.radsimp(sympy.simplify(2 / lam))
    lo, hi = enclose_algebraic(eta, eps)
    witness = balanced_witness_exact(net.widths, T, rank)
    exact_witness = witness is not None
    if witness is None:
        witness = balanced_witness_numeric(net.widths, T, dps)
    check = witness_check(net, witness, lam, dps)
    return dict(eta_C=eta, eta_C_interval=(lo, hi), lambda_star=lam, witness=witness,
                witness_exact=exact_witness, method="closed form (Sigma = s I, balanced factorisation)",
                evidence="exact", numerical_check=check)


def witness_check(net, witness, lam, dps) -> dict:
    """Numerical re-evaluation of ``lambda_max`` at the witness (a check, not a proof)."""
    value = lambda_max_numeric(net, witness, dps)
    with mpmath.workdps(dps + 10):
        target = mpmath.mpf(sympy.N(lam, dps + 10))
        err = abs(value - target)
        return {"kind": "numerical", "digits": dps, "lambda_max_at_witness": mpmath.nstr(value, 30),
                "abs_error": mpmath.nstr(err, 5), "agrees": bool(err <= mpmath.mpf(10) ** (-(dps - 15)) * max(1, abs(target)))}


def depth_one(net, M, eps, common) -> CriticalStepSizes:
    """Depth 1: M is one point and ``Hess L = 2c (I (x) Sigma)``, so ``eta_C``, ``eta_E`` come from Sigma's eigenvalues."""
    net.require_numeric("critical step sizes of a depth-1 family")
    eig = eigenvalues_exact(net.Sigma)
    top, bottom = net.kappa * eig[-1], net.kappa * eig[0]
    eta_C, eta_E = sympy.radsimp(2 / top), sympy.radsimp(2 / bottom)
    return CriticalStepSizes(
        eta_C=eta_C, eta_C_interval=enclose_algebraic(eta_C, eps), eta_E=eta_E, lambda_star=top,
        witness=tuple(v for v in sympy.Matrix(M.target)), witness_exact=True, escape_curve=None,
        method="depth 1: M is one point, Hess L = 2c (I (x) Sigma)", evidence="exact", proof=None, **common)


def family(net, M, common) -> CriticalStepSizes:
    """Closed forms in the data symbols (``Sigma = s I``, filling, vector target)."""
    s = scalar_identity_factor(net.Sigma)
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
    lam = _simplest(net.kappa * s * H * sigma ** (2 - sympy.Rational(2, H)), net.symbols)
    eta = _simplest(2 / lam, net.symbols)
    assumptions = [f"{sym} real" + (", > 0" if sym.is_positive else "") for sym in net.symbols]
    assumptions.append(f"Sigma = ({sympy.sstr(sympy.factor(s))}) I != 0 (the data X is not zero)")
    assumptions.append("target != 0 (else eta_C = oo)")
    assumptions_latex = [f"${to_latex(sym)}$ real" + (f", ${to_latex(sym)} > 0$" if sym.is_positive else "")
                         for sym in net.symbols]
    scale = "" if sympy.factor(s) == 1 else to_latex(sympy.factor(s)) + r"\,"
    assumptions_latex.append(rf"$\Sigma = {scale}I \neq 0$ (the data $X$ is not zero)")
    assumptions_latex.append(r"the target is not zero (else $\eta_C = \infty$)")
    eta_E = eta if d0 == dH == 1 else sympy.oo
    notes = []
    if eta_E == sympy.oo:
        notes.append("eta_E = oo by docs/theory.md, A5; the escape curve is computed for numeric data "
                     "(substitute values to see it)")
    return CriticalStepSizes(eta_C=eta, eta_C_interval=None, eta_E=eta_E, lambda_star=lam,
                             witness=None, witness_exact=False, escape_curve=None,
                             method="closed form (Sigma = s I, balanced factorisation)", evidence="exact",
                             proof=None, assumptions=tuple(assumptions), notes=tuple(notes),
                             assumptions_latex=tuple(assumptions_latex), **common)


def _simplest(expr, symbols=()):
    """``expr`` or its simplification with the data symbols taken real, whichever is shorter."""
    real = {sym: sympy.Symbol(sym.name, real=True) for sym in symbols if not sym.is_real}
    back = {v: k for k, v in real.items()}
    simpler = sympy.simplify(sympy.simplify(expr.xreplace(real))).xreplace(back)
    return simpler if sympy.count_ops(simpler) < sympy.count_ops(expr) else expr


def eta_E(net, eta_C, seed):
    """``(eta_E, escape curve or None, notes)``: ``eta_C`` for scalar input and output, else ``oo`` with a checked curve."""
    d0, dH = net.widths[0], net.widths[-1]
    if d0 == dH == 1:
        return eta_C, None, ["d_0 = d_H = 1: one non-zero eigenvalue on M, so eta_E = eta_C"]
    curve = escape_curve(net, seed=seed)
    if curve is not None and curve.proved:
        return sympy.oo, curve, []
    return None, curve, ["eta_E not decided: no escape curve was verified for this case"]


