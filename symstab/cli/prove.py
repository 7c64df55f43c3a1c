"""``symstab prove``: write certificates (JSON, LaTeX, Coq) for the stated cases of each result."""

from __future__ import annotations

import argparse
from ..proofs.catalogue import CASES, RESULTS, prove
from .common import progress_bar

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab prove all                       # every result, into proofs/certificates
  symstab prove A5 --out certs            # the eta_C certificates only
  symstab prove all --list                # the stated cases, one name a line
"""


def register(sub) -> None:
    """Add the ``prove`` subcommand."""
    cmd = sub.add_parser("prove", help="write checkable certificates for results A1-A5 and B",
                         description="Build certificates for a stated list of small architectures per result; each is "
                                     "accepted by the independent checker before it is written (DIR/NAME.json, "
                                     ".tex, and .v where Coq applies).",
                         epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("results", nargs="+", metavar="RESULT", choices=("all",) + RESULTS,
                     help="all, or any of " + ", ".join(RESULTS))
    cmd.add_argument("--out", default="proofs/certificates", help="output directory (default proofs/certificates)")
    cmd.add_argument("--list", action="store_true", help="list the cases instead of building them")
    cmd.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab prove``."""
    if args.list:
        wanted = RESULTS if "all" in args.results else args.results
        for r in wanted:
            for name, _ in CASES[r]:
                print(name)
        return 0
    written = prove(args.results, args.out, progress=progress_bar("proving"))
    print(f"wrote {len(written)} files to {args.out} "
          f"({sum(1 for p in written if p.suffix == '.json')} certificates, each accepted by symstab check)")
    return 0
