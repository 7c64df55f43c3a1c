"""The audit of a conjecture: a hypothesis search for a counterexample, shrunk, with its data.

:func:`audit` runs a claim over a strategy of examples. The claim is a predicate, a pair
``(quantity, bound)`` (the claim ``quantity(x) <= bound(x)``), a :class:`Claim`, or the
name of a catalogue claim. The answer is an :class:`AuditResult`: "counterexample" with
the shrunk example and the data that shows the claim false, or "none found" in N cases,
which is not a proof. An audit never says proved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral
from typing import Callable

import sympy
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisException, Unsatisfiable
from hypothesis.strategies import SearchStrategy

from ..errors import InvalidInputError
from ..exact.algebraic import exact_sign
from ..exact.latex import LatexDisplay, math_text
from ..exact.latex import text as latex_text
from ..exact.numbers import check_seed
from .render import jsonable, latex_value

__all__ = ["VERDICTS", "AuditResult", "Check", "Claim", "audit", "compare", "prove_hint"]

VERDICTS = ("counterexample", "none found")
DEFAULT_MAX_EXAMPLES = 50
DEFAULT_TOLERANCE = 1e-9
DEFAULT_SHRINK_BUDGET = 40


@dataclass(frozen=True)
class Check:
    """One example's outcome: does the claim hold there, and the data that shows it."""

    holds: bool
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """A named claim: a check of one example, the examples to search, and what is expected.

    ``check(example)`` returns a :class:`Check` (or a bool); ``strategy()`` builds the
    default search space; ``expected`` is ``"counterexample"`` or ``"none found"``;
    ``evidence`` says how one example is decided (``"exact"`` or ``"numerical ..."``).
    """

    name: str
    summary: str
    statement: str
    source: str
    expected: str | None
    check: Callable
    strategy: Callable | None = None
    evidence: str = "exact"
    max_examples: int = DEFAULT_MAX_EXAMPLES
    prove: str | None = None  # the certificate kind of `symstab prove` (A1..A5, B) this claim corresponds to

    def to_dict(self) -> dict:
        return {"name": self.name, "summary": self.summary, "statement": self.statement,
                "source": self.source, "expected": self.expected, "evidence": self.evidence,
                "max_examples": self.max_examples, "prove": self.prove}


def prove_hint(kind: str | None) -> str | None:
    """The pointer from an audit to a certificate: ``then try `symstab prove KIND` on this case``.

    ``symstab prove`` certifies a stated list of cases per result (``symstab prove KIND --list``);
    the hint says so.

    Examples
    --------
    >>> prove_hint("A5")  # doctest: +NORMALIZE_WHITESPACE
    'then try `symstab prove A5` on this case (result A5 has certificates accepted by the independent
     checker `symstab check`; `symstab prove A5 --list` shows its stated cases)'
    """
    if kind is None:
        return None
    return (f"then try `symstab prove {kind}` on this case (result {kind} has certificates accepted by the "
            f"independent checker `symstab check`; `symstab prove {kind} --list` shows its stated cases)")


def _is_exact(v) -> bool:
    return isinstance(v, (Integral, Fraction)) or (isinstance(v, sympy.Basic) and v.is_number
                                                    and not v.has(sympy.Float))


def compare(quantity, bound, tolerance: float = DEFAULT_TOLERANCE) -> Check:
    """The claim ``quantity <= bound`` for one example: exact when both sides are exact, else with a tolerance.

    Exact numbers (ints, Fractions, sympy rationals and algebraic numbers) are compared
    with :func:`~symstab.exact.algebraic.exact_sign`; otherwise in floats, where the claim
    holds when ``quantity <= bound + tolerance * max(1, |bound|)``.

    Examples
    --------
    >>> compare(sympy.sqrt(2), Fraction(3, 2)).holds, compare(1.0000000001, 1).data["comparison"]
    (True, 'numerical, relative tolerance 1e-09')
    """
    if _is_exact(quantity) and _is_exact(bound):
        holds = exact_sign(sympy.sympify(quantity) - sympy.sympify(bound)) <= 0
        how = "exact"
    else:
        q, b = float(quantity), float(bound)
        holds = q <= b + tolerance * max(1.0, abs(b))
        how = f"numerical, relative tolerance {tolerance:g}"
    return Check(bool(holds), {"quantity": quantity, "bound": bound, "comparison": how})


