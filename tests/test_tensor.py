"""Tensor construction, dtypes, attributes, conversion, factories, in-place changes, bad input,
and hessian/hvp."""

import warnings

import numpy as np
import pytest

import tapegrad as tg


def test_default_dtypes():
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor(1.5).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True]).dtype == np.bool_
    assert tg.tensor(np.zeros(2)).dtype == np.float64  # float64 kept when given
    assert tg.tensor([1.0], dtype="float64").dtype == np.float64
    assert tg.tensor([1.0], dtype=tg.float64).dtype == np.float64
    assert tg.zeros(2, 3).dtype == np.float32 and tg.zeros((2, 3)).shape == (2, 3)


def test_data_is_copied_from_arrays():
    a = np.ones(3)
    t = tg.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(TypeError, match="floating"):
        tg.tensor([1, 0], dtype=dtype, requires_grad=True)
    t = tg.tensor([1, 0], dtype=dtype)
    with pytest.raises(TypeError):
        t.requires_grad = True
    assert not t.requires_grad


def test_unknown_dtype():
    with pytest.raises(TypeError, match="unknown dtype"):
        tg.tensor([1.0], dtype="floot32")
    with pytest.raises(TypeError):
        tg.tensor(["a", "b"])
    with pytest.raises(TypeError):
        tg.tensor([{"a": 1}])


def test_attributes():
    t = tg.tensor(np.arange(6.0).reshape(2, 3), name="t")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.name == "t"
    assert t.T.shape == (3, 2) and t.T.numpy()[2, 1] == 5
    t.name = "renamed"
    assert "renamed" in repr(t)
    np.testing.assert_array_equal(np.asarray(t), t.numpy())
    assert tg.tensor(3.5).item() == 3.5 and float(tg.tensor([2.0])) == 2.0
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)


def test_data_is_live_and_bumps_version():
    t = tg.tensor([1.0, 2.0])
    v0 = t._version[0]
    t.data[0] = 7
    assert t.numpy()[0] == 7 and t._version[0] == v0 + 1
    t.data *= 2
    assert t.numpy()[1] == 4 and t._version[0] > v0 + 1
    assert type(t.data + 1) is np.ndarray  # results of arithmetic are plain arrays
    assert repr(t.data).startswith("array(")


def test_detach_and_leaf():
    x = tg.tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.record.op == "mul"
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    with pytest.raises(ValueError, match="leaf"):
        y.requires_grad = False


def test_scalars_and_arrays_mix_on_both_sides():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for y in (2 * x, x * 2, 2 + x, x - 2, 2 - x, x / 2, 2 / x, x ** 2, 2 ** x,
              np.ones(2, np.float32) * x, np.ones(2, np.float32) + x, np.ones(2) - x):
        assert isinstance(y, tg.Tensor) and y.requires_grad


def test_comparisons_have_no_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad
    np.testing.assert_array_equal((x <= 2).numpy(), [True, True, False])
    np.testing.assert_array_equal((x == x).numpy(), [True] * 3)
    assert {x: 1}[x] == 1  # hashing stays by identity


