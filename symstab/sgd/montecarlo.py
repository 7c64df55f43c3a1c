"""Result B3 of paper B checked by simulation: :func:`monte_carlo` and :class:`MonteCarloResult`.

Linearised SGD ``w <- (I - eta Hhat) w`` is simulated from random unit starts in
the range of H, and two growth rates are reported apart (docs/theory.md, B3, the
Monte Carlo check): the mean square, to be set against ``log rho(Q(eta))`` of
the second-moment map of B2 (:func:`~symstab.sgd.threshold.spectral_radius`),
and the almost-sure (Lyapunov) exponent.  The mean square is heavy-tailed, so
typical runs may converge while it diverges; the result says how many runs
carry it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ..errors import InvalidInputError
from ..exact.latex import LatexDisplay, number
from ..exact.latex import text as latex_text
from .hessians import FLOAT_PSD_TOL, parse_eta, validate_batch, validate_hessians
from .threshold import spectral_radius

__all__ = ["MonteCarloResult", "monte_carlo"]


@dataclass(frozen=True)
class MonteCarloResult(LatexDisplay):
    """Linearised SGD simulated from random unit starts in the range of H.

    Two different quantities, never mixed:

    * **mean square**: ``mean_square_rate = (1/T) log( mean_runs ||w_T||^2 )``, to be
      compared with ``theory_rate = log rho(Q(eta))``.  It is dominated by rare
      runs (heavy tails); ``mean_square_ess`` is the effective number of runs
      carrying the mean and ``mean_square_ci`` a bootstrap 95% interval, which is
      unreliable when the ESS is small.
    * **almost sure**: ``lyapunov_exponent = mean_runs (1/T) log ||w_T||`` with a 95%
      normal interval; negative means typical runs converge.  By Jensen
      ``2 * lyapunov_exponent <= mean_square_rate`` always.
    """

    sampling: str
    batch: int
    eta: float
    runs: int
    steps: int
    seed: int
    mean_square_rate: float
    mean_square_ci: tuple
    mean_square_ess: float
    theory_rate: float
    lyapunov_exponent: float
    lyapunov_ci: tuple

    @property
    def almost_surely_convergent(self) -> bool:
        """True when the Lyapunov exponent's 95% interval lies below 0."""
        return self.lyapunov_ci[1] < 0

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return {
            "sampling": self.sampling, "batch": self.batch, "eta": self.eta, "runs": self.runs,
            "steps": self.steps, "seed": self.seed,
            "mean_square": {"rate": self.mean_square_rate, "ci95": list(self.mean_square_ci),
                            "effective_runs": self.mean_square_ess, "theory_rate": self.theory_rate},
            "almost_sure": {"lyapunov_exponent": self.lyapunov_exponent, "ci95": list(self.lyapunov_ci)},
        }

    def latex_formula(self) -> str:
        """Math mode: the mean-square rate against the theory and the Lyapunov exponent (numerical)."""
        return (
            rf"\tfrac1T\log\mathbb E\|w_T\|^2 \approx {number(self.mean_square_rate)}"
            rf"\ (\log\rho(Q) = {number(self.theory_rate)}),\quad"
            rf"\lambda_{{\mathrm{{Lyap}}}} \approx {number(self.lyapunov_exponent)}"
        )

    def latex(self) -> str:
        """Text-mode fragment: the Monte Carlo run (numerical), mean square and almost sure kept apart."""
        lo, hi = self.mean_square_ci
        llo, lhi = self.lyapunov_ci
        return (rf"\textbf{{Monte Carlo}} (numerical; {latex_text(self.sampling)} sampling, $B = {self.batch}$, "
                rf"$\eta = {number(float(self.eta))}$, {self.runs} runs of {self.steps} steps, seed {self.seed}). "
                rf"Mean square: per-step log growth $\tfrac1T\log\overline{{\|w_T\|^2}} = {number(self.mean_square_rate)}$ "
                rf"(bootstrap 95\% interval $[{number(lo)}, {number(hi)}]$, {self.mean_square_ess:.1f} effective runs), "
                rf"against $\log\rho(Q) = {number(self.theory_rate)}$ from the exact second-moment operator. "
                rf"Almost sure: Lyapunov exponent $\lambda_{{\mathrm{{Lyap}}}} = {number(self.lyapunov_exponent)}$ "
                rf"(95\% interval $[{number(llo)}, {number(lhi)}]$), so typical runs "
                + ("converge." if self.almost_surely_convergent else "are not shown to converge."))

    def __str__(self) -> str:
        lo, hi = self.mean_square_ci
        llo, lhi = self.lyapunov_ci
        return (
            f"Monte Carlo ({self.sampling}, B = {self.batch}, eta = {self.eta:.6g}, "
            f"{self.runs} runs x {self.steps} steps, seed {self.seed}):\n"
            f"  mean square: per-step log growth {self.mean_square_rate:.4g} "
            f"(bootstrap 95% [{lo:.4g}, {hi:.4g}], effective runs {self.mean_square_ess:.1f}; "
            f"theory log rho(Q) = {self.theory_rate:.4g}); heavy-tailed, trust only with many effective runs\n"
            f"  almost sure: Lyapunov exponent {self.lyapunov_exponent:.4g} (95% [{llo:.4g}, {lhi:.4g}])"
        )


