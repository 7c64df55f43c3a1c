"""The independent checker: re-verify a symstab certificate with nothing but ``fractions``.

A certificate is a versioned JSON file (format ``symstab-certificate``, version 1)
holding a claim about one network (results A1-A5, docs/theory.md) or one SGD problem
(result B2) and the exact witnesses behind it. This module re-derives every object it
needs from the data -- the loss as a polynomial, Hessians at exact points, products of
layers, characteristic polynomials -- and checks every identity and inequality. It
imports nothing from symstab, sympy or flint, so it can be audited on its own: its
whole algebra (polynomials over Q, number fields Q(alpha), Sturm sequences, LDL^T) is
below. ``check_file(path)`` returns ``(True, claim)`` or ``(False, first failure)``;
``symstab check FILE...`` prints ``valid: <claim>`` / ``invalid: <failure>``.
The claim text is rebuilt here from the verified data and must equal the file's.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

__all__ = ["CheckFailed", "check_certificate", "check_file", "second_moment_charpoly", "verified_claim", "FORMAT",
           "VERSION"]

FORMAT, VERSION = "symstab-certificate", 1
_NUM = re.compile(r"-?\d+(/\d+)?\Z")


class CheckFailed(Exception):
    """The first identity or inequality that does not hold."""


def need(cond, what):
    if not cond:
        raise CheckFailed(what)


def num(s) -> Fraction:
    """An exact rational from a string ``"p"`` or ``"p/q"`` (nothing else is accepted)."""
    need(isinstance(s, str) and _NUM.match(s.strip()) and not s.strip().endswith("/0"), f"not an exact number: {s!r}")
    return Fraction(s.strip())


# --------------------------------------------------------------- univariate polynomials over Q (ascending lists)
def trim(p):
    p = list(p)
    while p and p[-1] == 0:
        p.pop()
    return p


def uadd(p, q):
    n = max(len(p), len(q))
    return trim([(p[i] if i < len(p) else 0) + (q[i] if i < len(q) else 0) for i in range(n)])


def umul(p, q):
    if not p or not q:
        return []
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return trim(out)


def udivmod(p, q):
    p, q = trim(p), trim(q)
    need(q, "division by the zero polynomial")
    quo = [Fraction(0)] * max(len(p) - len(q) + 1, 1)
    while len(p) >= len(q) and p:
        c, k = p[-1] / q[-1], len(p) - len(q)
        quo[k] = c
        p = trim([a - c * (q[i - k] if 0 <= i - k < len(q) else 0) for i, a in enumerate(p)])
    return trim(quo), p


def ugcd(p, q):
    p, q = trim(p), trim(q)
    while q:
        p, q = q, udivmod(p, q)[1]
    return [c / p[-1] for c in p] if p else []


def ueval(p, x):
    acc = Fraction(0)
    for c in reversed(p):
        acc = acc * x + c
    return acc


def deriv(p):
    return trim([i * c for i, c in enumerate(p)][1:])


def _sign_at(p, x):  # x = None means +infinity
    v = p[-1] if x is None else ueval(p, x)
    return (v > 0) - (v < 0)


def roots_in(p, lo, hi=None) -> int:
    """Distinct real roots of ``p`` in ``(lo, hi]`` (``hi`` None: ``(lo, oo)``), by Sturm's theorem."""
    p = trim(p)
    need(p and ueval(p, lo) != 0, "a root count needs a non-zero polynomial and a lower end that is not a root")
    if hi is not None and ueval(p, hi) == 0:  # count the root at hi, then deflate it away
        return 1 + roots_in(udivmod(squarefree(p), [-hi, Fraction(1)])[0], lo, hi)
    seq = [p, deriv(p)]
    while seq[-1]:
        seq.append([-c for c in udivmod(seq[-2], seq[-1])[1]])
    def variations(x):
        signs = [s for s in (_sign_at(q, x) for q in seq if q) if s]
        return sum(a != b for a, b in zip(signs, signs[1:]))

    return variations(lo) - variations(hi)


def squarefree(p):
    return udivmod(p, ugcd(p, deriv(p)))[0]


