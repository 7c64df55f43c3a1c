"""Tests of symstab.simulate (A6, numerical) and the ``symstab simulate`` command.

The float engine is checked against the exact layer (``net.gd_step`` on rational
points); the high-precision engine against the float one on short runs.  The
phase-transition test takes eta_C from the exact layer and checks it against the
closed forms of docs/theory.md, A5: (1,1,2) whitened with target (3, 4):
eta_C = 1/||w*|| = 1/5; (2,2,2) whitened with W* = [[2,1],[1,2]]: eta_C = 1/s_max(W*) = 1/3.
"""

import json
import math
from fractions import Fraction

import flint
import numpy as np
import pytest

from symstab import LinearNetwork, simulate
from symstab.cli import main
from symstab.errors import InvalidInputError

NETS = {
    "112": (((1, 1, 2), [[3], [4]]), "1/5"),
    "222": (((2, 2, 2), [[2, 1], [1, 2]]), "1/3"),
}


@pytest.fixture(params=sorted(NETS))
def case(request):
    (widths, target), eta_c = NETS[request.param]
    return LinearNetwork.whitened(widths, target), eta_c


@pytest.fixture
def net112():
    return LinearNetwork.whitened((1, 1, 2), [[3], [4]])


@pytest.fixture
def net222():
    return LinearNetwork.whitened((2, 2, 2), [[2, 1], [1, 2]])


# --- the phase transition (A6) ------------------------------------------------------


def test_phase_transition(case):
    net, eta_c = case
    assert str(net.critical_step_sizes(prove=False).eta_C) == eta_c
    sweep = simulate.convergence_sweep(net, [0.9, 1.1], n_inits=300, steps=4000, seed=0, workers=1)
    below, above = sweep.to_dict()["rows"]
    assert below["converged_fraction"] > 0.3
    assert below["converged_ci"][0] > 0.3
    assert above["converged_fraction"] == 0
    assert above["converged_ci"][0] == 0.0
    # limits below eta_C lie in M_SS, and the asymptotic gradient norm jumps
    assert below["sharpness_violations"] == 0 and below["max_sharpness_ratio"] < 1
    assert below["median_grad_norm"] < 1e-6 < 1e-1 < above["median_grad_norm"]


@pytest.mark.parametrize("ratio", [0.5, 0.8, 0.95])
def test_limits_below_eta_c_are_stable(net222, ratio):
    eta = ratio / 3
    runs = simulate.gd(net222, eta, inits=200, steps=3000, seed=2)
    ok = runs.converged
    assert ok.sum() > 100
    assert (runs.limit_sharpness[ok] < 2 / eta).all()
    assert runs.sharpness_violations == ()
    assert set(v for v in runs.verdicts if v is not None) == {"stable"}
    assert np.isnan(runs.limit_sharpness[~ok]).all()


def test_limit_sharpness_matches_exact_point(net112):
    # (2, 3/2, 2) is on M: mu = (3, 4); lambda_max = a^2 + ||w*||^2 / a^2 = 4 + 25/4
    runs = simulate.gd(net112, "1/10", inits=[[2, "3/2", 2]], steps=200)
    assert runs.status == ("converged",) and runs.stop_step[0] == 50
    assert runs.limit_sharpness[0] == pytest.approx(41 / 4, rel=1e-12)
    assert net112.classify([2, "3/2", 2], "1/10").verdict == "stable" == runs.verdicts[0]


def test_above_eta_c_period_two(net112):
    runs = simulate.gd(net112, 0.22, inits=100, steps=2000, seed=0)
    counts = runs.counts()
    assert counts["converged"] == 0
    assert counts["periodic"] > 50 and set(runs.period[runs.period > 0]) == {2}
    assert counts["periodic"] + counts["diverged"] + counts["bounded"] == 100
    assert "periods: 2:" in runs.summary()


def test_diverged_runs_are_classified_without_warnings(net112):
    with np.errstate(all="raise"):  # any float warning inside would become an exception
        runs = simulate.gd(net112, 0.2, inits=50, steps=400, seed=0, init_scale=50.0)
    assert runs.counts()["diverged"] > 0
    assert np.isinf(runs.final_grad_norm[[s == "diverged" for s in runs.status]]).all()


