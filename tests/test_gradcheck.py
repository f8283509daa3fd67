"""gradcheck, hessian and hvp (audit D #1-5, #9, #10): the Jacobian entry by entry, NaN/Inf,
the worst entry, grad mode, argument checks, which inputs and outputs are checked."""

import re

import numpy as np
import pytest
from conftest import t64

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F


def failure(fn, inputs, **kw):
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(fn, inputs, **kw)
    return str(info.value)


def reported(message):
    """(output entry, input entry, analytic, numeric) from a gradcheck failure message."""
    m = re.search(r"at d (.*?) / d (.*?): analytic (\S+) vs numeric (\S+?),", message)
    assert m, message
    return m[1], m[2], float(m[3]), float(m[4])


# ---------------------------------------------------------------- #1 NaN / Inf
def test_nan_analytic_gradient_fails():
    """The where-NaN trap: the tape's gradient is NaN, the function's slope is 1."""
    x = t64([1.0, 2.0])
    f = lambda x: tg.where(x > 0, x, (x * 0 - 1).sqrt()).sum()  # noqa: E731
    with np.errstate(invalid="ignore"):
        assert np.isnan(tg.grad(f(x), x)[0].numpy()).all()
        msg = failure(f, x)
    _, _, a, n = reported(msg)
    assert np.isnan(a) and n == pytest.approx(1.0) and "not finite" in msg


def test_inf_analytic_against_nan_numeric_fails():
    """d√x/dx at 0 is +inf on the tape; the central difference needs √(−ε): NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        msg = failure(lambda x: x.sqrt().sum(), t64([0.0, 1.0]))
    assert reported(msg)[1:3] == ("input 0[0]", np.inf)


def test_nan_is_worse_than_any_finite_violation():
    """Entry 0: analytic NaN vs 1; entry 1: analytic 1 vs numeric 1 + 100·x₁ = 201."""
    c = tg.tensor([0.0, 1.0], dtype="float64")
    f = lambda x: (tg.where(x > 0, x, (x * c - 1).sqrt()).sum()  # noqa: E731
                   + 50 * (x ** 2).detach()[1])
    with np.errstate(invalid="ignore"):
        msg = failure(f, t64([1.0, 2.0]))
    assert reported(msg)[1] == "input 0[0]" and "2 of 2 Jacobian entries" in msg


@pytest.mark.parametrize("name, value", [
    ("eps", 0), ("eps", -1e-6), ("eps", float("nan")), ("eps", float("inf")),
    ("atol", float("nan")), ("atol", -1e-5), ("atol", float("inf")),
    ("rtol", float("nan")), ("rtol", -1e-3),
])
def test_bad_tolerances_are_value_errors(name, value):
    wrong = lambda x: (x * x.detach()).sum()  # noqa: E731  (would pass with atol=nan)
    with pytest.raises(ValueError, match=rf"gradcheck: {name} must be a .*finite.*{value}"):
        tg.gradcheck(wrong, t64([1.0, 2.0]), **{name: value})


def test_zero_tolerances_are_allowed():
    assert tg.gradcheck(lambda x: 3 * x, t64([1.0, 2.0]), atol=0, rtol=1e-6)
    assert tg.gradcheck(lambda x: 3 * x, t64([1.0, 2.0]), atol=1e-6, rtol=0)


# ---------------------------------------------------------------- #2, #3 grad mode
def test_hessian_and_hvp_under_no_grad():
    """f = Σ x³: H = diag(6x), Hv = 6x⊙v, whatever the caller's grad mode."""
    x, v = tg.tensor([1.0, 2.0]), tg.tensor([1.0, -3.0])
    with tg.no_grad():
        h = tg.hessian(lambda z: (z ** 3).sum(), x)
        y, hv = tg.hvp(lambda z: (z ** 3).sum(), x, v)
        assert not tg.is_grad_enabled()
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))
    np.testing.assert_allclose(hv.numpy(), [6.0, -36.0])
    assert y.item() == pytest.approx(9.0)
    assert tg.is_grad_enabled()
    assert not (h.requires_grad or y.requires_grad or hv.requires_grad)


def test_gradcheck_under_no_grad():
    x = t64([1.0, 2.0, 3.0, 100.0], requires_grad=False)
    with tg.no_grad():
        assert tg.gradcheck(lambda x: (x * x).sum(), x)
        _, _, a, n = reported(failure(lambda x: (x * x.detach()).sum(), x))
        assert (a, n) == (pytest.approx(100.0), pytest.approx(200.0))
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_grad_mode_is_restored_when_fn_raises():
    def boom(x):
        raise ValueError("boom")

    with tg.no_grad():
        for call in (lambda: tg.gradcheck(boom, t64([1.0])), lambda: tg.hessian(boom, t64([1.0])),
                     lambda: tg.hvp(boom, t64([1.0]), t64([1.0]))):
            with pytest.raises(ValueError, match="boom"):
                call()
            assert not tg.is_grad_enabled()