# ------------------------------------------------- the number field Q(alpha), alpha a root of m in (lo, hi)
class Field:
    def __init__(self, data):
        self.m = trim([num(c) for c in data["minimal_polynomial"]])
        self.lo, self.hi = (num(x) for x in data["interval"])
        need(len(self.m) >= 2 and ugcd(self.m, deriv(self.m)) == [1], "the minimal polynomial must be square-free")
        need(self.lo < self.hi, "bad isolating interval")
        need(roots_in(self.m, self.lo, self.hi) == 1, "the interval does not isolate exactly one root")
    def elt(self, coeffs):
        return Alg(self, udivmod([num(c) for c in coeffs], self.m)[1])
    def sign(self, q) -> int:
        """The exact sign of ``q(alpha)``."""
        if not q:
            return 0
        g = ugcd(q, self.m)
        if len(g) > 1 and roots_in(g, self.lo, self.hi) == 1:
            return 0
        lo, hi = self.lo, self.hi
        for _ in range(2000):
            a, b = _interval_eval(q, lo, hi)
            if a > 0 or b < 0:
                return 1 if a > 0 else -1
            mid = (lo + hi) / 2
            if ueval(self.m, mid) == 0:
                return _sign_at(q, mid)
            lo, hi = (lo, mid) if roots_in(self.m, lo, mid) == 1 else (mid, hi)
        raise CheckFailed("could not decide a sign in Q(alpha)")


def _interval_eval(p, lo, hi):
    a = b = Fraction(0)
    for c in reversed(p):
        prods = (a * lo, a * hi, b * lo, b * hi)
        a, b = min(prods) + c, max(prods) + c
    return a, b


class Alg:
    """An element ``q(alpha)`` of a :class:`Field` (``q`` reduced modulo the minimal polynomial)."""

    def __init__(self, field, q):
        self.f, self.q = field, trim(q)
    def _lift(self, o):
        return o.q if isinstance(o, Alg) else trim([Fraction(o)])
    def __add__(self, o):
        return Alg(self.f, uadd(self.q, self._lift(o)))
    __radd__ = __add__
    def __neg__(self):
        return Alg(self.f, [-c for c in self.q])
    def __sub__(self, o):
        return self + (-o if isinstance(o, Alg) else -Fraction(o))
    def __rsub__(self, o):
        return -self + o
    def __mul__(self, o):
        return Alg(self.f, udivmod(umul(self.q, self._lift(o)), self.f.m)[1])
    __rmul__ = __mul__
    def __truediv__(self, o):  # only by rationals and non-zero field elements
        if not isinstance(o, Alg):
            return self * (1 / Fraction(o))
        need(self.f.sign(o.q) != 0, "division by zero in Q(alpha)")
        s, t, r0, r1 = [Fraction(0)], [Fraction(1)], self.f.m, o.q  # extended Euclid: t * o = gcd mod m
        while len(r1) > 1:
            quo, rem = udivmod(r0, r1)
            r0, r1, s, t = r1, rem, t, uadd(s, [-c for c in umul(quo, t)])
        need(r1, "the minimal polynomial is reducible: cannot invert in Q(alpha)")
        return self * Alg(self.f, [c / r1[0] for c in t])
    def sign(self):
        return self.f.sign(self.q)


def sign(x) -> int:
    return x.sign() if isinstance(x, Alg) else (x > 0) - (x < 0)