def test_depth_three_origin_reported_separately():
    net = LinearNetwork.whitened((1, 1, 1, 1), [[2]])
    runs = simulate.gd(net, 0.1, inits=20, steps=500, seed=0, init_scale=1e-3)
    assert runs.counts()["origin"] == 20 and runs.counts()["converged"] == 0
    assert "non-strict saddle" in runs.summary()


# --- the float engine against the exact layer ---------------------------------------


EXACT_CASES = [
    (LinearNetwork.whitened((2, 2, 2), [[2, 1], [1, 2]]), [["1/2", -1, "3/4", 2, "1/3", 0, -2, "5/7"]], "3/10"),
    (LinearNetwork((2, 3, 2), [[1, 2, 0], [0, 1, 1]], [[1, 0, 2], [3, 1, 1]], loss="mean"),
     [[1, "-1/2", 0, 2, "1/3", -1, "1/2", 1, -1, "2/3", 0, 1]], "1/7"),
    (LinearNetwork((1, 2, 2, 1), [[1, 2]], [[3, "1/2"]], loss="sum"),
     [[1, "-1/2", "1/3", 1, 2, "-1/4", "1/2", 1]], "1/20"),
]


@pytest.mark.parametrize("net,points,eta", EXACT_CASES)
def test_float_step_matches_exact_gd_step(net, points, eta):
    theta0 = np.array([[float(Fraction(v)) for v in p] for p in points])
    engine = simulate.engine.FloatEngine(simulate.engine.problem_of(net), float(Fraction(eta)), theta0)
    grad, _, _, _ = engine.measure()
    exact_grad = net.gradient_at(points[0])
    assert grad[0] == pytest.approx(math.sqrt(sum(float(g) ** 2 for g in exact_grad)), rel=1e-13)
    engine.advance(1)
    exact = [float(v) for v in net.gd_step(points[0], eta)]
    np.testing.assert_allclose(engine.theta()[0], exact, rtol=1e-13, atol=1e-14)
    # the same through gd(..., steps=1)
    runs = simulate.gd(net, eta, inits=points, steps=1)
    np.testing.assert_allclose(runs.final_theta[0], exact, rtol=1e-13, atol=1e-14)


def test_batch_composition_does_not_change_a_run(net222):
    theta0 = np.random.default_rng(5).standard_normal((9, 8))
    all_runs = simulate.gd(net222, 0.3, inits=theta0, steps=700)
    some = simulate.gd(net222, 0.3, inits=theta0[[4, 1]], steps=700)
    assert np.array_equal(all_runs.final_theta[[4, 1]], some.final_theta)
    assert all_runs.status[4] == some.status[0] and all_runs.status[1] == some.status[1]


def test_same_seed_same_runs(net112):
    a = simulate.gd(net112, 0.18, inits=30, steps=500, seed=7)
    b = simulate.gd(net112, 0.18, inits=30, steps=500, seed=7)
    assert a.status == b.status and np.array_equal(a.final_theta, b.final_theta)


# --- high precision -------------------------------------------------------------------


def test_high_precision_agrees_with_float(net222):
    theta0 = np.random.default_rng(1).standard_normal((3, 8)) * 0.8
    fl = simulate.gd(net222, 0.3, inits=theta0, steps=400, tol=1e-60)  # never retire: compare step 400
    hp = simulate.gd(net222, 0.3, inits=theta0, steps=400, dps=40, tol=1e-60)
    assert hp.evidence == "numerical (40 digits)" and (hp.stop_step == 400).all()
    np.testing.assert_allclose(hp.final_theta, fl.final_theta, rtol=1e-9, atol=1e-9)