def _log_mean_exp(x: np.ndarray, axis=-1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # all runs hit exactly 0: the result is -inf
    with np.errstate(divide="ignore"):
        return (m + np.log(np.mean(np.exp(x - m), axis=axis, keepdims=True))).squeeze(axis)


def monte_carlo(hessians, batch: int, eta, sampling: str = "bernoulli", runs: int = 1000,
                steps: int = 100, seed: int = 0) -> MonteCarloResult:
    """Simulate linearised SGD ``w <- (I - eta Hhat) w`` and report mean-square and
    almost-sure growth separately (docs/theory.md, B3, the Monte Carlo check).

    Each run starts from an independent uniformly random unit vector in the range of
    H; norms are renormalised every step and their logarithms accumulated, so no
    overflow occurs.

    Parameters
    ----------
    hessians : list of square symmetric PSD matrices
    batch : int
    eta : number
    sampling : {"bernoulli", "without_replacement", "with_replacement"}
    runs, steps : int
        Number of independent runs and steps per run.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same result.

    Returns
    -------
    MonteCarloResult

    Examples
    --------
    >>> from symstab.sgd.construction import coherence_construction
    >>> hs = coherence_construction(4, 2)
    >>> mc = monte_carlo(hs, batch=2, eta=1, runs=200, steps=50, seed=1)
    >>> mc.lyapunov_exponent < 0 and mc.theory_rate < 0
    True
    >>> mc == monte_carlo(hs, batch=2, eta=1, runs=200, steps=50, seed=1)
    True
    """
    hs = validate_hessians(hessians)
    batch = validate_batch(hs.n, batch, sampling)
    _, eta_f = parse_eta(eta)
    for name, v in (("runs", runs), ("steps", steps)):
        if isinstance(v, bool) or not isinstance(v, (Integral, np.integer)) or v < 1:
            raise InvalidInputError(f"{name} must be a positive integer, got {v!r}")
    n = hs.n
    H = hs.floats.mean(axis=0)
    lam, U = np.linalg.eigh(H)
    U = U[:, lam > FLOAT_PSD_TOL * max(1.0, float(lam[-1]))]
    r = U.shape[1]
    if r == 0:
        raise InvalidInputError("H = 0: nothing moves, there is nothing to simulate")
    K = np.einsum("ai,kab,bj->kij", U, hs.floats, U).reshape(n, r * r)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((runs, r))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    log_norm = np.zeros(runs)
    rows = np.arange(runs)[:, None]
    for _ in range(steps):
        if sampling == "bernoulli":
            counts = (rng.random((runs, n)) < batch / n).astype(float)
        elif sampling == "without_replacement":
            chosen = np.argsort(rng.random((runs, n)), axis=1)[:, :batch]
            counts = np.zeros((runs, n))
            counts[rows, chosen] = 1.0
        else:
            draws = rng.integers(0, n, size=(runs, batch))
            counts = np.zeros((runs, n))
            np.add.at(counts, (np.broadcast_to(rows, draws.shape), draws), 1.0)
        Hhat = (counts @ K).reshape(runs, r, r) / batch
        w = w - eta_f * np.einsum("rij,rj->ri", Hhat, w)
        norms = np.linalg.norm(w, axis=1)
        with np.errstate(divide="ignore"):
            log_norm += np.log(norms)
        w /= np.where(norms > 0, norms, 1.0)[:, None]
    finite = np.isfinite(log_norm)
    log_sq = 2 * log_norm
    if not finite.all():  # a run hit exactly zero: it converged
        log_sq = np.where(finite, log_sq, -np.inf)
    ms_rate = float(_log_mean_exp(log_sq) / steps)
    top = np.max(log_sq)
    weights = np.exp(log_sq - top) if np.isfinite(top) else np.zeros(runs)
    ess = float(weights.sum() ** 2 / np.sum(weights**2)) if weights.sum() > 0 else 0.0
    boot_rng = np.random.default_rng([seed, 1])
    boot = boot_rng.integers(0, runs, size=(200, runs))
    boot_rates = np.sort(_log_mean_exp(log_sq[boot], axis=1) / steps)
    ms_ci = (float(boot_rates[4]), float(boot_rates[194]))  # 2.5% and 97.5% of 200
    if finite.all():
        per_run = log_norm / steps
        lyap = float(np.mean(per_run))
        se = float(np.std(per_run, ddof=1) / math.sqrt(runs)) if runs > 1 else math.inf
    else:
        # A run reached exactly 0: some batch gave I - eta Hhat = 0 on it.  Batches are
        # i.i.d., so that event recurs with positive probability and almost every run
        # reaches 0 in finite time: the exponent is -inf (not a NaN interval).
        lyap, se = -math.inf, 0.0
    theory = math.log(spectral_radius(hs, batch, eta_f, sampling))
    lyap_ci = (lyap, lyap) if se == 0 else (lyap - 1.96 * se, lyap + 1.96 * se)
    return MonteCarloResult(
        sampling=sampling, batch=batch, eta=eta_f, runs=int(runs), steps=int(steps), seed=seed,
        mean_square_rate=ms_rate, mean_square_ci=ms_ci, mean_square_ess=ess, theory_rate=theory,
        lyapunov_exponent=lyap, lyapunov_ci=lyap_ci,
    )
