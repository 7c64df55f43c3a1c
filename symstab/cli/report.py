"""``symstab report``: the compiled report -- a standalone LaTeX appendix (``.tex``, or ``.pdf`` via pdflatex).

For a network (the flags of ``analyze``) it states Theorems A1-A5 with their
evidence and certificates and, with ``--sweep``, Observation A6 with its figure;
for SGD input (the flags of ``sgd``) Theorems B1-B3. It writes, next to
``--out``, the formulas file ``<stem>.formulas.json`` (every formula in full,
including those too large to typeset) and, with ``--sweep``, the figure
``<stem>-sweep.pdf``. A thin wrapper around :func:`symstab.report.analyze` and
:mod:`symstab.document`.
"""

from __future__ import annotations

import argparse

from .. import simulate
from ..document import formulas_path, network_document, sgd_document, write_document
from ..errors import InvalidInputError, SymstabError
from ..files import writable_file
from ..proofs.certificates import b_certificate
from ..report import analyze
from ..sgd import SAMPLINGS
from ..sgd.construction import coherence_construction
from .common import MAX_DPS, add_network_arguments, check_dps, integer, network_from_args, progress_bar, real
from .sgd import analysis_from_args

__all__ = ["register", "run"]

_EXAMPLES = """examples:
  symstab report --widths 2,2,2 --whitened --target "1,2;3,4" --out report.pdf
  symstab report --widths 1,1,2 --whitened --target "3;4" --sweep 0.8,0.9,1.1,1.2 --inits 100 --steps 2000 --out r.tex
  symstab report --construction --n 6 --sigma 4 --batch 3 --out sgd.pdf
"""

_CERTIFIED_SGD_LIMIT = 12  # largest n for which the construction's matrices are built (to typeset and certify)
_CERTIFIED_SGD_DIM = 5  # largest d for which the B2 certificate is built (d = 10 takes minutes)