def test_high_precision_converges_below_float_resolution(net112):
    runs = simulate.gd(net112, "9/50", inits=[[2, "3/2", "5/2"]], steps=4000, dps=50, tol=1e-40)
    assert runs.status == ("converged",)
    assert runs.final_grad_norm[0] < 1e-35  # far below float64 round-off (~1e-15)
    # the limit (a, b) has a b = w*; its sharpness a^2 + 25/a^2 is computed at 50 digits
    a = runs.final_theta[0][0]
    assert runs.limit_sharpness[0] == pytest.approx(a**2 + 25 / a**2, rel=1e-12)
    assert runs.limit_sharpness[0] < 2 / 0.18


def test_precision_is_restored():
    before = flint.ctx.prec
    with simulate.flint_precision(60):
        assert flint.ctx.prec > 190
    assert flint.ctx.prec == before
    with pytest.raises(RuntimeError):
        with simulate.flint_precision(60):
            raise RuntimeError
    assert flint.ctx.prec == before


def test_borderline_runs_are_rechecked(net112):
    runs = simulate.gd(net112, 0.18, inits=20, steps=600, seed=0, borderline=0.5, max_rechecks=2)
    assert len(runs.rechecks) == 2
    for r in runs.rechecks:
        assert r["dps"] == 30 and r["hp_status"] == r["float_status"] == "converged"
        assert r["hp_sharpness"] == pytest.approx(r["float_sharpness"], rel=1e-8)


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("eta", [0, -1, "0", 0.0, -0.5, float("nan"), float("inf"), "x", True])
def test_bad_eta(net112, eta):
    with pytest.raises(InvalidInputError):
        simulate.gd(net112, eta, inits=2, steps=5)


@pytest.mark.parametrize("kwargs", [
    {"steps": 0}, {"steps": -3}, {"steps": 2.5},
    {"inits": 0}, {"inits": [[1, 2]]}, {"inits": np.zeros((2, 4))}, {"inits": [[1.0, float("nan"), 0.0]]},
    {"inits": [[1.0, 2.0, float("inf")]]}, {"inits": "abc"},
    {"dps": 0}, {"init_scale": -1.0}, {"tol": 0}, {"check_every": 0}, {"unknown_option": 1},
])
def test_bad_gd_arguments(net112, kwargs):
    args = {"inits": 2, "steps": 5}
    args.update(kwargs)
    with pytest.raises(InvalidInputError):
        simulate.gd(net112, 0.1, **args)


@pytest.mark.parametrize("kwargs", [
    {"eta_ratios": [0.9, -1]}, {"eta_ratios": []}, {"eta_ratios": [float("nan")]}, {"n_inits": 0},
    {"steps": 0}, {"seed": -1}, {"chunk_size": 0}, {"eta_C": "-1/5"},
])
def test_bad_sweep_arguments(net112, kwargs):
    args = {"eta_ratios": [0.9], "n_inits": 4, "steps": 10, "eta_C": "1/5", "workers": 1}
    args.update(kwargs)
    with pytest.raises(InvalidInputError):
        simulate.convergence_sweep(net112, **args)


def test_family_is_refused():
    import sympy

    net = LinearNetwork((1, 1, 1), [[1]], [[sympy.Symbol("a")]])
    with pytest.raises(Exception, match="numeric data"):
        simulate.gd(net, 0.1, inits=2, steps=5)


# --- the sweep: executors, chunking, checkpoints ------------------------------------------


SWEEP = dict(eta_ratios=[0.9, 1.1, 1.2], n_inits=60, steps=1500, seed=3, eta_C="1/5")


def test_sweep_independent_of_executor_and_chunking(net112):
    serial = simulate.convergence_sweep(net112, workers=1, **SWEEP)
    chunked = simulate.convergence_sweep(net112, workers=1, chunk_size=25, **SWEEP)
    pooled = simulate.convergence_sweep(net112, workers=2, chunk_size=40, **SWEEP)
    assert serial.to_dict() == chunked.to_dict() == pooled.to_dict()
    assert serial.table() == pooled.table()
    rows = serial.to_dict()["rows"]
    assert [r["eta"] for r in rows] == [0.18, 0.22, 0.24]
    for r in rows:
        assert set(r) >= {"eta_ratio", "eta", "converged_fraction", "converged_ci", "diverged_fraction",
                          "median_grad_norm", "n_inits", "median_sharpness_ratio"}


