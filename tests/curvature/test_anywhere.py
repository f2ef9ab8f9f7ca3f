"""The landscape anywhere (loss, gradient, Hessian of any student) against independent
routes: exact polynomial expansion, SymPy on the erf closed form, finite differences of the
loss, Monte Carlo; its parts, its operator, and the optimum as a special case."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

import symhess
from symhess import Landscape
from symhess.errors import SymhessError

from ..landscape_oracles import landscape_monte_carlo, polynomial_landscape, sympy_hessian_small


def _rational(rng, shape, den=16, top=16):
    vals = [Fraction(int(x), den) for x in rng.integers(-top, top + 1, size=int(np.prod(shape)))]
    return np.array(vals, dtype=object).reshape(shape)


def _poly_text(coeffs) -> str:
    return " + ".join(f"({c.numerator}/{c.denominator})*z**{n}" for n, c in enumerate(coeffs))


def _random_poly(rng, degree):
    coeffs = [Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 8))) for _ in range(degree)]
    coeffs.append(Fraction(int(rng.choice([-3, -2, -1, 1, 2, 3])), int(rng.integers(1, 5))))
    if coeffs[0] == 0:
        coeffs[0] = Fraction(1, 3)  # keep the constant term in play
    return coeffs


CASES = [  # (seed, degree, d, h_t, h_s): different widths, d <= 4, degree <= 4
    (1, 1, 2, 1, 3),
    (2, 2, 3, 2, 1),
    (3, 2, 4, 3, 2),
    (4, 3, 1, 2, 4),
    (5, 3, 3, 1, 2),
    (6, 3, 4, 4, 2),
    (7, 4, 2, 3, 1),
    (8, 4, 3, 2, 4),
    (9, 4, 4, 1, 3),
    (10, 4, 4, 3, 4),
]


@pytest.mark.parametrize(("seed", "degree", "d", "ht", "hs"), CASES)
def test_polynomial_landscape_matches_expansion(seed, degree, d, ht, hs):
    rng = np.random.default_rng(seed)
    coeffs = _random_poly(rng, degree)
    Wt, vt = _rational(rng, (ht, d)), _rational(rng, (ht,))
    W, v = _rational(rng, (hs, d)), _rational(rng, (hs,))
    L0, g0, H0 = polynomial_landscape(coeffs, W, v, Wt, vt)
    ls = Landscape(_poly_text(coeffs), Wt, vt)
    # exact rationals: identical
    assert ls.loss(W, v, system="fraction") == L0
    assert (ls.gradient(W, v, system="fraction") == g0).all()
    assert (ls.hessian(W, v, system="fraction") == H0).all()
    # float64: 1e-11 relative to the largest entry
    Wf, vf = W.astype(float), v.astype(float)
    lsf = Landscape(_poly_text(coeffs), Wt.astype(float), vt.astype(float))
    H = lsf.hessian(Wf, vf)
    H0f = H0.astype(float)
    assert np.array_equal(H, H.T)
    assert np.max(np.abs(H - H0f)) <= 1e-11 * np.max(np.abs(H0f))
    g = lsf.gradient(Wf, vf)
    assert np.max(np.abs(g - g0.astype(float))) <= 1e-11 * max(np.max(np.abs(g0.astype(float))), 1)
    assert abs(lsf.loss(Wf, vf) - float(L0)) <= 1e-11 * max(abs(float(L0)), 1)


def test_mpmath_system_matches_exact():
    rng = np.random.default_rng(11)
    coeffs = _random_poly(rng, 4)
    Wt, vt, W, v = (
        _rational(rng, (2, 3)),
        _rational(rng, (2,)),
        _rational(rng, (3, 3)),
        _rational(rng, (3,)),
    )
    _, _, H0 = polynomial_landscape(coeffs, W, v, Wt, vt)
    with mpmath.workdps(40):
        H = Landscape(_poly_text(coeffs), Wt, vt).hessian(W, v, system="mpmath")
        err = max(
            abs(H[a, b] - mpmath.mpf(H0[a, b].numerator) / H0[a, b].denominator)
            for a in range(H.shape[0])
            for b in range(H.shape[1])
        )
        assert err < mpmath.mpf(10) ** -35


def test_oracle_against_full_sympy_hessian():
    """The expansion oracle itself against sympy.hessian of L as one polynomial."""
    rng = np.random.default_rng(12)
    coeffs = [Fraction(1, 2), Fraction(1), Fraction(-1, 3), Fraction(1, 4)]
    Wt, vt, W, v = (
        _rational(rng, (1, 2)),
        _rational(rng, (1,)),
        _rational(rng, (2, 2)),
        _rational(rng, (2,)),
    )
    a = polynomial_landscape(coeffs, W, v, Wt, vt)
    b = sympy_hessian_small(coeffs, W, v, Wt, vt)
    assert a[0] == b[0] and (a[1] == b[1]).all() and (a[2] == b[2]).all()


# ----------------------------------------------------------------------------- smooth
def _point(seed, d=2, ht=3, hs=2):
    rng = np.random.default_rng(seed)
    Wt = rng.normal(size=(ht, d)) / np.sqrt(d)
    vt = rng.normal(size=ht) / np.sqrt(ht)
    W = rng.normal(size=(hs, d)) / np.sqrt(d)
    v = rng.normal(size=hs) / np.sqrt(hs)
    return Wt, vt, W, v


def _fd_hessian_of_loss(ls, theta, e):
    P = theta.size
    eye = np.eye(P)
    L = lambda t: ls.loss(*ls.split(t))  # noqa: E731
    H = np.empty((P, P))
    for a in range(P):
        for b in range(a, P):
            H[a, b] = H[b, a] = (
                L(theta + e * (eye[a] + eye[b]))
                - L(theta + e * (eye[a] - eye[b]))
                - L(theta - e * (eye[a] - eye[b]))
                + L(theta - e * (eye[a] + eye[b]))
            ) / (4 * e * e)
    return H


@pytest.mark.parametrize(
    ("act", "tol_g", "tol_h"), [("erf(z)", 1e-9, 1e-8), ("tanh(z)", 1e-9, 1e-7)]
)
def test_smooth_against_finite_differences(act, tol_g, tol_h):
    """Central differences of .loss: gradient step 1e-5; Hessian four-point rule at steps
    2e-3 and 1e-3 with Richardson extrapolation (error O(e^4) + rounding/e^2)."""
    Wt, vt, W, v = _point(21)
    ls = Landscape(act, Wt, vt)
    theta = np.concatenate([W.ravel(), v])
    P = theta.size
    e = 1e-5
    L = lambda t: ls.loss(*ls.split(t))  # noqa: E731
    gfd = np.array(
        [(L(theta + e * np.eye(P)[a]) - L(theta - e * np.eye(P)[a])) / (2 * e) for a in range(P)]
    )
    g = ls.gradient(W, v)
    assert np.max(np.abs(g - gfd)) <= tol_g * np.max(np.abs(g))
    Hfd = (4 * _fd_hessian_of_loss(ls, theta, 1e-3) - _fd_hessian_of_loss(ls, theta, 2e-3)) / 3
    H = ls.hessian(W, v)
    assert np.max(np.abs(H - Hfd)) <= tol_h * np.max(np.abs(H))


def _erf_derivs(z):
    e = np.exp(-z * z) * 2 / np.sqrt(np.pi)
    return scipy.special.erf(z), e, -2 * z * e


def _tanh_derivs(z):
    t = np.tanh(z)
    s = 1 - t * t
    return t, s, -2 * t * s


@pytest.mark.parametrize(("act", "derivs"), [("erf(z)", _erf_derivs), ("tanh(z)", _tanh_derivs)])
def test_smooth_against_monte_carlo(act, derivs):
    """2e6 samples; every entry of loss, gradient and Hessian within 5 standard errors."""
    Wt, vt, W, v = _point(22)
    ls = Landscape(act, Wt, vt)
    (Lm, Ls), (gm, gs), (Hm, Hs) = landscape_monte_carlo(derivs, W, v, Wt, vt, n=2_000_000, seed=5)
    assert abs(ls.loss(W, v) - Lm) <= 5 * Ls
    assert np.all(np.abs(ls.gradient(W, v) - gm) <= 5 * gs)
    assert np.all(np.abs(ls.hessian(W, v) - Hm) <= 5 * Hs)


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("act", ["z + z**2/2", "erf(z)", "tanh(z)", "1 - z + z**3/3 + z**4/5"])
def test_parts_and_operator(act):
    Wt, vt, W, v = _point(31, d=4, ht=2, hs=3)
    ls = Landscape(act, Wt, vt)
    H = ls.hessian(W, v)
    G = ls.hessian(W, v, part="gauss-newton")
    R = ls.hessian(W, v, part="residual")
    assert np.array_equal(H, H.T) and np.array_equal(G, G.T) and np.array_equal(R, R.T)
    assert np.array_equal(G + R, H)
    lam = np.linalg.eigvalsh(G)
    assert lam.min() >= -G.shape[0] * np.finfo(float).eps * lam.max()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(H.shape[0], 4))
    for part, M in (("full", H), ("gauss-newton", G), ("residual", R)):
        op = ls.operator(W, v, part=part)
        assert np.max(np.abs(op @ X - M @ X)) <= 1e-12 * np.max(np.abs(M @ X))
        assert np.max(np.abs(op.matvec(X[:, 0]) - M @ X[:, 0])) <= 1e-12 * np.max(np.abs(M @ X))


@pytest.mark.parametrize("act", ["z + z**2/2", "erf(z)", "tanh(z)"])
def test_at_teacher_reproduces_symhess(act):
    Wt, vt, _, _ = _point(41, d=3, ht=3)
    ls = Landscape(act, Wt, vt)
    H0 = symhess.hessian(act, Wt, vt)
    H = ls.hessian(Wt, vt)
    scale = np.max(np.abs(H0))
    assert np.max(np.abs(H - H0)) <= 1e-14 * scale
    assert np.max(np.abs(ls.hessian(Wt, vt, part="residual"))) <= 1e-14 * scale
    assert np.max(np.abs(ls.gradient(Wt, vt))) <= 1e-14 * scale
    assert abs(ls.loss(Wt, vt)) <= 10 * ls.loss_floor(Wt, vt)


def test_at_teacher_exact():
    rng = np.random.default_rng(42)
    Wt, vt = _rational(rng, (3, 2)), _rational(rng, (3,))
    act = "1/2 + z - z**2/3 + z**3/4"
    ls = Landscape(act, Wt, vt)
    assert ls.loss(Wt, vt, system="fraction") == 0
    assert all(x == 0 for x in ls.gradient(Wt, vt, system="fraction"))
    assert (
        ls.hessian(Wt, vt, system="fraction") == symhess.hessian(act, Wt, vt, system="fraction")
    ).all()


def _wider_points(Wt, vt, rng, exact):
    """Students computing the teacher's function: zeroed extra neurons, a split neuron."""
    ht, d = Wt.shape
    if exact:
        extra = _rational(rng, (2, d))
        zero = np.array([Fraction(0)] * 2, dtype=object)
        third = Fraction(1, 3)
    else:
        extra = rng.normal(size=(2, d))
        zero = np.zeros(2)
        third = 1 / 3
    zeroed = (np.concatenate([Wt, extra]), np.concatenate([vt, zero]))
    split = (
        np.concatenate([Wt, Wt[:1]]),
        np.concatenate([vt[:1] * third, vt[1:], vt[:1] * (1 - third)]),
    )
    return {"zeroed": zeroed, "split": split}


