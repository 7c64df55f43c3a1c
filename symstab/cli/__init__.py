"""The ``symstab`` command line (interface layer): it parses, calls the API, prints.

One module per subcommand (``det``, ``certify``, ``critical``, ``analyze``, ``report``,
``simulate``, ``sgd``, ``orbits``, ``bifurcation``, ``prove``, ``check``,
``audit``), each with ``register(subparsers)`` and ``run(args)``;
the network flags they share live in :mod:`symstab.cli.common`. Every error,
argparse's and symstab's, becomes one line on stderr (``symstab <cmd>: error:
... (see symstab <cmd> --help)``) and exit status 2; warnings become one line
each, shown after a successful run; Ctrl-C says what was kept and how to resume,
with exit status 130.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from ..errors import InexactInputWarning, SymstabError
from . import analyze, audit, bifurcation, certify, check, critical, det, flip, orbits, prove, report, sgd, simulate
from .common import OneLineParser, add_network_arguments, error_line, interrupt_note, network_from_args

__all__ = ["add_network_arguments", "build_parser", "main", "network_from_args"]

SUBCOMMANDS = (det, certify, sgd, critical, analyze, report, simulate, orbits, flip, bifurcation, prove, check, audit)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = OneLineParser(
        prog="symstab",
        description="Exact verification of gradient-descent stability for linear networks.",
    )
    parser.add_argument("--version", action="version", version=f"symstab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(sub)
    return parser


_VALUE_FLAGS = ("--X", "--Y", "--target", "--widths", "--eta", "--scale", "--eta-ratios", "--init-scale", "--eta-C",
                "--seed", "--inits", "--steps", "--workers", "--dps", "--n", "--sigma", "--batch", "--max-points")


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
    try:
        args = parser.parse_args(_attach_negative_values(argv))
    except SystemExit as exc:  # the one-line error is printed; --help and --version exit 0 as usual
        if exc.code == 2:
            return 2
        raise
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    prog = f"symstab {args.command}"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InexactInputWarning)
            code = args.handler(args) or 0
        for w in caught:  # one line each, and only when the run succeeded: an error is the one line then
            print(f"{prog}: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
        return code
    except SymstabError as err:
        print(error_line(prog, err), file=sys.stderr)
        return 2
    except MemoryError:
        print(error_line(prog, "ran out of memory; use a smaller job or a smaller --memory where offered"),
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; {interrupt_note(args, argv)}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `symstab analyze ... | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