def test_factories():
    tg.manual_seed(3)
    a = tg.randn(1000)
    tg.manual_seed(3)
    b = tg.randn(1000)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert abs(a.numpy().mean()) < 0.15 and 0.85 < a.numpy().std() < 1.15
    r = tg.rand(1000)
    assert r.numpy().min() >= 0 and r.numpy().max() < 1
    assert tg.ones(2, requires_grad=True).requires_grad
    np.testing.assert_array_equal(tg.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(tg.arange(4).numpy(), [0, 1, 2, 3])
    assert tg.arange(0, 1, 0.25).dtype == np.float32
    assert tg.full((2, 2), 7.0).numpy().sum() == 28
    z = tg.zeros_like(tg.tensor(np.ones(3)))
    assert z.dtype == np.float64 and tg.ones_like(z).numpy().sum() == 3


def test_shape_methods_forward():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tg.tensor(a)
    np.testing.assert_array_equal(t.reshape(4, -1).numpy(), a.reshape(4, -1))
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), a.swapaxes(0, 2))
    np.testing.assert_array_equal(t.transpose((2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.permute(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.flatten(1).numpy(), a.reshape(2, 12))
    np.testing.assert_array_equal(t[..., 1].numpy(), a[..., 1])
    np.testing.assert_array_equal(t[t.numpy() > 10].numpy(), a[a > 10])
    assert t.unsqueeze(0).shape == (1, 2, 3, 4) and t[:1].squeeze(0).shape == (3, 4)
    np.testing.assert_allclose(t.var(axis=1, ddof=1).numpy(), a.var(axis=1, ddof=1))
    np.testing.assert_allclose(t.std().numpy(), a.std())
    np.testing.assert_array_equal(t.argmax(axis=2).numpy(), a.argmax(axis=2))
    assert [r.shape for r in t] == [(3, 4), (3, 4)] and len(t) == 2


BAD_CALLS = {
    "matmul": (lambda: tg.ones(3, 4) @ tg.ones(5, 2), r"matmul: shapes \(3, 4\) and \(5, 2\)"),
    "matmul_0d": (lambda: tg.tensor(1.0) @ tg.ones(2), "matmul"),
    "broadcast": (lambda: tg.ones(3) + tg.ones(4), r"add: .*\(3,\) and \(4,\)"),
    # numpy's dtype refusals name the op and the dtypes, not a shape problem
    "neg_bool": (lambda: -tg.tensor([True]), r"neg: not defined for bool inputs: .*`~`"),
    "int_negative_power": (lambda: tg.tensor([2]) ** tg.tensor([-1]),
                           r"pow: .*\(int64, int64\): Integers to negative"),
    "reshape": (lambda: tg.ones(2, 3).reshape(4, 2), r"reshape: .*\(2, 3\)"),
    "axis": (lambda: tg.ones(2, 3).sum(axis=2), "sum: axis 2 is out of range"),
    "axis_type": (lambda: tg.ones(2).sum(axis=0.5), "axis must be an int"),
    "permute": (lambda: tg.ones(2, 3).permute(0, 0), "permute"),
    "concat": (lambda: tg.concatenate([tg.ones(2, 3), tg.ones(3, 3)], axis=1), "concatenate"),
    "stack": (lambda: tg.stack([tg.ones(2), tg.ones(3)]), "stack"),
    "stack_empty": (lambda: tg.stack([]), "stack"),
    "index": (lambda: tg.ones(3)[5], r"getitem: index \[5\] .*\(3,\)"),
    "index_float": (lambda: tg.ones(3)[np.array([0.5])], "integers or booleans"),
    "max_empty": (lambda: tg.ones(0).max(), "empty"),
    "clip_none": (lambda: tg.ones(2).clip(), "clip"),
    "var_ddof": (lambda: tg.ones(1).var(ddof=1), "ddof"),
    "len0": (lambda: len(tg.tensor(1.0)), "0-d"),
    "setitem_grad": (lambda: tg.ones(2, requires_grad=True).__setitem__(0, 1.0), "in-place"),
    "seed": (lambda: tg.manual_seed(-1), "seed"),
    # audit A #16: bad arguments named by the function, before numpy fails
    "arange_step_0": (lambda: tg.arange(0, 1, 0), "arange: step must not be 0"),
    "arange_text": (lambda: tg.arange("a"), "arange: .*numbers"),
    "zeros_negative": (lambda: tg.zeros(-1), r"zeros: sizes cannot be negative.*-1"),
    "ones_negative": (lambda: tg.ones(2, -3), r"ones: sizes cannot be negative.*-3"),
    "rand_negative": (lambda: tg.rand(-2), "rand: sizes cannot be negative"),
    "randn_negative": (lambda: tg.randn(-2), "randn: sizes cannot be negative"),
    "eye_negative": (lambda: tg.eye(-1), "eye: sizes cannot be negative"),
    "full_negative": (lambda: tg.full((2, -1), 1.0), "full: sizes cannot be negative"),
    "full_text": (lambda: tg.full((2,), "a"), "full: fill_value must be a number"),
    "full_int8_overflow": (lambda: tg.full(2, 1e10, dtype="int8"),
                           "full: fill_value 10000000000.0 does not fit in int8"),
    "full_nan_int": (lambda: tg.full(2, float("nan"), dtype="int64"), "full: .*nan.*int64"),
    "full_float_overflow": (lambda: tg.full(2, 1e300), r"full: .*1e\+300 .* float32"),
    "full_numpy_int_overflow": (lambda: tg.full(2, np.int64(300), dtype="int8"), "full: .*300"),
    "stack_axis_none": (lambda: tg.stack([tg.ones(1), tg.ones(1)], axis=None),
                        "stack: axis must be an int, got None"),
    "stack_axis_float": (lambda: tg.stack([tg.ones(1), tg.ones(1)], axis=0.0),
                         "stack: axis must be an int"),
    "stack_axis_range": (lambda: tg.stack([tg.ones(1), tg.ones(1)], axis=2), "stack: axis 2"),
    "concat_axis_none": (lambda: tg.concatenate([tg.ones(1), tg.ones(1)], axis=None),
                         "concatenate: axis must be an int, got None"),
    "concat_axis_float": (lambda: tg.concatenate([tg.ones(1), tg.ones(1)], axis=0.0),
                          "concatenate: axis must be an int"),
    "argmax_axis": (lambda: tg.tensor([[1.0, 2.0]]).argmax(axis=5),
                    "argmax: axis 5 is out of range"),
    "argmin_axis_type": (lambda: tg.ones(2).argmin(axis=(0,)), "argmin: axis must be an int"),
    "argmax_empty": (lambda: tg.zeros(0, 3).argmax(axis=0), r"argmax: .*\(0, 3\)"),
    "backward_text": (lambda: (tg.ones(2, requires_grad=True) * 2).backward("a"),
                      "backward: the gradient for output 0 must be numbers"),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_input_gets_a_clear_tapegrad_error(name):
    call, pattern = BAD_CALLS[name]
    with pytest.raises((ValueError, TypeError), match=pattern) as info:
        call()
    assert type(info.value).__module__.startswith("tapegrad") or type(info.value) in (
        ValueError, TypeError)
    assert str(info.value)


def test_index_error_is_also_an_index_error():
    with pytest.raises(IndexError):
        tg.ones(3)[7]


# indexing as in PyTorch where numpy differs; x = arange(12).reshape(2, 3, 2):
# x[0] = [[0, 1], [2, 3], [4, 5]], x[1] = [[6, 7], [8, 9], [10, 11]]
TORCH_INDEXING = {  # key: PyTorch's value (numpy's shape in the comment)
    "int_slice_array": ((0, slice(None), [0, 1]), [[0, 1], [2, 3], [4, 5]]),  # numpy (2, 3)
    "int_slice_repeats": ((0, slice(None), [1, 1]), [[1, 1], [3, 3], [5, 5]]),
    "np_int": ((np.int64(1), slice(None), [0]), [[6], [8], [10]]),  # numpy (1, 3)
    "0d_array": ((np.array(1), slice(None), [0]), [[6], [8], [10]]),
    "0d_tensor": ((tg.tensor(1), slice(None), [0]), [[6], [8], [10]]),
    "int_mask": ((0, slice(None), np.array([False, True])), [[1], [3], [5]]),  # numpy (1, 3)
    "int_none_array": ((0, None, [2, 0]), [[[4, 5], [0, 1]]]),  # numpy (2, 1, 2)
    "int_ellipsis_array": ((1, Ellipsis, [1, 0]), [[7, 6], [9, 8], [11, 10]]),  # numpy (2, 3)
    "int_true": ((0, slice(None), True), [[[0, 1]], [[2, 3]], [[4, 5]]]),  # numpy (1, 3, 2)
    "ints_true": ((0, 1, 1, True), [3]),  # an int for every axis, then a 0-d mask
    # a `...` for no axes between arrays: numpy puts their axis first ([[1, 7], [4, 10]])
    "empty_ellipsis": ((slice(None), [0, 2], Ellipsis, [1, 0]), [[1, 4], [7, 10]]),
    # where the two agree
    "array_slice_int": (([0, 1], slice(None), 0), [[0, 2, 4], [6, 8, 10]]),
    "int_array_adjacent": ((0, [2, 0]), [[4, 5], [0, 1]]),
    "list": ([1, 0], [[[6, 7], [8, 9], [10, 11]], [[0, 1], [2, 3], [4, 5]]]),
}


@pytest.mark.parametrize("name", sorted(TORCH_INDEXING))
def test_indexing_follows_pytorch(name):
    key, expected = TORCH_INDEXING[name]
    x = tg.Tensor(np.arange(12.0).reshape(2, 3, 2), requires_grad=True)
    np.testing.assert_array_equal(x[key].numpy(), expected)
    assert tg.gradcheck(lambda t: t[key], [x])


def test_indexing_gradient_in_pytorch_order():
    """The vjp scatters in the same order as the forward: repeated entries accumulate."""
    x = tg.Tensor(np.arange(12.0).reshape(2, 3, 2), requires_grad=True)
    (x[0, :, [1, 1, 0]] * tg.tensor([[1.0, 2.0, 3.0]] * 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [[3, 3]] * 3)
    np.testing.assert_array_equal(x.grad.numpy()[1], np.zeros((3, 2)))


def test_setitem_follows_pytorch():
    x = tg.zeros(2, 3, 2)
    x[0, :, [1, 0]] = np.array([[1, 2], [3, 4], [5, 6]])  # PyTorch's shape (3, 2)
    np.testing.assert_array_equal(x.numpy()[0], [[2, 1], [4, 3], [6, 5]])
    with pytest.raises(ValueError, match="setitem"):
        x[0, :, [1, 0]] = np.ones((2, 3))  # numpy's shape for that key
    with pytest.raises(ValueError, match="setitem: slice steps must be positive"):
        x[::-1] = 1.0
    np.testing.assert_array_equal(x.numpy()[0], [[2, 1], [4, 3], [6, 5]])  # unchanged
    assert not x.numpy()[1].any()


def test_setitem_with_an_int_for_every_axis_and_a_0d_mask():
    """x[0, 1, True] = v writes x[0, 1] (x[0, 1, False] nothing), as PyTorch; the ints alone
    give numpy a scalar, not a view to write the mask's selection into."""
    x = tg.zeros(2, 3)
    x[0, 1, True] = 5.0
    x[1, 2, False] = 7.0
    np.testing.assert_array_equal(x.numpy(), [[0, 5, 0], [0, 0, 0]])


INDEX_ERRORS = {
    "negative_step": ((slice(None, None, -1),), ValueError, "getitem: slice steps must be "
                      r"positive, as in PyTorch; got ::-1"),
    "zero_step": ((slice(None, None, 0),), ValueError, "slice steps must be positive"),
    "nested_list": ([[0, 1], [1, 0]], TypeError, r"getitem: .*ambiguous.*t\[tuple\(seq\)\]"),
    "list_with_slice": ([0, slice(None)], TypeError, "ambiguous"),
    "out_of_range": ((2,), IndexError, r"getitem: index \[2\] is invalid for shape \(2, 3, 2\)"),
    "out_of_range_mixed": ((0, slice(None), [0, 2]), IndexError,
                           r"index 2 is out of bounds.*\[0, :, \[0, 2\]\] on shape \(2, 3, 2\) "
                           "the integers apply first"),
    "two_ellipses": ((Ellipsis, [0], Ellipsis), IndexError, "single ellipsis"),
}


@pytest.mark.parametrize("name", sorted(INDEX_ERRORS))
def test_index_errors_name_the_op(name):
    key, kind, pattern = INDEX_ERRORS[name]
    x = tg.Tensor(np.arange(12.0).reshape(2, 3, 2), requires_grad=True)
    with tg.Tape() as tape, pytest.raises(kind, match=pattern) as info:
        x[key]
    assert isinstance(info.value, (ValueError, TypeError))
    assert tape.records == []  # a failed call records nothing


def test_failed_op_changes_no_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    before = x.grad.numpy().copy()
    with pytest.raises(ValueError):
        (x @ tg.ones(3)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), before)


def test_array_protocol_copies_only_when_asked():
    t = tg.tensor([1.0, 2.0])
    shared, copied = np.asarray(t), np.array(t)
    t.data[0] = 5.0
    assert shared[0] == 5.0 and copied[0] == 1.0
    assert np.array(t, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("call", [
    lambda t: t.permute(2, 1), lambda t: t.permute(0, 0), lambda t: t.permute(-3, 1),
    lambda t: t.flatten(3), lambda t: t.flatten(1, 0), lambda t: t.flatten(0, 5),
])
def test_axis_arguments_out_of_range_are_errors(call):
    with pytest.raises(ValueError, match="permute|flatten"):
        call(tg.randn(2, 3))


def test_permute_and_flatten_match_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tg.tensor(a)
    np.testing.assert_array_equal(t.permute(-1, 0, 1).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.flatten(1).numpy(), a.reshape(2, 12))
    np.testing.assert_array_equal(t.flatten(-2, -1).numpy(), a.reshape(2, 12))


def test_assigned_grad_must_match_shape_and_dtype():
    t = tg.zeros(2, 3, requires_grad=True)
    for bad, error in [(tg.zeros(3, 2), ValueError), (tg.zeros(2, 3, dtype="float64"), TypeError),
                       (np.zeros((2, 3), np.float32), TypeError)]:
        with pytest.raises(error, match="grad"):
            t.grad = bad
        assert t.grad is None
    t.grad = tg.ones(2, 3)
    (t * 2).sum().backward()  # accumulates onto the assigned grad: 1 + 2
    np.testing.assert_array_equal(t.grad.numpy(), np.full((2, 3), 3.0))


def test_in_place_arithmetic_updates_storage_like_pytorch():
    """`p -= lr * p.grad` under no_grad changes p itself (the micrograd/PyTorch update), keeps
    its dtype, bumps its version (a stale backward raises), and is refused with grad on."""
    p = tg.tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    (p * p).sum().backward()  # grad 2p
    same = p
    with tg.no_grad():
        p -= 0.25 * p.grad
        p *= 2.0
        p += 1
        p /= 2
    assert p is same and p.dtype == np.float32
    np.testing.assert_array_equal(p.numpy(), (np.array([1, 2, 3]) * 0.5 * 2 + 1) / 2)
    y = (p * p).sum()
    with tg.no_grad():
        p += 1
    with pytest.raises(tg.TapeError, match="changed in place"):
        y.backward()
    with pytest.raises(tg.TapeError, match="-=: an in-place change of a leaf"):
        p -= 1.0
    p.grad = None
    loss = (p * 2).sum()
    first = loss
    loss += (p * p).sum()  # a computed tensor: recorded, as PyTorch records it
    assert loss is not first
    loss.backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 + 2 * p.numpy(), rtol=1e-6)


def test_failed_in_place_arithmetic_changes_nothing():
    x = tg.tensor(np.array([1, 2, 3]))  # int64
    before = x.numpy().copy()
    with pytest.raises(TypeError, match=r"\+=: cannot update a int64 tensor in place"):
        x += 0.5
    with pytest.raises(ValueError, match=r"does not broadcast to the tensor's shape \(3,\)"):
        x += np.ones(4, dtype=np.int64)
    np.testing.assert_array_equal(x.numpy(), before)
    x += np.array([1, 1, 1])
    np.testing.assert_array_equal(x.numpy(), before + 1)


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8, reason="long double is float64 here")
def test_long_double_is_refused():
    name = np.dtype(np.longdouble).name  # float128 on x86-64
    with pytest.raises(TypeError, match=f"Tensor: dtype {name} is not supported"):
        tg.tensor([1.0], dtype=name)
    with pytest.raises(TypeError, match=f"dtype {name}"):
        tg.tensor(np.ones(2, np.longdouble))
    t = tg.ones(2)
    with pytest.raises(TypeError, match=f"Tensor.data: cannot hold dtype {name}"):
        t.data = np.ones(2, np.longdouble)
    assert t.dtype == np.float32


def test_factories_follow_numpy_and_pytorch():
    np.testing.assert_array_equal(tg.arange(5, step=2).numpy(), [0, 2, 4])  # step kept
    np.testing.assert_array_equal(tg.arange(1, -1, -0.5).numpy(), [1, 0.5, 0, -0.5])
    assert tg.eye(2, 3).shape == (2, 3) and tg.zeros(0, 3).shape == (0, 3)
    np.testing.assert_array_equal(tg.full(2, 1.7, dtype="int64").numpy(), [1, 1])  # truncated
    assert tg.full(2, float("inf")).numpy().tolist() == [np.inf, np.inf]  # inf is no overflow
    assert tg.full((1, 2), np.float64(0.5)).dtype == np.float32


def test_argmax_of_a_0d_tensor_along_its_axis():
    assert tg.tensor(3.0).argmax(axis=0).item() == 0 and tg.tensor(3.0).argmin(axis=-1).item() == 0


def test_a_gradient_given_as_numbers_keeps_the_output_precision():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 1).backward([0.1, 0.2])  # float64 output: not rounded through float32 on the way
    assert x.grad.numpy().tolist() == [0.1, 0.2]
    _, hv = tg.hvp(lambda z: (z * z).sum() / 2, x.detach(), [0.1, 0.2])  # H = I
    assert hv.numpy().tolist() == [0.1, 0.2]


# ---------------------------------------------------------------- in place, with grad (audit A #2)
def test_updating_a_plain_tensor_with_a_value_that_requires_grad_is_recorded():
    """acc += 3w, with acc not requiring grad: recorded (as PyTorch records it), so the
    gradient reaches w and b. L = Σ(3w + b)²: dL/dw = 6(3w + b), dL/db = 2(3w + b)."""
    w = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = tg.tensor(np.array([0.5, 0.5]), requires_grad=True)
    acc = tg.zeros(2, dtype="float64")
    acc += w * 3
    assert acc.requires_grad
    ((acc + b) ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [21.0, 39.0])
    np.testing.assert_allclose(b.grad.numpy(), [7.0, 13.0])


@pytest.mark.parametrize("sym, grad", [("+=", [1.0, 1.0]), ("-=", [-1.0, -1.0]),
                                       ("*=", [2.0, 3.0]), ("/=", [-2.0, -0.75])])
def test_every_in_place_operator_records_a_value_that_requires_grad(sym, grad):
    """c op= w with c = [2, 3], w = [1, 2]: d/dw Σ c/w = -c/w², of c·w = c, of c ± w = ±1."""
    c = tg.tensor(np.array([2.0, 3.0]))
    w = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    namespace = {"c": c, "w": w}
    exec(f"c {sym} w", namespace)
    namespace["c"].sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), grad)


