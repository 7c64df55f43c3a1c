"""What every subcommand shares: the network flags, building the network from them, and the progress bar."""

from __future__ import annotations

import argparse
import sys

from ..errors import InvalidInputError
from ..exact.numbers import parse_matrix, parse_widths
from ..network import LOSSES, LinearNetwork

__all__ = ["MAX_DPS", "add_analysis_arguments", "add_network_arguments", "check_dps", "network_from_args", "progress_bar"]


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that describe a network; shared by every subcommand that takes one."""
    parser.add_argument("--widths", required=True, help="comma-separated widths d_0,...,d_H, e.g. 2,2,2")
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
    parser.add_argument("--seed", type=int, default=0, help="seed for points of M (default 0)")
    parser.add_argument("--dps", type=int, default=50, help=f"digits for numerical witnesses, 20..{MAX_DPS} (default 50)")
    parser.add_argument("--no-z3", action="store_true", help="skip the z3 proof on tiny cases")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def check_dps(args) -> None:
    """Refuse ``--dps`` outside ``20..MAX_DPS`` with a one-line error."""
    if not 20 <= args.dps <= MAX_DPS:
        raise InvalidInputError(f"--dps must be between 20 and {MAX_DPS}, got {args.dps}")
