"""``symstab sgd``: paper B's SGD linear stability, a thin wrapper around :mod:`symstab.sgd`.

It parses, calls :func:`symstab.sgd.analyze`, and prints text or JSON.  Bad input
raises a :class:`symstab.errors.SymstabError`; the main CLI prints it on one line
and exits with status 2.

``--eta`` is optional.  Without it the divergence conditions are reported as the
step sizes above which they hold (``conditions`` maps each name to
``{"holds_iff_eta_above", "threshold_float", "tightness"}``, tightness being
``eta* / threshold``) and ``stable`` is null: evaluating them at ``eta = eta*``
would say nothing, as both are always false there.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .. import sgd
from ..errors import InvalidInputError, ParseError
from ..sgd.construction import construction_analysis
from ..files import figure_suffixes, writable_file
from .common import MAX_DPS, integer

_DENSE_CONSTRUCTION_LIMIT = 2000

__all__ = ["analysis_from_args", "load_hessians", "register", "run"]

EXAMPLES = """examples:
  symstab sgd --construction --n 12 --sigma 3 --batch 4 --json
  symstab sgd --construction --n 100000000 --sigma 3 --batch 4      # closed form: no matrices
  symstab sgd --construction --n 8 --eta 3/2 --map-plot map.png --mc-runs 100 --mc-steps 300
"""


def load_hessians(path) -> list:
    """Load per-sample Hessians from ``.npy`` (no pickles) or ``.json`` (exact rationals).

    Parameters
    ----------
    path : str or path-like
        ``.npy``: a numeric array of shape (n, d, d), loaded with ``allow_pickle=False``
        (integer arrays stay exact, float arrays take the float path).
        ``.json``: a list of matrices whose entries are integers or strings
        (``"3"``, ``"-1/2"``, ``"0.25"``); JSON floats are refused.

    Returns
    -------
    numpy.ndarray or list of list of list
        Input for :func:`symstab.sgd.analyze`.

    Examples
    --------
    >>> import json, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "h.json")
    >>> _ = open(f, "w").write(json.dumps([[["1/2"]], [[1]]]))
    >>> load_hessians(f)
    [[['1/2']], [[1]]]
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, EOFError, OSError) as exc:
            raise ParseError(f"{path}: not a plain numeric .npy array ({exc or 'empty file'})") from None
        if array.dtype.kind not in "iuf":
            raise ParseError(f"{path}: unsupported dtype {array.dtype}")
        return array
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=_refuse_float)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
        except UnicodeDecodeError:
            raise ParseError(f"{path}: not a text file (invalid UTF-8)") from None
        except RecursionError:
            raise ParseError(f"{path}: JSON nested too deeply") from None
        if not isinstance(data, list):
            raise ParseError(f"{path}: expected a JSON list of matrices")
        return data
    raise InvalidInputError(f"{path}: expected a .npy or .json file")


def _refuse_float(text):
    raise ParseError(f"JSON float {text} is not exact: write it as a string, e.g. \"1/3\" or \"0.5\"")


