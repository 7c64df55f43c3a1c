"""Result A6, the float64 engine: the problem data, batched GD, and the driver that classifies runs.

* :class:`Problem` and :func:`problem_of` -- what a worker needs of a network:
  numpy arrays and exact strings, picklable (no flint or sympy objects);
* :class:`FloatEngine` -- K float64 runs at once, weights stored batch-last;
* :func:`drive` -- runs an engine (this one, or the high-precision
  :class:`~symstab.simulate.precision.ArbEngine`), retires diverged and converged
  runs, and classifies the rest with the codes of :data:`STATUSES`.

Everything here is numerical evidence for A6 (docs/theory.md, A6); the public
entry points :func:`~symstab.simulate.gd` and
:func:`~symstab.simulate.convergence_sweep` sit above this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from ..exact.numbers import as_fraction
from ..network import hessian_from_weights

__all__ = ["STATUSES", "FloatEngine", "Problem", "drive", "problem_of"]

#: Run statuses, in the order used by :meth:`GDRuns.counts`; :func:`drive` returns their indices.
STATUSES = ("converged", "diverged", "periodic", "bounded", "saddle", "origin")


# --------------------------------------------------------------------------- problem


@dataclass(frozen=True, eq=False)
class Problem:
    """What a worker needs: numpy arrays and exact strings, no flint or sympy objects (picklable).

    Built by :func:`problem_of`; the float fields drive the float64 engine, the
    ``*_exact`` fields (rows of strings) the high-precision one.
    """

    widths: tuple
    scale: float  # c in L = c ||mu X - Y||^2
    scale_exact: str
    sigma: np.ndarray  # (d0, d0)
    yxt: np.ndarray  # (dH, d0)
    sigma_exact: tuple  # rows of strings
    yxt_exact: tuple
    target: np.ndarray  # the minimal product Wbar (float, numerical in the non-filling case)
    sigma_is_identity: bool

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def shapes(self) -> list:
        return [(self.widths[l + 1], self.widths[l]) for l in range(self.depth)]

    @property
    def num_params(self) -> int:
        return sum(r * c for r, c in self.shapes)

    @property
    def grad_scale(self) -> float:
        return max(1.0, 2 * self.scale * float(np.linalg.norm(self.yxt)))

    @property
    def target_scale(self) -> float:
        return max(1.0, float(np.linalg.norm(self.target)))

    @property
    def natural_scale(self) -> float:
        """``s_max(Wbar)^(1/H)``: the size of a layer of a balanced minimum."""
        s = float(np.linalg.norm(self.target, 2))
        return s ** (1.0 / self.depth) if s > 0 else 1.0

    def split(self, theta) -> list:
        out, k = [], 0
        for r, c in self.shapes:
            out.append(np.asarray(theta[k:k + r * c], dtype=float).reshape(r, c))
            k += r * c
        return out

    def hessian(self, theta) -> np.ndarray:
        """The float64 Hessian at ``theta`` (shared formula :func:`symstab.network.hessian_from_weights`)."""
        return hessian_from_weights(self.split(theta), self.sigma, self.yxt, self.scale)

    def fingerprint(self) -> str:
        data = json.dumps([list(self.widths), self.scale_exact, list(self.sigma_exact), list(self.yxt_exact)])
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def problem_of(net) -> Problem:
    """The float and exact data of ``net`` for the engines (``W*`` and ``Wbar`` as in docs/theory.md, A2).

    Parameters
    ----------
    net : LinearNetwork
        Numeric data (a family must be substituted first).

    Returns
    -------
    Problem
        The target is ``Wbar``: ``W* = Y X^T Sigma^-1`` when it fills the
        bottleneck, else its Sigma-weighted best rank-``r`` approximation
        (computed in float64).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> p.shapes, p.num_params, p.target.tolist(), p.sigma_is_identity
    ([(1, 1), (2, 1)], 3, [[3.0], [4.0]], True)
    """
    net.require_numeric("simulation")
    sigma_q = [[as_fraction(v) for v in row] for row in net.Sigma.tolist()]
    yxt_q = [[as_fraction(v) for v in row] for row in (net.Y * net.X.T).tolist()]
    sigma = np.array([[float(v) for v in row] for row in sigma_q])
    yxt = np.array([[float(v) for v in row] for row in yxt_q])
    w_star = np.linalg.solve(sigma.T, yxt.T).T  # Y X^T Sigma^{-1}
    r = min(net.widths)
    target = w_star
    if np.linalg.matrix_rank(w_star) > r:
        # non-filling: Wbar = P W*, P the projector on the top-r eigenspace of W* Sigma W*^T (numerical)
        _, vecs = np.linalg.eigh(w_star @ sigma @ w_star.T)
        U = vecs[:, ::-1][:, :r]
        target = U @ U.T @ w_star
    return Problem(
        widths=tuple(net.widths), scale=float(net.loss_scale), scale_exact=str(net.loss_scale),
        sigma=sigma, yxt=yxt,
        sigma_exact=tuple(tuple(str(v) for v in row) for row in sigma_q),
        yxt_exact=tuple(tuple(str(v) for v in row) for row in yxt_q),
        target=target, sigma_is_identity=bool(np.array_equal(sigma, np.eye(len(sigma)))),
    )


# --------------------------------------------------------------------------- float engine


def _mm(A, B):
    """Batched product of batch-last stacks: ``A`` (i, k, K), ``B`` (k, j, K) -> (i, j, K).

    Batch axes of length 1 broadcast (constant data matrices).  A sum of ``k``
    broadcast products: for the tiny matrices of interest this beats
    ``np.matmul`` on a leading batch axis by an order of magnitude.
    """
    C = A[:, 0, None, :] * B[None, 0, :, :]
    for k in range(1, A.shape[1]):
        C += A[:, k, None, :] * B[None, k, :, :]
    return C


def _t(A):
    return A.transpose(1, 0, 2)


class FloatEngine:
    """K float64 runs at once, weights stored batch-last: ``W_l`` of shape ``(d_l, d_{l-1}, K)``.

    One step is a handful of broadcast multiply-adds over the batch axis, so it
    costs ``O(sum d^3)`` numpy calls independent of K.  The layer products are
    this engine's own (not :func:`symstab.exact.matrices.product_chain`): the
    batch-last layout is the fast path.

    Parameters
    ----------
    problem : Problem
    eta : float
    theta0 : numpy.ndarray
        ``(K, D)`` starting points.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> engine = FloatEngine(problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]])), 0.1, np.array([[2, 1.5, 2]]))
    >>> engine.advance(1); engine.theta().tolist()   # a point of M stays put
    [[2.0, 1.5, 2.0]]
    """

    def __init__(self, problem: Problem, eta: float, theta0: np.ndarray):
        self.p = problem
        self.factor = 2.0 * problem.scale * float(eta)
        K = theta0.shape[0]
        self.W, k = [], 0
        for r, c in problem.shapes:
            self.W.append(np.ascontiguousarray(theta0[:, k:k + r * c].T.reshape(r, c, K)))
            k += r * c
        self.sigma = problem.sigma[:, :, None]
        self.yxt = problem.yxt[:, :, None]

    @property
    def size(self) -> int:
        return self.W[0].shape[2]

    def _grad(self):
        """``(blocks, mu)`` with ``blocks[l] = A_l^T P B_l^T`` (the gradient over ``2c``)."""
        W = self.W
        H = len(W)
        B = [None] * H
        cur = None
        for l in range(1, H):
            cur = W[0] if l == 1 else _mm(W[l - 1], cur)
            B[l] = cur
        mu = W[0] if H == 1 else _mm(W[H - 1], B[H - 1])
        P = (mu - self.yxt) if self.p.sigma_is_identity else (_mm(mu, self.sigma) - self.yxt)
        blocks = [None] * H
        Q = P
        for l in range(H - 1, -1, -1):
            blocks[l] = Q if l == 0 else _mm(Q, _t(B[l]))
            if l > 0:
                Q = _mm(_t(W[l]), Q)
        return blocks, mu

    def advance(self, n: int) -> None:
        k = self.factor
        for _ in range(n):
            blocks, _ = self._grad()
            for W, g in zip(self.W, blocks):
                g *= k
                W -= g

    def measure(self):
        """Per run: gradient norm, ``||mu - Wbar||_F``, ``||theta||_inf``, finiteness."""
        blocks, mu = self._grad()
        g2 = sum((g * g).sum(axis=(0, 1)) for g in blocks)
        grad = 2 * self.p.scale * np.sqrt(g2)
        resid = np.sqrt(((mu - self.p.target[:, :, None]) ** 2).sum(axis=(0, 1)))
        big = np.max([np.abs(W).max(axis=(0, 1)) for W in self.W], axis=0)
        finite = np.isfinite(grad) & np.isfinite(big) & np.isfinite(resid)
        return grad, resid, big, finite

    def theta(self) -> np.ndarray:
        K = self.size
        return np.concatenate([W.reshape(-1, K) for W in self.W], axis=0).T.copy()

    def keep(self, mask) -> None:
        self.W = [np.ascontiguousarray(W[:, :, mask]) for W in self.W]


# --------------------------------------------------------------------------- the driver


def _max_last(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=-1)`` (NaN-propagating), as D elementwise maxima: 6x faster for the small last axis here."""
    out = a[..., 0].copy()
    for d in range(1, a.shape[-1]):
        np.maximum(out, a[..., d], out=out)
    return out


