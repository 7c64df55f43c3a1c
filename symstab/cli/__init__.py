"""The ``symstab`` command line (interface layer): it parses, calls the API, prints.

One module per subcommand (``det``, ``certify``, ``critical``, ``analyze``,
``simulate``, ``sgd``, ``orbits``, ``bifurcation``), each with ``register(subparsers)`` and ``run(args)``;
the network flags they share live in :mod:`symstab.cli.common`. Every symstab
error becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from ..errors import InexactInputWarning, SymstabError
from . import analyze, bifurcation, certify, critical, det, orbits, sgd, simulate
from .common import add_network_arguments, network_from_args

__all__ = ["add_network_arguments", "build_parser", "main", "network_from_args"]

SUBCOMMANDS = (det, certify, sgd, critical, analyze, simulate, orbits, bifurcation)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="symstab",
        description="Exact verification of gradient-descent stability for linear networks.",
    )
    parser.add_argument("--version", action="version", version=f"symstab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(sub)
    return parser


_VALUE_FLAGS = ("--X", "--Y", "--target", "--widths", "--eta", "--scale", "--eta-ratios", "--init-scale")


def _attach_negative_values(argv):
    """``--target -1,0;0,1`` -> ``--target=-1,0;0,1``: argparse would read ``-1,...`` as a flag."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_FLAGS and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and not argv[i + 1].startswith("--"):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


def main(argv=None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_attach_negative_values(argv))
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InexactInputWarning)
            return args.handler(args) or 0
    except SymstabError as err:
        print(f"symstab: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symstab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `symstab analyze ... | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