# ------------------------------------------------- multivariate (Laurent) polynomials over Q: {exponents: c}
class Poly:
    def __init__(self, n, terms=None):
        self.n, self.t = n, {e: c for e, c in (terms or {}).items() if c != 0}
    @staticmethod
    def parse(data, n):
        need(isinstance(data, list), "a polynomial must be a list of [coefficient, exponents] terms")
        out = {}
        for term in data:
            need(isinstance(term, list) and len(term) == 2 and isinstance(term[1], list) and len(term[1]) == n
                 and all(isinstance(e, int) and not isinstance(e, bool) for e in term[1]), f"bad polynomial term {term!r}")
            e = tuple(term[1])
            out[e] = out.get(e, 0) + num(term[0])
        return Poly(n, out)
    def _lift(self, o):
        return o if isinstance(o, Poly) else Poly(self.n, {(0,) * self.n: Fraction(o)})
    def __add__(self, o):
        out = dict(self.t)
        for e, c in self._lift(o).t.items():
            out[e] = out.get(e, 0) + c
        return Poly(self.n, out)
    __radd__ = __add__
    def __neg__(self):
        return Poly(self.n, {e: -c for e, c in self.t.items()})
    def __sub__(self, o):
        return self + (-self._lift(o))
    def __rsub__(self, o):
        return -self + o
    def __mul__(self, o):
        if not isinstance(o, Poly):
            return Poly(self.n, {e: c * o for e, c in self.t.items()})
        out = {}
        for e1, c1 in self.t.items():
            for e2, c2 in o.t.items():
                e = tuple(a + b for a, b in zip(e1, e2))
                out[e] = out.get(e, 0) + c1 * c2
        return Poly(self.n, out)
    __rmul__ = __mul__
    def __truediv__(self, k):
        return self * (1 / Fraction(k))
    def is_zero(self):
        return not self.t
    def constant(self):
        """The value when free of every variable, else None."""
        return None if any(any(e) for e in self.t) else self.t.get((0,) * self.n, Fraction(0))


def poly_of(data, n):
    return Poly.parse(data, n) if isinstance(data, list) else Poly(n) + num(data)


def is_zero(x) -> bool:
    return x.is_zero() if isinstance(x, Poly) else sign(x) == 0 if isinstance(x, Alg) else x == 0


# ------------------------------------------------------------------------------- matrices over any ring
def matmul(A, B):
    return [[sum((A[i][k] * B[k][j] for k in range(len(B))), Fraction(0)) for j in range(len(B[0]))]
            for i in range(len(A))]


def transpose(A):
    return [list(r) for r in zip(*A)]


def eye(n, c=1):
    return [[Fraction(c if i == j else 0) for j in range(n)] for i in range(n)]


def charpoly(A):
    """``det(lam I - A)`` ascending, by Faddeev-LeVerrier (divides only by integers)."""
    n = len(A)
    coeffs, M = [Fraction(1)], eye(n, 0)  # descending: c_n = 1, c_(n-1), ...
    for k in range(1, n + 1):
        M = [[x + (coeffs[-1] if i == j else 0) for j, x in enumerate(row)] for i, row in enumerate(matmul(A, M))]
        AM = matmul(A, M)
        coeffs.append(-sum((AM[i][i] for i in range(n)), Fraction(0)) / k)
    return list(reversed(coeffs))


def rank(A):
    A, r = [[Fraction(x) for x in row] for row in A], 0
    for c in range(len(A[0]) if A else 0):
        p = next((i for i in range(r, len(A)) if A[i][c] != 0), None)
        if p is None:
            continue
        A[r], A[p] = A[p], A[r]
        for i in range(len(A)):
            if i != r and A[i][c] != 0:
                f = A[i][c] / A[r][c]
                A[i] = [a - f * b for a, b in zip(A[i], A[r])]
        r += 1
    return r


def inverse(A):
    n = len(A)
    need(rank(A) == n, "a matrix that must be invertible is singular")
    M = [[Fraction(x) for x in row] + eye(n)[i] for i, row in enumerate(A)]
    for c in range(n):
        p = next(i for i in range(c, n) if M[i][c] != 0)
        M[c], M[p] = M[p], M[c]
        M[c] = [x / M[c][c] for x in M[c]]
        for i in range(n):
            if i != c:
                M[i] = [a - M[i][c] * b for a, b in zip(M[i], M[c])]
    return [row[n:] for row in M]


def is_psd(A) -> bool:
    """Exact LDL^T with symmetric pivoting: every pivot >= 0, and a zero pivot has a zero row."""
    A = [row[:] for row in A]
    need(all(is_zero(A[i][j] - A[j][i]) for i in range(len(A)) for j in range(i)), "a Gram matrix is not symmetric")
    idx = list(range(len(A)))
    while idx:
        k = max(idx, key=lambda i: sign(A[i][i]))
        if sign(A[k][k]) < 0:
            return False
        if sign(A[k][k]) == 0:
            return all(is_zero(A[i][j]) for i in idx for j in idx)
        idx.remove(k)
        for i in idx:
            for j in idx:
                A[i][j] = A[i][j] - A[i][k] * A[k][j] / A[k][k]
    return True


