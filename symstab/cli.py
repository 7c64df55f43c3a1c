"""The ``symstab`` command line: it parses, calls the API, prints.

Every symstab error becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from . import __version__
from .errors import InexactInputWarning, InvalidInputError, SymstabError
from .parsing import parse_matrix, parse_widths

_TEXT_TERMS = 200


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that describe a network; shared by every subcommand."""
    parser.add_argument("--widths", required=True, help="comma-separated widths d_0,...,d_H, e.g. 2,2,2")
    parser.add_argument("--X", dest="X", help='inputs, rows separated by ";", e.g. "1,0;0,1"')
    parser.add_argument("--Y", dest="Y", help='targets, rows separated by ";", e.g. "1,2;3,4"')
    parser.add_argument("--whitened", action="store_true", help="X = I and Y = --target")
    parser.add_argument("--target", help='target W* for --whitened, e.g. "3;4"')
    parser.add_argument("--loss", default="half", choices=["half", "sum", "mean", "half_mean"],
                        help="loss normalisation (default half: 1/2 ||mu X - Y||^2)")


def network_from_args(args):
    """Build the :class:`LinearNetwork` that the flags describe."""
    from .network import LinearNetwork

    widths = parse_widths(args.widths)
    if args.whitened:
        if args.target is None:
            raise InvalidInputError("--whitened needs --target")
        if args.X is not None or args.Y is not None:
            raise InvalidInputError("give either --whitened --target or --X/--Y, not both")
        return LinearNetwork.whitened(widths, parse_matrix(args.target), loss=args.loss)
    if args.X is None or args.Y is None:
        raise InvalidInputError("give --X and --Y, or --whitened --target")
    return LinearNetwork(widths, parse_matrix(args.X), parse_matrix(args.Y), loss=args.loss)


def _progress_bar(label: str):
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def _cmd_det(args) -> int:
    net = network_from_args(args)
    which = {"jacobian": net.gd_jacobian_det, "stability": net.stability_det,
             "charpoly": net.hessian_charpoly}[args.which]
    poly = which(force=args.force, progress=None if args.quiet else _progress_bar("Berkowitz"))
    title = {"jacobian": "det(I - eta*H)", "stability": "det(2I - eta*H)", "charpoly": "det(lam*I - H)"}[args.which]
    factorization = poly.factor() if args.factor else None
    if args.json:
        out = {
            "widths": list(net.widths),
            "loss": net.loss,
            "which": args.which,
            "num_params": net.num_params,
            "parameters": list(net.param_names),
            "degree": poly.degree,
            "nterms": poly.nterms,
            "polynomial": str(poly),
            "latex": poly.latex(),
        }
        if factorization is not None:
            out["factorization"] = str(factorization)
            out["factorization_latex"] = factorization.latex()
        print(json.dumps(out))
        return 0
    if args.latex:
        print(factorization.latex() if factorization is not None else poly.latex())
        return 0
    print(f"{title} for widths {net.widths} (loss {net.loss_description}, D = {net.num_params})")
    print(f"degree {poly.degree}, {poly.nterms} terms (exact, rational coefficients)")
    if factorization is not None:
        print(f"factorization: {factorization}")
    elif poly.nterms <= _TEXT_TERMS:
        print(poly)
    else:
        print(f"(polynomial not shown: {poly.nterms} terms; use --json or --latex)")
    return 0


def _cmd_certify(args) -> int:
    net = network_from_args(args)
    cert = net.nonsingularity_certificate(seed=args.seed, max_points=args.max_points)
    if args.json:
        print(json.dumps(cert.to_dict()))
    elif args.latex:
        print(cert.latex())
    else:
        print(cert)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symstab",
        description="Exact verification of gradient-descent stability for linear networks.",
    )
    parser.add_argument("--version", action="version", version=f"symstab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    det = sub.add_parser("det", help="det(I - eta H), det(2I - eta H) or charpoly(H) as exact polynomials")
    add_network_arguments(det)
    det.add_argument("--which", default="jacobian", choices=["jacobian", "stability", "charpoly"])
    det.add_argument("--factor", action="store_true", help="factor the polynomial over Q")
    det.add_argument("--latex", action="store_true", help="print LaTeX only")
    det.add_argument("--json", action="store_true", help="print a JSON object")
    det.add_argument("--force", action="store_true", help="compute even when estimated too large")
    det.add_argument("--quiet", action="store_true", help="no progress bar")
    det.set_defaults(handler=_cmd_det)

    cert = sub.add_parser("certify", help="result A1: the GD map is non-singular outside a finite set E")
    add_network_arguments(cert)
    cert.add_argument("--seed", type=int, default=0)
    cert.add_argument("--max-points", type=int, default=6)
    cert.add_argument("--latex", action="store_true")
    cert.add_argument("--json", action="store_true")
    cert.set_defaults(handler=_cmd_certify)

    try:
        from . import cli_sgd
    except ImportError:  # pragma: no cover - the SGD module is optional while it is built
        cli_sgd = None
    if cli_sgd is not None:
        cli_sgd.register(sub)
    from . import cli_critical

    cli_critical.register(sub)
    try:
        from . import cli_simulate
    except ImportError:  # pragma: no cover - the simulation CLI is optional while it is built
        cli_simulate = None
    if cli_simulate is not None:
        cli_simulate.register(sub)
    return parser


_VALUE_FLAGS = ("--X", "--Y", "--target", "--widths", "--eta", "--scale", "--eta-ratios", "--init-scale")


def _attach_negative_values(argv):
    """``--target -1,0;0,1`` -> ``--target=-1,0;0,1``: argparse would read ``-1,...`` as a flag."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_FLAGS and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and not argv[i + 1].startswith("--"):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


def main(argv=None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_attach_negative_values(argv))
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InexactInputWarning)
            return args.handler(args) or 0
    except SymstabError as err:
        print(f"symstab: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symstab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
