"""``symstab critical``: the critical step sizes eta_C and eta_E with their evidence (result A5)."""

from __future__ import annotations

import argparse
import json

from ..critical import critical_step_sizes
from ..proofs.lower_bounds import certify_critical
from .common import add_analysis_arguments, add_network_arguments, check_dps, network_from_args

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab critical --widths 1,1,2 --whitened --target "3;4" --json
  symstab critical --widths 2,1,1 --X "1,0,1;0,1,1" --Y "1,2,2"          # general Sigma: exact CRootOf
  symstab critical --widths 1,1,1 --whitened --target 1 --latex
"""


def register(sub) -> None:
    """Add the ``critical`` subcommand."""
    crit = sub.add_parser("critical", help="result A5: critical step sizes eta_C and eta_E with evidence",
                          epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(crit)
    add_analysis_arguments(crit)
    crit.add_argument("--latex", action="store_true", help="print LaTeX only")
    crit.add_argument("--force", action="store_true", help="compute even when estimated above ten minutes or the "
                      "available memory (the estimate is printed when refused)")
    crit.add_argument("--no-certificate", action="store_true",
                      help="skip the A5 certificate (tried for D <= 12; evidence 'certified' when it pins eta_C)")
    crit.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab critical``; print the result as text, JSON or LaTeX."""
    check_dps(args)
    net = network_from_args(args)
    cs = critical_step_sizes(net, dps=args.dps, prove=not args.no_z3, seed=args.seed, force=args.force)
    summary = None
    if not args.no_certificate and not net.is_family:
        cs, summary = certify_critical(net, cs)
    if args.json:
        print(json.dumps({**cs.to_dict(), "certificate": summary}))
    elif args.latex:
        print(cs.latex())
    else:
        print(cs)
        if summary is not None:
            print(f"  certificate: {summary['status']}: {summary.get('claim') or summary.get('reason')}")
    return 0