def drive(engine, problem: Problem, steps: int, opts: dict):
    """Run ``engine`` for ``steps`` steps, retiring finished runs; return per-run arrays.

    Every ``check_every`` steps a run that overflows or exceeds ``diverge_bound``
    is retired as diverged, one with ``||grad L|| <= tol * g0`` and
    ``||mu - Wbar||_F <= tol * r0`` as converged.  Runs still active at the end
    are classified from the last ``2 max_period`` iterates (periodic, saddle,
    origin or bounded; see :mod:`symstab.simulate`).

    Parameters
    ----------
    engine : FloatEngine or ArbEngine
    problem : Problem
    steps : int
    opts : dict
        The run options (``tol``, ``check_every``, ``max_period``, ``period_tol``,
        ``diverge_bound``, ``origin_radius``).

    Returns
    -------
    tuple
        ``(status, grad, resid, stop, period, theta, exact)``: status codes
        (indices into :data:`STATUSES`), final gradient norms and residuals, stop
        steps, periods, final iterates ``(K, D)``, and for an :class:`ArbEngine`
        the exact midpoints of the final iterates (``None`` for a float engine).

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> opts = dict(tol=1e-9, check_every=50, max_period=32, period_tol=1e-7, diverge_bound=1e30, origin_radius=None)
    >>> status, *_ = drive(FloatEngine(p, 0.1, np.array([[2, 1.5, 2], [40.0, 1, 1]])), p, 500, opts)
    >>> [STATUSES[s] for s in status]
    ['converged', 'diverged']
    """
    K = engine.size
    D = problem.num_params
    status = np.full(K, -1, dtype=np.int8)
    grad_out = np.full(K, np.nan)
    resid_out = np.full(K, np.nan)
    stop = np.full(K, steps, dtype=np.int64)
    period = np.zeros(K, dtype=np.int64)
    theta_out = np.full((K, D), np.nan)
    gtol = opts["tol"] * problem.grad_scale
    rtol = opts["tol"] * problem.target_scale
    max_period = min(opts["max_period"], steps // 2)  # 0: too few steps to look for a period
    window = 2 * max_period
    main = steps - window
    active = np.arange(K)
    exact_out = [None] * K if hasattr(engine, "midpoints") else None

    def retire(mask, code, grad, resid, t):
        idx = active[mask]
        status[idx] = code
        grad_out[idx] = grad[mask]
        resid_out[idx] = resid[mask]
        stop[idx] = t
        theta_out[idx] = engine.theta()[mask]
        if exact_out is not None:
            mids = engine.midpoints()
            for i, m in zip(idx, (m for m, k in zip(mids, mask) if k)):
                exact_out[i] = m

    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        t = 0
        while t < main and active.size:
            n = min(opts["check_every"], main - t)
            engine.advance(n)
            t += n
            grad, resid, big, finite = engine.measure()
            diverged = ~finite | (big > opts["diverge_bound"])
            converged = ~diverged & (grad <= gtol) & (resid <= rtol)
            done = diverged | converged
            if done.any():
                grad = np.where(diverged, np.inf, grad)
                retire(diverged, 1, grad, resid, t)
                retire(converged, 0, grad, resid, t)
                engine.keep(~done)
                active = active[~done]
        if active.size:
            history = np.empty((max(window, 1), active.size, D))
            for s in range(window):
                engine.advance(1)
                history[s] = engine.theta()
            if not window:
                history[0] = engine.theta()
            grad, resid, big, finite = engine.measure()
            theta = history[-1]
            diverged = ~finite | (big > opts["diverge_bound"]) | ~np.isfinite(history).all(axis=(0, 2))
            clean = np.where(np.isfinite(history), history, 0.0)
            converged = ~diverged & (grad <= gtol) & (resid <= rtol)
            norm = np.linalg.norm(np.where(np.isfinite(theta), theta, 0.0), axis=1)
            scale_inf = 1.0 + _max_last(np.abs(clean))  # (window, K)
            found = np.zeros(active.size, dtype=np.int64)
            for p in range(1, max_period + 1) if max_period else ():
                lo = window - max_period
                diff = _max_last(np.abs(history[lo:] - history[lo - p:window - p])) / scale_inf[lo:]
                hit = (found == 0) & (diff.max(axis=0) <= opts["period_tol"])
                found[hit] = p
            radius = opts["origin_radius"]
            if radius is None:
                radius = 0.1 * problem.natural_scale
            far = resid > 1e-3 * problem.target_scale
            code = np.full(active.size, 3, dtype=np.int8)  # bounded
            code[found >= 2] = 2  # periodic
            code[(found == 1) & far] = 4  # saddle
            code[far & (norm <= radius)] = 5  # origin
            code[converged] = 0
            code[diverged] = 1
            status[active] = code
            grad_out[active] = np.where(diverged, np.inf, grad)
            resid_out[active] = resid
            stop[active] = steps
            period[active] = np.where(code == 2, found, 0)
            theta_out[active] = theta
            if exact_out is not None:
                for i, m in zip(active, engine.midpoints()):
                    exact_out[i] = m
    return status, grad_out, resid_out, stop, period, theta_out, exact_out