# ---------------------------------------------------------------- #4 true Jacobian entries
def test_scalar_output_uses_the_given_atol():
    """The analytic gradient misses 5e-5 per entry: over atol=1e-5 (a weight of 0.126 on
    the output used to scale it under)."""
    f = lambda x: (x * x).sum() + 5e-5 * x.detach().sum() + 0 * x.sum()  # noqa: E731
    _, _, a, n = reported(failure(f, t64([0.0, 0.0])))
    assert (a, n) == (0.0, pytest.approx(5e-5))
    assert tg.gradcheck(f, t64([0.0, 0.0]), atol=1e-4)


def test_reports_the_true_jacobian_entry():
    """y = M x with one entry of M hidden from the tape: J = M, the tape says M − E."""
    rng = np.random.default_rng(0)
    M = rng.standard_normal((3, 4))
    E = np.zeros((3, 4))
    E[1, 2] = 0.5
    f = lambda x: (tg.tensor(M - E, dtype="float64") @ x  # noqa: E731
                   + (tg.tensor(E, dtype="float64") @ x).detach())
    out, inp, a, n = reported(failure(f, t64(rng.standard_normal(4))))
    assert (out, inp) == ("output[1]", "input 0[2]")
    assert (a, n) == (pytest.approx(M[1, 2] - 0.5, abs=1e-7), pytest.approx(M[1, 2], abs=1e-7))
    assert "1 of 12 Jacobian entries" in failure(f, t64(rng.standard_normal(4)))


def test_error_in_one_output_entry_is_caught():
    """One of 200 outputs has a detached gradient; no random weight can make it small."""
    n = 200
    mask = np.zeros(n)
    mask[52] = 1.0  # where the old seed-0 weight was |u| = 0.0045
    m = tg.tensor(mask, dtype="float64")
    f = lambda x: x * (1 - m) + (x * x).detach() * m + x * m * 0  # noqa: E731
    out, inp, a, num = reported(failure(f, t64(np.full(n, 0.5))))
    assert (out, inp, a, num) == ("output[52]", "input 0[52]", 0.0, pytest.approx(1.0))


def test_matrix_input_and_output_indices():
    """y = X W with W's gradient detached: ∂y_ij/∂W_kj = X_ik."""
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    msg = failure(lambda x, w: x @ w.detach() + 0 * w.sum(), [t64(X), t64(W)])
    out, inp, a, n = reported(msg)
    i, j = map(int, re.findall(r"\d+", out))
    k, j2 = map(int, re.findall(r"\d+", inp)[1:])
    assert inp.startswith("input 1[") and j2 == j and a == 0
    assert n == pytest.approx(X[i, k], abs=1e-7) and abs(X[i, k]) == pytest.approx(np.abs(X).max())


# ---------------------------------------------------------------- #5 worst entry
def test_reports_the_worst_entry_and_the_count():
    """Analytic 2x, numeric 2x + 0.03x²: the worst entry is x = 100, not the first one."""
    x = t64([1.0, 2.0, 10.0, 100.0], requires_grad=False)
    msg = failure(lambda x: (x * x).sum() + 0.01 * (x ** 3).detach().sum() + 0 * x.sum(), x)
    _, inp, a, n = reported(msg)
    assert (inp, a, n) == ("input 0[3]", pytest.approx(200.0), pytest.approx(500.0))
    assert "4 of 4 Jacobian entries" in msg


def test_names_a_named_input():
    w = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name="W1")
    assert reported(failure(lambda w: (w * w.detach()).sum(), w))[1] == "input 0 (W1)[1]"


