"""``symstab bifurcation``: the bifurcation diagram of GD across eta with the exact 2-cycles (beyond the threshold, O4, O5).

Late-time float64 GD iterates of the product (or the sharpness) against eta, with
the exact 2-cycle branches and stability intervals of scalar networks drawn over
them (``--plot FILE``); ``--sharpness-plot FILE`` adds the sharpness at the limit
against ``2/eta``, converged and period-2 runs apart. Numerical evidence, exact overlay.
"""

from __future__ import annotations

import argparse
import json

from ..errors import InvalidInputError
from ..exact.numbers import parse_number
from ..files import figure_suffixes, writable_file
from ..orbits.diagram import bifurcation_diagram, plot_bifurcation, plot_sharpness_at_limit, sharpness_at_limit
from .common import add_network_arguments, integer, network_from_args

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab bifurcation --widths 1,1,1 --whitened --target 1 --eta-min 0.8 --eta-max 1.6 --plot bif.png
  symstab bifurcation --widths 1,1,1 --whitened --target 1 --eta-min 0.8 --eta-max 1.6 --sharpness-plot eos.png
  symstab bifurcation --widths 1,1,2 --whitened --target "3;4" --eta-min 0.15 --eta-max 0.3 --observable sharpness --json
"""


def register(sub) -> None:
    """Add the ``bifurcation`` subcommand."""
    p = sub.add_parser("bifurcation", help="bifurcation diagram of GD vs eta with the exact 2-cycles (numerical + exact)",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(p)
    p.add_argument("--eta-min", required=True, help="smallest step (exact: integer, a/b or decimal)")
    p.add_argument("--eta-max", required=True, help="largest step")
    p.add_argument("--n-eta", type=integer(1), default=200, help="grid points in eta, >= 1 (default 200)")
    p.add_argument("--inits", type=integer(1), default=8, help="random starts per eta, >= 1 (default 8)")
    p.add_argument("--steps", type=integer(1), default=2000, help="transient GD steps, >= 1 (default 2000)")
    p.add_argument("--keep", type=integer(1), default=16, help="iterates recorded after the transient, >= 1 (default 16)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the random starts, >= 0 (default 0)")
    p.add_argument("--observable", default="product", choices=["product", "sharpness"],
                   help="what is plotted against eta: the end-to-end product (default; scalar networks, "
                        "d_0 = d_H = 1) or the sharpness")
    p.add_argument("--no-exact", action="store_true", help="do not overlay the exact branches")
    p.add_argument("--force", action="store_true", help="run even when the diagram is estimated above ten minutes "
                   "or the available memory (the estimate is printed when refused)")
    p.add_argument("--plot", metavar="FILE", help="write the bifurcation diagram (PNG or PDF)")
    p.add_argument("--sharpness-plot", metavar="FILE", help="write sharpness at the limit vs 2/eta")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab bifurcation``."""
    net = network_from_args(args)
    for path, flag in ((args.plot, "--plot"), (args.sharpness_plot, "--sharpness-plot")):
        if path:
            writable_file(path, flag, figure_suffixes())
    lo, hi = parse_number(args.eta_min), parse_number(args.eta_max)
    if not 0 < lo < hi:
        raise InvalidInputError(f"need 0 < --eta-min < --eta-max, got {args.eta_min}, {args.eta_max}")
    diagram = bifurcation_diagram(net, lo, hi, n_eta=args.n_eta, inits=args.inits, steps=args.steps,
                                  keep=args.keep, seed=args.seed, observable=args.observable,
                                  exact=not args.no_exact, force=args.force)
    out = diagram.to_dict()
    if args.plot:
        plot_bifurcation(diagram, args.plot)
    if args.sharpness_plot:
        etas = [float(lo + (hi - lo) * k / 11) for k in range(12)]
        result = sharpness_at_limit(net, etas, inits=max(args.inits, 16), steps=args.steps, seed=args.seed)
        plot_sharpness_at_limit(result, args.sharpness_plot)
        out["sharpness_at_limit"] = result
    if args.json:
        print(json.dumps(out))
    else:
        print(f"bifurcation diagram, widths {diagram.widths}, eta in [{lo}, {hi}], {args.n_eta} steps x "
              f"{args.inits} starts [{diagram.evidence}]")
        for a, b, ae, be in diagram.stable_intervals:
            print(f"  stable 2-cycle for eta in ({ae}, {be if be is not None else 'oo'})  (exact ends)")
        if args.plot:
            print(f"  wrote {args.plot}")
        if args.sharpness_plot:
            print(f"  wrote {args.sharpness_plot}")
    return 0
