"""``symstab orbits``: the exact period-2 orbits of GD at a rational step (beyond the threshold, docs/theory.md, O1).

Prints every real 2-cycle of ``G_eta`` with its exact points, Floquet multipliers,
stability and eta-interval of stability, as text, JSON (``orbits``: one object
per 2-cycle) or LaTeX. A system estimated to take more than a minute is refused
with the estimate unless ``--force``.
"""

from __future__ import annotations

import argparse
import json

from ..exact.numbers import parse_number
from ..orbits import period_two
from .common import add_network_arguments, integer, network_from_args

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab orbits --widths 1,1,1 --whitened --target 1 --eta 11/10 --json      # exact 2-cycles
  symstab orbits --widths 1,1,2 --whitened --target "3;4" --eta 1/4 --no-intervals   # Groebner basis
  symstab orbits --widths 1,1,1 --whitened --target 2 --eta 3/5 --latex
"""


def register(sub) -> None:
    """Add the ``orbits`` subcommand."""
    p = sub.add_parser("orbits", help="exact period-2 orbits of GD at a step eta, with multipliers and stability",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(p)
    p.add_argument("--eta", required=True, help="the step, exact: an integer, a/b or a decimal")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the random separating forms, >= 0 (default 0)")
    p.add_argument("--no-intervals", action="store_true", help="skip the eta-intervals of stability")
    p.add_argument("--force", action="store_true", help="compute even when estimated too large")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--latex", action="store_true", help="print LaTeX only")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab orbits``."""
    net = network_from_args(args)
    result = period_two(net, parse_number(args.eta), force=args.force, seed=args.seed,
                        intervals=not args.no_intervals)
    if args.json:
        print(json.dumps(result.to_dict()))
    elif args.latex:
        print(result.latex())
    else:
        print(result)
    return 0
