"""``symstab det``: det(I - eta H), det(2I - eta H) or charpoly(H) as exact polynomials (result A1).

``--plot FILE --eta ETA`` draws the sign of det(I - eta H) on a plane of two
parameters, with its zero set (where the GD map is singular).

With ``--json``, a polynomial of more than a few thousand terms is written out as it is
formatted, term by term from flint (:meth:`~symstab.exact.poly.ExactPolynomial.text_chunks`),
with a progress bar: no sympy expression of it is built. ``--latex`` prints a text-mode
fragment: the sum broken across lines, or, above about two pages, its size and where
the exact form is (:meth:`~symstab.exact.poly.ExactPolynomial.latex`).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import InvalidInputError
from ..files import figure_suffixes, writable_file
from ..gdmap import METHODS
from ..gdmap_figure import plot_singular_set
from .common import add_network_arguments, network_from_args, positive_exact, progress_bar

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab det --widths 2,1,2 --X "1,0;0,1" --Y "1,2;3,4" --json
  symstab det --widths 1,1,2 --whitened --target "3;4" --which charpoly --factor
  symstab det --widths 1,1,1 --whitened --target 2 --plot singular.png --eta 1/4
"""

_TEXT_TERMS = 200
_STREAM_TERMS = 2000


def register(sub) -> None:
    """Add the ``det`` subcommand."""
    det = sub.add_parser("det", help="det(I - eta H), det(2I - eta H) or charpoly(H) as exact polynomials",
                         epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(det)
    det.add_argument("--which", default="jacobian", choices=["jacobian", "stability", "charpoly"],
                     help="jacobian: det(I - eta H), zero where the GD map is singular (default); "
                          "stability: det(2I - eta H); charpoly: det(lam I - H)")
    det.add_argument("--factor", action="store_true", help="factor the polynomial over Q")
    det.add_argument("--latex", action="store_true", help="print LaTeX only")
    det.add_argument("--json", action="store_true", help="print a JSON object")
    det.add_argument("--method", default="auto", choices=list(METHODS),
                     help="exact method (default auto: the fastest that applies; recorded in the output)")
    det.add_argument("--force", action="store_true",
                     help="compute even when the estimated output (terms, memory, time) is too large")
    det.add_argument("--quiet", action="store_true", help="no progress bar")
    det.add_argument("--plot", metavar="FILE",
                     help="also write the sign of det(I - eta H) on the plane of the first two parameters (through "
                          "a point of M when D > 2), with its zero set: PNG, PDF or SVG; needs --eta")
    det.add_argument("--eta", help="the step for --plot, exact (e.g. 1/4)")
    det.set_defaults(handler=run)


def _stream(net, poly, args) -> None:
    """Write the JSON object of a large polynomial chunk by chunk, with progress."""
    bar = None if args.quiet else progress_bar("writing")
    passes = 2
    offset = [0]

    def progress(done, total):
        if bar is not None:
            bar(offset[0] + done, passes * total)

    out = sys.stdout
    head = {"widths": list(net.widths), "loss": net.loss, "which": args.which, "num_params": net.num_params,
            "parameters": list(net.param_names), "degree": poly.degree, "nterms": poly.nterms, "method": poly.method,
            "evidence": poly.evidence}
    out.write(json.dumps(head)[:-1])
    for key, style in (("polynomial", "text"), ("latex", "latex")):
        out.write(f', "{key}": "')
        for chunk in poly.text_chunks(style, progress):
            out.write(json.dumps(chunk)[1:-1])
        out.write('"')
        offset[0] += poly.nterms
    out.write("}\n")


def _plot_step(args):
    """The exact step of ``--plot`` (checked with the path before any computation), or None."""
    if (args.plot is None) != (args.eta is None):
        raise InvalidInputError("--plot and --eta go together: --plot FILE --eta ETA")
    if args.plot is None:
        return None
    writable_file(args.plot, "--plot", figure_suffixes())
    return positive_exact("--eta", args.eta)


def run(args) -> int:
    """Execute ``symstab det``; print the polynomial as text, JSON or LaTeX."""
    net = network_from_args(args)
    eta = _plot_step(args)
    which = {"jacobian": net.gd_jacobian_det, "stability": net.stability_det,
             "charpoly": net.hessian_charpoly}[args.which]
    poly = which(force=args.force, method=args.method, progress=None if args.quiet else progress_bar("det"))
    if args.plot is not None:
        plot_singular_set(net, eta, args.plot)
        if not (args.json or args.latex):
            print(f"--plot: figure written to {args.plot}")
    title = {"jacobian": "det(I - eta*H)", "stability": "det(2I - eta*H)", "charpoly": "det(lam*I - H)"}[args.which]
    factorization = poly.factor() if args.factor else None
    stream = factorization is None and poly.nterms > _STREAM_TERMS
    if stream and args.json:
        _stream(net, poly, args)
        return 0
    if args.json:
        out = {
            "widths": list(net.widths),
            "loss": net.loss,
            "which": args.which,
            "num_params": net.num_params,
            "parameters": list(net.param_names),
            "degree": poly.degree,
            "nterms": poly.nterms,
            "method": poly.method, "evidence": poly.evidence,
            "polynomial": str(poly),
            "latex": poly.latex_formula(),
        }
        if factorization is not None:
            out["factorization"] = str(factorization)
            out["factorization_latex"] = factorization.latex_formula()
        print(json.dumps(out))
        return 0
    if args.latex:
        print(factorization.latex() if factorization is not None else poly.latex())
        return 0
    print(f"{title} for widths {net.widths} (loss {net.loss_description}, D = {net.num_params})")
    print(f"degree {poly.degree}, {poly.nterms} terms, rational coefficients ({poly.evidence}; method {poly.method})")
    if factorization is not None:
        print(f"factorization: {factorization}")
    elif poly.nterms <= _TEXT_TERMS:
        print(poly)
    else:
        print(f"(polynomial not shown: {poly.nterms} terms; use --json or --latex)")
    return 0