def register(subparsers) -> None:
    """Add the ``sgd`` subcommand to an argparse ``subparsers`` object.

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
    >>> a = p.parse_args(["sgd", "--construction", "--n", "4", "--sigma", "2", "--batch", "2", "--eta", "1"])
    >>> a.handler is run, a.n, a.sampling
    (True, 4, 'bernoulli')
    """
    p = subparsers.add_parser(
        "sgd",
        help="SGD linear stability: coherence, divergence conditions, exact mean-square threshold",
        description="Analyse linearised SGD at a minimum from per-sample Hessians (docs/theory.md, B).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--hessians", metavar="FILE", help=".npy array (n, d, d) or .json list of exact matrices")
    src.add_argument("--construction", action="store_true", help="use paper B's near-optimality construction")
    p.add_argument("--n", type=integer(1), help="number of samples, >= 1 (construction)")
    p.add_argument("--sigma", type=integer(1), help="coherence sigma, 1 <= sigma <= n (construction)")
    p.add_argument("--scale", default="1", help="rank-one scale a (construction), exact, default 1")
    p.add_argument("--batch", type=integer(1), help="batch size B, 1 <= B <= n (required unless --map-plot or "
                   "--gap-plot is given)")
    p.add_argument("--eta", help="step size (exact: 1/10, 0.1 or an integer); optional: without it "
                   "the conditions are reported as step-size thresholds")
    p.add_argument("--sampling", choices=sgd.SAMPLINGS, default="bernoulli",
                   help="how a batch is drawn: bernoulli (each sample independently with probability B/n, "
                        "paper B's model; default), without_replacement (a uniform B-subset) or "
                        "with_replacement (B independent uniform indices)")
    p.add_argument("--method", choices=("auto", "exact", "float", "mpmath"), default="auto",
                   help="how eta* is computed (see symstab.sgd.mean_square_threshold)")
    p.add_argument("--dps", type=integer(15, MAX_DPS), help=f"15..{MAX_DPS} decimal digits of the mpmath path (large rational cases)")
    p.add_argument("--map-plot", metavar="FILE", help="with --construction --n --eta: write the (B, sigma) stability "
                   "map (PNG or PDF): mean square exact, almost sure by Monte Carlo (Bernoulli, lambda_1(H) = 1)")
    p.add_argument("--gap-plot", metavar="FILE", help="with --construction --n: write the tightness of the coherence "
                   "condition over (sigma, B) (PNG or PDF)")
    p.add_argument("--mc-runs", type=integer(1), default=200, help="Monte Carlo runs per map point, >= 1 (default 200)")
    p.add_argument("--mc-steps", type=integer(1), default=500,
                   help="Monte Carlo steps per run (the horizon T of the Lyapunov estimate), >= 1 (default 500)")
    p.add_argument("--seed", type=integer(0), default=0, help="Monte Carlo seed of the map, >= 0 (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Execute ``symstab sgd`` for parsed ``args``; print the result, return 0.

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
    >>> run(p.parse_args(["sgd", "--construction", "--n", "12", "--sigma", "3",
    ...                   "--batch", "4", "--eta", "1", "--json"]))  # doctest: +ELLIPSIS
    {"sigma": "3", "lambda_1": "1/4", "eta_star": "24/5", ...}
    0
    >>> run(p.parse_args(["sgd", "--construction", "--n", "12", "--sigma", "3", "--batch", "4"]))
    SGD stability (bernoulli, n = 12, B = 4):
      lambda_1(H) = 1/4 (~ 0.25)
      sigma = 3 (~ 3), non-uniformity s = sqrt(3)/4 (~ 0.433013)
      divergence conditions (sufficient):
        sharpness: holds iff eta > 48/7 (~ 6.85714); eta*/threshold = 0.7
        coherence: holds iff eta > 6*sqrt(2) (~ 8.48528); eta*/threshold = 0.565685
      eta* = 24/5 (~ 4.8, exact)
    0
    """
    plots = _plots(args)
    if args.batch is None:
        if not plots:
            raise InvalidInputError("--batch is required (unless --map-plot or --gap-plot is given)")
        return _print_plots(plots, args.json)
    return _print(analysis_from_args(args)[0], args.json, plots)


def analysis_from_args(args) -> tuple:
    """``(StabilityAnalysis, hessians or None)`` for the SGD input flags (``--hessians`` or ``--construction``,
    ``--batch``, ``--eta``, ``--sampling``, ``--method``, ``--dps``); ``hessians`` is None for the closed form."""
    if args.construction:
        if args.n is None or args.sigma is None:
            raise InvalidInputError("--construction needs --n and --sigma")
        if args.method == "auto" and args.dps is None:  # closed form: O(1) for any n, no matrices
            result = construction_analysis(args.n, args.sigma, args.batch, eta=args.eta, sampling=args.sampling,
                                           scale=args.scale)
            return result, None
        if args.n > _DENSE_CONSTRUCTION_LIMIT:
            raise InvalidInputError(f"--construction with --method {args.method} or --dps builds n dense matrices: "
                                    f"n must be at most {_DENSE_CONSTRUCTION_LIMIT} (got {args.n}); "
                                    "--method auto answers in closed form for any n")
        hessians = sgd.coherence_construction(args.n, args.sigma, args.scale)
    else:
        if args.n is not None or args.sigma is not None:
            raise InvalidInputError("--n and --sigma only apply with --construction")
        hessians = load_hessians(args.hessians)
    result = sgd.analyze(hessians, batch=args.batch, eta=args.eta, sampling=args.sampling,
                         method=args.method, dps=args.dps)
    return result, hessians


def _plots(args) -> dict:
    """Write the requested figures (paths checked first) and return their results by JSON key."""
    wanted = [(args.map_plot, "--map-plot"), (args.gap_plot, "--gap-plot")]
    if not any(path for path, _ in wanted):
        return {}
    for path, flag in wanted:
        if path:
            writable_file(path, flag, figure_suffixes())
    if not args.construction or args.n is None:
        raise InvalidInputError("--map-plot and --gap-plot need --construction and --n")
    out = {}
    if args.map_plot:
        if args.eta is None:
            raise InvalidInputError("--map-plot needs --eta (eta lambda_1(H), in (0, 2))")
        if args.sampling != "bernoulli":
            raise InvalidInputError("--map-plot draws the Bernoulli boundary: use --sampling bernoulli")
        result = sgd.stability_map(args.n, args.eta, runs=args.mc_runs, steps=args.mc_steps, seed=args.seed)
        result.plot(args.map_plot)
        out["stability_map"] = result
    if args.gap_plot:
        if args.n < 2:
            raise InvalidInputError("--gap-plot needs --n >= 2 (batch sizes 1 <= B < n)")
        result = sgd.optimality_gap(args.n, scale=args.scale)
        result.plot(args.gap_plot)
        out["optimality_gap"] = result
    return out


def _print_plots(plots: dict, as_json: bool) -> int:
    if as_json:
        print(json.dumps({k: v.to_dict() for k, v in plots.items()}))
    else:
        print("\n\n".join(str(v) for v in plots.values()))
    return 0


def _print(result, as_json: bool, plots=None) -> int:
    plots = plots or {}
    if as_json:
        d = result.to_dict()
        keys = ["sigma", "lambda_1", "eta_star", "eta_star_float", "conditions", "stable"]
        out = {k: d[k] for k in keys}
        out.update({k: v for k, v in d.items() if k not in out})
        out.update({k: v.to_dict() for k, v in plots.items()})
        print(json.dumps(out))
    else:
        print(result)
        for v in plots.values():
            print()
            print(v)
    return 0