def test_a_recorded_in_place_update_keeps_shape_and_dtype():
    w = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)  # float64
    acc = tg.zeros(2)  # float32, as PyTorch keeps it
    acc += w * 3
    assert acc.dtype == np.float32 and acc.numpy().tolist() == [3.0, 6.0]
    acc.sum().backward()
    assert w.grad.dtype == np.float64 and w.grad.numpy().tolist() == [3.0, 3.0]
    acc = tg.zeros(2)
    with pytest.raises(ValueError, match=r"\+=: the result has shape \(3, 2\).*\(2,\)"):
        acc += tg.ones(3, 2, requires_grad=True)
    counts = tg.tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=: cannot update a int64 tensor"):
        counts += w
    assert acc.numpy().tolist() == [0, 0] and counts.numpy().tolist() == [1, 2]


def test_assigning_a_value_that_requires_grad_into_a_plain_tensor_raises():
    """buf[0:2] = 2w cannot be recorded (buf would have to become a record's output in place):
    a clear error that says what to do, and buf is unchanged."""
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    buf = tg.zeros(3)
    version = buf.data._version[0]
    with pytest.raises(tg.TapeError, match=r"setitem: the value requires grad.*concatenate"):
        buf[0:2] = w * 2
    assert buf.numpy().tolist() == [0, 0, 0] and not buf.requires_grad
    assert buf.data._version[0] == version
    buf = tg.concatenate([w * 2, buf[2:]])  # what the message suggests
    buf.sum().backward()
    assert w.grad.numpy().tolist() == [2.0, 2.0]
    plain = tg.zeros(3)
    plain[0:2] = (w * 2).detach()  # no gradient wanted: allowed, as under no_grad
    with tg.no_grad():
        plain[2] = w[0] * 3
    assert plain.numpy().tolist() == [2.0, 4.0, 3.0]


