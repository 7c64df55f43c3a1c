"""``symstab critical``: the critical step sizes eta_C and eta_E with their evidence (result A5).

``--plot FILE`` draws M coloured by the sharpness with ``M_SS(eta)`` marked (two
layers, hidden width 1); ``--plot-curves FILE`` the Hessian spectrum along the
escape and bounded-sharpness curves in M.
"""

from __future__ import annotations

import argparse
import json

from ..critical import critical_step_sizes
from ..errors import InvalidInputError
from ..files import figure_suffixes, writable_file
from ..proofs.lower_bounds import certify_critical
from ..spectrum import plot_spectrum_curves
from ..stability import plot_stable_set
from .common import add_analysis_arguments, add_network_arguments, check_dps, network_from_args, positive_exact

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab critical --widths 1,1,2 --whitened --target "3;4" --json
  symstab critical --widths 2,1,1 --X "1,0,1;0,1,1" --Y "1,2,2"          # general Sigma: exact CRootOf
  symstab critical --widths 1,1,2 --whitened --target "3;4" --plot M.png --eta 1/6 --plot-curves curves.png
"""


def register(sub) -> None:
    """Add the ``critical`` subcommand."""
    crit = sub.add_parser(
        "critical", help="result A5: critical step sizes eta_C and eta_E with evidence",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  symstab critical --widths 1,1,2 --whitened --target \"3;4\"\n"
               "  symstab critical --widths 1,1,2 --whitened --target \"3;4\" --plot M.png --eta 1/6\n"
               "  symstab critical --widths 1,2,2,1 --whitened --target 3 --plot-curves curves.png")
    add_network_arguments(crit)
    add_analysis_arguments(crit)
    crit.add_argument("--latex", action="store_true", help="print LaTeX only")
    crit.add_argument("--force", action="store_true", help="compute even when estimated above ten minutes or the "
                      "available memory (the estimate is printed when refused)")
    crit.add_argument("--no-certificate", action="store_true",
                      help="skip the A5 certificate (tried for D <= 12; evidence 'certified' when it pins eta_C)")
    crit.add_argument("--plot", metavar="FILE",
                      help="also write M coloured by the sharpness with M_SS(eta) marked (PNG, PDF or SVG; two "
                           "layers with hidden width 1, e.g. widths 1,1,2)")
    crit.add_argument("--eta", help="the step whose M_SS(eta) --plot marks, exact (e.g. 1/6; default 4/5 of eta_C)")
    crit.add_argument("--plot-curves", metavar="FILE",
                      help="also write the Hessian spectrum along the escape and bounded-sharpness curves in M "
                           "(PNG, PDF or SVG; filling target)")
    crit.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab critical``; print the result as text, JSON or LaTeX."""
    check_dps(args)
    net = network_from_args(args)
    if args.eta is not None and args.plot is None:
        raise InvalidInputError("--eta only sets the step marked by --plot; give --plot FILE too")
    eta = None if args.eta is None else positive_exact("--eta", args.eta)
    if args.plot is not None and not (net.depth == 2 and net.widths[1] == 1):
        raise InvalidInputError(f"--plot draws M as a curve: it needs two layers with hidden width 1, e.g. widths "
                                f"1,1,2 (got {','.join(map(str, net.widths))})")
    for flag, path in (("--plot", args.plot), ("--plot-curves", args.plot_curves)):
        if path is not None:  # checked before the computation
            writable_file(path, flag, figure_suffixes())
    cs = critical_step_sizes(net, dps=args.dps, prove=not args.no_z3, seed=args.seed, force=args.force)
    summary = None
    if not args.no_certificate and not net.is_family:
        cs, summary = certify_critical(net, cs)
    if args.plot is not None:  # before printing: a network the figure cannot draw is a one-line error
        plot_stable_set(net, eta, args.plot)
    if args.plot_curves is not None:
        plot_spectrum_curves(net, args.plot_curves)
    if args.json:
        print(json.dumps({**cs.to_dict(), "certificate": summary}))
    elif args.latex:
        print(cs.latex())
    else:
        print(cs)
        if summary is not None:
            print(f"  certificate: {summary['status']}: {summary.get('claim') or summary.get('reason')}")
    if not (args.json or args.latex):
        for flag, path in (("--plot", args.plot), ("--plot-curves", args.plot_curves)):
            if path is not None:
                print(f"{flag}: figure written to {path}")
    return 0