# ----------------------------------------------------------------------------------------- the network
class Network:
    LOSS = {"half": Fraction(1, 2), "sum": Fraction(1)}
    def __init__(self, data):
        self.widths = data["widths"]
        need(isinstance(self.widths, list) and len(self.widths) >= 2
             and all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in self.widths), "bad widths")
        need(data.get("loss") in self.LOSS, f"unsupported loss {data.get('loss')!r}")
        self.c = self.LOSS[data["loss"]]
        self.X = [[num(x) for x in row] for row in data["X"]]
        self.Y = [[num(x) for x in row] for row in data["Y"]]
        n = len(self.X[0])
        need(len(self.X) == self.widths[0] and len(self.Y) == self.widths[-1]
             and all(len(r) == n for r in self.X + self.Y), "X or Y has the wrong shape")
        self.D = sum(a * b for a, b in zip(self.widths, self.widths[1:]))
    def layers(self, theta):
        out, k = [], 0
        for a, b in zip(self.widths, self.widths[1:]):
            out.append([theta[k + i * a:k + (i + 1) * a] for i in range(b)])
            k += a * b
        return out
    def product(self, theta):
        Ws = self.layers(theta)
        mu = Ws[0]
        for W in Ws[1:]:
            mu = matmul(W, mu)
        return mu
    def loss(self, theta):
        R = matmul(self.product(theta), self.X)
        return self.c * sum((e - y) * (e - y) for row, yrow in zip(R, self.Y) for e, y in zip(row, yrow))
    def hessian(self, theta):
        """Exact Hessian at ``theta`` (entries in any ring), from second-order jets of the loss."""
        D = self.D
        jets = [Jet(x, {i: Fraction(1)}, {}) for i, x in enumerate(theta)]
        L = self.loss(jets)
        return [[L.c2.get((min(i, j), max(i, j)), 0) * (2 if i == j else 1) for j in range(D)] for i in range(D)]
    def quadratic_form(self, theta, v):
        """``v^T H(theta) v = 2 [t^2] L(theta + t v)``."""
        return self.loss([Jet(x, {0: d}, {}) for x, d in zip(theta, v)]).c2.get((0, 0), 0) * 2
    def minima(self, data):
        """Check that ``M = {mu(theta) = Wbar}`` is the set of global minima; return Wbar."""
        Wbar = [[num(x) for x in row] for row in data["product"]]
        d0, dH, b = self.widths[0], self.widths[-1], min(self.widths)
        need(len(Wbar) == dH and all(len(r) == d0 for r in Wbar), "the target product has the wrong shape")
        S, YXt = matmul(self.X, transpose(self.X)), matmul(self.Y, transpose(self.X))
        if min(self.widths[1:-1] or [b]) >= min(d0, dH):  # filling: mu ranges over all matrices
            need(matmul(YXt, inverse(S)) == Wbar, "the target product is not Y X^T (X X^T)^-1")
            return Wbar
        s = S[0][0]
        need(S == eye(d0, s) and s > 0, "non-filling certificates need X X^T = s I")
        R = [[a / s - w for a, w in zip(ra, rw)] for ra, rw in zip(YXt, Wbar)]
        zero = lambda A: all(x == 0 for row in A for x in row)  # noqa: E731
        need(rank(Wbar) == b and zero(matmul(transpose(Wbar), R)) and zero(matmul(R, transpose(Wbar))),
             "the target product is not an orthogonal rank-b truncation of the target")
        t_lo, t_hi = num(data["gap"][0]), num(data["gap"][1])
        G = matmul(transpose(Wbar), Wbar)
        G2 = matmul(G, G)
        self.gap = f" (M non-filling: Eckart-Young gap ({t_lo}, {t_hi}))"
        need(t_lo < t_hi and is_psd([[t_lo * (i == j) - x for j, x in enumerate(row)]
                                     for i, row in enumerate(matmul(transpose(R), R))])
             and is_psd([[a - t_hi * g for a, g in zip(ra, rg)] for ra, rg in zip(G2, G)]),
             "the singular-value gap (Eckart-Young) does not hold")
        return Wbar
    def on_M(self, theta, Wbar):
        need(all(is_zero(a - w) for ra, rw in zip(self.product(theta), Wbar) for a, w in zip(ra, rw)),
             "the point is not on M: mu(theta) != target product")


