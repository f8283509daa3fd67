"""Tensor construction, dtypes, attributes, conversion, factories and bad input."""

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
