"""Result A6, the inputs of a run: step sizes, counts, run options and starting points, checked.

:func:`~symstab.simulate.gd`, :func:`~symstab.simulate.sharpness_trajectory` and
:func:`~symstab.simulate.convergence_sweep` share these checks, so that the same
bad input gets the same :class:`~symstab.errors.InvalidInputError` everywhere.
The run options and their defaults are those of the driver
(:func:`~symstab.simulate.engine.drive`) and of the high-precision re-checks;
see :mod:`symstab.simulate` and docs/theory.md, A6.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real

import numpy as np

from ..errors import InvalidInputError, ShapeError
from ..exact.numbers import to_exact
from .engine import Problem

__all__ = ["check_positive_int", "initial_points", "initial_scale", "parse_eta", "run_options"]

_DEFAULTS = dict(tol=1e-9, check_every=50, max_period=32, period_tol=1e-7, diverge_bound=1e30,
                 origin_radius=None, borderline=1e-3, recheck_dps=30, max_rechecks=4)


def check_positive_int(name, value, minimum=1):
    """``value`` as a Python int once it is an integer ``>= minimum`` (no bools).

    Parameters
    ----------
    name : str
        The name used in the error message.
    value : object
    minimum : int

    Returns
    -------
    int

    Examples
    --------
    >>> check_positive_int("steps", np.int64(3))
    3
    >>> check_positive_int("steps", 0)
    Traceback (most recent call last):
    ...
    symstab.errors.InvalidInputError: steps must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def parse_eta(eta):
    """``(float, Fraction or None)``; refuses non-positive, non-finite and non-numeric steps.

    Parameters
    ----------
    eta : float, or an exact number (int, Fraction, ``"a/b"``, sympy Rational)

    Returns
    -------
    tuple
        The float value, and the exact value (``None`` for a float input).

    Examples
    --------
    >>> parse_eta("1/5"), parse_eta(0.18)
    ((0.2, Fraction(1, 5)), (0.18, None))
    """
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


def run_options(kwargs) -> dict:
    """The run options of :func:`gd`: the defaults updated with ``kwargs``, checked.

    Parameters
    ----------
    kwargs : dict
        Any of ``tol``, ``check_every``, ``max_period``, ``period_tol``,
        ``diverge_bound``, ``origin_radius``, ``borderline``, ``recheck_dps``,
        ``max_rechecks``.

    Returns
    -------
    dict
        Every option, the defaults filled in.

    Examples
    --------
    >>> run_options({"tol": 1e-6})["tol"], run_options({})["check_every"]
    (1e-06, 50)
    """
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise InvalidInputError(f"unknown option(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    opts = dict(_DEFAULTS)
    opts.update(kwargs)
    check_positive_int("check_every", opts["check_every"])
    check_positive_int("max_period", opts["max_period"])
    check_positive_int("recheck_dps", opts["recheck_dps"])
    check_positive_int("max_rechecks", opts["max_rechecks"], minimum=0)
    for name in ("tol", "period_tol", "diverge_bound", "borderline"):
        v = opts[name]
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v) or v <= 0:
            raise InvalidInputError(f"{name} must be a finite positive number, got {v!r}")
    return opts


def initial_points(problem: Problem, inits, seed, init_scale):
    """``(theta0 (K, D) float array, exact rows or None)`` from a count or an array.

    Parameters
    ----------
    problem : Problem
    inits : int or array of shape (K, D) or (D,)
        A count of random starts (``N(0, scale^2)`` entries drawn with
        :func:`numpy.random.default_rng` of ``seed``) or explicit points;
        points given as ints, Fractions or strings are also kept exact.
    seed : int
    init_scale : float or None
        As in :func:`initial_scale`.

    Returns
    -------
    tuple
        ``(theta0, exact)``: a float array ``(K, D)`` and the exact rows (Fractions) or ``None``.

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> from symstab.simulate.engine import problem_of
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> theta0, exact = initial_points(p, [[2, "3/2", 2]], 0, None)
    >>> theta0.tolist(), exact
    ([[2.0, 1.5, 2.0]], [[Fraction(2, 1), Fraction(3, 2), Fraction(2, 1)]])
    >>> initial_points(p, 4, 0, None)[0].shape
    (4, 3)
    """
    D = problem.num_params
    if isinstance(inits, (Integral, np.integer)) and not isinstance(inits, bool):
        K = check_positive_int("inits", inits)
        scale = initial_scale(problem, init_scale)
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


def initial_scale(problem: Problem, init_scale):
    """The standard deviation of random starts: ``init_scale`` checked, by default ``s_max(Wbar)^(1/H) / 2``.

    Parameters
    ----------
    problem : Problem
    init_scale : float or None

    Returns
    -------
    float

    Examples
    --------
    >>> from symstab import LinearNetwork
    >>> from symstab.simulate.engine import problem_of
    >>> p = problem_of(LinearNetwork.whitened((1, 1, 2), [[3], [4]]))
    >>> round(initial_scale(p, None), 6), initial_scale(p, 2)
    (1.118034, 2.0)
    """
    if init_scale is None:
        return problem.natural_scale / 2
    if isinstance(init_scale, bool) or not isinstance(init_scale, Real) or not math.isfinite(init_scale) \
            or init_scale <= 0:
        raise InvalidInputError(f"init_scale must be a finite positive number, got {init_scale!r}")
    return float(init_scale)
