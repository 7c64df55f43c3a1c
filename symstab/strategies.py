"""Hypothesis strategies for symstab's objects (public: use them in your own property tests).

Everything is exact: rationals with small numerators and denominators, so that
property tests can assert identities with ``==``.

Examples
--------
>>> from hypothesis import given
>>> @given(linear_networks(max_params=6))
... def check(net):
...     assert net.num_params <= 6
>>> check()
"""

from __future__ import annotations

import sympy
from hypothesis import assume
from hypothesis import strategies as st

from .network import LOSSES, LinearNetwork


def rationals(max_abs: int = 4, max_denominator: int = 4) -> st.SearchStrategy:
    """Fractions in ``[-max_abs, max_abs]`` with denominators up to ``max_denominator``."""
    return st.fractions(min_value=-max_abs, max_value=max_abs, max_denominator=max_denominator)


def rational_matrices(rows: int, cols: int, **kwargs) -> st.SearchStrategy:
    """``rows x cols`` lists of lists of Fractions."""
    return st.lists(st.lists(rationals(**kwargs), min_size=cols, max_size=cols), min_size=rows, max_size=rows)


def widths(max_depth: int = 3, max_width: int = 3, max_params: int = 8) -> st.SearchStrategy:
    """Width tuples ``(d_0, ..., d_H)`` with ``1 <= H <= max_depth`` and at most ``max_params`` parameters."""
    def ok(w):
        return sum(a * b for a, b in zip(w, w[1:])) <= max_params

    return st.integers(1, max_depth).flatmap(
        lambda H: st.lists(st.integers(1, max_width), min_size=H + 1, max_size=H + 1)
    ).map(tuple).filter(ok)


@st.composite
def linear_networks(draw, max_depth: int = 3, max_width: int = 3, max_params: int = 8,
                    max_samples: int = 3, losses=tuple(LOSSES)):
    """Random :class:`LinearNetwork` with exact data and full-rank ``X``."""
    w = draw(widths(max_depth, max_width, max_params))
    n = draw(st.integers(w[0], max(w[0], max_samples)))
    X = draw(rational_matrices(w[0], n))
    assume(sympy.Matrix(X).rank() == w[0])
    Y = draw(rational_matrices(w[-1], n))
    return LinearNetwork(w, X, Y, loss=draw(st.sampled_from(losses)))


def rational_points(net: LinearNetwork, **kwargs) -> st.SearchStrategy:
    """Exact parameter vectors for ``net`` (lists of Fractions)."""
    return st.lists(rationals(**kwargs), min_size=net.num_params, max_size=net.num_params)


__all__ = ["linear_networks", "rational_matrices", "rational_points", "rationals", "widths"]
