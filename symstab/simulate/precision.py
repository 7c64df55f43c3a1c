"""Result A6, the high-precision engine: python-flint ``arb_mat`` midpoints at ``dps`` decimal digits.

* :func:`flint_precision` -- a context manager that sets python-flint's precision
  for a block (under a lock) and restores it;
* :class:`ArbEngine` -- runs one by one, each entry replaced by the midpoint of
  its ball after every step: a ``dps``-digit floating-point iteration with the
  interface of :class:`~symstab.simulate.engine.FloatEngine`, so that
  :func:`~symstab.simulate.engine.drive` classifies its runs the same way;
* :func:`high_precision_sharpness` -- lambda_max of the Hessian at an exact limit (mpmath).

It re-checks borderline float64 runs and runs ``gd(..., dps=N)``: numerical
evidence for A6 (docs/theory.md, A6), with rounding errors near ``10^-dps``.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from fractions import Fraction
from numbers import Integral

import flint
import mpmath
import numpy as np

from ..errors import InvalidInputError
from ..exact.algebraic import arf_to_fraction
from ..exact.matrices import fmpq_matrix
from ..exact.numbers import as_fmpq
from ..network import hessian_from_weights
from .engine import Problem

__all__ = ["ArbEngine", "flint_precision", "high_precision_sharpness"]


_PRECISION_LOCK = threading.RLock()


@contextmanager
def flint_precision(dps: int):
    """Run a block at ``dps`` decimal digits of python-flint ``arb`` precision, then restore it.

    python-flint keeps its precision in one process-wide context; this holds a
    lock while the block runs so threads (e.g. a dask worker's) never see each
    other's precision, and restores the previous value on exit.

    Parameters
    ----------
    dps : int
        Decimal digits, at least 1 (``ceil(dps log2 10) + 8`` bits).

    Returns
    -------
    context manager

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
    bits = int(math.ceil(int(dps) * math.log2(10))) + 8
    with _PRECISION_LOCK:
        with flint.ctx.workprec(bits):
            yield


def _arb_float(x) -> float:
    # not float(arf_to_fraction(...)): no big Fraction per entry in measure(), and huge exponents are cut short
    m, e = x.mid().man_exp()
    try:
        return math.ldexp(float(int(m)), int(e)) if abs(int(e)) < 10**6 else (math.inf if int(e) > 0 else 0.0)
    except OverflowError:
        return math.inf


class ArbEngine:
    """Runs one by one at ``dps`` digits: python-flint ``arb_mat`` midpoints.

    Must be used inside :func:`flint_precision`.  Each step is the same product
    chain as the float engine; after the update every entry is replaced by the
    midpoint of its ball, so the iteration is a ``dps``-digit floating-point
    iteration (rounding error ~ ``10^-dps`` per step), not a ball enclosure.

    Parameters
    ----------
    problem : Problem
    eta : Fraction or float
        A float is taken at its exact binary value.
    theta0 : numpy.ndarray
        ``(K, D)`` starting points.
    exact_theta0 : list of rows of Fraction, optional
        Exact starting points, used instead of ``theta0`` when given.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> from symstab.simulate.engine import problem_of
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> with flint_precision(30):
    ...     engine = ArbEngine(p, Fraction(1, 10), np.zeros((1, 3)), [[2, Fraction(3, 2), 2]])
    ...     engine.advance(5)
    >>> engine.midpoints()
    [[Fraction(2, 1), Fraction(3, 2), Fraction(2, 1)]]
    """

    def __init__(self, problem: Problem, eta, theta0: np.ndarray, exact_theta0=None):
        self.p = problem
        eta_q = eta if isinstance(eta, Fraction) else Fraction(float(eta))
        self.factor = flint.arb(as_fmpq(Fraction(2) * Fraction(problem.scale_exact))) * flint.arb(as_fmpq(eta_q))
        self.sigma = flint.arb_mat(fmpq_matrix(problem.sigma_exact))
        self.yxt = flint.arb_mat(fmpq_matrix(problem.yxt_exact))
        self.target = flint.arb_mat([[float(v) for v in row] for row in problem.target])
        self.runs = []
        for i in range(theta0.shape[0]):
            values = exact_theta0[i] if exact_theta0 is not None else [Fraction(float(t)) for t in theta0[i]]
            Ws, k = [], 0
            for r, c in problem.shapes:
                Ws.append(flint.arb_mat(fmpq_matrix([values[k + a * c:k + (a + 1) * c] for a in range(r)])))
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
        return [[arf_to_fraction(x.mid()) for Wl in W for x in Wl.entries()] for W in self.runs]


def high_precision_sharpness(problem: Problem, theta, dps: int) -> float:
    """lambda_max of the Hessian at ``theta`` (exact Fractions, e.g. arb midpoints) at ``dps`` digits.

    The Hessian is the shared formula :func:`symstab.network.hessian_from_weights` on
    mpmath numbers of a private :class:`mpmath.MPContext`; its eigenvalues come from
    mpmath's ``eigsy`` (Householder tridiagonalisation and implicit QL).

    Parameters
    ----------
    problem : Problem
    theta : sequence of D exact rationals
    dps : int

    Returns
    -------
    float
        The largest eigenvalue, rounded to float.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> from symstab.simulate.engine import problem_of
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> high_precision_sharpness(p, [2, Fraction(3, 2), 2], 30)   # 4 + 25/4
    10.25
    """
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
