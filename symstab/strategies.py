"""Hypothesis strategies for symstab's objects (public: use them in your own property tests and audits).

Every strategy generates only valid objects, exactly: rationals with small
numerators and denominators, so that properties can be asserted with ``==``.
Each shrinks towards small and simple cases (fewer layers, narrower layers,
zeros and ones, identity data). symstab's own test suite draws from these
strategies, and :func:`symstab.audit` searches them for counterexamples.

=============================  ===============================================================
strategy                       generates
=============================  ===============================================================
:func:`rationals`              Fractions in a box
:func:`rational_matrices`      lists of lists of Fractions
:func:`widths`                 width tuples ``(d_0, ..., d_H)``
:func:`datasets`               ``(X, Y)`` with ``X X^T`` invertible
:func:`networks`               :class:`LinearNetwork` (general, whitened, filling, non-filling)
:func:`rational_points`        parameter vectors (anywhere)
:func:`points_on_minima`       exact points of M (product = target, gradient = 0)
:func:`lines_in_minima`        exact affine lines ``theta + t v`` contained in M
:func:`step_sizes`             exact step sizes, optionally around ``eta_C`` or ``eta_E``
:func:`psd_hessian_families`   exact per-sample Hessians ``H_1, ..., H_n`` (PSD, rational)
:func:`trajectories`           exact rational GD trajectories ``theta_0, ..., theta_k``
=============================  ===============================================================

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, database=None)
... @given(networks(kind="filling", max_params=4).flatmap(lambda net: points_on_minima(net).map(lambda t: (net, t))))
... def check(case):
...     net, theta = case
...     assert not any(net.gradient_at(theta))
>>> check()
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import sympy
from hypothesis import assume
from hypothesis import strategies as st

from .errors import InvalidInputError
from .exact.algebraic import exact_sign
from .exact.numberfield import AlgebraicPoint, field_rref
from .exact.numbers import as_fraction
from .critical import critical_step_sizes
from .gdmap import gd_step
from .minima import minima
from .network import LOSSES, LinearNetwork

__all__ = [
    "NETWORK_KINDS",
    "minima_of",
    "PSD_KINDS",
    "datasets",
    "linear_networks",
    "lines_in_minima",
    "networks",
    "points_on_minima",
    "psd_hessian_families",
    "rational_matrices",
    "rational_points",
    "rationals",
    "step_sizes",
    "trajectories",
    "widths",
]

NETWORK_KINDS = ("general", "whitened", "filling", "non_filling", "non_filling_algebraic")
PSD_KINDS = ("general", "coherent", "incoherent")


# --- numbers and matrices ---------------------------------------------------------------

@lru_cache(maxsize=None)
def _integers(lo: int, hi: int) -> st.SearchStrategy:
    """``st.integers`` built once per range (hypothesis validates each new strategy on its first draw)."""
    return st.integers(lo, hi)


@lru_cache(maxsize=None)
def _choice(options: tuple) -> st.SearchStrategy:
    return st.sampled_from(options)


@lru_cache(maxsize=None)
def _int_lists(lo: int, hi: int, size: int) -> st.SearchStrategy:
    return st.lists(_integers(lo, hi), min_size=size, max_size=size)


@lru_cache(maxsize=None)
def rationals(max_abs: int = 4, max_denominator: int = 4) -> st.SearchStrategy:
    """Fractions in ``[-max_abs, max_abs]`` with denominators up to ``max_denominator`` (shrink to 0).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(rationals(), lambda q: q > 1)
    Fraction(2, 1)
    """
    return st.fractions(min_value=-max_abs, max_value=max_abs, max_denominator=max_denominator)


def rational_matrices(rows: int, cols: int, **kwargs) -> st.SearchStrategy:
    """``rows x cols`` lists of lists of Fractions (keyword arguments go to :func:`rationals`).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(rational_matrices(1, 2), lambda m: True)
    [[Fraction(0, 1), Fraction(0, 1)]]
    """
    return _matrices(rows, cols, kwargs.get("max_abs", 4), kwargs.get("max_denominator", 4))


@lru_cache(maxsize=None)
def _matrices(rows, cols, max_abs, max_denominator):
    """Built once per shape: hypothesis validates a strategy the first time it is drawn from."""
    entries = rationals(max_abs, max_denominator)
    return st.lists(st.lists(entries, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


def _made_invertible(rows):
    """``rows + k I`` for the smallest ``k >= 0`` that makes the square block invertible (at most n tries)."""
    A = sympy.Matrix(rows)
    k = 0
    while (A + k * sympy.eye(A.rows)).det() == 0:
        k += 1
    return [[Fraction(int(v.p), int(v.q)) for v in row] for row in (A + k * sympy.eye(A.rows)).tolist()]


@lru_cache(maxsize=None)
def _invertible_matrices(n: int, **kwargs) -> st.SearchStrategy:
    """Invertible ``n x n`` rational matrices ``I + A``; a singular draw is shifted by the identity (shrinks to I)."""
    return rational_matrices(n, n, **kwargs).map(
        lambda m: _made_invertible([[v + (1 if i == j else 0) for j, v in enumerate(r)] for i, r in enumerate(m)]))


def _orthogonal(skew_entries, n: int) -> sympy.Matrix:
    """The Cayley transform ``(I - A)(I + A)^{-1}`` of a rational skew-symmetric ``A``: rational orthogonal."""
    A = sympy.zeros(n, n)
    entries = iter(skew_entries)
    for i in range(n):
        for j in range(i + 1, n):
            v = sympy.Rational(next(entries))
            A[i, j], A[j, i] = v, -v
    return (sympy.eye(n) - A) * (sympy.eye(n) + A).inv()


@lru_cache(maxsize=None)
def _rational_orthogonal(n: int) -> st.SearchStrategy:
    """Rational orthogonal ``n x n`` matrices (Cayley transforms; shrink to the identity)."""
    return st.lists(rationals(2, 3), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2).map(
        lambda e: _orthogonal(e, n))


# --- architectures, data, networks -----------------------------------------------------------

def widths(max_depth: int = 3, max_width: int = 3, max_params: int = 8, *, min_depth: int = 1,
           min_width: int = 1) -> st.SearchStrategy:
    """Width tuples ``(d_0, ..., d_H)`` with ``min_depth <= H <= max_depth`` and at most ``max_params`` parameters.

    Shrinks towards shallow, narrow networks: ``(1, 1)``.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(widths(max_depth=2), lambda w: len(w) == 3)
    (1, 1, 1)
    """
    def ok(w):
        return sum(a * b for a, b in zip(w, w[1:])) <= max_params

    return _integers(min_depth, max_depth).flatmap(
        lambda H: _int_lists(min_width, max_width, H + 1)
    ).map(tuple).filter(ok)


@st.composite
def datasets(draw, widths, max_samples: int = 3, max_abs: int = 4, max_denominator: int = 4):
    """Exact data ``(X, Y)`` for the architecture ``widths``: ``X`` is ``d_0 x n`` with ``X X^T`` invertible.

    ``n`` is between ``d_0`` and ``max(d_0, max_samples)``; a rank-deficient draw of the
    leading ``d_0 x d_0`` block is shifted by the identity, so every draw is valid (no
    rejection). Shrinks towards ``X = [I 0]``, ``Y = 0``.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(datasets((2, 1, 3)), lambda data: True)
    ([[Fraction(1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1)]], [[Fraction(0, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(0, 1)]])
    """
    d0, dH = widths[0], widths[-1]
    n = draw(_integers(d0, max(d0, max_samples)))
    kw = {"max_abs": max_abs, "max_denominator": max_denominator}
    lead = draw(_invertible_matrices(d0, **kw))
    rest = draw(rational_matrices(d0, n - d0, **kw)) if n > d0 else [[] for _ in range(d0)]
    X = [lead[i] + rest[i] for i in range(d0)]
    Y = draw(rational_matrices(dH, n, **kw))
    return X, Y


def _filling_target(draw, w, kw, min_rank=0):
    """A rational ``d_H x d_0`` target of rank between ``min_rank`` and the bottleneck: ``U V``."""
    k = draw(_integers(min(min_rank, min(w)), min(w)))
    if k == 0:
        return [[Fraction(0)] * w[0] for _ in range(w[-1])]
    U = sympy.Matrix(draw(rational_matrices(w[-1], k, **kw)))
    V = sympy.Matrix(draw(rational_matrices(k, w[0], **kw)))
    if min_rank:
        U = U + sympy.eye(w[-1], k)  # shrinks to a target of rank k
        V = V + sympy.eye(k, w[0])
        assume((U * V).rank() >= min_rank)
    return [[Fraction(int(v.p), int(v.q)) for v in row] for row in (U * V).tolist()]


def _non_filling_widths(max_depth, max_width, max_params):
    """Widths with a hidden layer narrower than both ends (so a rank above the bottleneck is possible)."""
    return widths(max_depth, max_width, max_params, min_depth=2).filter(
        lambda w: min(w[1:-1]) < min(w[0], w[-1]))


@st.composite
def networks(draw, kind: str = "general", *, max_depth: int = 3, max_width: int = 3, max_params: int = 8,
             max_samples: int = 3, losses=tuple(LOSSES), widths_strategy=None, min_rank: int = 0,
             whitened: bool | None = None):
    """Random :class:`~symstab.network.LinearNetwork` with exact data.

    Parameters
    ----------
    kind : ``"general"``, ``"whitened"``, ``"filling"``, ``"non_filling"`` or ``"non_filling_algebraic"``
        ``"general"``: any data from :func:`datasets` (its minimal product may be
        irrational). ``"whitened"``: ``X = I``, ``Y`` = a rational target.
        ``"filling"``: ``rank W* <= min_l d_l`` (general data: ``Y = T X + E`` with
        ``E X^T = 0``, so ``W* = T``). ``"non_filling"``: ``rank W* >`` the bottleneck,
        with distinct singular values, so the minimal product is unique and rational:
        ``X = q Q_0`` and ``W* = Q_1 diag(s) Q_2^T`` with rational orthogonal ``Q``
        (Cayley transforms); the first hidden bottleneck is narrower than ``d_0`` and ``d_H``.
        ``"non_filling_algebraic"``: whitened, non-filling, with a unique minimal product
        that is irrational (entries in a number field of degree <= 3, since ``d_0, d_H <= 3``);
        its points (:func:`points_on_minima`) are exact
        :class:`~symstab.exact.numberfield.AlgebraicPoint` s.
    max_depth, max_width, max_params : int
        Bounds of the architecture (see :func:`widths`).
    max_samples : int
        Largest number of samples ``n`` (at least ``d_0``).
    losses : sequence of str
        Loss conventions to draw from (shrinks to the first).
    widths_strategy : SearchStrategy, optional
        Draw the widths from here instead.
    min_rank : int
        ``"filling"`` only: the target has rank at least ``min(min_rank, bottleneck)``
        (``min_rank=1``: a non-zero target).
    whitened : bool, optional
        ``"filling"`` only: force ``X = I`` (True) or general data (False); drawn when None.

    Returns
    -------
    SearchStrategy of LinearNetwork

    Examples
    --------
    >>> from hypothesis import find
    >>> net = find(networks(kind="non_filling"), lambda net: True)
    >>> net.widths, net.Y.tolist(), minima(net).target.tolist()
    ((2, 1, 2), [[2, 0], [0, 1]], [[2, 0], [0, 0]])
    """
    if kind not in NETWORK_KINDS:
        raise InvalidInputError(f"kind must be one of {', '.join(NETWORK_KINDS)}, got {kind!r}")
    loss = draw(_choice(tuple(losses)))
    kw = {"max_abs": 4, "max_denominator": 4}
    if kind == "non_filling_algebraic":
        w = draw(widths_strategy if widths_strategy is not None
                 else _non_filling_widths(max_depth, min(max_width, 3), max_params))
        assume(min(w) < min(w[0], w[-1]) <= 3)
        net = LinearNetwork.whitened(w, draw(rational_matrices(w[-1], w[0], max_abs=4, max_denominator=1)), loss=loss)
        try:
            M = minima_of(net)
        except InvalidInputError:  # tied singular values: the minimal product is not unique
            assume(False)
        assume(M.target_field == "algebraic")
        return net
    if kind == "non_filling":
        w = draw(widths_strategy if widths_strategy is not None
                 else _non_filling_widths(max_depth, max_width, max_params))
        d0, dH, r = w[0], w[-1], min(w)
        assume(r < min(d0, dH))
        k = min(d0, dH)
        s = sorted(set(draw(_int_lists(1, 6, k))), reverse=True)
        assume(len(s) == k)
        Q1, Q2 = draw(_rational_orthogonal(dH)), draw(_rational_orthogonal(d0))
        S = sympy.zeros(dH, d0)
        for i, v in enumerate(s):
            S[i, i] = v
        W = Q1 * S * Q2.T
        q = draw(_choice((1, 2, sympy.Rational(1, 2))))
        X = q * draw(_rational_orthogonal(d0))
        Y = W * X
        return LinearNetwork(w, X.tolist(), Y.tolist(), loss=loss)
    w = draw(widths_strategy if widths_strategy is not None else widths(max_depth, max_width, max_params))
    if kind == "whitened":
        return LinearNetwork.whitened(w, draw(rational_matrices(w[-1], w[0], **kw)), loss=loss)
    if kind == "filling":
        T = sympy.Matrix(_filling_target(draw, w, kw, min_rank))
        if draw(_choice((True, False))) if whitened is None else whitened:
            return LinearNetwork.whitened(w, T.tolist(), loss=loss)
        X, _ = draw(datasets(w, max_samples))
        Xm = sympy.Matrix(X)
        E = sympy.Matrix(draw(rational_matrices(w[-1], Xm.cols, **kw)))
        E = E * (sympy.eye(Xm.cols) - Xm.T * (Xm * Xm.T).inv() * Xm)
        return LinearNetwork(w, X, (T * Xm + E).tolist(), loss=loss)
    X, Y = draw(datasets(w, max_samples))
    return LinearNetwork(w, X, Y, loss=loss)


def linear_networks(max_depth: int = 3, max_width: int = 3, max_params: int = 8,
                    max_samples: int = 3, losses=tuple(LOSSES)) -> st.SearchStrategy:
    """``networks(kind="general", ...)``: kept for existing property tests.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(linear_networks(max_params=6), lambda net: net.depth == 2).widths
    (1, 1, 1)
    """
    return networks("general", max_depth=max_depth, max_width=max_width, max_params=max_params,
                    max_samples=max_samples, losses=losses)


# --- points ---------------------------------------------------------------------------------

def rational_points(net: LinearNetwork, **kwargs) -> st.SearchStrategy:
    """Exact parameter vectors for ``net`` (lists of Fractions), anywhere in parameter space.

    Examples
    --------
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> from hypothesis import find
    >>> find(rational_points(net), lambda theta: theta[0] == 1)
    [Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)]
    """
    return _vectors(net.num_params, kwargs.get("max_abs", 4), kwargs.get("max_denominator", 4))


@lru_cache(maxsize=None)
def _vectors(size, max_abs, max_denominator):
    return st.lists(rationals(max_abs, max_denominator), min_size=size, max_size=size)


@lru_cache(maxsize=512)
def minima_of(net: LinearNetwork):
    """:func:`~symstab.minima.minima` of ``net``, remembered for the last 512 networks drawn."""
    return minima(net)


def _target_factors(net):
    """``(T, U, V, K)``: the minimal product ``T = U V`` (rank factorisation; rational, or polynomial in a
    symbol ``t`` standing for the generator of the number field ``K``, None when T is rational)."""
    M = minima_of(net)
    if M.target_field == "algebraic":
        K, rows = M.target_in_field
        R, pivots = field_rref(rows)
        U = sympy.Matrix([[row[j].to_poly_expr(_T) for j in pivots] for row in rows])
        V = sympy.Matrix([[v.to_poly_expr(_T) for v in row] for row in R[:len(pivots)]])
        return sympy.Matrix([[v.to_poly_expr(_T) for v in row] for row in rows]), U, V, K
    if not M.points_exact:
        raise InvalidInputError(
            f"points_on_minima needs an exact minimal product; this network's is {M.target_field} "
            "(its eigenvalues have degree above minima's max_algebraic_degree)")
    T = sympy.Matrix(M.target)
    if T.is_zero_matrix:
        return T, sympy.zeros(T.rows, 0), sympy.zeros(0, T.cols), None
    R, pivots = T.rref()
    return T, T.extract(list(range(T.rows)), list(pivots)), R[:len(pivots), :], None


_T = sympy.Dummy("alpha")


def _point_of(net, T, U, V, gs, lowers, K=None):
    """Layers ``W_1 = G_1 [V; R_1]``, ``W_l = G_l [[I, 0], [R_l, S_l]] G_{l-1}^-1``, ``W_H = [U, 0] G_{H-1}^-1``."""
    w, H = net.widths, net.depth
    k = U.cols
    if H == 1:
        return _exact_values(T, K)
    weights = []
    for l in range(1, H + 1):
        rows, cols = w[l], w[l - 1]
        core = sympy.Matrix(lowers[l - 1])
        if l == 1:
            core[:k, :] = V
        elif l == H:
            core = sympy.zeros(rows, cols)
            core[:, :k] = U
        else:
            core[:k, :] = sympy.eye(k, cols)
        left = gs[l - 1] if l < H else sympy.eye(rows)
        right = gs[l - 2].inv() if l > 1 else sympy.eye(cols)
        weights.append(left * core * right)
    return _exact_values([v for W in weights for v in W], K)


def _exact_values(values, K):
    if K is None:
        return [Fraction(int(v.p), int(v.q)) for v in values]
    return AlgebraicPoint([K.from_poly_expr(v, _T) for v in values], K)


@st.composite
def points_on_minima(draw, net: LinearNetwork, max_abs: int = 3, max_denominator: int = 3):
    """Exact points of the set M of global minima of ``net``: lists of Fractions, or
    :class:`~symstab.exact.numberfield.AlgebraicPoint` s when the minimal product is irrational.

    With ``T = U V`` a rank factorisation of the minimal product (over Q, or over the
    number field ``K`` of :attr:`~symstab.minima.Minima.target_in_field`), the
    layers are ``W_1 = G_1 [V; R_1]``, ``W_l = G_l [[I, 0], [R_l, S_l]] G_{l-1}^{-1}``
    and ``W_H = [U, 0] G_{H-1}^{-1}`` with drawn invertible ``G_l`` and free blocks
    ``R_l, S_l``: the product is ``T`` for every draw, the blocks move along the
    fibre and the ``G_l`` along the group orbits, so the points are not limited to
    the few that :meth:`~symstab.minima.Minima.point` returns. Shrinks towards the
    rank-factorisation point (every ``G_l = I``, free blocks 0).

    Raises
    ------
    InvalidInputError
        When the minimal product is only known numerically (eigenvalues of degree
        above :func:`~symstab.minima.minima`'s ``max_algebraic_degree``).

    Examples
    --------
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])
    >>> from hypothesis import find
    >>> theta = find(points_on_minima(net), lambda theta: theta[0] > 1)
    >>> theta, net.product_at(theta).tolist(), net.gradient_at(theta)
    ([Fraction(2, 1), Fraction(3, 2), Fraction(2, 1)], [[3], [4]], [Fraction(0, 1), Fraction(0, 1), Fraction(0, 1)])
    """
    T, U, V, K = _target_factors(net)
    w = net.widths
    kw = {"max_abs": max_abs, "max_denominator": max_denominator}
    gs = [sympy.Matrix(draw(_invertible_matrices(w[l], **kw))) for l in range(1, net.depth)]
    lowers = [draw(rational_matrices(w[l], w[l - 1], **kw)) for l in range(1, net.depth + 1)]
    return _point_of(net, T, U, V, gs, lowers, K)


@st.composite
def lines_in_minima(draw, net: LinearNetwork, kinds=("both", "left", "right")):
    """Exact affine lines ``{theta + t v : t in R}`` contained in M: pairs ``(theta, v)``, ``v != 0``.

    One layer ``W_l`` moves by ``t Delta`` with ``A Delta B = 0`` (``A`` the product of the
    layers above, ``B`` of those below), so the product stays the target for every
    ``t``. ``kind`` says which kernel ``Delta`` comes from: ``"left"`` (``A Delta = 0``),
    ``"right"`` (``Delta B = 0``) or ``"both"``; only layers that have such a direction
    at the drawn point are chosen from. Shrinks towards ``"both"``, the first such layer
    and simple points.

    Examples
    --------
    >>> net = LinearNetwork.whitened((1, 2, 2, 1), [[3]])
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=3, database=None)
    ... @given(lines_in_minima(net))
    ... def stays_in_M(line):
    ...     theta, v = line
    ...     assert any(v) and net.product_at([a + 5 * b for a, b in zip(theta, v)]).tolist() == [[3]]
    >>> stays_in_M()
    """
    if minima_of(net).target_field != "rational":
        raise InvalidInputError("lines_in_minima needs a rational minimal product (draw from networks(kind="
                                "'filling' or 'non_filling'))")
    theta = draw(points_on_minima(net))
    weights = [sympy.Matrix(W.tolist()) for W in net.split(theta)]
    options = []  # (kind, layer, left kernel, right kernel) where a direction exists
    for kind in kinds:
        for l, W in enumerate(weights):
            A = sympy.eye(W.rows)
            for V in weights[l + 1:]:
                A = V * A
            B = sympy.eye(net.widths[0])
            for V in weights[:l]:
                B = V * B
            left, right = A.nullspace(), B.T.nullspace()  # A x = 0, y^T B = 0
            if (kind == "left" and left) or (kind == "right" and right) or (kind == "both" and left and right):
                options.append((kind, l, left, right))
    assume(options)
    kind = draw(st.sampled_from([k for k in kinds if any(o[0] == k for o in options)]))
    _, l, left, right = draw(st.sampled_from([o for o in options if o[0] == kind]))
    rows, cols = weights[l].shape
    if kind == "left":
        Delta = sum((x * sympy.Matrix(draw(rational_matrices(1, cols))) for x in left), sympy.zeros(rows, cols))
    elif kind == "right":
        Delta = sum((sympy.Matrix(draw(rational_matrices(rows, 1))) * y.T for y in right), sympy.zeros(rows, cols))
    else:
        Delta = sum(((1 + draw(rationals())) * x * y.T for x in left for y in right), sympy.zeros(rows, cols))
    assume(not Delta.is_zero_matrix)
    sizes = [W.rows * W.cols for W in weights]
    v = [Fraction(0)] * sum(sizes[:l]) + [as_fraction(x) for x in Delta] + [Fraction(0)] * sum(sizes[l + 1:])
    return theta, v


# --- step sizes -------------------------------------------------------------------------------

def _reference_step(net, around):
    cs = critical_step_sizes(net, prove=False)
    exact = cs.eta_C if around == "eta_C" else cs.eta_E
    if exact is not None and exact != sympy.oo:
        return sympy.nsimplify(exact) if not isinstance(exact, sympy.Basic) else exact, None
    if around == "eta_C" and cs.eta_C_interval is not None:
        lo, hi = cs.eta_C_interval
        return None, (Fraction(str(lo)) if not isinstance(lo, Fraction) else lo,
                      Fraction(str(hi)) if not isinstance(hi, Fraction) else hi)
    return None, None


def step_sizes(net: LinearNetwork | None = None, around: str | None = "eta_C", *, side: str | None = None,
               min_ratio=Fraction(1, 2), max_ratio=2, max_denominator: int = 64) -> st.SearchStrategy:
    """Exact positive step sizes (Fractions), optionally around ``eta_C`` or ``eta_E`` of ``net``.

    Parameters
    ----------
    net : LinearNetwork, optional
        Needed when ``around`` is not None; its critical step sizes are computed once.
    around : ``"eta_C"``, ``"eta_E"`` or None
        None: any step in ``[1/max_denominator, max_ratio]``. Otherwise
        ``eta = ratio * eta_ref`` rounded to a rational, ``ratio`` in
        ``[min_ratio, max_ratio]``; when only an enclosure of ``eta_C`` is known, the
        ratio applies to its lower end (``side="below"``) or upper end (``"above"``).
    side : ``"below"``, ``"above"`` or None
        Keep only steps strictly below / strictly above the reference (decided
        exactly, also for algebraic ``eta_C``).

    Returns
    -------
    SearchStrategy of Fraction

    Raises
    ------
    InvalidInputError
        For an unknown ``around`` or ``side``, or a reference that is infinite or unknown.

    Examples
    --------
    >>> net = LinearNetwork.whitened((1, 1, 2), [[3], [4]])       # eta_C = 1/5
    >>> from hypothesis import find
    >>> Fraction(1, 5) < find(step_sizes(net, side="above"), lambda eta: True) <= Fraction(2, 5)
    True
    """
    if around not in (None, "eta_C", "eta_E") or side not in (None, "below", "above"):
        raise InvalidInputError(f"around must be 'eta_C', 'eta_E' or None and side 'below', 'above' or None, "
                                f"got {around!r}, {side!r}")
    ratios = st.fractions(min_value=Fraction(min_ratio) - 1, max_value=Fraction(max_ratio) - 1,
                          max_denominator=max_denominator).map(lambda delta: 1 + delta)  # shrinks to 1
    if around is None:
        return st.fractions(min_value=Fraction(1, max_denominator), max_value=max_ratio,
                            max_denominator=max_denominator)
    if net is None:
        raise InvalidInputError(f"step_sizes(around={around!r}) needs the network")
    exact, interval = _reference_step(net, around)
    if exact is None and interval is None:
        raise InvalidInputError(f"{around} of this network is infinite or unknown: no steps around it")
    if exact is not None:
        base = Fraction(str(sympy.Rational(sympy.nsimplify(sympy.N(exact, 30), rational=True))
                            .limit_denominator(10**9)))
    else:
        base = interval[0] if side != "above" else interval[1]

    def step(ratio):
        return (ratio * base).limit_denominator(10**12) if (ratio * base).denominator > 10**12 else ratio * base

    def keep(eta):
        if side is None:
            return eta > 0
        ref = exact if exact is not None else (interval[0] if side == "below" else interval[1])
        sign = exact_sign(sympy.Rational(eta.numerator, eta.denominator) - sympy.sympify(ref))
        return sign < 0 if side == "below" else sign > 0

    return ratios.map(step).filter(keep)


# --- per-sample Hessians ------------------------------------------------------------------------

def _outer_sum(vectors, d):
    return [[sum((Fraction(v[i]) * Fraction(v[j]) for v in vectors), Fraction(0)) for j in range(d)]
            for i in range(d)]


@st.composite
def psd_hessian_families(draw, n=None, d=None, rank=None, kind: str | None = None, *, max_n: int = 4,
                         max_d: int = 3):
    """Exact per-sample Hessians ``[H_1, ..., H_n]``: rational, symmetric, PSD, not all zero.

    Each ``H_i = sum_k c_ik v_ik v_ik^T`` with ``c_ik >= 0`` and rational ``v_ik``.

    Parameters
    ----------
    n, d, rank : int, optional
        Number of samples, dimension, and the largest rank of each ``H_i`` (drawn when None:
        ``n <= max_n``, ``d <= max_d``, ``rank <= d``).
    kind : ``"general"``, ``"coherent"``, ``"incoherent"`` or None (drawn)
        ``"coherent"``: every ``H_i`` is a multiple of one ``v v^T`` (coherence ``sigma = n``
        when the multiples are equal); ``"incoherent"``: ``H_i = c_i q_i q_i^T`` for distinct columns ``q_i`` of
        a rational orthogonal matrix, so ``H_i H_j = 0`` (samples beyond ``d`` are zero);
        ``"general"``: independent draws.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(psd_hessian_families(n=2, d=2, kind="incoherent"), lambda hs: all(any(map(any, h)) for h in hs))
    [[[Fraction(1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(0, 1)]], [[Fraction(0, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1)]]]
    """
    n = draw(_integers(1, max_n)) if n is None else n
    d = draw(_integers(1, max_d)) if d is None else d
    rank = draw(_integers(1, d)) if rank is None else rank
    kind = draw(_choice(PSD_KINDS)) if kind is None else kind
    if kind not in PSD_KINDS:
        raise InvalidInputError(f"kind must be one of {', '.join(PSD_KINDS)}, got {kind!r}")
    weights = _WEIGHTS
    vec = _int_lists(-3, 3, d)
    if kind == "coherent":
        v = draw(vec.filter(any))
        hs = [[[c * v[i] * v[j] for j in range(d)] for i in range(d)] for c in [draw(weights) for _ in range(n)]]
    elif kind == "incoherent":
        coords = draw(st.permutations(range(d)))
        Q = draw(_rational_orthogonal(d))
        hs = []
        for i in range(n):
            D = sympy.zeros(d, d)
            if i < d:
                D[coords[i], coords[i]] = sympy.Rational(draw(weights))
            hs.append([[as_fraction(x) for x in row] for row in (Q * D * Q.T).tolist()])
    else:
        hs = [_outer_sum(draw(_vector_lists(d, rank)), d) for _ in range(n)]
    if all(x == 0 for h in hs for row in h for x in row):
        hs[0] = [[Fraction(1 if i == j == 0 else 0) for j in range(d)] for i in range(d)]
    return hs


_WEIGHTS = st.fractions(min_value=0, max_value=4, max_denominator=3)


@lru_cache(maxsize=None)
def _vector_lists(d: int, rank: int) -> st.SearchStrategy:
    return st.lists(_int_lists(-3, 3, d), min_size=1, max_size=rank)


# --- trajectories -------------------------------------------------------------------------------

@st.composite
def trajectories(draw, net: LinearNetwork, eta=None, steps: int = 3, **kwargs):
    """Exact rational GD trajectories ``[theta_0, ..., theta_steps]`` with ``theta_(k+1) = theta_k - eta grad L``.

    ``eta`` is an exact number, a strategy of them, or None (drawn from
    ``step_sizes(around=None)``); ``theta_0`` comes from :func:`rational_points`
    (keyword arguments go there). Entries grow quickly (degree ``2H - 1`` per step),
    so keep ``steps`` small. Returns ``(eta, [theta_0, ..., theta_steps])``.

    Examples
    --------
    >>> net = LinearNetwork.whitened((1, 1, 1), [[2]])
    >>> from hypothesis import find
    >>> eta, path = find(trajectories(net, eta=Fraction(1, 10), steps=2), lambda t: t[1][0] != t[1][-1])
    >>> [[str(x) for x in theta] for theta in path]
    [['0', '1'], ['1/5', '1'], ['19/50', '259/250']]
    """
    if isinstance(eta, st.SearchStrategy):
        eta = draw(eta)
    elif eta is None:
        eta = draw(step_sizes(around=None))
    eta = as_fraction(eta)
    path = [draw(rational_points(net, **kwargs))]
    for _ in range(steps):
        path.append(gd_step(net, path[-1], eta))
    return eta, path