def test_residual_vanishes_where_student_equals_teacher_exact():
    rng = np.random.default_rng(51)
    Wt, vt = _rational(rng, (2, 3)), _rational(rng, (2,))
    ls = Landscape("1/3 + z + z**2/2 - z**3/5 + z**4/7", Wt, vt)
    for name, (W, v) in _wider_points(Wt, vt, rng, exact=True).items():
        assert ls.loss(W, v, system="fraction") == 0, name
        assert all(x == 0 for x in ls.gradient(W, v, system="fraction")), name
        assert all(x == 0 for x in ls.hessian(W, v, part="residual", system="fraction").ravel()), (
            name
        )


@pytest.mark.parametrize("act", ["erf(z)", "tanh(z)", "z + z**2/2"])
def test_residual_vanishes_where_student_equals_teacher_float(act):
    rng = np.random.default_rng(52)
    Wt, vt, _, _ = _point(52, d=3, ht=2)
    ls = Landscape(act, Wt, vt)
    for name, (W, v) in _wider_points(Wt, vt, rng, exact=False).items():
        H = ls.hessian(W, v)
        R = ls.hessian(W, v, part="residual")
        assert np.max(np.abs(R)) <= 1e-14 * np.max(np.abs(H)), name
        assert np.max(np.abs(ls.gradient(W, v))) <= 1e-14 * np.max(np.abs(H)), name


