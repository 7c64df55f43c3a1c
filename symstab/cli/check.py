"""``symstab check``: re-verify certificates with the independent checker; optionally write Coq scripts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..check import check_file
from ..errors import InvalidInputError
from ..files import writable_file
from ..proofs.coq import coq_script, coq_supported

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab check proofs/certificates/*.json
  symstab check proofs/certificates/A5_1_1_1_1_target_8.json --coq a5.v      # then: coqc a5.v
"""


def register(sub) -> None:
    """Add the ``check`` subcommand."""
    cmd = sub.add_parser("check", help="re-verify certificates with the independent checker (exit 1 if any is invalid)",
                         description="One line per file: 'valid: <claim>' or 'invalid: <first failing identity>'. "
                                     "The checker (symstab/check.py) uses only Python's fractions module.",
                         epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("files", nargs="+", metavar="FILE", help="certificate JSON files")
    cmd.add_argument("--coq", metavar="OUT.v", help="also write a Coq script replaying the (single) certificate")
    cmd.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab check``: exit 0 when every file is valid, 1 otherwise."""
    coq = None
    results = {}
    if args.coq is not None:  # refuse a bad --coq before printing anything
        if len(args.files) != 1:
            raise InvalidInputError("--coq takes exactly one certificate")
        coq = writable_file(args.coq, "--coq", suffixes={".v"})
        results[args.files[0]] = check_file(args.files[0])
        if results[args.files[0]][0]:
            reason = coq_supported(json.loads(Path(args.files[0]).read_text(encoding="utf-8")))
            if reason:
                raise InvalidInputError(f"no Coq export for this certificate: {reason}")
    status = 0
    for name in args.files:
        ok, text = results[name] if name in results else check_file(name)
        print(f"{name}: {'valid' if ok else 'invalid'}: {text}")
        status = status if ok else 1
    if coq is not None and status == 0:
        coq.write_text(coq_script(json.loads(Path(args.files[0]).read_text(encoding="utf-8"))), encoding="utf-8")
        print(f"wrote {coq}", file=sys.stderr)
    return status
