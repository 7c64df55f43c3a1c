"""What every subcommand shares: the parser that reports errors on one line, typed flags with their
valid ranges, the network flags, building the network from them, the progress bar and the interrupt note.

:class:`OneLineParser` is the parser class of ``symstab`` and, through argparse's
``add_subparsers``, of every subcommand registered on it: argparse's own errors
(a bad ``--seed``, an unknown ``--loss``) become ``symstab <cmd>: error: ... (see
symstab <cmd> --help)`` on one line with exit status 2, like symstab's own errors.
A new subcommand inherits this by being registered; its numeric flags take their
``type=`` from :func:`integer`, :func:`real` and :func:`size`, which state the
valid range when they refuse a value.
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
import sys

from ..budget import parse_size
from ..errors import InvalidInputError
from ..exact.numbers import parse_matrix, parse_number, parse_widths
from ..network import LOSSES, LinearNetwork

__all__ = ["MAX_DPS", "OneLineParser", "add_analysis_arguments", "add_network_arguments", "check_dps", "error_line",
           "integer", "interrupt_note", "network_from_args", "progress_bar", "real", "size"]


def error_line(prog: str, message: str) -> str:
    """The one line an error is reported on: ``<prog>: error: <message> (see <prog> --help)``.

    Examples
    --------
    >>> error_line("symstab det", "argument --loss: invalid choice: 'x'")
    "symstab det: error: argument --loss: invalid choice: 'x' (see symstab det --help)"
    """
    flat = " ".join(str(message).split())
    return f"{prog}: error: {flat} (see {prog} --help)"


class OneLineParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are one line on stderr and exit status 2.

    argparse creates subcommand parsers with the class of the parser they are added
    to, so every subcommand inherits this.
    """

    def error(self, message):
        self.exit(2, error_line(self.prog, message) + "\n")


_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


def integer(lo: int | None = None, hi: int | None = None):
    """An argparse ``type=``: a plain decimal integer in ``lo..hi`` (either end open when None).

    Refuses ``1e3``, ``1_000``, ``0x10``, non-ASCII digits and anything out of range,
    stating the valid range.

    Examples
    --------
    >>> integer(1)("12")
    12
    >>> integer(1, 4)("9")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer in 1..4, got '9'
    """
    if lo is not None and hi is not None:
        valid = f"an integer in {lo}..{hi}"
    elif lo is not None:
        valid = {0: "a non-negative integer", 1: "a positive integer"}.get(lo, f"an integer >= {lo}")
    else:
        valid = "an integer"

    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"must be {valid}, got {text!r}")
        value = int(text)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be {valid}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def real(lo: float | None = None, hi: float | None = None, *, open_lo: bool = False):
    """An argparse ``type=``: a finite decimal number in ``[lo, hi]`` (``(lo, hi]`` with ``open_lo``).

    Examples
    --------
    >>> real(0, open_lo=True)("0.5")
    0.5
    >>> real(0, open_lo=True)("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a finite number > 0, got 'nan'
    """
    parts = []
    if lo is not None:
        parts.append(f"{'>' if open_lo else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"<= {hi:g}")
    valid = "a finite number" + (" " + " and ".join(parts) if parts else "")

    def parse(text: str) -> float:
        if not re.fullmatch(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?\s*", text):
            raise argparse.ArgumentTypeError(f"must be {valid}, got {text!r}")
        value = float(text)
        bad = (not math.isfinite(value) or (lo is not None and (value <= lo if open_lo else value < lo))
               or (hi is not None and value > hi))
        if bad:
            raise argparse.ArgumentTypeError(f"must be {valid}, got {text!r}")
        return value

    parse.__name__ = "real"
    return parse


def size(text: str) -> int:
    """An argparse ``type=``: a memory size such as ``512M`` or ``2G`` (:func:`symstab.budget.parse_size`)."""
    try:
        return parse_size(text)
    except InvalidInputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def positive_exact(flag: str, text: str):
    """``text`` as an exact positive number, or a one-line error naming ``flag``.

    Examples
    --------
    >>> positive_exact("--eta", "1/6")
    Fraction(1, 6)
    """
    try:
        value = parse_number(text)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{flag}: {exc}") from None
    if value <= 0:
        raise InvalidInputError(f"{flag} must be positive, got {text}")
    return value


def interrupt_note(args, argv) -> str:
    """What an interrupted subcommand says: what was kept and how to resume (one line).

    A subcommand that keeps work sets ``interrupt_note=callable(args, argv) -> str``
    with ``set_defaults``; the rest keep nothing.
    """
    note = getattr(args, "interrupt_note", None)
    if note is not None:
        return note(args, argv)
    return f"nothing was kept; rerun with: {shlex.join(['symstab', *argv])}"


def add_network_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """The flags that describe a network; shared by every subcommand that takes one (``required=False``:
    ``--widths`` is optional, for a subcommand that also takes another kind of input)."""
    parser.add_argument("--widths", required=required, help="comma-separated widths d_0,...,d_H, e.g. 2,2,2")
    parser.add_argument("--X", dest="X", help='inputs, rows separated by ";", e.g. "1,0;0,1"')
    parser.add_argument("--Y", dest="Y", help='targets, rows separated by ";", e.g. "1,2;3,4"')
    parser.add_argument("--whitened", action="store_true", help="X = I and Y = --target")
    parser.add_argument("--target", help='target W* for --whitened, e.g. "3;4"')
    parser.add_argument("--loss", default="half", choices=list(LOSSES),
                        help="loss normalisation (default half: 1/2 ||mu X - Y||^2)")


def network_from_args(args) -> LinearNetwork:
    """Build the :class:`~symstab.network.LinearNetwork` that the flags describe."""
    widths = parse_widths(args.widths)
    if args.whitened:
        if args.target is None:
            raise InvalidInputError("--whitened needs --target")
        if args.X is not None or args.Y is not None:
            raise InvalidInputError("give either --whitened --target or --X/--Y, not both")
        return LinearNetwork.whitened(widths, parse_matrix(args.target), loss=args.loss)
    if args.X is None or args.Y is None:
        raise InvalidInputError("give --X and --Y, or --whitened --target")
    return LinearNetwork(widths, parse_matrix(args.X), parse_matrix(args.Y), loss=args.loss)


def progress_bar(label: str):
    """A one-line progress bar on stderr, shown only when stderr is a terminal (else None)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


MAX_DPS = 1000


def add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seed``, ``--dps``, ``--no-z3`` and ``--json``: shared by ``critical`` and ``analyze``."""
    parser.add_argument("--seed", type=integer(0), default=0, help="seed for points of M, >= 0 (default 0)")
    parser.add_argument("--dps", type=integer(20, MAX_DPS), default=50,
                        help=f"digits for numerical witnesses, 20..{MAX_DPS} (default 50)")
    parser.add_argument("--no-z3", action="store_true", help="skip the z3 proof on tiny cases")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def check_dps(args) -> None:
    """Refuse ``--dps`` outside ``20..MAX_DPS`` with a one-line error."""
    if not 20 <= args.dps <= MAX_DPS:
        raise InvalidInputError(f"--dps must be between 20 and {MAX_DPS}, got {args.dps}")