def test_bad_input():
    Wt, vt, W, v = _point(61, d=3)
    ls = Landscape("erf(z)", Wt, vt)
    with pytest.raises(SymhessError, match="columns"):
        ls.hessian(W[:, :2], v)
    with pytest.raises(SymhessError, match="no hidden units"):
        ls.gradient(np.zeros((0, 3)), np.zeros(0))
    bad = W.copy()
    bad[0, 0] = np.nan
    with pytest.raises(SymhessError, match="NaN"):
        ls.loss(bad, v)
    with pytest.raises(SymhessError, match="part"):
        ls.hessian(W, v, part="gn")
    with pytest.raises(SymhessError, match="fraction"):
        ls.hessian(W, v, system="fraction")


def test_erf_against_symbolic_differentiation_of_k00():
    """Route (a): L written with the closed-form K00 = (2/pi) asin(2c / sqrt((1+2a)(1+2b)))
    of every pair (self pairs with c = a = |w_i|^2 as SymPy sees them), differentiated twice
    by SymPy, evaluated at 40 digits; the landscape's mpmath Hessian (route (b): Stein, K40)
    agrees to 1e-30."""
    import sympy

    d, hs = 2, 2
    rng = np.random.default_rng(71)
    Wt, vt = _rational(rng, (2, d)), _rational(rng, (2,))
    W, v = _rational(rng, (hs, d)), _rational(rng, (hs,))
    Ws = sympy.Matrix(hs, d, lambda i, j: sympy.Symbol(f"W{i}_{j}"))
    vs = sympy.symbols(f"v0:{hs}")
    R = lambda q: sympy.Rational(q.numerator, q.denominator)  # noqa: E731

    def k00(x, y):
        a, b, c = x.dot(x), y.dot(y), x.dot(y)
        return 2 / sympy.pi * sympy.asin(2 * c / sympy.sqrt((1 + 2 * a) * (1 + 2 * b)))

    rows = [Ws.row(i) for i in range(hs)]
    trows = [sympy.Matrix([[R(x) for x in Wt[k]]]) for k in range(len(Wt))]
    L = sum(vs[i] * vs[k] * k00(rows[i], rows[k]) for i in range(hs) for k in range(hs)) / 2
    L -= sum(vs[i] * R(vt[k]) * k00(rows[i], trows[k]) for i in range(hs) for k in range(len(Wt)))
    params = list(Ws) + list(vs)
    point = {Ws[i, j]: R(W[i, j]) for i in range(hs) for j in range(d)}
    point.update({vs[i]: R(v[i]) for i in range(hs)})
    grad = [sympy.diff(L, p) for p in params]
    with mpmath.workdps(40):
        H = Landscape("erf(z)", Wt, vt).hessian(W, v, system="mpmath")
        g = Landscape("erf(z)", Wt, vt).gradient(W, v, system="mpmath")
        for a, ga in enumerate(grad):
            assert abs(mpmath.mpf(sympy.N(ga.subs(point), 45)) - g[a]) < mpmath.mpf(10) ** -30
            for b in range(a, len(params)):
                want = mpmath.mpf(sympy.N(sympy.diff(ga, params[b]).subs(point), 45))
                assert abs(want - H[a, b]) < mpmath.mpf(10) ** -30


