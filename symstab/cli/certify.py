"""``symstab certify``: the certificate of result A1 (the GD map is non-singular outside a finite set E)."""

from __future__ import annotations

import argparse
import json

from .common import add_network_arguments, integer, network_from_args, progress_bar

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab certify --widths 2,2,2 --whitened --target "1,2;3,4"
  symstab certify --widths 1,1,2 --whitened --target "3;4" --seed 1 --max-points 3 --json
  symstab certify --widths 4,8,8,4 --whitened --target "1,2,3,4;0,1,0,1;2,0,1,1;1,1,1,0" --quiet
"""


def register(sub) -> None:
    """Add the ``certify`` subcommand."""
    cert = sub.add_parser("certify", help="result A1: the GD map is non-singular outside a finite set E",
                          epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(cert)
    cert.add_argument("--seed", type=integer(0), default=0, help="seed of the random rational points tried, >= 0 (default 0)")
    cert.add_argument("--max-points", type=integer(1, 1000), default=6, help="rational points tried before giving up, 1..1000 (default 6)")
    cert.add_argument("--force", action="store_true", help="compute even when estimated too large")
    cert.add_argument("--quiet", action="store_true", help="no progress bar")
    cert.add_argument("--latex", action="store_true", help="print LaTeX only")
    cert.add_argument("--json", action="store_true", help="print a JSON object")
    cert.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab certify``; print the certificate as text, JSON or LaTeX."""
    net = network_from_args(args)
    cert = net.nonsingularity_certificate(seed=args.seed, max_points=args.max_points, force=args.force,
                                        progress=None if args.quiet else progress_bar("certify"))
    if args.json:
        print(json.dumps(cert.to_dict()))
    elif args.latex:
        print(cert.latex())
    else:
        print(cert)
    return 0