def _as_claim(claim, tolerance) -> Claim:
    if isinstance(claim, Claim):
        return claim
    if isinstance(claim, str):
        from_catalogue = _catalogue_lookup(claim)
        return from_catalogue
    if isinstance(claim, tuple) and len(claim) == 2 and all(callable(c) for c in claim):
        quantity, bound = claim
        name = f"{getattr(quantity, '__name__', 'quantity')} <= {getattr(bound, '__name__', 'bound')}"
        return Claim(name=name, summary=name, statement=f"for every example x: {name}(x)", source="user",
                     expected=None, check=lambda x: compare(quantity(x), bound(x), tolerance),
                     evidence=f"exact where both sides are exact, else numerical (relative tolerance {tolerance:g})")
    if callable(claim):
        name = getattr(claim, "__name__", "predicate")
        return Claim(name=name, summary=(claim.__doc__ or name).strip().splitlines()[0], statement=(
            claim.__doc__ or f"{name}(x) holds for every example x").strip(), source="user", expected=None,
            check=claim, evidence="as decided by the predicate")
    raise InvalidInputError("a claim is a catalogue name, a Claim, a predicate, or a pair (quantity, bound) "
                            f"of callables; got {type(claim).__name__}")


_CATALOGUE = {}


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the catalogue that :func:`audit` looks names up in (returns it)."""
    _CATALOGUE[claim.name] = claim
    return claim


def catalogue() -> dict:
    """The named claims, by name (a copy)."""
    return dict(_CATALOGUE)


def _catalogue_lookup(name: str) -> Claim:
    if name not in _CATALOGUE:
        raise InvalidInputError(f"unknown claim {name!r}; known claims: {', '.join(sorted(_CATALOGUE))}")
    return _CATALOGUE[name]


def _normalise(outcome) -> Check:
    if isinstance(outcome, Check):
        return outcome
    if isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[1], dict):
        return Check(bool(outcome[0]), dict(outcome[1]))
    if isinstance(outcome, (bool, Integral)) or outcome is None or hasattr(outcome, "__bool__"):
        if outcome is None:
            raise InvalidInputError("the predicate returned None; it must return True or False")
        return Check(bool(outcome))
    raise InvalidInputError(f"the predicate returned {type(outcome).__name__}; it must return True or False")


class _Refuted(Exception):
    """Raised inside the search when an example refutes the claim (hypothesis then shrinks it)."""


class _Raised(Exception):
    """Raised inside the search when the predicate itself raised on an example."""


_BLOB = re.compile(r"@reproduce_failure\((.*?)\)")


@dataclass(frozen=True)
class AuditResult(LatexDisplay):
    """The outcome of :func:`audit`.

    ``verdict`` is ``"counterexample"`` (``counterexample`` holds the shrunk example
    and ``data`` what shows the claim false there), ``"none found"`` (no counterexample
    in ``examples_tried`` cases: not a proof) or ``"error"`` (the predicate raised on the
    example in ``counterexample``; ``error`` says what). ``examples_tried`` counts the
    examples checked up to the first counterexample (all of them otherwise);
    ``evaluations`` also counts the checks made while shrinking. ``reproduction`` is
    hypothesis's ``@reproduce_failure`` blob; the audit is also reproducible from ``seed``.
    """

    claim: str
    statement: str
    verdict: str
    examples_tried: int
    evaluations: int
    seed: int
    max_examples: int
    counterexample: object = None
    data: dict = field(default_factory=dict)
    error: str | None = None
    reproduction: str | None = None
    expected: str | None = None
    evidence: str = "exact"
    source: str = "user"
    prove: str | None = None  # the certificate kind of the claim (A1..A5, B), for the prove hint

    @property
    def prove_hint(self) -> str | None:
        """``then try `symstab prove KIND` on this case`` where the claim has a certificate kind (not after an error)."""
        return None if self.verdict == "error" else prove_hint(self.prove)

    @property
    def as_expected(self) -> bool | None:
        """Whether the verdict is the catalogue's expected one (None for user claims)."""
        return None if self.expected is None else self.verdict == self.expected

    def summary_line(self) -> str:
        if self.verdict == "counterexample":
            return f"counterexample found after {self.examples_tried} examples (shrunk; {self.evidence})"
        if self.verdict == "error":
            return f"the predicate raised on an example: {self.error}"
        return f"no counterexample in {self.examples_tried} cases (not a proof)"

    def to_dict(self) -> dict:
        counter = None
        if self.counterexample is not None or self.verdict != "none found":
            counter = {"example": jsonable(self.counterexample), "data": jsonable(self.data)}
        return {"claim": self.claim, "verdict": self.verdict, "examples_tried": self.examples_tried,
                "seed": self.seed, "counterexample": counter, "expected": self.expected,
                "statement": self.statement, "source": self.source, "evidence": self.evidence,
                "evaluations": self.evaluations, "max_examples": self.max_examples,
                "reproduction": self.reproduction, "error": self.error, "summary": self.summary_line(),
                "prove_hint": self.prove_hint}

    def latex_formula(self) -> str:
        """Math mode: the verdict and the counterexample (for Jupyter)."""
        head = math_text(f"audit of {self.claim}: {self.summary_line()}")
        if self.verdict == "none found" or self.counterexample is None:
            return head
        return head + r"\\ " + latex_value(self.counterexample)

    def latex(self) -> str:
        """A LaTeX fragment: the claim, the verdict, and the shrunk counterexample with its data."""
        lines = [r"\paragraph{Audit of \texttt{" + _latex_text(self.claim) + "}.} " + _latex_text(self.statement), ""]
        if self.verdict == "counterexample":
            lines.append(r"\textbf{Counterexample} (" + _latex_text(self.evidence) + f", found after "
                         f"{self.examples_tried} examples, seed {self.seed}, shrunk by hypothesis):")
            lines.append(r"\begin{itemize}")
            lines.extend(_latex_items(self.counterexample))
            lines.extend(_latex_items(self.data))
            lines.append(r"\end{itemize}")
        elif self.verdict == "error":
            lines.append(r"\textbf{The claim raised} on an example: " + _latex_text(self.error or "")
                         + r"\begin{itemize}" + "\n".join(_latex_items(self.counterexample)) + r"\end{itemize}")
        else:
            lines.append(r"\textbf{No counterexample} in " + f"{self.examples_tried} cases (seed {self.seed}). "
                         "This is a search, not a proof.")
        if self.prove_hint:
            k = self.prove
            lines.extend(["", rf"Then try \texttt{{symstab prove {k}}} on this case (result {k} has certificates "
                              rf"accepted by the independent checker \texttt{{symstab check}}; "
                              rf"\texttt{{symstab prove {k} --list}} shows its stated cases)."])
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [f"audit of {self.claim}: {self.summary_line()}", f"  claim: {self.statement}"]
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.verdict != "none found":
            lines.append(f"  example: {jsonable(self.counterexample)}")
            for k, v in self.data.items():
                lines.append(f"  {k}: {jsonable(v)}")
        lines.append(f"  seed {self.seed}; {self.evaluations} evaluations in all")
        if self.reproduction:
            lines.append(f"  reproduce: @reproduce_failure({self.reproduction})")
        if self.prove_hint:
            lines.append(f"  {self.prove_hint}")
        return "\n".join(lines)


