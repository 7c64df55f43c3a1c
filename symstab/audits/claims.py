"""The catalogue of named claims about results A1-A6 and paper B (B1-B3), for audits.

Each claim states one quantitative property, says where it comes from, which examples
it is searched over (strategies of :mod:`symstab.strategies`) and the verdict the audit
is expected to reach with its default settings: true statements ("none found") and false
statements from the literature's summaries ("counterexample"). A finite search can only
refute quantitative forms; each statement says which form is checked. docs/theory.md
(sections A3, A5, B3 and 5) gives the mathematics.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import strategies as st

from ..exact.algebraic import exact_sign, largest_real_root
from ..exact.matrices import fmpq_matrix
from ..exact.numbers import as_rational
from ..gdmap import nonsingularity_certificate
from ..orbits.invariants import imbalance_at
from ..sgd import analyze
from ..simulate import gd
from ..spectrum import spectrum_at
from ..strategies import (lines_in_minima, minima_of, networks, points_on_minima, psd_hessian_families,
                          rational_points, rationals, widths)
from .engine import Check, Claim, compare, register

__all__ = ["CLAIM_NAMES"]


# --- shared quantities ------------------------------------------------------------------------

def _with_points(nets):
    return nets.flatmap(lambda net: points_on_minima(net).map(lambda theta: {"network": net, "theta": theta}))


def _nonzero_target(net) -> bool:
    return not sympy.Matrix(minima_of(net).target).is_zero_matrix


def _scalar_sigma(net):
    """``s`` when ``Sigma = s I``, else None."""
    S = net.Sigma
    s = S[0, 0]
    return s if S == s * sympy.eye(S.rows) else None


def _sharpness_closed_form(net):
    """``2c s H s_max^(2 - 2/H)`` for ``Sigma = s I``: the minimum of lambda_max on M (docs/theory.md, A5)."""
    T = sympy.Matrix(minima_of(net).target)
    top = largest_real_root(fmpq_matrix(T * T.T).charpoly()).expr  # s_max^2
    H = net.depth
    return 2 * as_rational(net.loss_scale) * _scalar_sigma(net) * H * top ** (1 - sympy.Rational(1, H))


def _depth2_bound(net, theta):
    """``2c det(Sigma)/tr(Sigma)^(d_0 - 1) ||theta||^2 / D``: a lower bound of lambda_max on M at depth 2.

    ``lambda_max >= tr Hess / rank Hess``; the residual term is traceless, the Gauss-Newton
    trace is at least ``2c lambda_min(Sigma) ||J||_F^2``, ``||J||_F^2 = d_0 ||W_2||^2 + d_H ||W_1||^2
    >= ||theta||^2``, and ``lambda_min(Sigma) >= det Sigma / tr(Sigma)^(d_0 - 1)``.
    """
    S = net.Sigma
    lower = S.det() / S.trace() ** (S.rows - 1)
    return 2 * as_rational(net.loss_scale) * lower * sum(sympy.Rational(t) ** 2 for t in theta) / net.num_params


def _spectrum_data(s) -> dict:
    return {"eigenvalues (non-zero)": list(s.nonzero), "multiplicities": [e.multiplicity for e in s.eigenvalues],
            "lambda_max": s.lambda_max}


# --- A1 ---------------------------------------------------------------------------------------

def _a1_check(x):
    cert = nonsingularity_certificate(x["network"], seed=0)
    return Check(not cert.exceptional_etas, {"exceptional step sizes": list(cert.exceptional_etas),
                                             "evidence": "exact certificate (gcd of exact characteristic polynomials)"})


register(Claim(
    name="A1-nonsingular",
    prove="A1",
    summary="G_eta = theta - eta grad L is non-singular for every eta > 0 (depth >= 2)",
    statement=("For a linear network of depth $H \\ge 2$ with exact data, the GD map "
               "$G_\\eta(\\theta) = \\theta - \\eta \\nabla L(\\theta)$ has a Jacobian determinant "
               "$\\det(I - \\eta \\nabla^2 L)$ that is not identically zero for any $\\eta > 0$; checked by the exact "
               "non-singularity certificate (the exceptional set E is empty)."),
    source="paper A, result A1 (docs/theory.md, A1)",
    expected="none found",
    check=_a1_check,
    strategy=lambda: networks("general", widths_strategy=widths(3, 3, 6, min_depth=2)).map(
        lambda net: {"network": net}),
    max_examples=15,
))


# --- A5: eta_C in closed form -------------------------------------------------------------------

def _closed_form_check(x):
    net, theta = x["network"], x["theta"]
    bound = _sharpness_closed_form(net)
    s = spectrum_at(net, theta)
    data = {"theta": theta, **_spectrum_data(s), "closed-form min lambda_max": bound, "eta_C": 2 / bound}
    return Check(exact_sign(s.lambda_max - bound) >= 0, data)


def _sigma_si_filling():
    nets = st.one_of(networks("filling", widths_strategy=widths(3, 3, 6), min_rank=1, whitened=True),
                     networks("filling", widths_strategy=widths(3, 3, 6).filter(lambda w: w[0] == 1), min_rank=1))
    return _with_points(nets)


register(Claim(
    name="eta-C-closed-form-filling",
    prove="A5",
    summary="Sigma = s I, filling: lambda_max >= 2c s H s_max^(2-2/H) on M, i.e. eta_C = 1/(c s H s_max^(2-2/H))",
    statement=("For whitened or scalar-input data ($\\Sigma = sI$) and a filling target $W^*$ with top singular "
               "value $s_{\\max}$, every point of $\\mathcal M$ has $\\lambda_{\\max} \\ge 2csH s_{\\max}^{2-2/H}$, "
               "the value at the balanced factorisation, so $\\eta_C = 2/(2csHs_{\\max}^{2-2/H})$. The audit checks "
               "the inequality exactly at points of $\\mathcal M$ (equality at the balanced point is not searched)."),
    source="paper A, result A5 (docs/theory.md, A5)",
    expected="none found",
    check=_closed_form_check,
    strategy=_sigma_si_filling,
    max_examples=30,
))

register(Claim(
    name="eta-C-closed-form-whitened-non-filling",
    prove="A5",
    summary="Sigma = s I, non-filling: lambda_max >= 2c s H s_max^(2-2/H) on M (the filling form at Wbar)",
    statement=("For $\\Sigma = sI$ and a non-filling target, the minimal product is the best rank-$r$ "
               "approximation $\\bar W$, and every point of $\\mathcal M$ (full Hessian, residual term "
               "included) has $\\lambda_{\\max} \\ge 2csH s_{\\max}(\\bar W)^{2-2/H}$: the filling closed form "
               "applied to $\\bar W$. Checked exactly at points of $\\mathcal M$ with rational $\\bar W$."),
    source="found by this project (observed numerically first; docs/theory.md, A5)",
    expected="none found",
    check=_closed_form_check,
    strategy=lambda: _with_points(networks("non_filling", widths_strategy=widths(3, 3, 6, min_depth=2).filter(
        lambda w: min(w[1:-1]) < min(w[0], w[-1])))),
    max_examples=25,
))


def _scalar_eta_e_check(x):
    s = spectrum_at(x["network"], x["theta"])
    count = sum(e.multiplicity for e in s.eigenvalues)
    return Check(count == 1, {"theta": x["theta"], **_spectrum_data(s), "non-zero eigenvalues with multiplicity": count})


register(Claim(
    name="eta-E-equals-eta-C-scalar",
    prove="A5",
    summary="d_0 = d_H = 1: one non-zero Hessian eigenvalue on M, so lambda_min^+ = lambda_max and eta_E = eta_C",
    statement=("For scalar input and output ($d_0 = d_H = 1$) and a non-zero target, the Hessian at every point "
               "of $\\mathcal M$ has exactly one non-zero eigenvalue (counted with multiplicity), so "
               "$\\lambda_{\\min}^+ = \\lambda_{\\max}$ and $\\eta_E = \\eta_C$. Checked exactly."),
    source="paper A, results A3/A5 (docs/theory.md, A5)",
    expected="none found",
    check=_scalar_eta_e_check,
    strategy=lambda: _with_points(networks("filling", widths_strategy=widths(3, 3, 8).filter(
        lambda w: w[0] == w[-1] == 1), min_rank=1)),
    max_examples=30,
))


# --- A3: properness -----------------------------------------------------------------------------

def _depth2_minima():
    depth2 = widths(2, 3, 8, min_depth=2)
    return _with_points(st.one_of(
        networks("filling", widths_strategy=depth2),
        networks("non_filling", widths_strategy=depth2.filter(lambda w: w[1] < min(w[0], w[2])))))


def _proper_check(which):
    def check(x):
        net, theta = x["network"], x["theta"]
        bound = _depth2_bound(net, theta)
        s = spectrum_at(net, theta)
        positive = [e.value for e in s.eigenvalues if e.enclosure[0] > 0]
        data = {"theta": theta, "||theta||^2": sum(Fraction(t) ** 2 for t in theta), **_spectrum_data(s),
                "bound 2c lambda_min(Sigma) ||theta||^2 / D (lambda_min(Sigma) bounded below by det/tr^(d_0-1))": bound}
        if not positive:
            return Check(exact_sign(bound) <= 0, data)
        value = positive[-1] if which == "max" else positive[0]
        data["checked eigenvalue"] = value
        return Check(exact_sign(value - bound) >= 0, data)
    return check


register(Claim(
    name="sharpness-proper-depth-2",
    prove="A3",
    summary="depth 2: lambda_max >= 2c lambda_min(Sigma) ||theta||^2 / D on M (so the sharpness is proper)",
    statement=("At depth 2 (filling or not), every point of $\\mathcal M$ has "
               "$\\lambda_{\\max} \\ge 2c\\,\\lambda_{\\min}(\\Sigma)\\,\\lVert\\theta\\rVert^2/D$ "
               "($\\lambda_{\\min}(\\Sigma)$ replaced by its lower bound $\\det\\Sigma/(\\operatorname{tr}\\Sigma)^{d_0-1}$), "
               "a quantitative form of properness: $\\lambda_{\\max} \\to \\infty$ as $\\lVert\\theta\\rVert \\to \\infty$ on "
               "$\\mathcal M$. Checked exactly."),
    source="paper A, result A3 (docs/theory.md, A3 (P))",
    expected="none found",
    check=_proper_check("max"),
    strategy=_depth2_minima,
    max_examples=40,
))

register(Claim(
    name="every-eigenvalue-proper",
    summary="FALSE: every non-zero Hessian eigenvalue obeys the sharpness's properness bound on M",
    statement=("Every non-zero Hessian eigenvalue is proper on $\\mathcal M$; quantitative form checked: at depth 2 "
               "every positive eigenvalue, not only $\\lambda_{\\max}$, satisfies "
               "$\\lambda \\ge 2c\\,\\lambda_{\\min}(\\Sigma)\\lVert\\theta\\rVert^2/D$. False when $d_0 d_H \\ge 2$: "
               "on (1,1,2), $\\theta(\\tau) = (\\tau, a/\\tau, b/\\tau)$ has $\\lambda_{\\min}^+ = \\tau^2 \\to 0$."),
    source="literature summaries of paper A (docs/theory.md, section 5, item 1)",
    expected="counterexample",
    check=_proper_check("min"),
    strategy=lambda: _with_points(networks("filling", widths_strategy=widths(2, 3, 8, min_depth=2))),
    max_examples=40,
))


def _line_check(x):
    net, theta, v = x["network"], x["theta"], x["direction"]
    H = net.depth
    mats = []
    for t in range(2 * H - 1):  # entries are polynomials of degree <= 2H - 2 in t
        point = [a + t * b for a, b in zip(theta, v)]
        if t == 1 and net.product_at(point) != sympy.Matrix(minima_of(net).target):
            raise RuntimeError("internal error: the drawn line leaves M")
        mats.append(net.hessian_at(point))
    constant = all(m == mats[0] for m in mats[1:])
    s = spectrum_at(net, theta)
    return Check(not constant, {"theta": theta, "direction v (theta + t v in M for all t)": v,
                                "Hessian along the line": "constant in t" if constant else "varies with t",
                                "lambda_max for every t": s.lambda_max if constant else None,
                                "||theta + t v||^2": sympy.expand(sum((sympy.Rational(a) + sympy.Symbol("t")
                                                                         * sympy.Rational(b)) ** 2
                                                                        for a, b in zip(theta, v)))})


register(Claim(
    name="sharpness-proper-every-architecture",
    prove="A3",
    summary="FALSE: the sharpness is proper on M for every architecture (lambda_max unbounded on every line in M)",
    statement=("The sharpness is proper on $\\mathcal M$ for every architecture. Checked form: along every affine "
               "line $\\theta + t v \\subset \\mathcal M$ (one layer moved in the kernel of "
               "$\\Delta \\mapsto W_{>l} \\Delta W_{<l}$), $\\lambda_{\\max} \\to \\infty$. Since "
               "$\\nabla^2 L \\succeq 0$ on $\\mathcal M$ and its entries are polynomials in $t$, this holds iff the "
               "Hessian is not constant along the line (decided exactly). False at depth $\\ge 3$ with a middle "
               "layer wider than rank $\\mu$ on both sides, e.g. (1,2,2,1). Searched over depth-3 networks of width "
               "at most 2 with filling, non-zero targets, along lines moving one layer by $t\\,x y^\\top$ with "
               "$W_{>l} x = 0$ and $y^\\top W_{<l} = 0$ (the other lines change the Jacobian, so the Hessian "
               "varies on them)."),
    source="literature summaries of paper A (docs/theory.md, section 5, item 2)",
    expected="counterexample",
    check=_line_check,
    strategy=lambda: networks("filling", widths_strategy=widths(3, 2, 10, min_depth=3), min_rank=1).flatmap(lambda net: lines_in_minima(net, kinds=("both",)).map(
            lambda line: {"network": net, "theta": line[0], "direction": line[1]})),
    max_examples=60,
))


# --- A6: GD above eta_C (numerical) -----------------------------------------------------------------

def _gd_check(x):
    net, ratio = x["network"], x["ratio"]
    eta_c = 2 / _sharpness_closed_form(net)
    eta = float(ratio) * float(sympy.N(eta_c, 30))
    runs = gd(net, eta, inits=16, steps=1000, seed=0)
    counts = runs.counts()
    return Check(counts["converged"] > 0, {"eta_C": eta_c, "eta / eta_C": ratio, "eta": eta,
                                           "runs (16 starts, 1000 steps, seed 0)": counts,
                                           "evidence": runs.evidence})


register(Claim(
    name="gd-converges-above-eta-C",
    summary="FALSE: GD converges to M with positive probability for eta in (eta_C, eta_E] (numerical)",
    statement=("For step sizes $\\eta \\in (\\eta_C, \\eta_E]$, gradient descent from random starts converges to "
               "$\\mathcal M$ with positive probability. Checked numerically (float64 simulation of 16 seeded "
               "starts, 1000 steps): an example refutes the claim when no start converges. False: above $\\eta_C$ "
               "no minimum is linearly stable."),
    source="literature summaries of paper A (docs/theory.md, section 5, item 3; A6)",
    expected="counterexample",
    check=_gd_check,
    strategy=lambda: st.fixed_dictionaries({
        "network": networks("filling", widths_strategy=widths(2, 2, 4, min_depth=2), min_rank=1, whitened=True),
        "ratio": st.fractions(min_value=Fraction(1, 100), max_value=Fraction(1, 2), max_denominator=100).map(
            lambda d: 1 + d)}),
    evidence="numerical (float64 simulation)",
    max_examples=10,
))


# --- paper B: divergence conditions ---------------------------------------------------------------

@st.composite
def _families(draw, max_n: int = 4, max_d: int = 2):
    n = draw(st.integers(2, max_n))
    hs = draw(psd_hessian_families(n=n, max_d=max_d))
    return {"hessians": hs, "batch": draw(st.integers(1, n - 1))}


def _coherence_check(sampling: str, form: str):
    def check(x):
        hs, B = x["hessians"], x["batch"]
        r = analyze(hs, batch=B, sampling=sampling)
        n = len(hs)
        lam, sigma = r.lambda_1, r.sigma
        ratio = sympy.Rational(n, B) - 1
        if form == "coherence":  # eta lambda_1 > sigma sqrt(B / (n - B))
            t = sigma / (lam * sympy.sqrt(ratio))
        else:  # eta lambda_1 (1 + (n/B - 1)/sigma) > 2
            t = 2 / (lam * (1 + ratio / sigma))
        outcome = compare(r.eta_star, t)
        return Check(outcome.holds, {"lambda_1(H)": lam, "sigma": sigma, "eta* (" + sampling + ")": r.eta_star,
                                     "condition holds for eta above": t, "comparison": outcome.data["comparison"]})
    return check


register(Claim(
    name="sgd-coherence-bernoulli",
    prove="B",
    summary="Bernoulli sampling: eta lambda_1(H) > sigma sqrt(B/(n - B)) implies mean-square divergence",
    statement=("Under Bernoulli sampling, $\\eta\\lambda_1(H) > \\sigma\\sqrt{B/(n-B)}$ implies that linearised SGD "
               "diverges in mean square, i.e. the step above which the condition holds is at least the exact "
               "threshold $\\eta^*$. Checked exactly for rational families (numerically, tolerance 1e-9, when "
               "$\\sigma$ is only known as a float)."),
    source="paper B (Dexter et al.), coherence condition (docs/theory.md, B3)",
    expected="none found",
    check=_coherence_check("bernoulli", "coherence"),
    strategy=_families,
    max_examples=40,
))

register(Claim(
    name="coherence-condition-exact",
    prove="B",
    summary="FALSE: eta lambda_1 (1 + (n/B - 1)/sigma) > 2 implies divergence in general (Bernoulli)",
    statement=("Under Bernoulli sampling, $\\eta\\lambda_1(H)(1 + (n/B - 1)/\\sigma) > 2$ implies mean-square "
               "divergence. It is exact on paper B's near-optimality construction, and the audit compares it "
               "with the exact threshold $\\eta^*$ on other families."),
    source="paper B's near-optimality construction, read as a general condition (docs/theory.md, B3)",
    expected="counterexample",
    check=_coherence_check("bernoulli", "exact-form"),
    strategy=_families,
    max_examples=40,
))

register(Claim(
    name="coherence-uniform-sampling",
    prove="B",
    summary="FALSE: eta lambda_1(H) > sigma sqrt(B/(n - B)) implies divergence under uniform sampling",
    statement=("The coherence condition $\\eta\\lambda_1(H) > \\sigma\\sqrt{B/(n-B)}$ implies mean-square "
               "divergence also for uniform sampling without replacement. False: $H_1 = \\mathrm{diag}(0,1)$, "
               "$H_2 = \\mathrm{diag}(0,4)$, $n = 2$, $B = 1$ meets it above $1/2$ but $\\eta^* = 10/17$."),
    source="literature summaries of paper B (docs/theory.md, section 5, item 4)",
    expected="counterexample",
    check=_coherence_check("without_replacement", "coherence"),
    strategy=_families,
    max_examples=40,
))

# --- O3: the exact drift of the layer imbalance under one GD step ---------------------------------

def _imbalance_check(x):
    net, theta, eta = x["network"], x["theta"], x["eta"]
    rows = imbalance_at(net, theta, eta)
    wrong = [r["layer"] for r in rows if (r["after"] - r["before"] - r["drift"]).applyfunc(sympy.expand)
             != sympy.zeros(*r["drift"].shape)]
    return Check(not wrong, {"theta": theta, "eta": eta, "layers where D_l' - D_l != drift": wrong,
                             "drift": [r["drift"] for r in rows]})


def _imbalance_examples():
    nets = networks("general", widths_strategy=widths(3, 3, 8, min_depth=2))
    steps = rationals(2, 4).filter(lambda q: q > 0)
    return nets.flatmap(lambda net: st.tuples(rational_points(net), steps).map(
        lambda pe: {"network": net, "theta": pe[0], "eta": pe[1]}))


register(Claim(
    name="imbalance-drift-exact",
    summary="one GD step changes D_l = W_(l+1)^T W_(l+1) - W_l W_l^T by exactly eta^2 (G_(l+1)^T G_(l+1) - G_l G_l^T)",
    statement=("The layer imbalance $D_l = W_{l+1}^T W_{l+1} - W_l W_l^T$ is conserved by gradient flow; under "
               "one GD step with $G_l = \\partial L/\\partial W_l$ the first-order terms cancel "
               "($W_{l+1}^T G_{l+1} = G_l W_l^T$) and exactly "
               "$D_l' - D_l = \\eta^2 (G_{l+1}^T G_{l+1} - G_l G_l^T)$, for every depth, width, data and loss "
               "convention. Checked exactly at rational points and steps (the next point from the exact GD step)."),
    source=("Arora, Cohen & Hazan (ICML 2018) and Du, Hu & Lee (NeurIPS 2018) for gradient flow; the GD drift "
            "derived here (docs/theory.md, O3)"),
    expected="none found",
    check=_imbalance_check,
    strategy=_imbalance_examples,
    max_examples=30,
))

CLAIM_NAMES = ("A1-nonsingular", "eta-C-closed-form-filling", "eta-C-closed-form-whitened-non-filling",
               "eta-E-equals-eta-C-scalar", "sharpness-proper-depth-2", "sgd-coherence-bernoulli",
               "imbalance-drift-exact",
               "every-eigenvalue-proper", "sharpness-proper-every-architecture", "gd-converges-above-eta-C",
               "coherence-condition-exact", "coherence-uniform-sampling")