# ---------------------------------------------------------------- writes through t.data (#5, #8)
def test_a_failed_write_through_data_changes_nothing_and_names_it():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    writes = [lambda d: d.__setitem__(10, 1.0), lambda d: d.__setitem__(slice(None), [1, 2]),
              lambda d: d.__setitem__(0, "a"), lambda d: d.__iadd__(np.ones(2)),
              lambda d: np.add(d, np.ones(2), out=d), lambda d: d.put([10], [1.0]),
              lambda d: d.resize(5)]
    for write in writes:
        with pytest.raises(ValueError, match="Tensor.data"):
            write(x.data)
    with pytest.raises(IndexError, match=r"Tensor.data\[...\] = v \(shape \(3,\)\)"):
        x.data[10] = 1.0
    with pytest.raises(TypeError, match="Tensor.data"):
        x.data.__iadd__(np.ones(3, np.complex64))  # a cast numpy refuses
    y.sum().backward()  # the version did not move: no spurious "changed in place"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])


WRITES = {
    "copyto": lambda d: np.copyto(d, 5.0),
    "copyto_kw": lambda d: np.copyto(dst=d, src=5.0),
    "sort": lambda d: d.sort(),
    "partition": lambda d: d.partition(1),
    "put": lambda d: d.put([0], [9.0]),
    "np.put": lambda d: np.put(d, [0], [9.0]),
    "place": lambda d: np.place(d, d > 1, 0.0),
    "putmask": lambda d: np.putmask(d, d > 1, 0.0),
    "put_along_axis": lambda d: np.put_along_axis(d, np.array([0]), 9.0, axis=0),
    "fill_diagonal": lambda d: np.fill_diagonal(d.reshape(3, 1), 9.0),
    "fill": lambda d: d.fill(9.0),
    "setfield": lambda d: d.setfield(np.float32(9.0), np.float32),
    "byteswap": lambda d: d.byteswap(inplace=True),
    "dot_out": lambda d: np.dot(np.eye(3, dtype=np.float32), np.ones(3, np.float32), out=d),
    "cumsum_out": lambda d: np.cumsum(np.ones(3, np.float32), out=d),
    "take_out": lambda d: np.take(np.arange(5.0, dtype=np.float32), [4, 3, 2], out=d),
    "ufunc_out": lambda d: np.negative(d, out=d),
    "isub_tensor": lambda d: d.__isub__(tg.tensor([1.0, 1.0, 1.0])),
    "copy_": lambda d: d.copy_(tg.tensor([0.0, 1.0, 2.0])),
    "zero_": lambda d: d.zero_(),
    "fill_": lambda d: d.fill_(9.0),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_every_in_place_write_through_data_bumps_the_version(name):
    """numpy functions and ndarray methods that write into t.data change the tensor like
    t.data[...] = v does, so a backward that saved the old values raises."""
    x = tg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    y = x * x
    WRITES[name](x.data)
    assert x.numpy().tolist() != [3.0, 1.0, 2.0]
    with pytest.raises(tg.TapeError, match="'mul'.*changed in place"):
        y.sum().backward()


def test_micrograds_and_pytorchs_updates_through_data_take_a_tensor():
    """`p.data += -lr * p.grad` (micrograd) and `p.data -= lr * p.grad`, `p.data.copy_(src)`,
    `p.data.zero_()` (PyTorch) write in place; `a = p.data; a -= ...` keeps a live."""
    p = tg.tensor([1.0, -2.0], requires_grad=True)
    storage = p.data_ptr()
    (p * p).sum().backward()  # grad 2p
    p.data += -0.25 * p.grad
    np.testing.assert_array_equal(p.numpy(), [0.5, -1.0])
    p.data -= 0.5 * p.grad  # the same .grad: [2, -4]
    np.testing.assert_array_equal(p.numpy(), [-0.5, 1.0])
    p.data *= tg.tensor([2.0, 3.0])
    p.data /= tg.tensor([4.0, 6.0])
    np.testing.assert_array_equal(p.numpy(), [-0.25, 0.5])
    assert p.data_ptr() == storage and p.dtype == np.float32
    a = p.data
    a -= 1.0
    version = p._version[0]
    a -= 1.0  # a is still the live array
    assert type(a).__name__ == "_LiveArray" and p._version[0] == version + 1
    assert p.data.copy_(tg.tensor([3.0, 4.0])) is not None and p.tolist() == [3.0, 4.0]
    p.data.fill_(tg.tensor(7.0))
    assert p.tolist() == [7.0, 7.0]
    p.data.zero_()
    assert p.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"Tensor.data: in-place subtract: operands could not "
                                         "be broadcast"):
        p.data -= tg.ones(3)
    with pytest.raises(ValueError, match=r"Tensor.data\[...\] = v \(shape \(2,\)\)"):
        p.data.copy_(tg.ones(3))
    # fill_ takes one value, as PyTorch's and Tensor.fill_ do (not a broadcast copy_)
    with pytest.raises(TypeError, match=r"Tensor.data.fill_: value must be a number or a 0-d "
                                        r"tensor, got Tensor of shape \(2,\)"):
        p.data.fill_(tg.tensor([5.0, 6.0]))
    with pytest.raises(TypeError, match=r"Tensor.data.fill_: .* got ndarray of shape \(1,\)"):
        p.data.fill_(np.ones(1))
    n = tg.tensor([1, 2])
    with pytest.raises(ValueError, match=r"Tensor.data.fill_: nan does not fit a int64"):
        n.data.fill_(float("nan"))
    assert p.tolist() == [0.0, 0.0] and n.tolist() == [1, 2]
    p.data.fill_(np.float64(2.5))
    assert p.tolist() == [2.5, 2.5]