def test_dask_executor_gives_the_same_table(net112):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    local = simulate.convergence_sweep(net112, workers=1, **SWEEP)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = simulate.convergence_sweep(net112, executor=client.get_executor(), chunk_size=30, **SWEEP)
    assert remote.to_dict() == local.to_dict()


def test_checkpoint_resume_equals_uninterrupted(net112, tmp_path, monkeypatch):
    full = simulate.convergence_sweep(net112, workers=1, **SWEEP)
    path = tmp_path / "sweep.jsonl"

    class Interrupt(Exception):
        pass

    def stop_after_first(done, total):  # runs done: the first cell has SWEEP["n_inits"]
        if done == SWEEP["n_inits"]:
            raise Interrupt

    with pytest.raises(Interrupt):
        simulate.convergence_sweep(net112, workers=1, checkpoint=path, progress=stop_after_first, **SWEEP)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["kind"] == "cell"
    with path.open("a") as fh:  # a cell line cut by the interruption
        fh.write('{"kind": "cell", "row": {"cell": 1, "eta_r')
    calls = []
    real_task = simulate.sweep.run_cell
    monkeypatch.setattr(simulate.sweep, "run_cell", lambda problem, spec: calls.append(spec["cell"]) or real_task(problem, spec))
    resumed = simulate.convergence_sweep(net112, workers=1, checkpoint=path, **SWEEP)
    assert sorted(calls) == [1, 2]  # the finished cell is not recomputed
    assert resumed.to_dict() == full.to_dict()
    assert resumed.table() == full.table()
    calls.clear()
    again = simulate.convergence_sweep(net112, workers=1, checkpoint=path, **SWEEP)
    assert calls == [] and again.to_dict() == full.to_dict()


def test_checkpoint_with_other_settings_is_refused(net112, tmp_path):
    path = tmp_path / "sweep.jsonl"
    simulate.convergence_sweep(net112, workers=1, checkpoint=path, **dict(SWEEP, eta_ratios=[0.9]))
    with pytest.raises(InvalidInputError, match="different settings"):
        simulate.convergence_sweep(net112, workers=1, checkpoint=path, **dict(SWEEP, eta_ratios=[0.9], seed=4))


def test_eta_c_from_the_exact_layer(net112):
    assert simulate.critical_eta(net112)[0] == pytest.approx(0.2, rel=1e-12)


def test_wilson_interval():
    assert simulate.wilson_interval(0, 50)[0] == 0.0
    assert simulate.wilson_interval(50, 50)[1] == 1.0
    lo, hi = simulate.wilson_interval(30, 100)
    assert lo < 0.3 < hi and (lo, hi) == pytest.approx((0.2189, 0.3958), abs=1e-4)


# --- plots --------------------------------------------------------------------------------


def test_plots(net112, tmp_path):
    sweep = simulate.convergence_sweep(net112, [0.9, 1.1], n_inits=20, steps=500, seed=0, eta_C="1/5", workers=1)
    fig = sweep.plot(tmp_path / "sweep.png")
    assert len(fig.axes) == 3 and (tmp_path / "sweep.png").stat().st_size > 1000
    simulate.plot_trajectory(net112, 0.18, [0.5, 0.5, 0.5], steps=300, path=tmp_path / "traj.pdf")
    assert (tmp_path / "traj.pdf").read_bytes()[:4] == b"%PDF"
    tr = simulate.sharpness_trajectory(net112, 0.18, [0.5, 0.5, 0.5], steps=300, every=10)
    assert tr["step"][-1] == 300 and tr["sharpness"][-1] < tr["two_over_eta"] and tr["loss"][-1] < 1e-12