def register(sub) -> None:
    """Add the ``report`` subcommand."""
    p = sub.add_parser(
        "report", help="compiled report: a LaTeX appendix (A1-A6, or B1-B3 for SGD input), .tex or .pdf",
        description="Write a standalone LaTeX appendix: theorem-style statements A1-A5 for a network (A6 with "
                    "--sweep), or B1-B3 for SGD input, each with its evidence and certificate data. "
                    "A .pdf output runs pdflatex.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EXAMPLES)
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the report: FILE.tex, or FILE.pdf (runs pdflatex); FILE.formulas.json is written next to it")
    net = p.add_argument_group("network input (as in symstab analyze)")
    add_network_arguments(net, required=False)
    net.add_argument("--seed", type=integer(0), default=0, help="seed for points of M and of the starts, >= 0 (default 0)")
    net.add_argument("--no-z3", action="store_true", help="skip the z3 proof on tiny cases")
    net.add_argument("--sweep", metavar="RATIOS",
                     help="also simulate GD at these comma-separated eta/eta_C (Observation A6, with its figure)")
    net.add_argument("--inits", type=integer(1), default=200, help="random starts per ratio of --sweep, >= 1 (default 200)")
    net.add_argument("--steps", type=integer(1), default=5000, help="GD steps per run of --sweep, >= 1 (default 5000)")
    net.add_argument("--workers", type=integer(1, 256),
                     help="worker processes of --sweep, 1..256 (default: all cores; 1: no pool)")
    net.add_argument("--force", action="store_true", help="run a --sweep estimated above 10 minutes")
    sgd = p.add_argument_group("SGD input (as in symstab sgd)")
    src = sgd.add_mutually_exclusive_group()
    src.add_argument("--hessians", metavar="FILE", help="per-sample Hessians: .npy array (n, d, d) or .json list "
                     "of exact matrices")
    src.add_argument("--construction", action="store_true", help="use paper B's near-optimality construction")
    sgd.add_argument("--n", type=integer(1), help="number of samples, >= 1 (construction)")
    sgd.add_argument("--sigma", type=integer(1), help="coherence sigma, 1 <= sigma <= n (construction)")
    sgd.add_argument("--scale", default="1", help="rank-one scale a (construction), exact, default 1")
    sgd.add_argument("--batch", type=integer(1), help="batch size B, 1 <= B <= n")
    sgd.add_argument("--eta", help="step size (exact: 1/10, 0.1 or an integer); optional")
    sgd.add_argument("--sampling", choices=SAMPLINGS, default="bernoulli",
                     help="how the batch is drawn (default bernoulli: each sample with probability B/n)")
    sgd.add_argument("--method", choices=("auto", "exact", "float", "mpmath"), default="auto",
                     help="how eta* is computed (see symstab.sgd.mean_square_threshold)")
    p.add_argument("--dps", type=integer(15, MAX_DPS),
                   help=f"digits: numerical witnesses of a network (20..{MAX_DPS}, default 50) or the mpmath path "
                        f"of SGD (15..{MAX_DPS})")
    p.set_defaults(handler=run)


def _check_out(args) -> None:
    writable_file(args.out, "--out", {".tex", ".pdf"})
    writable_file(formulas_path(args.out), "--out (its formulas file)")


def run(args) -> int:
    """Execute ``symstab report``: compute, write the document and its files, print what was written."""
    sgd_input = args.hessians is not None or args.construction
    if (args.widths is None) == (not sgd_input):
        raise InvalidInputError("give a network (--widths ...) or SGD input (--hessians FILE or --construction), "
                                "exactly one of them")
    if sgd_input:
        doc = _sgd(args)
    else:
        doc = _network(args)
    written = write_document(doc, args.out)
    print(f"report written to {written[0]}; formulas in {written[1]}"
          + "".join(f"; figure {p}" for p in written[2:]))
    return 0


def _network(args):
    if args.dps is None:
        args.dps = 50
    check_dps(args)
    for flag in ("n", "sigma", "batch", "eta"):
        if getattr(args, flag) is not None:
            raise InvalidInputError(f"--{flag} applies to SGD input (--hessians or --construction), not to a network")
    net = network_from_args(args)
    _check_out(args)
    figure, ratios = None, None
    if args.sweep is not None:  # checked before the analysis, not after it
        ratios = _ratios(args.sweep)
        figure = f"{_stem(args.out)}-sweep.pdf"
        writable_file(formulas_path(args.out).with_name(figure), "--out (its figure)")
    report = analyze(net, seed=args.seed, prove=not args.no_z3, dps=args.dps, document=True, force=args.force)
    sweep = None
    if args.sweep is not None:
        cs = report.parts["critical"]
        if cs.eta_C_float is None:
            raise InvalidInputError("--sweep needs a finite eta_C known to 12 digits; this network has "
                                    f"eta_C = {cs.to_dict()['eta_C']}")
        sweep = simulate.convergence_sweep(net, ratios, n_inits=args.inits, steps=args.steps,
                                           seed=args.seed, eta_C=cs.eta_C_float, workers=args.workers,
                                           progress=progress_bar("sweep"), force=args.force)
    return network_document(report, formulas_file=formulas_path(args.out).name, sweep=sweep, figure=figure)


def _ratios(text: str) -> list:
    """``--sweep``: comma-separated positive numbers."""
    try:
        values = [real(0, open_lo=True)(t) for t in text.split(",") if t.strip()]
    except argparse.ArgumentTypeError as err:
        raise InvalidInputError(f"--sweep: every ratio {err}") from None
    if not values:
        raise InvalidInputError("--sweep is empty: give ratios such as 0.9,1.1")
    return values


def _stem(out) -> str:
    return formulas_path(out).name[: -len(".formulas.json")]


def _sgd(args):
    for flag in ("widths", "X", "Y", "target", "sweep"):
        if getattr(args, flag) is not None:
            raise InvalidInputError(f"--{flag} applies to a network, not to SGD input")
    if args.whitened:
        raise InvalidInputError("--whitened applies to a network, not to SGD input")
    if args.batch is None:
        raise InvalidInputError("SGD input needs --batch")
    _check_out(args)
    args.json = False
    result, hessians = analysis_from_args(args)
    if args.construction:
        source = f"those of paper B's near-optimality construction (n = {args.n}, sigma = {args.sigma}, scale {args.scale})"
        if hessians is None and args.n <= _CERTIFIED_SGD_LIMIT:
            hessians = coherence_construction(args.n, args.sigma, args.scale)
    else:
        source = f"read from the file {args.hessians}"
    certificate = None
    dim = len(_as_lists(hessians)[0]) if hessians is not None and len(hessians) else 0
    if hessians is not None and result.threshold_method == "exact" and dim > _CERTIFIED_SGD_DIM:
        certificate = {"status": "not certified", "reason": f"not attempted for d = {dim}: the certificate's exact "
                       f"second-moment polynomial is built for d <= {_CERTIFIED_SGD_DIM} (minutes beyond)"}
    elif hessians is not None and result.threshold_method == "exact":
        try:
            cert = b_certificate(hessians, args.batch, args.sampling)
            certificate = {"status": "certified", "claim": cert.claim, "data": cert.data}
        except SymstabError as err:
            certificate = {"status": "not certified", "reason": " ".join(str(err).split())}
    return sgd_document(result, hessians=None if hessians is None else _as_lists(hessians), source=source, certificate=certificate,
                        formulas_file=formulas_path(args.out).name)


def _as_lists(hessians) -> list:
    return hessians.tolist() if hasattr(hessians, "tolist") else hessians