@settings(max_examples=25, deadline=None)
@given(
    degree=st.integers(1, 5),
    d=st.integers(1, 4),
    ht=st.integers(1, 3),
    hs=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_parts_sum_and_operator_for_any_size(degree, d, ht, hs, seed):
    """For every polynomial and size: H = G + R bit for bit, all exactly symmetric, and the
    operator equals the dense matrix on random vectors."""
    rng = np.random.default_rng(seed)
    coeffs = rng.normal(size=degree + 1)
    coeffs[-1] = 1.0
    Wt, vt = rng.normal(size=(ht, d)) / np.sqrt(d), rng.normal(size=ht)
    W, v = rng.normal(size=(hs, d)) / np.sqrt(d), rng.normal(size=hs)
    ls = Landscape(list(coeffs), Wt, vt)
    H, G, R = (ls.hessian(W, v, part=p) for p in ("full", "gauss-newton", "residual"))
    assert np.array_equal(G + R, H) and np.array_equal(H, H.T) and np.array_equal(R, R.T)
    X = rng.normal(size=(H.shape[0], 3))
    ref = H @ X
    assert np.max(np.abs(ls.operator(W, v) @ X - ref)) <= 1e-12 * max(np.max(np.abs(ref)), 1e-300)


def test_quadrature_landscape_reports_its_error_bound():
    Wt, vt, W, v = _point(81, d=3, ht=2, hs=3)
    ls = Landscape("tanh(z)", Wt, vt)
    err = ls.hessian_error(W, v)
    assert 0 < err < 1e-10 * np.max(np.abs(ls.hessian(W, v)))
    assert ls.last_kernel_error > 0 and any("quadrature" in line for line in ls.notes())
    assert Landscape("erf(z)", Wt, vt).hessian_error(W, v) == 0.0


def test_population_loss_is_the_landscape():
    """dynamics.PopulationLoss is a view of Landscape: the same numbers, one formula."""
    from symhess.dynamics import PopulationLoss

    t = symhess.sample_teacher(3, 2, seed=1)
    rng = np.random.default_rng(2)
    W, v = t.W + 0.2 * rng.normal(size=t.W.shape), t.v + 0.2 * rng.normal(size=2)
    pl = PopulationLoss(symhess.resolve("erf(z)"), t)
    L, gW, gv, floor = pl.value_and_gradient(W, v)
    ls = Landscape("erf(z)", t.W, t.v)
    assert L == ls.loss(W, v)
    assert np.array_equal(np.concatenate([gW.ravel(), gv]), ls.gradient(W, v))
    assert floor == ls.loss_floor(W, v) > 0


def test_old_user_module_works_for_the_landscape(tmp_path):
    """A kernel module generated before extra_kernels: the landscape falls back to run-time
    Isserlis for K40 and gives the same Hessian as the shipped family."""
    import dataclasses

    from symhess.codegen import activation_spec, render

    from symhess.activation import activation
    from symhess.files import atomic_write_text

    source = "1/4 + z - z**2/3 + z**4/5"
    spec = dataclasses.replace(activation_spec(activation(source), "old"), extra_kernels={})
    atomic_write_text(tmp_path / "old.py", render(spec))
    rng = np.random.default_rng(3)
    Wt, vt = _rational(rng, (2, 2)), _rational(rng, (2,))
    W, v = _rational(rng, (3, 2)), _rational(rng, (3,))
    old = Landscape("old", Wt, vt, kernel_dirs=[tmp_path])
    assert "old.py" in old.kernels.origin
    H = old.hessian(W, v, system="fraction")
    assert (H == Landscape(source, Wt, vt).hessian(W, v, system="fraction")).all()
