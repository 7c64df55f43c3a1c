"""``symstab flip``: the flip (period-doubling) coefficient of GD at a minimum, at ``eta = 2/lambda_max`` (docs/theory.md, O2).

Prints the coefficient transverse to the manifold of minima M, the restriction to the
top eigenvector line and the second-order drift along M, exactly, with the verdict:
as text, JSON or LaTeX. The minimum is given by ``--theta`` (exact numbers) or
taken from M with ``--point-seed`` (an exact algebraic point for an irrational
target).
"""

from __future__ import annotations

import argparse
import json

from ..errors import InvalidInputError
from ..exact.numbers import parse_matrix
from ..orbits.flip import flip_coefficient
from .common import add_network_arguments, integer, network_from_args

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab flip --widths 1,1,1 --whitened --target 1 --theta 1,1               # balanced: coefficient 48, no drift
  symstab flip --widths 1,1,1 --whitened --target 1 --theta 2,1/2 --json      # unbalanced: drift along M
  symstab flip --widths 2,1,2 --whitened --target "1,2;3,4" --point-seed 0    # exact point in Q(sqrt 221)
"""


def register(sub) -> None:
    """Add the ``flip`` subcommand."""
    p = sub.add_parser("flip", help="flip coefficient of GD at a minimum (centre manifold, drift along M), exact",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(p)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--theta", help="the minimum, exact, comma-separated in parameter order, e.g. 1,1/2")
    where.add_argument("--point-seed", type=integer(0), help="use the point M.point(seed) of the manifold of minima")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--latex", action="store_true", help="print LaTeX only")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab flip``."""
    net = network_from_args(args)
    if args.theta is not None:
        rows = parse_matrix(args.theta)
        if len(rows) != 1:
            raise InvalidInputError("--theta is one comma-separated list of numbers (no ';')")
        theta = rows[0]
    else:
        theta = net.minima().point(seed=args.point_seed)
    result = flip_coefficient(net, theta)
    if args.json:
        print(json.dumps({"widths": list(net.widths), "theta": [str(v) for v in theta], **result.to_dict()}))
    elif args.latex:
        print(result.latex())
    else:
        print(result)
    return 0