def _throw(kind: str, error) -> None:
    """Raise the audit's failure from one place: hypothesis tells failures apart by where they are raised,
    so a replayed known failure must come from the same line as the first one (else FlakyFailure)."""
    raise (_Raised(error) if kind == "error" else _Refuted())


def _latex_text(text: str) -> str:
    return latex_text(text)  # keeps $...$ math, escapes the prose (no < or > in text mode)


def _latex_items(value) -> list:
    if isinstance(value, dict):
        return [r"\item " + _latex_text(str(k)) + ": $" + latex_value(v) + "$" for k, v in value.items()]
    return [r"\item $" + latex_value(value) + "$"]


def audit(claim, over: SearchStrategy | None = None, *, max_examples: int | None = None, seed: int = 0,
          tolerance: float = DEFAULT_TOLERANCE, shrink_budget: int = DEFAULT_SHRINK_BUDGET,
          shrink: bool = True) -> AuditResult:
    """Search ``over`` for a counterexample to ``claim``; shrink the first one found.

    Parameters
    ----------
    claim : str, Claim, callable or (callable, callable)
        A catalogue name (see :func:`symstab.audits.catalogue`), a :class:`Claim`, a
        predicate ``example -> bool`` (or ``-> (bool, data dict)`` or :class:`Check`), or a
        pair ``(quantity, bound)`` claiming ``quantity(x) <= bound(x)``: compared exactly
        when both are exact numbers, otherwise in floats with ``tolerance``.
    over : hypothesis SearchStrategy, optional
        The examples (e.g. from :mod:`symstab.strategies`); a catalogue claim has its own.
    max_examples : int, optional
        How many examples to try (the catalogue claim's default, else 50).
    seed : int
        The search is reproducible from it.
    tolerance : float
        Relative tolerance of a numerical ``(quantity, bound)`` comparison.
    shrink_budget : int
        At most this many checks while shrinking; after that hypothesis finishes with the
        simplest counterexample found so far (deterministic, so the seed still reproduces it).
    shrink : bool
        False skips shrinking: the first counterexample of the search is returned as found
        (the search itself, and so the verdict, is the same as with shrinking).

    Returns
    -------
    AuditResult

    Raises
    ------
    InvalidInputError
        An unknown claim name, a missing strategy, bad ``max_examples`` or ``seed``,
        or a strategy that yields no valid example.

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> r = audit(lambda n: n * n != 2 * n, over=st.integers(1, 100), seed=0)
    >>> r.verdict, r.counterexample
    ('counterexample', 2)
    >>> audit((abs, lambda n: 100), over=st.integers(-100, 100)).summary_line()
    'no counterexample in 50 cases (not a proof)'
    """
    entry = _as_claim(claim, tolerance)
    strategy = over if over is not None else (entry.strategy() if entry.strategy is not None else None)
    if strategy is None:
        raise InvalidInputError(f"claim {entry.name!r} has no default examples: pass over=<a hypothesis strategy>")
    if not isinstance(strategy, SearchStrategy):
        raise InvalidInputError(f"over must be a hypothesis strategy, got {type(strategy).__name__}")
    seed = check_seed(seed)
    n = entry.max_examples if max_examples is None else max_examples
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise InvalidInputError(f"max_examples must be a positive integer, got {max_examples!r}")
    state = {"tried": 0, "calls": 0, "found": False, "last": None, "shrinks": 0}
    known = {}  # failing examples by their printed form: replayed without re-checking once the budget is spent

    def fail(kind, example, data, error):
        state["found"] = True
        state["last"] = (kind, example, data, error)
        known[key] = state["last"]
        _throw(kind, error)

    def test(example):
        nonlocal key
        key = repr(jsonable(example))
        if state["found"]:
            state["shrinks"] += 1
            if state["shrinks"] > shrink_budget:  # shrinking stops: only known failures still fail
                if key in known:
                    state["last"] = known[key]
                    _throw(known[key][0], known[key][3])
                return
        state["calls"] += 1
        if not state["found"]:
            state["tried"] += 1
        try:
            outcome = _normalise(entry.check(example))
        except HypothesisException:
            raise
        except Exception as err:  # the predicate's own failure on this example
            fail("error", example, {}, f"{type(err).__name__}: {err}".splitlines()[0])
        if not outcome.holds:
            fail("counterexample", example, outcome.data, None)

    key = None
    run = settings(max_examples=int(n), database=None, deadline=None, derandomize=False, print_blob=True,
                   report_multiple_bugs=False, verbosity=Verbosity.quiet,
                   suppress_health_check=list(HealthCheck),
                   # no explain phase: it re-runs variations of the shrunk example for notes that are not shown
                   phases=[p for p in Phase if p is not Phase.explain and (shrink or p is not Phase.shrink)])(
        given(strategy)(test))
    run = hypothesis_seed(seed)(run)
    blob = None
    try:
        run()
    except (_Refuted, _Raised) as err:
        notes = "\n".join(getattr(err, "__notes__", []))
        match = _BLOB.search(notes)
        blob = match.group(1) if match else None
    except Unsatisfiable:
        raise InvalidInputError(f"the strategy for {entry.name!r} produced no valid example "
                                f"in {n} attempts") from None
    if state["last"] is None:
        verdict, example, data, error = "none found", None, {}, None
    else:
        verdict, example, data, error = state["last"]
    return AuditResult(claim=entry.name, statement=entry.statement, verdict=verdict,
                       examples_tried=state["tried"], evaluations=state["calls"], seed=seed,
                       max_examples=int(n), counterexample=example, data=dict(data), error=error,
                       reproduction=blob, expected=entry.expected, evidence=entry.evidence, source=entry.source,
                       prove=entry.prove)
