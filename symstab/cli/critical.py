"""``symstab critical``: the critical step sizes eta_C and eta_E with their evidence (result A5)."""

from __future__ import annotations

import json

from ..critical import critical_step_sizes
from .common import add_analysis_arguments, add_network_arguments, check_dps, network_from_args

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``critical`` subcommand."""
    crit = sub.add_parser("critical", help="result A5: critical step sizes eta_C and eta_E with evidence")
    add_network_arguments(crit)
    add_analysis_arguments(crit)
    crit.add_argument("--latex", action="store_true", help="print LaTeX only")
    crit.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab critical``; print the result as text, JSON or LaTeX."""
    check_dps(args)
    net = network_from_args(args)
    cs = critical_step_sizes(net, dps=args.dps, prove=not args.no_z3, seed=args.seed)
    if args.json:
        print(json.dumps(cs.to_dict()))
    elif args.latex:
        print(cs.latex())
    else:
        print(cs)
    return 0