def test_reading_through_data_does_not_bump_the_version():
    x = tg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    y = x * x
    d, other = x.data, np.zeros(3, np.float32)
    np.copyto(other, d)
    np.sort(d), np.mean(d), np.partition(d, 1), d.copy().sort(), np.concatenate([d, d])
    d.byteswap()  # a swapped copy
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 2.0, 4.0])


# ---------------------------------------------------------------- std at 0 (#9)
def test_std_gradient_is_zero_where_the_std_is_zero():
    """dstd/dx_i = (x_i - mean)/(n·std), and 0 where std = 0 (PyTorch), without warnings."""
    x = tg.tensor(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.std(axis=1)
        s.sum().backward()
        np.testing.assert_allclose(s.numpy(), [0.0, np.sqrt(2 / 3)])
        np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-1, 0, 1] / (3 * np.sqrt(2 / 3))])
        x.grad = None
        x.std(axis=0, ddof=0).sum().backward()  # size-2 columns, the first constant
        np.testing.assert_allclose(x.grad.numpy(), [[0, -0.5, -0.5], [0, 0.5, 0.5]])
        c = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
        c.std().backward()
        assert c.grad.numpy().tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(tg.tensor([np.nan, 1.0]).std().item())  # NaN stays NaN, not 0


# ---------------------------------------------------------------- pow by a numpy scalar (#13)
@pytest.mark.parametrize("exponent", [np.float64(3.0), np.int64(3), np.float32(3.0)])
def test_numpy_scalar_exponent_keeps_float32(exponent):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x ** exponent
    assert y.dtype == np.float32 and y.numpy().tolist() == [1.0, 8.0]
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.numpy().tolist() == [3.0, 12.0]  # 3x²