class Jet:
    """Second-order jet ``c0 + sum c1_i t_i + sum_{i<=j} c2_ij t_i t_j`` (truncated products)."""

    def __init__(self, c0, c1, c2):
        self.c0, self.c1, self.c2 = c0, c1, c2
    def _lift(self, o):
        return o if isinstance(o, Jet) else Jet(o, {}, {})
    def __add__(self, o):
        o = self._lift(o)
        c1, c2 = dict(self.c1), dict(self.c2)
        for k, v in o.c1.items():
            c1[k] = c1.get(k, 0) + v
        for k, v in o.c2.items():
            c2[k] = c2.get(k, 0) + v
        return Jet(self.c0 + o.c0, c1, c2)
    __radd__ = __add__
    def __sub__(self, o):
        return self + self._lift(o) * -1
    def __rsub__(self, o):
        return self * -1 + o
    def __mul__(self, o):
        o = self._lift(o)
        c1 = {k: self.c0 * v for k, v in o.c1.items()}
        for k, v in self.c1.items():
            c1[k] = c1.get(k, 0) + o.c0 * v
        c2 = {k: self.c0 * v for k, v in o.c2.items()}
        for k, v in self.c2.items():
            c2[k] = c2.get(k, 0) + o.c0 * v
        for i, a in self.c1.items():
            for j, b in o.c1.items():
                k = (min(i, j), max(i, j))
                c2[k] = c2.get(k, 0) + a * b
        return Jet(self.c0 * o.c0, c1, c2)
    __rmul__ = __mul__


# ------------------------------------------------------------------------- positivity on M (Positivstellensatz)
def sos_value(data, nvars):
    """``sum_k w_k (z^T Q_k z) prod_j q_kj^2`` with ``w_k >= 0`` and each Gram matrix ``Q_k`` PSD."""
    total = Poly(nvars)
    for term in data:
        w = num(term["weight"])
        need(w >= 0, "a sum-of-squares weight is negative")
        value = Poly(nvars) + w
        if "gram" in term:
            basis = [poly_of(p, nvars) for p in term["gram"]["basis"]]
            Q = [[num(x) for x in row] for row in term["gram"]["matrix"]]
            need(len(Q) == len(basis) and all(len(r) == len(basis) for r in Q) and is_psd(Q),
                 "a Gram matrix is not positive semi-definite")
            value = value * sum((basis[i] * basis[j] * Q[i][j] for i in range(len(Q)) for j in range(len(Q))), Poly(nvars))
        for p in term.get("squares", []):
            q = poly_of(p, nvars)
            value = value * q * q
        total = total + value
    return total


def positivity(f, data, gens, nvars, what) -> str:
    """Verify ``m f = c + sigma + sum_j lambda_j g_j`` with ``m = m0 + sigma_m``; return ">= 0" or "> 0" on M."""
    m0, c = num(data["multiplier"]["constant"]), num(data["constant"])
    need(m0 >= 0 and c >= 0 and (m0 > 0 or c > 0), f"{what}: the constants must be >= 0, one of them > 0")
    need(data["multiplier"]["sos"] or m0 == 1, f"{what}: a constant multiplier must be normalised to 1")
    m = sos_value(data["multiplier"]["sos"], nvars) + m0
    lams = data["ideal"]
    need(isinstance(lams, list) and len(lams) == len(gens), f"{what}: one ideal multiplier per equation of M")
    rhs = sos_value(data["sos"], nvars) + c + sum((poly_of(l, nvars) * g for l, g in zip(lams, gens)), Poly(nvars))
    need((m * f - rhs).is_zero(), f"{what}: the identity m f = c + sigma + sum lambda_j g_j does not hold")
    return "> 0" if c > 0 else ">= 0"


# --------------------------------------------------------------------------------------- the claims
def _theta_poly(net):
    return [Poly(net.D, {tuple(int(i == k) for i in range(net.D)): Fraction(1)}) for k in range(net.D)]


def _equations(net, Wbar, theta):
    return [a - w for ra, rw in zip(net.product(theta), Wbar) for a, w in zip(ra, rw)]


def _points(data):
    return [num(x) for x in data]


