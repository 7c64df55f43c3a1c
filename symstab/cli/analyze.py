"""``symstab analyze``: the full report for one network, A1-A5 with their evidence (text, JSON, LaTeX file)."""

from __future__ import annotations

import argparse
import json

from ..document import formulas_path, network_document, write_document
from ..errors import InvalidInputError
from ..files import writable_file
from ..report import analyze
from .common import add_analysis_arguments, add_network_arguments, check_dps, network_from_args

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab analyze --widths 1,1,2 --whitened --target "3;4"
  symstab analyze --widths 2,2,2 --whitened --target "1,2;3,4" --latex report.tex
  symstab analyze --widths 2,1,1 --X "1,0,1;0,1,1" --Y "1,2,2" --no-z3 --json
"""


def register(sub) -> None:
    """Add the ``analyze`` subcommand."""
    ana = sub.add_parser("analyze", help="full report for one network: A1-A5 with their evidence",
                         epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(ana)
    add_analysis_arguments(ana)
    ana.add_argument("--latex", metavar="FILE", help="also write the standalone LaTeX report of symstab report to "
                     "FILE (and its formulas to FILE's stem + .formulas.json)")
    ana.add_argument("--force", action="store_true", help="compute even when estimated above ten minutes or the "
                     "available memory (the estimate is printed when refused)")
    ana.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab analyze``; print the report, and write the LaTeX document when asked."""
    check_dps(args)
    net = network_from_args(args)
    if args.latex is not None:
        writable_file(args.latex, "--latex")
        writable_file(formulas_path(args.latex), "--latex (its formulas file)")
    report = analyze(net, seed=args.seed, prove=not args.no_z3, dps=args.dps, document=args.latex is not None,
                     force=args.force)
    if args.latex is not None:
        doc = network_document(report, formulas_file=formulas_path(args.latex).name)
        try:
            write_document(doc, args.latex, pdf=False)
        except OSError as exc:
            raise InvalidInputError(f"--latex: cannot write {args.latex!r}: {exc.strerror}") from None
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report)
        if args.latex is not None:
            print(f"\nLaTeX report written to {args.latex} (compile with pdflatex; every formula in full in "
                  f"{formulas_path(args.latex)}); symstab report --out FILE.pdf compiles it")
    return 0
