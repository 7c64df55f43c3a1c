"""Numerical GD trajectories: batched float64, high precision, and the phase transition (A6).

This module shows result A6 (MATH.md 1.3) happening: for ``eta < eta_C`` a
positive fraction of random initialisations converges to the set M of global
minima, and every limit has sharpness below ``2/eta`` (it lies in ``M_SS``);
for ``eta > eta_C`` the fraction is zero and the asymptotic gradient norm jumps.
Everything here is **numerical** evidence (float64 or multiprecision
midpoints); the exact statements live in :mod:`symstab.critical` and
:mod:`symstab.gdmap`.  ``eta_C`` itself comes from the exact layer
(``net.critical_step_sizes()``) unless passed explicitly.

Three engines share one driver (:func:`_drive`):

* **batched float64** -- the weights of K runs are stored batch-last,
  ``W_l`` of shape ``(d_l, d_{l-1}, K)``, and each small matrix product is a
  handful of broadcast multiply-adds over the batch axis, so one step costs
  ``O(sum d^3)`` numpy calls independent of K (no per-trajectory Python loop).
  Overflow is silenced with :func:`numpy.errstate` and classified as divergence.
* **high precision** -- python-flint ``arb_mat`` used as multiprecision floats:
  the ball is replaced by its midpoint after every step (iterating balls would
  blow the radius up), at ``dps`` decimal digits set by :func:`flint_precision`,
  a context manager that restores the previous precision.
* the high-precision engine also re-checks **borderline** float runs.

The driver checks every ``check_every`` steps: a run whose entries overflow or
exceed ``diverge_bound`` is *diverged*; a run with ``||grad L|| <= tol * g0``
and ``||mu - Wbar||_F <= tol * r0`` (``g0 = max(1, ||2c Y X^T||_F)``,
``r0 = max(1, ||Wbar||_F)``) is *converged* to M; both leave the active batch.
Runs still active after ``steps`` are classified from the last ``2 max_period``
iterates: *periodic* (smallest period ``p <= max_period`` with
``||theta_t - theta_{t-p}||_inf <= period_tol (1 + ||theta_t||_inf)``),
*origin* (``||theta||_2 <= origin_radius``: the origin is a strict saddle for
``H = 2`` and a non-strict one for ``H >= 3``, where linearisation cannot decide
-- never counted as converged), *saddle* (iterates stalled, ``period 1``, off M)
or *bounded* (none of these: chaotic, quasi-periodic or not yet converged).

Examples
--------
>>> from symstab import LinearNetwork
>>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])      # eta_C = 1/||w*|| = 1/5
>>> runs = gd(net, 0.18, inits=64, steps=2000, seed=0)
>>> runs.counts()["converged"] > 0
True
>>> bool((runs.limit_sharpness[runs.converged] < 2 / 0.18).all())
True
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from .errors import InvalidInputError, ShapeError
from .files import figure_suffixes, save_figure, writable_file
from .exact.numbers import to_exact
from .network import hessian_from_weights

__all__ = [
    "STATUSES",
    "GDRuns",
    "SweepResult",
    "gd",
    "convergence_sweep",
    "critical_eta",
    "flint_precision",
    "wilson_interval",
    "sharpness_trajectory",
    "plot_trajectory",
]

#: Run statuses, in the order used by :meth:`GDRuns.counts`.
STATUSES = ("converged", "diverged", "periodic", "bounded", "saddle", "origin")

_Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal
_MARGIN = 1e-9  # |sharpness * eta / 2 - 1| below this: "marginal" (float64 cannot tell)


# --------------------------------------------------------------------------- problem


@dataclass(frozen=True, eq=False)
class _Problem:
    """What a worker needs: numpy arrays and exact strings, no flint or sympy objects (picklable)."""

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


def _problem(net) -> _Problem:
    """The float/exact data of ``net`` for the engines (MATH.md 1.1-1.2 conventions)."""
    net.require_numeric("simulation")
    sigma_q = [[Fraction(int(v.p), int(v.q)) for v in row] for row in net.Sigma.tolist()]
    yxt_q = [[Fraction(int(v.p), int(v.q)) for v in row] for row in (net.Y * net.X.T).tolist()]
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
    return _Problem(
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


class _FloatEngine:
    """K float64 runs at once, weights stored batch-last."""

    def __init__(self, problem: _Problem, eta: float, theta0: np.ndarray):
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


# --------------------------------------------------------------------------- high precision


_PRECISION_LOCK = threading.RLock()


@contextmanager
def flint_precision(dps: int):
    """Run a block at ``dps`` decimal digits of python-flint ``arb`` precision, then restore it.

    python-flint keeps its precision in one process-wide context; this holds a
    lock while the block runs so threads (e.g. a dask worker's) never see each
    other's precision, and restores the previous value on exit.

    Examples
    --------
    >>> import flint
    >>> before = flint.ctx.prec
    >>> with flint_precision(50):
    ...     flint.ctx.dps >= 50
    True
    >>> flint.ctx.prec == before
    True
    """
    if isinstance(dps, bool) or not isinstance(dps, Integral) or dps < 1:
        raise InvalidInputError(f"dps must be a positive integer, got {dps!r}")
    import flint

    bits = int(math.ceil(int(dps) * math.log2(10))) + 8
    with _PRECISION_LOCK:
        with flint.ctx.workprec(bits):
            yield


def _arb_of(x):
    import flint

    if isinstance(x, Fraction):
        return flint.arb(flint.fmpq(x.numerator, x.denominator))
    return flint.arb(x)


def _arb_float(x) -> float:
    m, e = x.mid().man_exp()
    try:
        return math.ldexp(float(int(m)), int(e)) if abs(int(e)) < 10**6 else (math.inf if int(e) > 0 else 0.0)
    except OverflowError:
        return math.inf


class _ArbEngine:
    """Runs one by one at ``dps`` digits: python-flint ``arb_mat`` midpoints.

    Must be used inside :func:`flint_precision`.  Each step is the same product
    chain as the float engine; after the update every entry is replaced by the
    midpoint of its ball, so the iteration is a ``dps``-digit floating-point
    iteration (rounding error ~ ``10^-dps`` per step), not a ball enclosure.
    """

    def __init__(self, problem: _Problem, eta, theta0: np.ndarray, exact_theta0=None):
        import flint

        self.p = problem
        self.factor = _arb_of(Fraction(2) * Fraction(problem.scale_exact)) * _arb_of(
            eta if isinstance(eta, Fraction) else Fraction(float(eta)))
        self.sigma = flint.arb_mat([[_arb_of(Fraction(v)) for v in row] for row in problem.sigma_exact])
        self.yxt = flint.arb_mat([[_arb_of(Fraction(v)) for v in row] for row in problem.yxt_exact])
        self.target = flint.arb_mat([[float(v) for v in row] for row in problem.target])
        self.runs = []
        for i in range(theta0.shape[0]):
            values = exact_theta0[i] if exact_theta0 is not None else [Fraction(float(t)) for t in theta0[i]]
            Ws, k = [], 0
            for r, c in problem.shapes:
                Ws.append(flint.arb_mat([[_arb_of(values[k + a * c + b]) for b in range(c)] for a in range(r)]))
                k += r * c
            self.runs.append(Ws)

    @property
    def size(self) -> int:
        return len(self.runs)

    def _grad(self, W):
        H = len(W)
        B = [None] * H
        cur = None
        for l in range(1, H):
            cur = W[0] if l == 1 else W[l - 1] * cur
            B[l] = cur
        mu = W[0] if H == 1 else W[H - 1] * B[H - 1]
        P = (mu - self.yxt) if self.p.sigma_is_identity else (mu * self.sigma - self.yxt)
        blocks = [None] * H
        Q = P
        for l in range(H - 1, -1, -1):
            blocks[l] = Q if l == 0 else Q * B[l].transpose()
            if l > 0:
                Q = W[l].transpose() * Q
        return blocks, mu

    def advance(self, n: int) -> None:
        k = self.factor
        for i, W in enumerate(self.runs):
            for _ in range(n):
                blocks, _ = self._grad(W)
                W = [(Wl - g * k).mid() for Wl, g in zip(W, blocks)]
            self.runs[i] = W

    def measure(self):
        K = self.size
        grad, resid, big, finite = np.empty(K), np.empty(K), np.empty(K), np.ones(K, dtype=bool)
        two_c = 2 * self.p.scale
        for i, W in enumerate(self.runs):
            blocks, mu = self._grad(W)
            grad[i] = two_c * math.sqrt(sum(_arb_float(x) ** 2 for g in blocks for x in g.entries()))
            resid[i] = math.sqrt(sum(_arb_float(x) ** 2 for x in (mu - self.target).entries()))
            big[i] = max(abs(_arb_float(x)) for Wl in W for x in Wl.entries())
        finite &= np.isfinite(grad) & np.isfinite(big)
        return grad, resid, big, finite

    def theta(self) -> np.ndarray:
        return np.array([[_arb_float(x) for Wl in W for x in Wl.entries()] for W in self.runs]).reshape(
            self.size, self.p.num_params)

    def keep(self, mask) -> None:
        self.runs = [W for W, k in zip(self.runs, mask) if k]

    def midpoints(self) -> list:
        """Per run, the exact midpoints of the entries (Fractions), in parameter order."""
        return [[_arb_fraction(x) for Wl in W for x in Wl.entries()] for W in self.runs]


def _arb_fraction(x) -> Fraction:
    m, e = x.mid().man_exp()
    m, e = int(m), int(e)
    return Fraction(m * 2**e) if e >= 0 else Fraction(m, 2**-e)


def _hp_sharpness(problem: _Problem, theta, dps: int) -> float:
    """lambda_max of the Hessian at ``theta`` (exact Fractions, e.g. arb midpoints) at ``dps`` digits.

    The Hessian is the shared formula :func:`symstab.network.hessian_from_weights` on
    mpmath numbers of a private :class:`mpmath.MPContext`; its eigenvalues come from
    mpmath's ``eigsy`` (Householder tridiagonalisation and implicit QL).
    """
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = dps
    weights = []
    k = 0
    for r, c in problem.shapes:
        W = np.empty((r, c), dtype=object)
        for a in range(r):
            for b in range(c):
                f = Fraction(theta[k + a * c + b])
                W[a, b] = ctx.mpf(f.numerator) / f.denominator
        weights.append(W)
        k += r * c

    def obj(rows):
        out = np.empty((len(rows), len(rows[0])), dtype=object)
        for a, row in enumerate(rows):
            for b, v in enumerate(row):
                f = Fraction(v)
                out[a, b] = ctx.mpf(f.numerator) / f.denominator
        return out

    c = Fraction(problem.scale_exact)
    Hess = hessian_from_weights(weights, obj(problem.sigma_exact), obj(problem.yxt_exact),
                                ctx.mpf(c.numerator) / c.denominator)
    evals = ctx.eigsy(ctx.matrix(Hess.tolist()), eigvals_only=True)
    return float(max(evals))


# --------------------------------------------------------------------------- the driver


_DEFAULTS = dict(tol=1e-9, check_every=50, max_period=32, period_tol=1e-7, diverge_bound=1e30,
                 origin_radius=None, borderline=1e-3, recheck_dps=30, max_rechecks=4)


def _drive(engine, problem: _Problem, steps: int, opts: dict):
    """Run ``engine`` for ``steps`` steps, retiring finished runs; return per-run arrays."""
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
            converged = ~diverged & (grad <= gtol) & (resid <= rtol)
            norm = np.linalg.norm(np.where(np.isfinite(theta), theta, 0.0), axis=1)
            scale_inf = 1.0 + np.abs(np.where(np.isfinite(history), history, 0.0)).max(axis=2)  # (window, K)
            found = np.zeros(active.size, dtype=np.int64)
            for p in range(1, max_period + 1) if max_period else ():
                lo = window - max_period
                diff = np.abs(history[lo:] - history[lo - p:window - p]).max(axis=2) / scale_inf[lo:]
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


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class GDRuns:
    """K GD runs from one step size: per-run status, final gradient norm, limit sharpness.

    Attributes
    ----------
    eta : float
    steps : int
    seed : int or None
    dps : int or None
        ``None``: float64 runs; otherwise the decimal digits of the high-precision runs.
    status : tuple of str
        One of :data:`STATUSES` per run.
    final_grad_norm : numpy.ndarray
        ``||grad L||`` when the run stopped (``inf`` for diverged runs).
    final_residual : numpy.ndarray
        ``||mu(theta) - Wbar||_F`` when the run stopped.
    stop_step : numpy.ndarray
        Step at which the run was retired (``steps`` when it ran to the end).
    period : numpy.ndarray
        Detected period for periodic runs, 0 otherwise.
    limit_sharpness : numpy.ndarray
        lambda_max of the Hessian at the limit of converged runs (``nan`` otherwise): float64
        ``eigvalsh`` for float runs; for ``dps`` runs, mpmath ``eigsy`` at ``dps`` digits on the
        exact midpoints of the limit (then rounded to float).
    final_theta : numpy.ndarray
        ``(K, D)`` last iterates.
    rechecks : tuple of dict
        Borderline runs re-run at high precision (index, float and high-precision verdicts).
    evidence : str
        Always numerical: ``"numerical (float64)"`` or ``"numerical (N digits)"``.
    """

    eta: float
    steps: int
    seed: object
    dps: object
    depth: int
    status: tuple
    final_grad_norm: np.ndarray
    final_residual: np.ndarray
    stop_step: np.ndarray
    period: np.ndarray
    limit_sharpness: np.ndarray
    final_theta: np.ndarray = field(repr=False)
    rechecks: tuple = ()
    evidence: str = "numerical (float64)"

    @property
    def n_runs(self) -> int:
        return len(self.status)

    @property
    def converged(self) -> np.ndarray:
        """Boolean mask of runs converged to M."""
        return np.array([s == "converged" for s in self.status], dtype=bool)

    def counts(self) -> dict:
        """Number of runs per status (every status listed, in :data:`STATUSES` order)."""
        return {s: sum(1 for x in self.status if x == s) for s in STATUSES}

    @property
    def sharpness_ratio(self) -> np.ndarray:
        """``limit_sharpness * eta / 2`` (below 1: the limit lies in M_SS)."""
        return self.limit_sharpness * self.eta / 2

    @property
    def verdicts(self) -> tuple:
        """Per converged run ``"stable"`` / ``"unstable"`` / ``"marginal"`` (numerical, float64
        comparison of the limit sharpness with ``2/eta`` up to a relative ``1e-9``); ``None`` otherwise."""
        out = []
        for s, r in zip(self.status, self.sharpness_ratio):
            if s != "converged" or not np.isfinite(r):
                out.append(None)
            else:
                out.append("stable" if r < 1 - _MARGIN else "unstable" if r > 1 + _MARGIN else "marginal")
        return tuple(out)

    @property
    def sharpness_violations(self) -> tuple:
        """Indices of converged runs whose limit is not in M_SS (sharpness >= 2/eta, numerically)."""
        return tuple(i for i, v in enumerate(self.verdicts) if v in ("unstable", "marginal"))

    def to_dict(self) -> dict:
        """JSON-ready summary (per-run arrays are not included; see the attributes)."""
        ok = self.converged
        ratio = self.sharpness_ratio[ok]
        finite = np.isfinite(self.final_grad_norm)
        periods = {}
        for p in self.period[self.period > 0]:
            periods[str(int(p))] = periods.get(str(int(p)), 0) + 1
        return {
            "eta": self.eta, "steps": self.steps, "seed": self.seed, "dps": self.dps, "n_runs": self.n_runs,
            "counts": self.counts(),
            "median_grad_norm": _json_float(np.median(self.final_grad_norm[finite])) if finite.any() else None,
            "median_sharpness_ratio": _json_float(np.median(ratio)) if ratio.size else None,
            "max_sharpness_ratio": _json_float(np.max(ratio)) if ratio.size else None,
            "sharpness_violations": len(self.sharpness_violations),
            "periods": periods,
            "rechecks": list(self.rechecks),
            "evidence": self.evidence,
        }

    def summary(self) -> str:
        """A few readable lines: counts, gradient norms, limit sharpness vs 2/eta."""
        c = self.counts()
        lines = [f"GD, eta = {self.eta:.6g} (2/eta = {2 / self.eta:.6g}), {self.n_runs} runs x {self.steps} steps"
                 f" [{self.evidence}]"]
        lines.append("  " + ", ".join(f"{k} {v}" for k, v in c.items()))
        d = self.to_dict()
        if d["median_sharpness_ratio"] is not None:
            lines.append(f"  converged limits: median sharpness*eta/2 = {d['median_sharpness_ratio']:.4g},"
                         f" max = {d['max_sharpness_ratio']:.4g}; outside M_SS: {d['sharpness_violations']}")
        if d["median_grad_norm"] is not None:
            lines.append(f"  median final ||grad L|| (non-diverged runs) = {d['median_grad_norm']:.3g}")
        if d["periods"]:
            lines.append("  periods: " + ", ".join(f"{p}: {n}" for p, n in sorted(d["periods"].items(),
                                                                                 key=lambda kv: int(kv[0]))))
        if c["origin"]:
            kind = "strict saddle" if self.depth == 2 else "non-strict saddle (linearisation cannot decide)"
            lines.append(f"  {c['origin']} runs approach the origin, a {kind}; not counted as converged")
        for r in self.rechecks:
            lines.append(f"  re-checked run {r['index']} at {r['dps']} digits: float {r['float_status']}"
                         f" -> {r['hp_status']}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _json_float(x):
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- gd


def _check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _parse_eta(eta):
    """``(float, Fraction or None)``; refuses non-positive, non-finite and non-numeric steps."""
    if isinstance(eta, bool):
        raise InvalidInputError("eta must be a number, not a boolean")
    if isinstance(eta, (float, np.floating)):
        value = float(eta)
        if not math.isfinite(value) or value <= 0:
            raise InvalidInputError(f"eta must be a finite positive number, got {eta!r}")
        return value, None
    try:
        exact = to_exact(eta, where="eta")
    except InvalidInputError:
        raise
    except Exception:  # pragma: no cover - defensive: to_exact raises InvalidInputError itself
        raise InvalidInputError(f"eta must be a number, got {eta!r}") from None
    if not isinstance(exact, Fraction) or exact <= 0:
        raise InvalidInputError(f"eta must be a positive number, got {eta!r}")
    return float(exact), exact


def _options(kwargs) -> dict:
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise InvalidInputError(f"unknown option(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    opts = dict(_DEFAULTS)
    opts.update(kwargs)
    _check_positive_int("check_every", opts["check_every"])
    _check_positive_int("max_period", opts["max_period"])
    _check_positive_int("recheck_dps", opts["recheck_dps"])
    _check_positive_int("max_rechecks", opts["max_rechecks"], minimum=0)
    for name in ("tol", "period_tol", "diverge_bound", "borderline"):
        v = opts[name]
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v) or v <= 0:
            raise InvalidInputError(f"{name} must be a finite positive number, got {v!r}")
    return opts


def _initial_points(problem: _Problem, inits, seed, init_scale):
    """``(theta0 (K, D) float array, exact rows or None)`` from a count or an array."""
    D = problem.num_params
    if isinstance(inits, (Integral, np.integer)) and not isinstance(inits, bool):
        K = _check_positive_int("inits", inits)
        scale = _init_scale(problem, init_scale)
        rng = np.random.default_rng(seed)
        return scale * rng.standard_normal((K, D)), None
    if isinstance(inits, bool) or inits is None or isinstance(inits, (str, bytes)):
        raise InvalidInputError(f"inits must be a count or an array of shape (K, {D}), got {inits!r}")
    exact = None
    try:
        nested = len(inits) > 0 and hasattr(inits[0], "__len__") and not isinstance(inits[0], (str, bytes))
        rows = [list(r) for r in inits] if nested else [list(inits)]
    except (TypeError, ValueError):
        raise InvalidInputError(f"inits must be a count or an array of shape (K, {D})") from None
    if any(len(r) != D for r in rows) or not rows:
        raise ShapeError(f"inits must have shape (K, {D}) for D = {D} parameters")
    if all(isinstance(v, (Fraction, Integral, str)) and not isinstance(v, bool) for r in rows for v in r):
        exact = [[to_exact(v, where="inits") for v in r] for r in rows]
        if any(not isinstance(v, Fraction) for r in exact for v in r):
            raise InvalidInputError("inits must be numbers")
    try:
        theta0 = np.array([[float(v) for v in r] for r in (exact or rows)], dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError("inits must be numbers") from None
    if not np.isfinite(theta0).all():
        raise InvalidInputError("inits contain NaN or infinite entries")
    return theta0, exact


def _init_scale(problem: _Problem, init_scale):
    if init_scale is None:
        return problem.natural_scale / 2
    if isinstance(init_scale, bool) or not isinstance(init_scale, Real) or not math.isfinite(init_scale) \
            or init_scale <= 0:
        raise InvalidInputError(f"init_scale must be a finite positive number, got {init_scale!r}")
    return float(init_scale)


def _limit_sharpness(problem: _Problem, theta: np.ndarray, status: np.ndarray) -> np.ndarray:
    out = np.full(theta.shape[0], np.nan)
    idx = np.flatnonzero(status == 0)
    if idx.size:
        hess = np.stack([problem.hessian(theta[i]) for i in idx])
        out[idx] = np.linalg.eigvalsh(hess)[:, -1]
    return out


def _run(problem: _Problem, eta: float, eta_exact, theta0, steps: int, opts: dict, *, dps=None,
         exact_theta0=None, seed=None, recheck: bool = True) -> GDRuns:
    """The core of :func:`gd` on a prepared problem (used by the sweep's workers too)."""
    if dps is None:
        engine = _FloatEngine(problem, eta, theta0)
        status, grad, resid, stop, period, theta, _ = _drive(engine, problem, steps, opts)
        evidence = "numerical (float64)"
        sharp = _limit_sharpness(problem, theta, status)
    else:
        with flint_precision(dps):
            engine = _ArbEngine(problem, eta_exact if eta_exact is not None else eta, theta0, exact_theta0)
            status, grad, resid, stop, period, theta, mids = _drive(engine, problem, steps, opts)
        evidence = f"numerical ({dps} digits)"
        sharp = np.full(len(status), np.nan)
        for i in np.flatnonzero(status == 0):
            sharp[i] = _hp_sharpness(problem, mids[i], dps)
    rechecks = []
    if recheck and dps is None and opts["max_rechecks"] > 0:
        ratio = sharp * eta / 2
        border = ((status == 0) & (np.abs(ratio - 1) < opts["borderline"])) | (
            (status >= 2) & (grad <= 1e3 * opts["tol"] * problem.grad_scale))
        for i in np.flatnonzero(border)[: opts["max_rechecks"]]:
            hp = _run(problem, eta, eta_exact, theta0[i:i + 1], steps, opts, dps=opts["recheck_dps"],
                      exact_theta0=None if exact_theta0 is None else exact_theta0[i:i + 1], recheck=False)
            new = STATUSES.index(hp.status[0])
            hp_sharp = _json_float(hp.limit_sharpness[0]) if new == 0 else None
            rechecks.append({"index": int(i), "dps": opts["recheck_dps"], "float_status": STATUSES[status[i]],
                             "hp_status": hp.status[0], "float_sharpness": _json_float(sharp[i]),
                             "hp_sharpness": hp_sharp})
            status[i], grad[i], resid[i] = new, hp.final_grad_norm[0], hp.final_residual[0]
            stop[i], period[i], theta[i] = hp.stop_step[0], hp.period[0], hp.final_theta[0]
            sharp[i] = hp_sharp if hp_sharp is not None else np.nan
    return GDRuns(eta=float(eta), steps=int(steps), seed=seed, dps=dps, depth=problem.depth,
                  status=tuple(STATUSES[s] for s in status), final_grad_norm=grad, final_residual=resid,
                  stop_step=stop, period=period, limit_sharpness=sharp, final_theta=theta,
                  rechecks=tuple(rechecks), evidence=evidence)


def gd(net, eta, inits=100, steps: int = 10_000, seed: int = 0, dps=None, *, init_scale=None,
       recheck: bool = True, **options) -> GDRuns:
    """Run gradient descent ``theta <- theta - eta grad L(theta)`` from many starts (A6, numerical).

    Parameters
    ----------
    net : LinearNetwork
        Numeric data (a family must be substituted first).
    eta : positive number
        Step size; a float, or an exact number (int, Fraction, ``"1/5"``) which the
        high-precision path uses exactly.
    inits : int or array of shape (K, D) or (D,)
        A count K of random starts (i.i.d. ``N(0, init_scale^2)`` entries drawn with
        ``seed``) or explicit starting points (exact rationals are kept exact for
        the high-precision path).
    steps : int
        Maximal number of GD steps per run.
    seed : int
        Seed of :func:`numpy.random.default_rng` for random starts.
    dps : int, optional
        ``None``: batched float64.  Otherwise every run is a ``dps``-digit
        trajectory (python-flint ``arb`` midpoints, see :func:`flint_precision`).
    init_scale : float, optional
        Standard deviation of random starts; default ``s_max(Wbar)^(1/H) / 2``.
    recheck : bool
        Re-run borderline float runs at ``recheck_dps`` digits (at most
        ``max_rechecks`` of them): converged runs whose sharpness is within a
        relative ``borderline`` of ``2/eta`` and non-converged runs whose gradient
        is within ``1000 tol`` of the convergence threshold.  The high-precision
        verdict replaces the float one and is listed in ``rechecks``.
    **options
        ``tol`` (1e-9), ``check_every`` (50), ``max_period`` (32), ``period_tol``
        (1e-7), ``diverge_bound`` (1e30), ``origin_radius`` (``0.1 s_max(Wbar)^(1/H)``),
        ``borderline`` (1e-3), ``recheck_dps`` (30), ``max_rechecks`` (4); see the
        module docstring.

    Returns
    -------
    GDRuns

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> runs = gd(net, "1/10", inits=[[2, "3/2", 2]], steps=500)   # a point of M, lambda_max = 4 + 25/4
    >>> runs.status, round(float(runs.limit_sharpness[0]), 9), runs.verdicts
    (('converged',), 10.25, ('stable',))
    >>> gd(net, 0.3, inits=8, steps=200, seed=1).counts()["converged"]   # eta = 1.5 eta_C
    0
    """
    eta_f, eta_q = _parse_eta(eta)
    steps = _check_positive_int("steps", steps)
    if dps is not None:
        _check_positive_int("dps", dps)
    opts = _options(options)
    problem = _problem(net)
    theta0, exact = _initial_points(problem, inits, seed, init_scale)
    return _run(problem, eta_f, eta_q, theta0, steps, opts, dps=dps, exact_theta0=exact,
                seed=seed if isinstance(inits, (Integral, np.integer)) else None, recheck=recheck)


# --------------------------------------------------------------------------- sharpness along a run


def sharpness_trajectory(net, eta, theta0=None, steps: int = 2000, every: int = 1, seed: int = 0,
                         init_scale=None):
    """Loss and float64 sharpness (lambda_max of the Hessian) along one GD trajectory (numerical).

    Parameters
    ----------
    net : LinearNetwork
    eta : positive number
    theta0 : sequence of D numbers, optional
        Starting point; default a random one (``seed``, ``init_scale`` as in :func:`gd`).
    steps, every : int
        Number of steps, and record every ``every``-th iterate.

    Returns
    -------
    dict
        ``step``, ``loss``, ``sharpness`` (numpy arrays), ``eta`` and ``two_over_eta``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> tr = sharpness_trajectory(net, 0.18, [0.5, 0.5, 0.5], steps=300)
    >>> bool(tr["sharpness"][-1] < tr["two_over_eta"])
    True
    """
    eta_f, _ = _parse_eta(eta)
    steps = _check_positive_int("steps", steps)
    every = _check_positive_int("every", every)
    problem = _problem(net)
    if theta0 is None:
        start, _ = _initial_points(problem, 1, seed, init_scale)
    else:
        start, _ = _initial_points(problem, [list(theta0)], seed, init_scale)
    engine = _FloatEngine(problem, eta_f, start)
    record_steps, loss, sharp = [], [], []
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(steps + 1):
            if t % every == 0 or t == steps:
                theta = engine.theta()[0]
                if not np.isfinite(theta).all():
                    break
                W = problem.split(theta)
                mu = W[0]
                for Wl in W[1:]:
                    mu = Wl @ mu
                R = mu - problem.target
                record_steps.append(t)
                # L - L_min = c tr(R Sigma R^T)  (MATH.md 1.2)
                loss.append(problem.scale * float(np.trace(R @ problem.sigma @ R.T)))
                sharp.append(float(np.linalg.eigvalsh(problem.hessian(theta))[-1]))
            if t < steps:
                engine.advance(1)
    return {"step": np.array(record_steps), "loss": np.array(loss), "sharpness": np.array(sharp),
            "eta": eta_f, "two_over_eta": 2 / eta_f}


def plot_trajectory(net, eta, theta0=None, steps: int = 2000, path=None, seed: int = 0, init_scale=None,
                    every: int = 1):
    """Plot the sharpness along one GD trajectory against ``2/eta`` (and the excess loss).

    Returns a bare ``matplotlib.figure.Figure`` with an Agg canvas (pyplot untouched);
    saved to ``path`` (PNG or PDF by extension) when given.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> fig = plot_trajectory(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), 0.18, [0.5, 0.5, 0.5], steps=50)
    >>> len(fig.axes)
    2
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if path is not None:
        writable_file(path, "plot", figure_suffixes())
    tr = sharpness_trajectory(net, eta, theta0, steps=steps, every=every, seed=seed, init_scale=init_scale)
    fig = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(tr["step"], tr["sharpness"], color="tab:blue", label=r"sharpness $\lambda_{\max}(\nabla^2 L)$")
    ax.axhline(tr["two_over_eta"], color="k", ls="--", label=r"$2/\eta$")
    ax.set_xlabel("GD step")
    ax.set_ylabel("sharpness")
    ax2 = ax.twinx()
    ax2.semilogy(tr["step"], np.maximum(tr["loss"], 1e-300), color="tab:red", alpha=0.6, lw=1,
                 label=r"$L - L_{\min}$")
    ax2.set_ylabel(r"$L - L_{\min}$", color="tab:red")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="center right", fontsize=8)
    ax.set_title(f"widths {tuple(net.widths)}, eta = {tr['eta']:.4g}: sharpness along one run (numerical, float64)",
                 fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


# --------------------------------------------------------------------------- eta_C


def critical_eta(net, eta_C=None) -> tuple:
    """``(eta_C as float, exact text or None)`` from an override or ``net.critical_step_sizes()``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> critical_eta(LinearNetwork.whitened((1, 1, 2), [[3], [4]]), "1/5")
    (0.2, '1/5')
    """
    if eta_C is not None:
        value, exact = _parse_eta(eta_C)
        return value, (str(exact) if exact is not None else None)
    import sympy

    crit = net.critical_step_sizes(prove=False)
    value = crit.eta_C_float
    if value is None or not math.isfinite(value) or value <= 0:
        known = "" if crit.eta_C_interval is None else f" (rigorous interval {crit.to_dict()['eta_C_interval']})"
        raise InvalidInputError(f"eta_C is not known as a finite number for this network{known}; "
                                "pass eta_C= (CLI: --eta-C) explicitly")
    return value, (sympy.sstr(crit.eta_C) if crit.eta_C is not None else None)


# --------------------------------------------------------------------------- the sweep


def wilson_interval(k: int, n: int, z: float = _Z95) -> tuple:
    """Wilson score interval for a binomial proportion ``k/n`` (95% by default).

    Examples
    --------
    >>> wilson_interval(0, 100)[0], round(wilson_interval(0, 100)[1], 4)
    (0.0, 0.037)
    >>> lo, hi = wilson_interval(50, 100); round(lo, 4), round(hi, 4)
    (0.4038, 0.5962)
    """
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


def _cell_inits(problem: _Problem, seed: int, n_inits: int, init_scale) -> np.ndarray:
    """The starts of every cell (common random numbers): ``SeedSequence(seed)``, independent of chunking."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return _init_scale(problem, init_scale) * rng.standard_normal((n_inits, problem.num_params))


def _task(problem: _Problem, spec: dict) -> dict:
    """One task (a slice of one cell's starts); runs in a worker.  Returns plain lists."""
    theta0 = _cell_inits(problem, spec["seed"], spec["n_inits"], spec["init_scale"])
    lo, hi = spec["slice"]
    runs = _run(problem, spec["eta"], None, theta0[lo:hi], spec["steps"], spec["options"])
    return {
        "cell": spec["cell"], "slice": [lo, hi],
        "status": [STATUSES.index(s) for s in runs.status],
        "grad": [float(g) for g in runs.final_grad_norm],
        "sharpness": [float(s) for s in runs.limit_sharpness],
        "period": [int(p) for p in runs.period],
        "rechecks": [dict(r, index=r["index"] + lo) for r in runs.rechecks],
    }


def _row(cell: int, eta_ratio: float, eta: float, n_inits: int, parts: list) -> dict:
    parts = sorted(parts, key=lambda p: p["slice"][0])
    status = np.array([s for p in parts for s in p["status"]], dtype=int)
    grad = np.array([g for p in parts for g in p["grad"]], dtype=float)
    sharp = np.array([s for p in parts for s in p["sharpness"]], dtype=float)
    period = np.array([q for p in parts for q in p["period"]], dtype=int)
    counts = {s: int((status == i).sum()) for i, s in enumerate(STATUSES)}
    n = len(status)
    k = counts["converged"]
    live = status != 1
    ratio = sharp[status == 0] * eta / 2
    periods = {}
    for q in period[period > 0]:
        periods[str(int(q))] = periods.get(str(int(q)), 0) + 1
    return {
        "cell": cell,
        "eta_ratio": eta_ratio,
        "eta": eta,
        "n_inits": n,
        "converged_fraction": k / n,
        "converged_ci": list(wilson_interval(k, n)),
        "diverged_fraction": counts["diverged"] / n,
        "median_grad_norm": _json_float(np.median(grad[live])) if live.any() else None,
        "median_sharpness_ratio": _json_float(np.median(ratio)) if ratio.size else None,
        "max_sharpness_ratio": _json_float(np.max(ratio)) if ratio.size else None,
        "sharpness_violations": int((ratio >= 1 - _MARGIN).sum()),
        "counts": counts,
        "periods": periods,
        "rechecks": [r for p in parts for r in p["rechecks"]],
    }


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The phase-transition experiment: one row per ``eta / eta_C`` (numerical, float64).

    Row keys: ``eta_ratio``, ``eta``, ``n_inits``, ``converged_fraction``,
    ``converged_ci`` (Wilson 95%), ``diverged_fraction``, ``median_grad_norm``
    (over non-diverged runs), ``median_sharpness_ratio`` and ``max_sharpness_ratio``
    (limit sharpness x eta/2 over converged runs), ``sharpness_violations``
    (converged limits outside M_SS), ``counts`` (per status), ``periods``,
    ``rechecks`` and ``cell``.
    """

    widths: tuple
    loss: str
    eta_C: float
    eta_C_exact: object
    n_inits: int
    steps: int
    seed: int
    init_scale: float
    rows: tuple

    def to_dict(self) -> dict:
        """JSON-ready: the settings and ``rows``."""
        return {"widths": list(self.widths), "loss": self.loss, "eta_C": self.eta_C_exact,
                "eta_C_float": self.eta_C, "n_inits": self.n_inits, "steps": self.steps, "seed": self.seed,
                "init_scale": self.init_scale, "evidence": "numerical (float64, borderline runs re-checked "
                "at high precision)", "rows": [dict(r) for r in self.rows]}

    def table(self) -> str:
        """A plain-text table, one line per ratio."""
        head = (f"{'eta/eta_C':>9} {'eta':>10} {'converged':>9} {'95% CI':>15} {'diverged':>8} "
                f"{'periodic':>8} {'bounded':>7} {'saddle+0':>8} {'med |grad|':>10} {'med S*eta/2':>11} {'>=2/eta':>7}")
        lines = [f"GD convergence sweep, widths {self.widths}, eta_C = {self.eta_C_exact or self.eta_C}"
                 f" (~ {self.eta_C:.6g}); {self.n_inits} inits x {self.steps} steps, seed {self.seed},"
                 f" init scale {self.init_scale:.4g} [numerical]", head]
        for r in self.rows:
            c = r["counts"]
            n = r["n_inits"]
            g = "-" if r["median_grad_norm"] is None else f"{r['median_grad_norm']:.2e}"
            s = "-" if r["median_sharpness_ratio"] is None else f"{r['median_sharpness_ratio']:.4f}"
            lo, hi = r["converged_ci"]
            lines.append(
                f"{r['eta_ratio']:>9.4g} {r['eta']:>10.4g} {r['converged_fraction']:>9.3f} "
                f"{'[' + format(lo, '.3f') + ', ' + format(hi, '.3f') + ']':>15} {r['diverged_fraction']:>8.3f} "
                f"{c['periodic'] / n:>8.3f} {c['bounded'] / n:>7.3f} {(c['saddle'] + c['origin']) / n:>8.3f} "
                f"{g:>10} {s:>11} {r['sharpness_violations']:>7}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path=None):
        """Converged fraction (with Wilson intervals) and median final gradient norm vs eta/eta_C.

        The top panel also shows the diverged fraction and the median limit
        sharpness x eta/2 of converged runs.  A vertical line marks ``eta = eta_C``.  Returns a bare Figure (Agg canvas);
        saved to ``path`` when given (PNG or PDF by extension).
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 6.4))
        FigureCanvasAgg(fig)
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        x = np.array([r["eta_ratio"] for r in self.rows])
        f = np.array([r["converged_fraction"] for r in self.rows])
        lo = np.array([r["converged_ci"][0] for r in self.rows])
        hi = np.array([r["converged_ci"][1] for r in self.rows])
        dv = np.array([r["diverged_fraction"] for r in self.rows])
        ax1.errorbar(x, f, yerr=[f - lo, hi - f], marker="o", capsize=3, label="converged to M (Wilson 95%)")
        ax1.plot(x, dv, marker="x", ls=":", color="tab:red", label="diverged")
        sr = np.array([np.nan if r["median_sharpness_ratio"] is None else r["median_sharpness_ratio"]
                       for r in self.rows])
        ax1.plot(x, sr, marker="^", ls="--", color="tab:purple",
                 label=r"median limit sharpness $\times\,\eta/2$ (converged runs; < 1: in $M_{SS}$)")
        ax1.set_ylabel("fraction of initialisations")
        ax1.set_ylim(-0.03, 1.03)
        g = np.array([np.nan if r["median_grad_norm"] is None else r["median_grad_norm"] for r in self.rows])
        floor = 1e-16
        ax2.semilogy(x, np.maximum(g, floor), marker="o", color="tab:green",
                     label=r"median final $\|\nabla L\|$ (non-diverged runs)")
        ax2.set_ylabel(r"$\|\nabla L\|$ after the run")
        ax2.set_xlabel(r"$\eta / \eta_C$")
        for ax in (ax1, ax2):
            ax.axvline(1.0, color="k", ls="--", lw=1)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
        ax1.set_title(f"widths {self.widths}, eta_C = {self.eta_C_exact or format(self.eta_C, '.6g')}: "
                      f"{self.n_inits} inits x {self.steps} steps (numerical)", fontsize=9)
        fig.tight_layout()
        if path is not None:
            save_figure(fig, path)
        return fig