def _largest_root(p, data, what):
    """Check ``factor | p`` and that its root in ``(lo, hi]`` is the largest real root of ``p``."""
    factor, (lo, hi) = [num(c) for c in data["factor"]], (num(x) for x in data["interval"])
    need(len(factor) >= 2 and not udivmod(p, factor)[1], f"{what}: the factor does not divide the polynomial")
    need(roots_in(factor, lo, hi) == 1 and roots_in(squarefree(p), lo) == 1,
         f"{what}: (lo, hi] does not isolate the largest root")
    return factor, lo, hi


def check_A1(cert, net):
    g = None
    need(len(cert["points"]) == len(cert["charpolys"]) >= 1, "A1: one characteristic polynomial per point")
    for point, given in zip(cert["points"], cert["charpolys"]):
        cp = charpoly(net.hessian(_points(point)))
        need(cp == [num(c) for c in given], "A1: a characteristic polynomial differs from det(lam I - H(theta_k))")
        while cp and cp[0] == 0:
            cp = cp[1:]
        g = cp if g is None else ugcd(g, cp)
    g = [c / g[-1] for c in g]
    need(g == [num(c) for c in cert["gcd"]], "A1: the gcd of the characteristic polynomials differs")
    k = roots_in(g, Fraction(0)) if len(g) > 1 else 0
    need(k == cert["positive_roots"], "A1: the number of positive roots of the gcd differs")
    return ("G_eta is non-singular for every eta > 0" if k == 0 else
            f"G_eta is non-singular for every eta > 0 except possibly eta = 1/lambda at the {k} positive root(s) of the gcd")


def check_A2(cert, net, Wbar):
    theta = _points(cert["point"])
    net.on_M(theta, Wbar)
    b, d0, dH = min(net.widths), net.widths[0], net.widths[-1]
    rows, cols = cert["minor"]["rows"], cert["minor"]["cols"]
    k = b * (d0 + dH - b)
    need(len(rows) == len(cols) == k == cert["rank"], "A2: the minor's size is not the maximal rank of D mu")
    jets = net.product([Jet(x, {i: Fraction(1)}, {}) for i, x in enumerate(theta)])
    J = [[e.c1.get(j, Fraction(0)) for j in range(net.D)] for row in jets for e in row]
    minor = [[J[r][c] for c in cols] for r in rows]
    need(rank(minor) == k and charpoly(minor)[0] * (-1) ** k == num(cert["minor"]["value"]),
         "A2: the minor of D mu vanishes or differs from the stated value")
    return (f"theta is on M, D mu has rank {k} there (minor {cert['minor']['value']}), so M is a smooth manifold of "
            f"dimension {net.D - k} near theta")


def check_A3(cert, net, Wbar):
    if "curve" not in cert:
        theta, k = _theta_poly(net), num(cert["k"])
        f = sum((row[i] for i, row in enumerate(net.hessian(theta))), Poly(net.D)) - sum((x * x for x in theta), Poly(net.D)) * k
        positivity(f, cert["trace_bound"], _equations(net, Wbar, theta), net.D, "A3")
        need(k > 0, "A3: the bound must grow")
        return f"lambda_max(H(theta)) >= tr H / D >= ({k}/{net.D}) ||theta||^2 on M: the sharpness is proper on M"
    curve = [Poly.parse(p, 1) for p in cert["curve"]]
    need(len(curve) == net.D, "A3: the curve has the wrong length")
    net.on_M(curve, Wbar)
    cp = charpoly(net.hessian(curve))
    values = [(Poly(1) + c).constant() for c in cp]
    need(None not in values, "A3: the Hessian's spectrum depends on tau")
    given = [num(c) for c in cert["charpoly"]]
    need(values == given, "A3: the characteristic polynomial differs")
    norm = sum((x * x for x in curve), Poly(1))
    need(norm.constant() is None, "A3: ||theta(tau)|| is bounded along the curve")
    shown = " + ".join(f"{c} tau^{e[0]}" for e, c in sorted(norm.t.items()))
    return (f"along an exact curve theta(tau) in M with ||theta(tau)||^2 = {shown} unbounded, the Hessian's "
            f"characteristic polynomial is constant, {_show(given)}: the sharpness is not proper on M")


