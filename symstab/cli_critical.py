"""``symstab critical`` (eta_C, eta_E) and ``symstab analyze`` (the full A1-A5 report)."""

from __future__ import annotations

import json
import pathlib

from .errors import InvalidInputError
from .files import writable_file


MAX_DPS = 1000


def _check_dps(args) -> None:
    if not 20 <= args.dps <= MAX_DPS:
        raise InvalidInputError(f"--dps must be between 20 and {MAX_DPS}, got {args.dps}")


def _cmd_critical(args) -> int:
    from .cli import network_from_args

    _check_dps(args)
    net = network_from_args(args)
    cs = net.critical_step_sizes(dps=args.dps, prove=not args.no_z3, seed=args.seed)
    if args.json:
        print(json.dumps(cs.to_dict()))
    elif args.latex:
        print(cs.latex())
    else:
        print(cs)
    return 0


def _cmd_analyze(args) -> int:
    from .cli import network_from_args
    from .report import analyze

    _check_dps(args)
    net = network_from_args(args)
    if args.latex is not None:
        writable_file(args.latex, "--latex")
    report = analyze(net, seed=args.seed, prove=not args.no_z3, dps=args.dps)
    if args.latex is not None:
        try:
            pathlib.Path(args.latex).write_text(report.latex())
        except OSError as exc:
            raise InvalidInputError(f"--latex: cannot write {args.latex!r}: {exc.strerror}") from None
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report)
        if args.latex is not None:
            print(f"\nLaTeX report written to {args.latex} (compile with pdflatex)")
    return 0


def _common(parser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="seed for points of M (default 0)")
    parser.add_argument("--dps", type=int, default=50, help=f"digits for numerical witnesses, 20..{MAX_DPS} (default 50)")
    parser.add_argument("--no-z3", action="store_true", help="skip the z3 proof on tiny cases")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def register(sub) -> None:
    """Add the ``critical`` and ``analyze`` subcommands."""
    from .cli import add_network_arguments

    crit = sub.add_parser("critical", help="result A5: critical step sizes eta_C and eta_E with evidence")
    add_network_arguments(crit)
    _common(crit)
    crit.add_argument("--latex", action="store_true", help="print LaTeX only")
    crit.set_defaults(handler=_cmd_critical)

    ana = sub.add_parser("analyze", help="full report for one network: A1-A5 with their evidence")
    add_network_arguments(ana)
    _common(ana)
    ana.add_argument("--latex", metavar="FILE", help="also write a standalone LaTeX report to FILE")
    ana.set_defaults(handler=_cmd_analyze)
