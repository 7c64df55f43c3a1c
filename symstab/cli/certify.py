"""``symstab certify``: the certificate of result A1 (the GD map is non-singular outside a finite set E)."""

from __future__ import annotations

import json

from .common import add_network_arguments, integer, network_from_args, progress_bar

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``certify`` subcommand."""
    cert = sub.add_parser("certify", help="result A1: the GD map is non-singular outside a finite set E")
    add_network_arguments(cert)
    cert.add_argument("--seed", type=integer(0), default=0, help="seed of the random points, >= 0 (default 0)")
    cert.add_argument("--max-points", type=integer(1, 1000), default=6, help="points tried, 1..1000 (default 6)")
    cert.add_argument("--force", action="store_true", help="compute even when estimated too large")
    cert.add_argument("--quiet", action="store_true", help="no progress bar")
    cert.add_argument("--latex", action="store_true")
    cert.add_argument("--json", action="store_true")
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