def check_A4(cert, net, Wbar):
    theta, eta = _points(cert["point"]), num(cert["eta"])
    need(eta > 0, "A4: eta must be positive")
    net.on_M(theta, Wbar)
    p = charpoly(net.hessian(theta))
    factor, lo, hi = _largest_root(p, cert["lambda_max"], "A4")
    edge, sq = 2 / eta, squarefree(p)
    at_edge = ueval(sq, edge) == 0
    above = roots_in(udivmod(sq, [-edge, Fraction(1)])[0] if at_edge else sq, edge)  # roots > 2/eta
    verdict = "unstable" if above else "marginal" if at_edge else "stable"
    need(verdict == cert["verdict"], f"A4: the verdict is {verdict}, not {cert['verdict']}")
    return f"at the point of M given, with eta = {eta}, the minimum is {verdict}: {_root(factor, lo, hi, 'lambda_max')} 2/eta = {edge}"


def check_A5(cert, net, Wbar):
    lo_data, up_data = cert.get("lower"), cert.get("upper")
    need(lo_data or up_data, "A5: neither end is certified")
    parts, l_star, u = [], None, None
    if lo_data:
        theta, l_star = _theta_poly(net), num(lo_data["l_star"])
        v = [Poly.parse(p, net.D) for p in lo_data["direction"]]
        need(len(v) == net.D, "A5: the direction has the wrong length")
        gens = _equations(net, Wbar, theta)
        norm2 = sum((x * x for x in v), Poly(net.D))
        f = net.quadratic_form(theta, v) - norm2 * l_star
        need(positivity(norm2, lo_data["direction_nonzero"], gens, net.D, "A5 (v != 0)") == "> 0",
             "A5: the direction is not shown non-zero")
        positivity(f, lo_data["rayleigh"], gens, net.D, "A5 (v^T H v >= l* ||v||^2)")
        parts.append(f"lambda_max(H(theta)) >= {l_star} for every theta in M")
    if up_data:
        field = Field(up_data["field"])
        theta, u = [field.elt(c) for c in up_data["point"]], num(up_data["u"])
        need(len(theta) == net.D, "A5: the witness has the wrong length")
        net.on_M(theta, Wbar)
        H = net.hessian(theta)
        need(is_psd([[(u if i == j else 0) - h for j, h in enumerate(row)] for i, row in enumerate(H)]),
             "A5: lambda_max at the witness exceeds u")
        parts.append(f"a point of M (in Q(alpha), alpha the root of {_show(field.m)} in ({field.lo}, {field.hi}]) "
                     f"has lambda_max <= {u}")
    if l_star is not None and l_star == u:
        parts.append(f"so min_M lambda_max = {u} and eta_C = {2 / u} exactly")
    return "; ".join(parts)


def second_moment_charpoly(Hs, B, sampling):
    """``det(lam I - C^-1 D)`` of linearised SGD's second-moment operator on Sym(range H), ascending."""
    n, d = len(Hs), len(Hs[0])
    need(n >= 1 and isinstance(B, int) and not isinstance(B, bool) and 1 <= B <= n, "B: bad batch size")
    need(all(len(H) == d and all(len(r) == d for r in H) and is_psd(H) for H in Hs), "B: Hessians must be PSD d x d")
    alpha, beta = {"bernoulli": (Fraction(1), Fraction(1, B) - Fraction(1, n)),
                   "without_replacement": ((lambda p: (1 - p, p))(Fraction(0) if n == 1 else Fraction(n - B, B * (n - 1)))),
                   "with_replacement": (1 - Fraction(1, B), Fraction(1, B))}[sampling]
    H = [[sum(h[i][j] for h in Hs) / n for j in range(d)] for i in range(d)]
    piv = []  # a basis of range(H): its first independent columns
    for j in range(d):
        if rank([[row[c] for c in piv + [j]] for row in H]) > len(piv):
            piv.append(j)
    r = len(piv)
    need(r > 0, "B: H = 0")
    Ginv, V = inverse([[H[i][j] for j in piv] for i in piv]), [[row[j] for j in piv] for row in H]
    Ms = [matmul(Ginv, matmul([h[i] for i in piv], V)) for h in Hs]  # H_i V = V M_i
    M = [[sum(m[i][j] for m in Ms) / n for j in range(r)] for i in range(r)]
    idx = [(a, b) for a in range(r) for b in range(a, r)]
    C, Dm = [[None] * len(idx) for _ in idx], [[None] * len(idx) for _ in idx]
    for col, (a, b) in enumerate(idx):
        E = [[Fraction(int((i, j) in ((a, b), (b, a)))) for j in range(r)] for i in range(r)]
        ME, EMt = matmul(M, E), matmul(E, transpose(M))
        DE = [[alpha * x for x in row] for row in matmul(ME, transpose(M))]
        for m in Ms:
            DE = [[x + beta / n * y for x, y in zip(rx, ry)] for rx, ry in zip(DE, matmul(matmul(m, E), transpose(m)))]
        for row, (i, j) in enumerate(idx):
            C[row][col], Dm[row][col] = (ME[i][j] + EMt[i][j]) / 2, DE[i][j]
    return charpoly(matmul(inverse(C), Dm))


