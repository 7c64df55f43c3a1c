"""``symstab simulate``: result A6 numerically, a thin wrapper around :func:`symstab.simulate.convergence_sweep`.

It builds the network from the shared flags, runs the sweep over ``eta / eta_C``
(``eta_C`` from the exact layer, or ``--eta-C``) and prints the table or JSON
(``rows``: one object per ratio).  ``--plot`` writes the sweep figure, ``--trajectory-plot`` the loss and
sharpness distributions along GD at the same step sizes, ``--checkpoint``
resumes an interrupted sweep, and Ctrl-C says how many cells it kept and prints
the command that resumes.  Starts are streamed in chunks that fit ``--memory``;
a sweep estimated above ten minutes is refused unless ``--force``.  A progress bar is shown on stderr when it is a
terminal, unless ``--quiet``.  Bad input raises a :class:`symstab.errors.SymstabError`;
the main CLI prints it on one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex

from .. import simulate
from ..errors import InvalidInputError
from ..files import figure_suffixes, writable_file
from .common import add_network_arguments, integer, network_from_args, progress_bar, real, size

__all__ = ["register", "run"]

EXAMPLES = """examples:
  symstab simulate --widths 1,1,2 --whitened --target "3;4" --inits 200 --steps 2000 --plot sweep.png
  symstab simulate --widths 1,1,2 --whitened --target "3;4" --eta-ratios 0.9,1.1 --inits 100 --steps 1000 --checkpoint sweep.jsonl --json
  symstab simulate --widths 2,2,2 --whitened --target "2,1;1,2" --eta-ratios 0.9,1.1 --inits 100 --steps 2000 --trajectory-plot traj.png