def test_sweep_plot_legends_outside_the_data_eta_c_labelled_wilson_intervals(net222):
    sweep = simulate.convergence_sweep(net222, [0.9, 1.1, 1.5], n_inits=30, steps=800, seed=0, workers=1)
    for r in sweep.rows:  # every fraction drawn has its Wilson interval
        for key in ("converged", "period2", "diverged", "other_bounded"):
            lo, hi = r[f"{key}_ci"]
            k = round(r[f"{key}_fraction"] * r["n_inits"])
            assert (lo, hi) == simulate.wilson_interval(k, r["n_inits"]) and lo <= r[f"{key}_fraction"] <= hi
    fig = sweep.plot()
    fig.canvas.draw()
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # to the right of the axes
    top = fig.axes[0]
    assert any(t.get_text() == r"$\eta_C$" for t in top.texts)
    assert r"$\eta = \eta_C$" in [t.get_text() for t in top.get_legend().get_texts()]
    assert any("Wilson" in t.get_text() for t in top.get_legend().get_texts())
    assert len(top.collections) >= 4  # one shaded Wilson band per fraction
    converged = top.lines[0]  # not drawn across eta_C, where the fraction jumps
    assert np.isnan(converged.get_ydata()[list(converged.get_xdata()).index(1.0)])


def test_trajectory_quantiles_period_two_above_eta_c():
    """(1,1,1), target 1: eta_C = 1 and a stable 2-cycle for 1 < eta < sqrt(5) - 1, so above eta_C the two
    envelopes separate around 2/eta; below eta_C they meet at the limit. Same seed, same quantiles."""
    net = LinearNetwork.whitened((1, 1, 1), [[1]])
    above = simulate.trajectory_quantiles(net, "11/10", inits=40, steps=400, every=50, seed=1)
    med = above["quantiles"].index(0.5)
    assert above["sharpness_lower"][med, -1] < above["two_over_eta"] < above["sharpness_upper"][med, -1]
    assert (above["sharpness_upper"] >= above["sharpness_lower"]).all()
    assert (above["loss_upper"] >= above["loss_lower"]).all()
    again = simulate.trajectory_quantiles(net, "11/10", inits=40, steps=400, every=50, seed=1)
    assert all(np.array_equal(above[k], again[k], equal_nan=True) for k in above if isinstance(above[k], np.ndarray))
    below = simulate.trajectory_quantiles(net, "9/10", inits=40, steps=400, every=50, seed=1)
    assert below["sharpness_upper"][med, -1] == pytest.approx(below["sharpness_lower"][med, -1])
    assert below["sharpness_upper"][med, -1] < below["two_over_eta"]
    with pytest.raises(InvalidInputError, match="quantiles"):
        simulate.trajectory_quantiles(net, 1, inits=2, steps=2, quantiles=[1.5])