# ---------------------------------------------------------------- the data setter (#14)
def test_data_setter_keeps_a_tensor_that_requires_grad_floating():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(TypeError, match="Tensor.data: .*requires grad.*int64"):
        x.data = np.array([1, 2])
    assert x.dtype == np.float32 and x.numpy().tolist() == [1.0, 2.0]
    y.sum().backward()  # nothing changed: the saved values are intact
    x.data = [1.5, 2.5]  # a list as Tensor(...) makes it: float32
    assert x.dtype == np.float32 and x.numpy().tolist() == [1.5, 2.5]
    x.data = np.array([1.0, 2.0])  # an ndarray keeps its dtype
    assert x.dtype == np.float64
    counts = tg.tensor([1, 2])
    counts.data = np.array([3, 4])  # integer data for a tensor without grad is fine
    assert counts.numpy().tolist() == [3, 4]
    with pytest.raises(TypeError, match="Tensor.data"):
        counts.data = ["a"]


# ---------------------------------------------------------------- smaller PyTorch gaps (#20)
def test_requires_grad_true_on_a_computed_tensor_is_a_no_op():
    x = tg.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad_() is y and y.requires_grad_(True).record.op == "mul"
    with pytest.raises(ValueError, match="leaf"):
        y.requires_grad_(False)