# ---------------------------------------------------------------- #9 arguments
@pytest.mark.parametrize("call, error, pattern", [
    (lambda: tg.gradcheck(3, t64([1.0])), TypeError, "gradcheck: fn must be callable, got int"),
    (lambda: tg.gradcheck(lambda x: x, t64([1.0]), eps="a"), TypeError,
     "gradcheck: eps must be a real number, got str"),
    (lambda: tg.gradcheck(lambda x: x, t64([1.0]), atol=None), TypeError,
     "gradcheck: atol must be a real number, got NoneType"),
    (lambda: tg.gradcheck(lambda x: x, np.ones(3)), TypeError,
     "gradcheck: inputs must be a Tensor or a list/tuple of Tensors, got ndarray"),
    (lambda: tg.gradcheck(lambda x: x, [[1.0, 2.0]]), TypeError,
     "gradcheck: input 0 is list, not a Tensor"),
    (lambda: tg.gradcheck(lambda x: x, []), ValueError, "gradcheck: no inputs"),
    (lambda: tg.gradcheck(lambda x: 1.0, t64([1.0])), TypeError,
     "gradcheck: fn must return a Tensor or a tuple of Tensors, got float"),
    (lambda: tg.gradcheck(lambda x: (x, 2), t64([1.0])), TypeError,
     "gradcheck: fn must return .* output 1 is int"),
    (lambda: tg.gradcheck(lambda x: x > 0, t64([1.0])), ValueError,
     r"gradcheck: fn returned no floating-point output .*bool"),
    (lambda: tg.gradcheck(lambda t: t * 2.0, tg.tensor([1, 2])), ValueError,
     r"gradcheck: no floating-point input to differentiate \(inputs are int64\)"),
    (lambda: tg.hessian(3, t64([1.0])), TypeError, "hessian: fn must be callable, got int"),
    (lambda: tg.hvp(3, t64([1.0]), t64([1.0])), TypeError, "hvp: fn must be callable, got int"),
])
def test_bad_arguments_name_the_function(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_inputs_are_left_unchanged():
    x = tg.tensor([1.0, 2.0], requires_grad=True)  # float32: checked as a float64 copy
    before = x.numpy().copy()
    failure(lambda z: (z * z.detach()).sum(), x)
    assert np.array_equal(x.numpy(), before) and x.dtype == np.float32 and x.grad is None


# ---------------------------------------------------------------- #10 which inputs, outputs
def test_inputs_that_do_not_require_grad_are_not_differentiated():
    """A mask input within 1e-10 of its threshold: moving it by eps would flip the mask."""
    x = t64([1.0, 2.0])
    m = t64([0.4999999999, 0.9], requires_grad=False)
    assert tg.gradcheck(lambda x, m: x * (m > 0.5), (x, m))


def test_without_requires_grad_every_float_input_is_checked():
    a, b = t64([1.0, 2.0], requires_grad=False), t64([3.0, 4.0], requires_grad=False)
    assert reported(failure(lambda a, b: (a * b.detach()).sum(), [a, b]))[1] == "input 1[1]"


def test_integer_labels_pass_through_unchanged():
    rng = np.random.default_rng(2)
    z, labels = t64(rng.standard_normal((3, 4))), tg.tensor([0, 1, 3])
    seen = []

    def loss(z, t):
        seen.append(t)
        return F.cross_entropy(z, t)

    assert tg.gradcheck(loss, (z, labels))
    assert all(t is labels for t in seen)
    # and a wrong gradient is still caught: the logit of the label is detached
    onehot = tg.tensor(np.eye(4)[[0, 1, 3]], dtype="float64")
    msg = failure(lambda z, t: F.cross_entropy(z * (1 - onehot) + (z * onehot).detach(), t),
                  (z, labels))
    p = np.exp(z.numpy()) / np.exp(z.numpy()).sum(1, keepdims=True)
    _, inp, a, n = reported(msg)
    i, j = map(int, re.findall(r"\d+", inp)[1:])
    assert [0, 1, 3][i] == j and n == pytest.approx((p[i, j] - 1) / 3, abs=1e-7)


def test_tuple_outputs_are_each_checked():
    z = t64([0.5, -1.0])
    assert tg.gradcheck(lambda z: (z * 2, z.exp()), z)
    # analytic e^z z, numeric (z e^z)' = e^z (z + 1): worst where e^z is largest, z = 0.5
    msg = failure(lambda z: (z * 2, z.exp() * z.detach()), z)
    out, inp, a, n = reported(msg)
    assert (out, inp) == ("output 1[0]", "input 0[0]") and "2 of 8 Jacobian entries" in msg
    assert (a, n) == (pytest.approx(np.exp(0.5) * 0.5), pytest.approx(np.exp(0.5) * 1.5))


def test_float32_module_inside_fn_says_to_use_float64():
    lin = nn.Linear(4, 3)
    x = tg.randn(5, 4)
    with pytest.raises(TypeError, match=r"gradcheck: .*float32.*evaluates fn .*float64.*"
                                        r"dtype='float64'.*double\(\)"):
        tg.gradcheck(lambda x: lin(x).tanh(), x)
    lin64 = nn.Linear(4, 3, dtype="float64")
    assert tg.gradcheck(lambda x: lin64(x).tanh(), x)
    assert tg.gradcheck(lambda x: lin.double()(x).tanh(), x)


def test_a_transposed_input_is_moved_like_any_other():
    """The finite differences move the input's own entries whatever its memory layout (a
    transposed array used to be moved in a copy: every numeric entry 0)."""
    a = np.arange(6.0).reshape(2, 3)
    x = tg.tensor(a.T, requires_grad=True)  # column-major
    assert tg.gradcheck(lambda t: (t * t).sum(), x)
    with pytest.raises(tg.GradcheckError, match="analytic 0 vs numeric"):
        tg.gradcheck(lambda t: (t.detach() * t.detach()).sum() + t.sum() * 0, x)