def test_trajectory_plot_draws_bands_not_runs(net222, tmp_path):
    fig = simulate.plot_trajectory(net222, [0.3, 0.37], steps=60, inits=30, eta_C="1/3", path=tmp_path / "t.png")
    assert len(fig.axes) == 4 and (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    for ax in fig.axes:
        assert len(ax.lines) <= 3  # two medians (and 2/eta): no line per run
        assert len(ax.collections) == 2  # two 10-90% bands


# --- command line ---------------------------------------------------------------------------


CLI = ["simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--eta-C", "1/5",
       "--eta-ratios", "0.9,1.1", "--inits", "40", "--steps", "1500", "--seed", "0", "--workers", "1"]


def test_cli_json(capsys, tmp_path):
    plot = tmp_path / "out.png"
    assert main(CLI + ["--json", "--quiet", "--plot", str(plot), "--checkpoint", str(tmp_path / "c.jsonl")]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    assert [r["eta_ratio"] for r in rows] == [0.9, 1.1]
    for r in rows:
        assert list(r)[:7] == ["eta_ratio", "eta", "converged_fraction", "converged_ci", "diverged_fraction",
                               "median_grad_norm", "n_inits"]
        assert r["n_inits"] == 40 and len(r["converged_ci"]) == 2
    assert rows[0]["converged_fraction"] > 0.3 and rows[1]["converged_fraction"] == 0
    assert out["eta_C"] == "1/5" and "numerical" in out["evidence"]
    assert plot.stat().st_size > 1000


def test_cli_trajectory_plot(capsys, tmp_path):
    plot, traj = tmp_path / "sweep.pdf", tmp_path / "traj.png"
    assert main(CLI + ["--inits", "8", "--steps", "200", "--quiet", "--plot", str(plot), "--trajectory-plot", str(traj),
                       "--trajectory-inits", "12", "--trajectory-steps", "40"]) == 0
    assert plot.read_bytes()[:4] == b"%PDF" and traj.read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(CLI + ["--trajectory-plot", str(tmp_path / "no" / "t.png")]) == 2
    err = capsys.readouterr().err
    assert "--trajectory-plot" in err and "does not exist" in err and err.count("\n") == 1


def test_cli_table_and_errors(capsys):
    assert main(CLI) == 0
    captured = capsys.readouterr()
    assert "eta/eta_C" in captured.out and captured.err == ""  # no progress bar when stderr is not a TTY
    assert main(CLI + ["--steps", "0"]) == 2
    assert "steps" in capsys.readouterr().err
    assert main(CLI + ["--eta-ratios", "0.9,abc"]) == 2
    assert main(CLI + ["--init-scale", "-1"]) == 2


def test_readme_figure_script_runs(tmp_path):
    """docs/make_figures.py (the README's figures) stays runnable; the cheapest figure is redrawn."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "docs" / "make_figures.py"
    spec = importlib.util.spec_from_file_location("make_figures", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.FIGURES) == {p.stem for p in script.parent.glob("*.png")}
    module.main(["--only", "sgd_optimality_gap", "--out", str(tmp_path)])
    assert (tmp_path / "sgd_optimality_gap.png").read_bytes()[:4] == b"\x89PNG"


def test_rows_do_not_depend_on_the_other_ratios_and_a_checkpoint_extends(net112, tmp_path, monkeypatch):
    """Common random numbers: a ratio's row is the same in any list; a checkpointed sweep can be extended."""
    args = dict(SWEEP, eta_ratios=[0.9, 1.1])
    short = simulate.convergence_sweep(net112, workers=1, **args).to_dict()["rows"]
    longer = simulate.convergence_sweep(net112, workers=1, **dict(args, eta_ratios=[0.8, 1.1, 0.9])).to_dict()["rows"]
    strip = [{k: v for k, v in r.items() if k != "cell"} for r in (short + longer)]
    assert strip[0] == strip[4] and strip[1] == strip[3]

    path = tmp_path / "grow.jsonl"
    simulate.convergence_sweep(net112, workers=1, checkpoint=path, **args)
    calls = []
    real_task = simulate.sweep.run_cell
    monkeypatch.setattr(simulate.sweep, "run_cell", lambda problem, spec: calls.append(spec["eta"]) or real_task(problem, spec))
    grown = simulate.convergence_sweep(net112, workers=1, checkpoint=path, **dict(args, eta_ratios=[0.8, 1.1, 0.9]))
    assert len(calls) == 1 and calls[0] == pytest.approx(0.8 * 0.2)  # only the new ratio runs
    assert grown.to_dict()["rows"] == longer


def test_the_sweep_passes_force_to_its_exact_eta_C(monkeypatch):
    """Without --eta-C the sweep needs critical_step_sizes; --force reaches it, and without it a too-large
    eta_C computation is refused up front with its estimate."""
    from symstab.errors import TooLargeError
    from symstab.simulate import sweep as sweep_module

    big = LinearNetwork.whitened((4, 150, 150, 4), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    with pytest.raises(TooLargeError, match="force"):
        sweep_module.critical_eta(big)
    seen = {}

    def fake(net, **kwargs):
        seen.update(kwargs)
        raise TooLargeError("stop here")

    monkeypatch.setattr(sweep_module, "critical_step_sizes", fake)
    with pytest.raises(TooLargeError, match="stop here"):
        sweep_module.convergence_sweep(big, [0.9], n_inits=2, steps=2, force=True)
    assert seen == {"prove": False, "force": True}