def _config(problem, n_inits, steps, seed, scale, eta_C, opts) -> dict:
    return {"problem": problem.fingerprint(), "n_inits": n_inits, "steps": steps, "seed": seed, "init_scale": scale, "eta_C": eta_C,
            "options": {k: opts[k] for k in sorted(opts)}}


def _read_checkpoint(path: Path, config: dict) -> dict:
    """Finished cells ``{eta_ratio: row}`` from a JSON-lines checkpoint written with the same settings.

    A line cut short by an interruption is dropped (that cell is recomputed) and
    the file is rewritten without it, so that appended lines stay well formed.
    """
    done = {}
    if not path.exists():
        return done
    text = path.read_text()
    kept, dropped, seen_config = [], False, False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == 1:
                raise InvalidInputError(f"{path}: not a symstab checkpoint") from None
            dropped = True
            continue
        if record.get("kind") == "config":
            if record.get("config") != config:
                raise InvalidInputError(
                    f"{path}: checkpoint was written for different settings; use another file or delete it")
            seen_config = True
        elif record.get("kind") == "cell" and seen_config:
            done[float(record["row"]["eta_ratio"])] = record["row"]
        else:
            raise InvalidInputError(f"{path}: not a symstab checkpoint")
        kept.append(line)
    if dropped or (text and not text.endswith("\n")):
        path.write_text("".join(line + "\n" for line in kept))
    return done


