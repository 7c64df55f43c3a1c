"""Result A5, the search on M: numerical minimisation of ``lambda_max`` and exact points of M near its best point.

The search is a heuristic (float64); what comes out of it is made rigorous
here: a point of M that is exact (rational, or algebraic with arb enclosures of
its coordinates) and a rigorous upper bound of ``lambda_max`` there, which bounds
``min_M lambda_max`` from above (the lower end of the ``eta_C`` interval).
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import sympy

from ..exact.algebraic import arf_to_fraction, ball_endpoints, enclose_algebraic, top_eigenvalue_upper
from ..exact.matrices import chain, fmpq_matrix, product_chain, sympy_matrix
from ..exact.numbers import as_fmpq, as_fraction
from ..network import hessian_from_weights, jacobian_from_weights, jacobian_gram_from_weights
from ..spectrum import normal_operator, spectrum_at

__all__ = ["algebraic_point_near", "exact_lambda_max_upper", "exact_point_near", "float_lambda_max",
           "lambda_max_upper_from_balls", "orbit_search", "search_on_M"]


def float_lambda_max(net, weights, filling: bool, chol, kappa: float) -> float:
    """``lambda_max`` at float64 weights: of the normal operator (filling) or of the full Hessian (numerical)."""
    if filling:
        N = jacobian_gram_from_weights(weights)
        G = np.kron(np.eye(weights[-1].shape[0]), chol)
        return float(np.linalg.eigvalsh(G.T @ N @ G)[-1]) * kappa
    Sigma = np.array(net.Sigma.tolist(), dtype=float)
    YXt = np.array((net.Y * net.X.T).tolist(), dtype=float)
    Hs = hessian_from_weights(weights, Sigma, YXt, float(net.loss_scale))
    return float(np.linalg.eigvalsh(Hs)[-1])


def exact_lambda_max_upper(net, theta, filling: bool) -> Fraction:
    """A rigorous upper bound of ``lambda_max`` at an exact point of M."""
    if not filling:
        return spectrum_at(net, theta).eigenvalues[-1].enclosure[1]
    K = normal_operator(net, [sympy_matrix(W) for W in net.exact_weights(theta)])
    return top_eigenvalue_upper(fmpq_matrix(K))


def search_on_M(net, M, kappa, seed, starts, iters=400):
    """Heuristic minimisation of ``lambda_max`` over M in float64: random steps projected back onto M.

    Projection is Gauss-Newton on ``mu(theta) = target`` (M is a fibre of mu).
    Starts: exact points of M when it has them, then random points projected
    onto M. Returns ``(value, theta)``; the value is only a numerical estimate.
    """
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
            B, A = product_chain(W)
            r = (A[0] @ W[0] @ B[0] - T).ravel()
            if np.linalg.norm(r) < tol:
                return theta
            J = jacobian_from_weights(W)
            theta = theta - np.linalg.lstsq(J, r, rcond=None)[0]
        return None

    def value_at(theta):
        return float_lambda_max(net, net.split(theta, dtype=float), M.filling, chol, kap)

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
    values = [Fraction(str(v) if isinstance(v, str) else repr(float(sympy.N(v, 20)) if isinstance(v, sympy.Basic)
                                                              else float(v))).limit_denominator(denominator)
              for v in theta]
    weights = [sympy.Matrix([[sympy.Rational(x.numerator, x.denominator) for x in row] for row in W])
               for W in net.split(values)]
    for solve_last in (True, False):
        trial = list(weights)
        try:
            if solve_last:
                P = chain(trial[:-1], net.widths[0])  # W_(H-1) .. W_1
                if P.rank() < P.cols:
                    continue
                trial[-1] = trial[-1] + (T - trial[-1] * P) * (P.T * P).inv() * P.T
            else:
                Q = chain(trial[1:], net.widths[1])  # W_H .. W_2
                if Q.rank() < Q.rows:
                    continue
                trial[0] = trial[0] + Q.T * (Q * Q.T).inv() * (T - Q * trial[0])
        except (ValueError, ZeroDivisionError, sympy.matrices.exceptions.NonInvertibleMatrixError):
            continue
        trial = [W.applyfunc(sympy.expand) for W in trial]
        if all(sympy.expand(e) == 0 for e in chain(trial, net.widths[0]) - T):
            return trial
    return None


def exact_point_near(net, M, theta, denominator):
    """A rational point of M near ``theta`` (:func:`_solved_point` with the rational target), or None."""
    if not M.points_exact:
        return None
    trial = _solved_point(net, theta, denominator, sympy.Matrix(M.target))
    if trial is None:
        return None
    return [Fraction(int(v.p), int(v.q)) for W in trial for v in W]


def algebraic_point_near(net, M, theta, denominator, prec: int = 256):
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
    Q = chain(rational[1:b], widths[1])  # W_b .. W_2 (rational), r x d_1
    C = chain(rational[b:H - 1], widths[b])  # W_(H-1) .. W_(b+1) (rational), d_(H-1) x r
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
    def q2a(v):
        return flint.arb(as_fmpq(v))

    def amat(M_):
        return flint.arb_mat(M_.rows, M_.cols, [q2a(v) for v in M_])

    try:
        with flint.ctx.workprec(prec):
            boxes = [enclose_algebraic(v, eps) for v in T]
            Ta = flint.arb_mat(T.rows, T.cols, [q2a(lo).union(q2a(hi)) for lo, hi in boxes])
            Ua = flint.arb_mat(T.rows, r, [Ta[i, j] for i in range(T.rows) for j in cols])
            layers_a = layers_for(Ta, Ua, amat)
            balls = [W[i, j] for W in layers_a for i in range(W.nrows()) for j in range(W.ncols())]
    except ZeroDivisionError:
        return None
    exact = None
    if not T.has(sympy.CRootOf):  # radicals: the exact coordinates stay small (CRootOf ones do not)
        exact = [sympy.radsimp(sympy.expand(v)) for W in layers_for(T, T[:, cols], lambda m: m) for v in W]
    return exact, balls


def lambda_max_upper_from_balls(net, balls, prec: int = 256) -> Fraction:
    """A rigorous upper bound of ``lambda_max(Hess L)`` at a point known by arb enclosures of its entries.

    The Hessian is evaluated in ball arithmetic (:func:`hessian_from_weights` on
    object arrays of ``flint.arb``); with ``A`` in ``A_mid +- R``,
    ``lambda_max(A) <= lambda_max(A_mid) + ||R||_F`` (Weyl), and
    ``lambda_max(A_mid)`` is enclosed exactly (rational charpoly, root isolation).
    """
    def arb_matrix(M):
        return np.array([[flint.arb(as_fmpq(v)) for v in M.row(i)] for i in range(M.rows)], dtype=object)

    with flint.ctx.workprec(prec):

        weights = [np.array(W, dtype=object) for W in net.split(balls, dtype=object)]
        Hess = hessian_from_weights(weights, arb_matrix(net.Sigma), arb_matrix(net.Y * net.X.T),
                                    flint.arb(as_fmpq(net.loss_scale)))
        D = Hess.shape[0]
        mids = [[arf_to_fraction(Hess[i, j].mid()) for j in range(D)] for i in range(D)]
        rad2 = sum(arf_to_fraction(Hess[i, j].rad()) ** 2 for i in range(D) for j in range(D))
        mid = flint.fmpq_mat(D, D, [flint.fmpq(v.numerator, v.denominator)
                                    for i in range(D) for v in [(mids[i][j] + mids[j][i]) / 2 for j in range(D)]])
        asym = max(abs(mids[i][j] - mids[j][i]) / 2 for i in range(D) for j in range(D))
        top = top_eigenvalue_upper(mid)
        spread = ball_endpoints(flint.arb(as_fmpq(rad2)).sqrt())[1]
    return top + spread + D * asym


def orbit_search(net, M, kappa, seed, starts):
    """An exact point of M with small ``lambda_max``: rational rescalings ``G_l`` of exact points of M."""
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

        value = float_lambda_max(net, apply(G), M.filling, chol, float(kappa))
        step = 0.3
        for _ in range(600):
            trial = [g @ (np.eye(g.shape[0]) + step * rng.standard_normal(g.shape)) for g in G]
            if any(abs(np.linalg.det(g)) < 1e-8 for g in trial):
                continue
            v = float_lambda_max(net, apply(trial), M.filling, chol, float(kappa))
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
    return [as_fraction(v) for W in exact for v in W]


