"""``symstab audit``: search the catalogue's claims for counterexamples (audits; never a proof)."""

from __future__ import annotations

import argparse
import json

from ..audits import audit, catalogue
from ..errors import InvalidInputError
from .common import integer

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab audit --list
  symstab audit --claim eta-E-equals-eta-C-scalar --max-examples 20
  symstab audit --claim coherence-uniform-sampling --json --seed 3
"""


def register(sub) -> None:
    """Add the ``audit`` subcommand."""
    p = sub.add_parser("audit", help="search a named claim for a counterexample (hypothesis; not a proof)",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--list", action="store_true", help="print each claim's name, a tab, and its summary")
    which.add_argument("--claim", metavar="NAME", help="the claim to audit (see --list)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--latex", action="store_true", help="print LaTeX only")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the search, >= 0 (default 0)")
    p.add_argument("--max-examples", type=integer(1), default=None, help="examples to try, >= 1 (default: the claim's own)")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab audit``: exit status 0 whatever the verdict."""
    claims = catalogue()
    if args.list:
        for name in sorted(claims):
            print(f"{name}\t{claims[name].summary}")
        return 0
    if args.max_examples is not None and args.max_examples < 1:
        raise InvalidInputError(f"--max-examples must be a positive integer, got {args.max_examples}")
    result = audit(args.claim, max_examples=args.max_examples, seed=args.seed)
    if result.verdict == "error":
        raise InvalidInputError(f"claim {args.claim!r} raised on an example: {result.error}")
    if args.json:
        d = result.to_dict()
        print(json.dumps({k: d[k] for k in ("claim", "verdict", "examples_tried", "seed", "counterexample",
                                             "expected")} | {k: v for k, v in d.items() if k not in (
                                                 "claim", "verdict", "examples_tried", "seed", "counterexample",
                                                 "expected")}))
    elif args.latex:
        print(result.latex())
    else:
        print(result)
    return 0