def convergence_sweep(net, eta_ratios=(0.8, 0.9, 1.1, 1.2), n_inits: int = 1000, steps: int = 20_000,
                      seed: int = 0, init_scale=None, executor=None, checkpoint=None, *, eta_C=None,
                      workers=None, chunk_size=None, progress=None, **options) -> SweepResult:
    """The phase-transition experiment of A6: GD from ``n_inits`` random starts at each ``eta = ratio * eta_C``.

    Each ratio is a *cell*. Every cell starts from the same ``n_inits`` points,
    drawn from ``numpy.random.SeedSequence(seed)`` (common random numbers: the
    transition compares the same initialisations at each eta), so a row depends
    only on the settings and its ratio, never on the other ratios, the executor,
    the chunking or on resuming. A cell may be split into tasks of ``chunk_size`` starts.

    Parameters
    ----------
    net : LinearNetwork
    eta_ratios : sequence of positive floats
        The grid of ``eta / eta_C``.
    n_inits, steps, seed : int
    init_scale : float, optional
        Standard deviation of the starts (default ``s_max(Wbar)^(1/H) / 2``).
    executor : concurrent.futures.Executor, optional
        Where tasks run, e.g. ``dask.distributed.Client(...).get_executor()``.
        Default: a local ``ProcessPoolExecutor`` with ``workers`` processes
        (``workers=1`` runs in this process, no pool).
    checkpoint : path, optional
        JSON-lines file: one line per finished cell.  An existing file written with
        the same settings is resumed: finished cells are not recomputed, matched by
        their ratio, so a sweep can also be extended with more ratios.
    eta_C : number, optional
        Overrides ``net.critical_step_sizes().eta_C_float``.
    chunk_size : int, optional
        Starts per task (default: a whole cell per task).
    progress : callable ``(done, total)``, optional
        Called as cells finish.
    **options
        Run options of :func:`gd` (``tol``, ``check_every``, ...).

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> sweep = convergence_sweep(net, [0.9, 1.1], n_inits=40, steps=1500, seed=0, eta_C="1/5", workers=1)
    >>> [r["converged_fraction"] > 0 for r in sweep.to_dict()["rows"]]
    [True, False]
    """
    eta_c, eta_c_exact = critical_eta(net, eta_C)
    try:
        eta_c_q = Fraction(eta_c_exact) if eta_c_exact is not None else None
    except ValueError:  # irrational eta_C (a surd or CRootOf): float steps
        eta_c_q = None
    ratios = []
    for r in eta_ratios:
        if isinstance(r, bool) or not isinstance(r, (Real, np.floating)) or not math.isfinite(r) or r <= 0:
            raise InvalidInputError(f"eta ratios must be finite positive numbers, got {r!r}")
        ratios.append(float(r))
    if not ratios:
        raise InvalidInputError("give at least one eta ratio")
    n_inits = _check_positive_int("n_inits", n_inits)
    steps = _check_positive_int("steps", steps)
    if isinstance(seed, bool) or not isinstance(seed, (Integral, np.integer)) or seed < 0:
        raise InvalidInputError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    chunk = n_inits if chunk_size is None else _check_positive_int("chunk_size", chunk_size)
    opts = _options(options)
    problem = _problem(net)
    scale = _init_scale(problem, init_scale)
    config = _config(problem, n_inits, steps, seed, scale, eta_c, opts)
    path = writable_file(checkpoint, "checkpoint") if checkpoint is not None else None
    done = _read_checkpoint(path, config) if path is not None else {}
    if path is not None and not path.exists():
        with path.open("w") as fh:
            fh.write(json.dumps({"kind": "config", "config": config}) + "\n")
    rows = {c: dict(done[r], cell=c) for c, r in enumerate(ratios) if r in done}
    specs = []
    # eta = ratio * eta_C rounded once (0.9 * 1/5 -> 0.18, not 0.18000000000000002)
    etas = [float(Fraction(repr(r)) * eta_c_q) if eta_c_q is not None else r * eta_c for r in ratios]
    for cell, ratio in enumerate(ratios):
        if cell in rows:
            continue
        for lo in range(0, n_inits, chunk):
            specs.append({"cell": cell, "eta": etas[cell], "seed": seed, "n_inits": n_inits,
                          "init_scale": scale, "slice": (lo, min(n_inits, lo + chunk)), "steps": steps,
                          "options": opts})
    total = len(ratios)
    if progress is not None:
        progress(len(rows), total)
    parts = {}
    expected = {}
    for s in specs:
        expected[s["cell"]] = expected.get(s["cell"], 0) + 1

    def finish(part):
        cell = part["cell"]
        parts.setdefault(cell, []).append(part)
        if len(parts[cell]) == expected[cell]:
            row = _row(cell, ratios[cell], etas[cell], n_inits, parts.pop(cell))
            rows[cell] = row
            if path is not None:
                with path.open("a") as fh:
                    fh.write(json.dumps({"kind": "cell", "row": row}) + "\n")
            if progress is not None:
                progress(len(rows), total)

    if specs:
        if executor is None and (workers == 1 or len(specs) == 1):
            for s in specs:
                finish(_task(problem, s))
        else:
            _run_tasks(problem, specs, executor, workers, finish)
    ordered = tuple(rows[c] for c in range(len(ratios)))
    return SweepResult(widths=problem.widths, loss=net.loss, eta_C=eta_c, eta_C_exact=eta_c_exact,
                       n_inits=n_inits, steps=steps, seed=seed, init_scale=scale, rows=ordered)


def _run_tasks(problem, specs, executor, workers, finish) -> None:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    own = executor is None
    if own:
        if workers is not None:
            _check_positive_int("workers", workers)
        executor = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        # larger tasks (higher ratios run to the end) first, for load balance
        pending = {executor.submit(_task, problem, s) for s in sorted(specs, key=lambda s: -s["eta"])}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                finish(fut.result())
    except BaseException:
        for fut in locals().get("pending", ()):
            fut.cancel()
        raise
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