def check_B(cert):
    Hs = [[[num(x) for x in row] for row in H] for H in cert["hessians"]]
    n, B, sampling = len(Hs), cert["batch"], cert["sampling"]
    p = second_moment_charpoly(Hs, B, sampling)
    need(p == [num(c) for c in cert["charpoly"]], "B: the characteristic polynomial of C^-1 D differs")
    factor, lo, hi = _largest_root(p, cert["rho"], "B")
    need(lo >= 0, "B: the interval must be non-negative")
    exact = f": eta* = {2 * factor[1] / -factor[0]}" if len(factor) == 2 else f", eta* in [{2 / hi}, {'oo' if lo == 0 else 2 / lo})"
    return (f"the second moment of linearised SGD (n = {n}, B = {B}, {sampling}) decays iff eta < eta* = 2/rho, "
            f"{_root(factor, lo, hi, 'rho')} the largest root of det(lam C - D){exact}")


def _show(p) -> str:
    """``x^2 - 3 x + 1``: a polynomial, highest degree first."""
    mono = lambda i: "" if i == 0 else "x" if i == 1 else f"x^{i}"  # noqa: E731
    text = " ".join(f"{'-' if c < 0 else '+'} {'' if abs(c) == 1 and i else abs(c)}{' ' if abs(c) != 1 and i else ''}{mono(i)}"
                    for i, c in reversed(list(enumerate(p))) if c)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _root(factor, lo, hi, name) -> str:
    value = f" = {-factor[0] / factor[1]}" if len(factor) == 2 else ""
    return f"{name}{value} is the root of {_show(factor)} in ({lo}, {hi}],"


def check_certificate(cert) -> str:
    """Verify one certificate (a dict); return its claim, or raise :class:`CheckFailed`."""
    claim = verified_claim(cert)
    need(cert.get("claim") == claim, f"the stated claim differs from what was verified: {claim}")
    return claim


def verified_claim(cert) -> str:
    """Verify every identity and inequality of ``cert``; return the claim they establish (its text ignored)."""
    need(isinstance(cert, dict) and cert.get("format") == FORMAT, "not a symstab certificate")
    need(cert.get("version") == VERSION, f"unsupported certificate version {cert.get('version')!r}")
    kind = cert.get("result")
    try:
        if kind == "B":
            claim = "B: " + check_B(cert)
        else:
            need(kind in ("A1", "A2", "A3", "A4", "A5"), f"unknown result {kind!r}")
            net = Network(cert["network"])
            if kind == "A1":
                body = check_A1(cert, net)
            else:
                Wbar = net.minima(cert["minima"])
                body = {"A2": check_A2, "A3": check_A3, "A4": check_A4, "A5": check_A5}[kind](cert, net, Wbar)
            claim = f"{kind} for widths ({','.join(map(str, net.widths))}){getattr(net, 'gap', '')}: {body}"
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as err:
        raise CheckFailed(f"malformed certificate ({type(err).__name__}: {err})") from None
    return claim


def check_file(path):
    """``(True, claim)`` when the certificate in ``path`` is valid, else ``(False, first failure)``."""
    try:
        with open(path, encoding="utf-8") as fh:
            cert = json.load(fh)
        return True, check_certificate(cert)
    except CheckFailed as err:
        return False, str(err)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        return False, f"unreadable certificate ({type(err).__name__}: {err})"
