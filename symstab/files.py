"""Output files: check a destination before long work starts, and save figures with one-line errors.

A sweep that runs for an hour must not fail at the end because ``--plot`` names a
missing directory; :func:`writable_file` is called up front by the command line
and by the API functions that take a path.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InvalidInputError


def writable_file(path, what: str, suffixes=None) -> Path:
    """``path`` as a :class:`~pathlib.Path` once it is known to be writable as a file.

    Parameters
    ----------
    path : str or path-like
    what : str
        How the path was given (``"--plot"``, ``"checkpoint"``), for the message.
    suffixes : iterable of str, optional
        Accepted extensions (lower case, with the dot).

    Raises
    ------
    InvalidInputError
        The path is a directory, its directory does not exist or cannot be
        written, the file exists and is read-only, or its extension is not one
        of ``suffixes``.

    Examples
    --------
    >>> writable_file("/no/such/dir/out.png", "--plot")
    Traceback (most recent call last):
    ...
    symstab.errors.InvalidInputError: --plot: directory '/no/such/dir' does not exist
    """
    p = Path(path)
    if str(path) == "" or "\x00" in str(path):
        raise InvalidInputError(f"{what}: {str(path)!r} is not a file name")
    if p.is_dir():
        raise InvalidInputError(f"{what}: {str(p)!r} is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidInputError(f"{what}: directory {str(parent)!r} does not exist")
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise InvalidInputError(f"{what}: {str(p)!r} has extension {p.suffix or '(none)'!r}; "
                                f"use one of {', '.join(sorted(suffixes))}")
    _probe(p, what)
    return p


def _probe(p: Path, what: str) -> None:
    """Open ``p`` for writing without changing it, as the real write will: permissions alone do not
    tell (root passes them on a read-only mount or in ``/proc``)."""
    existed = p.exists()
    if existed and not p.is_file():
        raise InvalidInputError(f"{what}: {str(p)!r} is not a regular file")
    try:
        with open(p, "a" if existed else "x"):
            pass
    except OSError as exc:
        raise InvalidInputError(f"{what}: cannot write {str(p)!r} ({exc.strerror or exc})") from None
    if not existed:
        p.unlink()
    return p


def figure_suffixes() -> set:
    """The file extensions matplotlib can write (``.png``, ``.pdf``, ``.svg``, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return {"." + k for k in FigureCanvasBase.get_supported_filetypes()}


def save_figure(fig, path, what: str = "plot") -> Path:
    """Save a matplotlib figure to ``path`` (format from the extension) at 120 dpi.

    Raises
    ------
    InvalidInputError
        The path cannot be written or the format is not supported.
    """
    p = writable_file(path, what, figure_suffixes())
    try:
        fig.savefig(p, dpi=120)
    except OSError as exc:
        raise InvalidInputError(f"{what}: cannot write {str(p)!r}: {exc.strerror or exc}") from None
    return p


__all__ = ["figure_suffixes", "save_figure", "writable_file"]