def test_expand_minus_one_keeps_the_size():
    x = tg.tensor([[1.0], [2.0]], requires_grad=True)
    y = x.expand(-1, 3)
    np.testing.assert_array_equal(y.numpy(), [[1, 1, 1], [2, 2, 2]])
    assert tg.tensor([1.0, 2.0, 3.0]).expand(2, -1).shape == (2, 3)
    (y * tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0], [15.0]])
    with pytest.raises(ValueError, match=r"broadcast_to: -1 .* new leading"):
        tg.ones(3).expand(-1, 3)


def test_max_and_min_over_a_nonempty_axis_of_an_empty_tensor():
    x = tg.zeros(0, 3, requires_grad=True)
    for y in (x.max(axis=1), x.min(axis=-1), x.max(axis=1, keepdims=True)):
        assert y.numpy().size == 0 and y.shape[0] == 0
    x.max(axis=1).sum().backward()
    assert x.grad.shape == (0, 3)
    for call in (lambda: x.max(), lambda: x.max(axis=0), lambda: x.min(axis=(0, 1))):
        with pytest.raises(ValueError, match="empty"):
            call()


# ---------------------------------------------------------------- hessian / hvp (#19)
def test_hessian_and_hvp_of_a_function_that_does_not_depend_on_x_are_zero():
    """As torch.autograd.functional: H = 0, also when fn depends only on another tensor."""
    x = tg.tensor(np.array([1.0, 2.0]))
    w = tg.tensor(np.array([3.0]), requires_grad=True)
    for fn, value in ((lambda z: tg.tensor(1.0), 1.0), (lambda z: (w * w).sum(), 9.0)):
        h = tg.hessian(fn, x)
        assert h.shape == (2, 2) and not h.numpy().any()
        out, hv = tg.hvp(fn, x, tg.tensor(np.array([1.0, 1.0])))
        assert out.item() == value and hv.shape == (2,) and not hv.numpy().any()