"""


def _floats(text: str, flag: str) -> list:
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InvalidInputError(f"{flag} must be comma-separated numbers, got {text!r}") from None
    if not values:
        raise InvalidInputError(f"{flag} is empty")
    return values


def register(subparsers) -> None:
    """Add the ``simulate`` subcommand to an argparse ``subparsers`` object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction

    Returns
    -------
    None

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser(); register(p.add_subparsers(dest="command"))
    >>> a = p.parse_args(["simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4"])
    >>> a.handler is run, a.inits, a.steps, a.eta_ratios
    (True, 1000, 20000, '0.8,0.9,1.1,1.2')
    """
    p = subparsers.add_parser(
        "simulate",
        help="A6 numerically: GD from many random starts across eta/eta_C (converged fraction, grad norm)",
        description="Batched float64 GD sweep over eta = ratio * eta_C (docs/theory.md, A6). Numerical evidence.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_network_arguments(p)
    p.add_argument("--eta-ratios", default="0.8,0.9,1.1,1.2", help="comma-separated eta/eta_C values")
    p.add_argument("--eta-C", dest="eta_C", help="override eta_C (exact, e.g. 1/5); default: the exact layer")
    p.add_argument("--inits", type=integer(1), default=1000, help="random starts per ratio, >= 1 (default 1000)")
    p.add_argument("--steps", type=integer(1), default=20000, help="GD steps per run, >= 1 (default 20000)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the starts, >= 0 (default 0)")
    p.add_argument("--init-scale", type=real(0, open_lo=True),
                   help="std of the starts, > 0 (default s_max(Wbar)^(1/H) / 2)")
    p.add_argument("--workers", type=integer(1, 256), help="local worker processes, 1..256 (default: all cores; 1: no pool)")
    p.add_argument("--memory", type=size, help="memory budget of the runs in flight, e.g. 512M or 4G "
                   "(default 2G, or $SYMSTAB_MEMORY); starts are streamed in chunks that fit it")
    p.add_argument("--force", action="store_true", help="run even when the sweep, or the exact eta_C it needs "
                   "(without --eta-C), is estimated above 10 minutes")
    p.add_argument("--checkpoint", metavar="FILE", help="JSON-lines checkpoint; resumes when it exists")
    p.add_argument("--plot", metavar="FILE", help="write the sweep figure (PNG or PDF)")
    p.add_argument("--trajectory-plot", metavar="FILE",
                   help="write the loss and sharpness along GD, one column per --eta-ratios value: median and "
                        "10-90%% band over --trajectory-inits random starts (PNG or PDF)")
    p.add_argument("--trajectory-inits", type=integer(1), default=200,
                   help="random starts of the trajectory plot, >= 1 (default 200)")
    p.add_argument("--trajectory-steps", type=integer(1), default=300,
                   help="GD steps of the trajectory plot, >= 1 (default 300)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run, interrupt_note=_interrupt_note)


def _interrupt_note(args, argv) -> str:
    """After Ctrl-C: the checkpoint kept, its finished cells, and the command that resumes."""
    command = shlex.join(["symstab", *argv])
    if not args.checkpoint:
        return f"nothing was kept (no --checkpoint); rerun with: {command} --checkpoint FILE"
    try:
        lines = pathlib.Path(args.checkpoint).read_text().splitlines()
    except OSError:
        lines = []
    cells = sum(1 for line in lines if line.startswith('{"kind": "cell"'))
    total = len(_floats(args.eta_ratios, "--eta-ratios"))
    return (f"kept {cells} of {total} cells in the checkpoint {args.checkpoint}; "
            f"resume with: {command}")


def run(args) -> int:
    """Execute ``symstab simulate`` for parsed ``args``; print the result, return 0.

    Parameters
    ----------
    args : argparse.Namespace
        As produced by the parser that :func:`register` sets up.

    Returns
    -------
    int
        Exit status 0; bad input raises :class:`symstab.errors.SymstabError`.

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser(); register(p.add_subparsers(dest="command"))
    >>> run(p.parse_args(["simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--eta-C", "1/5",
    ...                   "--eta-ratios", "0.9,1.1", "--inits", "20", "--steps", "800", "--workers", "1",
    ...                   "--json"]))  # doctest: +ELLIPSIS
    {"rows": [{"eta_ratio": 0.9, "eta": 0.18, "converged_fraction": ...
    0
    """
    net = network_from_args(args)
    for path, flag in ((args.plot, "--plot"), (args.trajectory_plot, "--trajectory-plot")):
        if path:  # checked before the sweep, not after an hour of it
            writable_file(path, flag, figure_suffixes())
    if args.checkpoint:
        writable_file(args.checkpoint, "--checkpoint")
    progress = None if args.quiet else progress_bar("simulate")
    sweep = simulate.convergence_sweep(
        net, _floats(args.eta_ratios, "--eta-ratios"), n_inits=args.inits, steps=args.steps, seed=args.seed,
        init_scale=args.init_scale, checkpoint=args.checkpoint, eta_C=args.eta_C, workers=args.workers,
        progress=progress, memory=args.memory, force=args.force)
    if args.plot:
        sweep.plot(args.plot)
    if args.trajectory_plot:
        etas = [r["eta"] for r in sweep.rows]
        simulate.plot_trajectory(net, etas, steps=args.trajectory_steps, inits=args.trajectory_inits, seed=args.seed,
                                 init_scale=args.init_scale, eta_C=sweep.eta_C_exact or sweep.eta_C,
                                 path=args.trajectory_plot)
    if args.json:
        d = sweep.to_dict()
        keys = ["eta_ratio", "eta", "converged_fraction", "converged_ci", "diverged_fraction",
                "median_grad_norm", "n_inits"]
        rows = []
        for r in d["rows"]:
            row = {k: r[k] for k in keys}
            row.update({k: v for k, v in r.items() if k not in row})
            rows.append(row)
        out = {"rows": rows}
        out.update({k: v for k, v in d.items() if k != "rows"})
        print(json.dumps(out))
    else:
        print(sweep.table())
    return 0