@pytest.mark.parametrize("call, pattern", [
    (lambda: tg.hessian(lambda z: z.sum(), [1.0, 2.0]), "hessian: x must be a Tensor"),
    (lambda: tg.hvp(lambda z: z.sum(), [1.0], [1.0]), "hvp: x must be a Tensor"),
    (lambda: tg.hessian(lambda z: z.sum(), tg.tensor([1, 2])), "hessian: x must be floating"),
    (lambda: tg.hvp(lambda z: z.sum(), tg.ones(2), "a"), "hvp: v"),
    (lambda: tg.hvp(lambda z: z.sum(), tg.ones(2), tg.ones(3)), r"hvp: v has shape \(3,\)"),
    (lambda: tg.hessian(lambda z: z, tg.ones(2)), "hessian: fn must return a one-element"),
])
def test_hessian_and_hvp_errors_name_them(call, pattern):
    with pytest.raises((TypeError, ValueError), match=pattern):
        call()


def test_an_update_with_grad_into_a_view_or_a_copy_target_is_refused():
    """Recording `row += w` as a new tensor would leave the tensor `row` views unchanged,
    and `copy_` cannot be recorded into an existing tensor: both say so and change
    nothing."""
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    buf = tg.zeros(2, 2)
    row = buf[0]
    with pytest.raises(tg.TapeError, match=r"\+=: .* a view of another array's storage"):
        row += w * 3
    with pytest.raises(tg.TapeError, match=r"copy_: src requires grad"):
        tg.zeros(2).copy_(w * 3)
    np.testing.assert_array_equal(buf.numpy(), np.zeros((2, 2)))


@pytest.mark.parametrize("same", [
    lambda t: t.reshape(3), lambda t: t.view(-1), lambda t: t.T, lambda t: t.transpose(),
    lambda t: t.expand(3),
])
def test_a_shape_op_that_changes_nothing_still_makes_a_new_tensor(same):
    """As in PyTorch, x.reshape(x.shape), x.T of a vector, ... are new tensors on x's
    values: naming one or retaining its gradient does not touch x, and gradients flow."""
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.name = "x"
    y = same(x)
    assert y is not x and y.shape == x.shape and y.tolist() == x.tolist()
    y.name = "y"
    y.retain_grad()
    (y * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.name == "x" and y.grad.tolist() == [1.0, 2.0, 3.0]
    assert x.grad.tolist() == [1.0, 2.0, 3.0] and y.retains_grad and not x.retains_grad


def test_a_same_shape_view_shares_memory_with_its_base():
    x = tg.tensor([1.0, 2.0])
    for y in (x.reshape(2), x.view(2), x.T):
        y.data[0] = 7.0
        assert x.tolist()[0] == 7.0
        x.data[0] = 1.0
