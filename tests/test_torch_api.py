"""PyTorch's spellings: dim=/keepdim= beside axis=/keepdims=, and the methods and functions a
PyTorch user reaches for. Values against numpy, gradients against finite differences."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
from tapegrad.tape import _version_of


@pytest.fixture
def a():
    return np.random.default_rng(0).standard_normal((4, 3))


def t64(x, requires_grad=True):
    return tg.tensor(np.asarray(x, np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- dim / keepdim
@pytest.mark.parametrize("op", ["sum", "mean", "var", "std", "logsumexp", "norm"])
def test_dim_and_keepdim_are_axis_and_keepdims(op, a):
    x = t64(a)
    for axis, keep in ((0, False), (1, True), ((0, 1), False), (-1, True)):
        want = getattr(x, op)(axis=axis, keepdims=keep).numpy()
        got = getattr(x, op)(dim=axis, keepdim=keep).numpy()
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(getattr(tg, op)(x, dim=axis, keepdim=keep).numpy(), want)
    with pytest.raises(TypeError, match=rf"{op}: got both axis=0 and dim=1"):
        getattr(x, op)(axis=0, dim=1)
    with pytest.raises(TypeError, match=rf"{op}: got both keepdims=True and keepdim"):
        getattr(x, op)(keepdims=True, keepdim=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_takes_dim(name, a):
    x = t64(a)
    want = getattr(F, name)(x, axis=0).numpy()
    for got in (getattr(F, name)(x, dim=0), getattr(x, name)(dim=0)):
        np.testing.assert_array_equal(got.numpy(), want)
    with pytest.raises(TypeError, match=f"{name}: got both axis=1 and dim=0"):
        getattr(F, name)(x, axis=1, dim=0)
    assert tg.gradcheck(lambda t: getattr(t, name)(dim=0), [x])


def test_joins_and_shape_methods_take_dim(a):
    x = t64(a)
    for join in (tg.concatenate, tg.cat):
        np.testing.assert_array_equal(join([x, x], dim=1).numpy(), np.concatenate([a, a], 1))
    np.testing.assert_array_equal(tg.stack([x, x], dim=2).numpy(), np.stack([a, a], 2))
    with pytest.raises(TypeError, match="stack: got both axis=1 and dim=0"):
        tg.stack([x, x], 1, dim=0)
    assert x.unsqueeze(dim=1).shape == (4, 1, 3)
    assert x.unsqueeze(dim=1).squeeze(dim=1).shape == (4, 3)
    assert t64(np.zeros((2, 3, 4))).flatten(start_dim=1).shape == (2, 12)
    assert t64(np.zeros((2, 3, 4))).flatten(end_dim=1).shape == (6, 4)
    with pytest.raises(TypeError, match="unsqueeze: give the position"):
        x.unsqueeze()


def test_argmax_argmin_take_dim_and_keepdim(a):
    x = t64(a)
    for name in ("argmax", "argmin"):
        ref = getattr(np, name)
        got = getattr(x, name)(dim=1, keepdim=True)
        np.testing.assert_array_equal(got.numpy(), ref(a, axis=1, keepdims=True))
        assert got.dtype == np.int64
        np.testing.assert_array_equal(getattr(x, name)(keepdims=True).numpy(),
                                      ref(a, keepdims=True))


def test_var_std_take_unbiased_and_correction_and_keep_ddof_0_default(a):
    x = t64(a)
    np.testing.assert_allclose(x.var().item(), a.var())  # tapegrad's default: ddof=0
    for kwargs, ddof in (({"unbiased": True}, 1), ({"unbiased": False}, 0),
                         ({"correction": 2}, 2), ({"correction": 0}, 0)):
        np.testing.assert_allclose(x.var(dim=0, **kwargs).numpy(), a.var(0, ddof=ddof))
        np.testing.assert_allclose(x.std(dim=0, **kwargs).numpy(), a.std(0, ddof=ddof))
    for bad in ({"unbiased": True, "correction": 1}, {"ddof": 1, "unbiased": False}):
        with pytest.raises(TypeError, match="var: got .* give one of ddof, unbiased"):
            x.var(**bad)
    assert tg.gradcheck(lambda t: t.std(dim=1, unbiased=True), [x])


def test_max_min_with_dim_give_values_and_indices_like_pytorch():
    a = np.array([[1.0, 5, 5], [3, 2, 3]])
    x = t64(a)
    r = x.max(dim=1)
    assert isinstance(r, tuple) and r._fields == ("values", "indices")
    np.testing.assert_array_equal(r.values.numpy(), [5, 3])
    np.testing.assert_array_equal(r.indices.numpy(), [1, 0])  # the first of ties
    r.values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # one index each
    x.grad = None
    x.max(axis=1).sum().backward()  # numpy's spelling: the values, ties share the gradient
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    values, indices = tg.min(x, dim=0, keepdim=True)
    np.testing.assert_array_equal(values.numpy(), a.min(0, keepdims=True))
    np.testing.assert_array_equal(indices.numpy(), a.argmin(0, keepdims=True))
    assert [t.shape for t in tg.tensor(3.0).max(dim=0)] == [(), ()]
    with pytest.raises(TypeError, match="max: got both axis=0 and dim=1"):
        x.max(0, dim=1)
    assert tg.gradcheck(lambda t: t.min(dim=0).values, [t64(np.random.default_rng(1).random(
        (3, 4)))])


# ---------------------------------------------------------------------- new math
@pytest.mark.parametrize("p, ref", [(2, lambda a, ax: np.sqrt((a * a).sum(ax))),
                                    ("fro", lambda a, ax: np.sqrt((a * a).sum(ax))),
                                    (1, lambda a, ax: np.abs(a).sum(ax)),
                                    (3, lambda a, ax: (np.abs(a) ** 3).sum(ax) ** (1 / 3)),
                                    (np.inf, lambda a, ax: np.abs(a).max(ax))])
def test_norm(p, ref, a):
    x = t64(a)
    for ax in (None, 0, (0, 1)):
        np.testing.assert_allclose(x.norm(p, dim=ax).numpy(), ref(a, ax))
        assert tg.gradcheck(lambda t, p=p, ax=ax: t.norm(p, ax), [x])
    zero = t64(np.zeros(3))
    zero.norm(p).backward()  # PyTorch's gradient at 0 is 0, not NaN
    np.testing.assert_array_equal(zero.grad.numpy(), 0)
    with pytest.raises(ValueError, match="norm: p must be a number >= 1"):
        x.norm(0.5)
    # the errors name norm, not the sum or max inside it
    with pytest.raises(ValueError, match="norm: axis 5 is out of range"):
        x.norm(p, dim=5)
    if p == np.inf:
        with pytest.raises(ValueError, match=r"norm: the tensor is empty .* \(0, 3\)"):
            tg.zeros(0, 3).norm(p, dim=0)
        with pytest.raises(ValueError, match="normalize: the tensor is empty"):
            F.normalize(tg.zeros(0, 3), p, dim=0)
        np.testing.assert_array_equal(tg.zeros(0, 3).norm(p, dim=1).numpy(), np.zeros(0))


def test_elementwise_additions(a):
    x = t64(a)
    np.testing.assert_allclose(x.pow(3).numpy(), a ** 3)
    np.testing.assert_array_equal(x.neg().numpy(), -a)
    np.testing.assert_allclose(x.reciprocal().numpy(), 1 / a)
    np.testing.assert_array_equal(x.sign().numpy(), np.sign(a))
    np.testing.assert_array_equal(x.clamp(min=0).numpy(), np.clip(a, 0, None))
    np.testing.assert_array_equal(tg.clamp(x, max=0.1).numpy(), np.clip(a, None, 0.1))
    assert tg.tensor([1, 2]).reciprocal().dtype == np.float32
    assert tg.tensor([True, False]).sign().dtype == np.bool_
    for fn in (lambda t: t.pow(2), lambda t: t.reciprocal(), lambda t: t.neg(),
               lambda t: t.clamp(-0.5, 0.5), lambda t: t.sign() * t):
        assert tg.gradcheck(fn, [x])
    with pytest.raises(ValueError, match="clamp: give a lower bound"):
        x.clamp()
    with pytest.raises(TypeError, match="clamp: the lower bound must be a number"):
        x.clamp(x)


def test_comparison_names(a):
    x, y = t64(a), t64(a[::-1].copy())
    for name, ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
        np.testing.assert_array_equal(getattr(x, name)(y).numpy(), ref(a, a[::-1]))


def test_t_mm_matmul_contiguous(a):
    x, w = t64(a), t64(np.random.default_rng(2).standard_normal((3, 2)))
    np.testing.assert_array_equal(x.t().numpy(), a.T)
    assert x.t() is not x and tg.tensor([1.0, 2.0]).t().shape == (2,)
    np.testing.assert_allclose(x.mm(w).numpy(), a @ w.numpy())
    np.testing.assert_allclose(tg.mm(x, w).numpy(), x.matmul(w).numpy())
    assert tg.gradcheck(lambda p, q: p.t().mm(p).mm(q.t().t()), [x, w])
    with pytest.raises(ValueError, match=r"t: expects a tensor with at most 2 axes, got shape "
                                         r"\(2, 2, 2\)"):
        tg.zeros(2, 2, 2).t()
    with pytest.raises(ValueError, match=r"mm: needs matrices .* shapes \(4, 3\) and \(4, 3\)"):
        x.mm(x)
    with pytest.raises(ValueError, match=r"mm: .* \(3,\)"):
        tg.zeros(3).mm(w)
    assert x.contiguous() is x
    c = x.t().contiguous()
    assert c.numpy().flags.c_contiguous and c.shape == (3, 4)
    assert tg.gradcheck(lambda p: p.t().contiguous() * 2, [x])


def test_masked_fill(a):
    x = t64(a)
    mask = a > 0
    np.testing.assert_array_equal(x.masked_fill(tg.tensor(mask), -1.0).numpy(),
                                  np.where(mask, -1, a))
    np.testing.assert_array_equal(x.masked_fill(mask[0], 0).numpy(), np.where(mask[0], 0, a))
    ints = tg.tensor([1, 2, 3]).masked_fill(np.array([True, False, True]), 7.9)
    assert ints.dtype == np.int64 and ints.tolist() == [7, 2, 7]
    v = t64(2.0)
    assert tg.gradcheck(lambda t, v: t.masked_fill(mask, v), [x, v])  # v: the summed grads
    with pytest.raises(TypeError, match="masked_fill: mask must be boolean, got float64"):
        x.masked_fill(a, 0)
    with pytest.raises(ValueError, match=r"masked_fill: mask shape \(2,\) does not broadcast"):
        x.masked_fill(np.array([True, False]), 0)
    with pytest.raises(ValueError, match=r"masked_fill: value must be .* shape \(3,\)"):
        x.masked_fill(mask, t64(np.ones(3)))
    # an integer tensor cannot hold NaN, ±inf or 1e30 (a cast made them -2**63)
    for bad in (np.nan, -np.inf, 1e30, tg.tensor(np.nan)):
        with pytest.raises(ValueError, match="masked_fill: .* does not fit a int64 tensor"):
            tg.tensor([1, 2]).masked_fill(np.array([True, False]), bad)
        t = tg.tensor([1, 2])
        with pytest.raises(ValueError, match="fill_: .* does not fit a int64 tensor"):
            t.fill_(bad)
        assert t.tolist() == [1, 2]


def test_split_chunk_unbind_like_pytorch():
    x = t64(np.arange(10.0).reshape(5, 2))
    assert [p.shape[0] for p in x.split(2)] == [2, 2, 1]
    assert [p.shape[1] for p in x.split([1, 1], dim=1)] == [1, 1]
    assert [p.shape[0] for p in x.chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in t64(np.zeros(6)).chunk(4)] == [2, 2, 2]  # fewer, as PyTorch
    assert [p.shape for p in t64(np.zeros(0)).chunk(2)] == [(0,), (0,)]
    assert [p.shape for p in t64(np.zeros(0)).split(2)] == [(0,)]
    np.testing.assert_array_equal(tg.cat(x.split(2), dim=0).numpy(), x.numpy())
    rows = x.unbind(0)
    assert len(rows) == 5 and rows[1].tolist() == [2.0, 3.0]
    assert [c.shape for c in x.unbind(dim=1)] == [(5,), (5,)]
    for fn in (lambda t: t.split(2)[2] * 3, lambda t: t.chunk(2, 1)[1],
               lambda t: t.unbind(1)[0].sum() * t.unbind(0)[4]):
        assert tg.gradcheck(fn, [x])
    with pytest.raises(ValueError, match=r"split: sizes \[2, 2\] do not add up to 5"):
        x.split([2, 2])
    with pytest.raises(ValueError, match="split: split_size must be positive, got 0"):
        x.split(0)
    with pytest.raises(ValueError, match="chunk: chunks must be a positive int, got 0"):
        x.chunk(0)
    with pytest.raises(ValueError, match="unbind: a 0-d tensor has no axis"):
        tg.tensor(1.0).unbind()


def test_repeat_is_numpys_tile(a):
    x = t64(a)
    for reps in ((2, 1), (1, 3), (2, 2, 2), (0, 1)):
        np.testing.assert_array_equal(x.repeat(*reps).numpy(), np.tile(a, reps))
    np.testing.assert_array_equal(x.repeat((2, 3)).numpy(), np.tile(a, (2, 3)))
    assert tg.gradcheck(lambda t: t.repeat(3, 1, 2), [x])
    with pytest.raises(ValueError, match=r"repeat: needs one size >= 0 per axis .* \(2,\) for "
                                         r"shape \(4, 3\)"):
        x.repeat(2)


def test_gather_is_take_along_axis(a):
    x = t64(a)
    idx = np.array([[0, 2], [1, 1], [2, 0], [0, 0]])
    np.testing.assert_array_equal(x.gather(1, tg.tensor(idx)).numpy(),
                                  np.take_along_axis(a, idx, 1))
    rows = np.array([[3, 0, 1], [3, 3, 3]])
    np.testing.assert_array_equal(tg.gather(x, 0, rows).numpy(), np.take_along_axis(a, rows, 0))
    small = np.array([[1], [0]])  # smaller than x outside the gathered axis, as PyTorch allows
    np.testing.assert_array_equal(x.gather(1, small).numpy(), [[a[0, 1]], [a[1, 0]]])
    assert tg.gradcheck(lambda t: t.gather(1, idx), [x])  # repeated indices add up
    with pytest.raises(IndexError, match="gather: index 3 is out of range for axis 1 of size 3"):
        x.gather(1, [[3]])
    with pytest.raises(IndexError, match="gather: index -1 is out of range"):
        x.gather(1, [[-1]])
    with pytest.raises(TypeError, match="gather: index must be integers"):
        x.gather(1, [[0.0]])
    with pytest.raises(ValueError, match=r"gather: index of shape \(5, 1\) does not fit"):
        x.gather(1, np.zeros((5, 1), int))


# ---------------------------------------------------------------------- in place
def test_in_place_methods_change_values_and_bump_the_version():
    x = tg.tensor([1.0, -2.0, 3.0])
    v = _version_of(x)
    assert x.add_(1) is x and x.tolist() == [2, -1, 4]
    x.sub_(tg.tensor([1.0, 1.0, 1.0]), alpha=2)
    x.mul_(2).div_(4)
    assert x.tolist() == [0, -1.5, 1]
    x.add_(2, alpha=0.5).clamp_(0, 1.5)
    assert x.tolist() == [1, 0, 1.5]
    x.fill_(tg.tensor(7.0))
    assert x.tolist() == [7, 7, 7] and x.zero_().tolist() == [0, 0, 0]
    assert _version_of(x) == v + 8
    assert tg.tensor([1, 5]).clamp_(max=2).tolist() == [1, 2]


def test_in_place_methods_follow_the_in_place_operator_rules():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.clamp_(0), lambda: w.zero_(),
                 lambda: w.fill_(1), lambda: F.relu(w, inplace=True)):
        with pytest.raises(tg.TapeError):
            call()
    assert w.tolist() == [1, 2]
    h = w * 1  # computed: `h += 1` records a new tensor; a method cannot rebind h
    with pytest.raises(tg.TapeError, match="add_: .* a method cannot give back"):
        h.add_(1)
    with pytest.raises(tg.TapeError, match="clamp_: .* would be recorded"):
        h.clamp_(0)
    acc = tg.zeros(2)
    with pytest.raises(tg.TapeError, match="mul_"):
        acc.mul_(w)
    assert h.tolist() == [1, 2] and acc.tolist() == [0, 0]
    with tg.no_grad():
        w.mul_(3).clamp_(max=4)
        F.relu(w.sub_(5), inplace=True)
    assert w.tolist() == [0, 0] and w.is_leaf


@pytest.mark.parametrize("fn, kwargs, ref", [
    (F.leaky_relu, {"negative_slope": 0.2}, lambda x: np.where(x > 0, x, 0.2 * x)),
    (F.elu, {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    (F.hardtanh, {"min_val": -0.5, "max_val": 2.0}, lambda x: np.clip(x, -0.5, 2.0)),
    (F.relu6, {}, lambda x: np.clip(x, 0, 6)),
    (F.silu, {}, lambda x: x / (1 + np.exp(-x))),
    (F.mish, {}, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
])
def test_functional_activations_take_pytorchs_inplace_flag(fn, kwargs, ref):
    # PyTorch code calls F.leaky_relu(x, 0.2, inplace=True) etc.: the result is written into
    # x and x returned, by F.relu's rules (refused where the change would be recorded)
    x = np.array([-7.0, -1.0, 0.0, 0.5, 3.0, 8.0])
    t = tg.tensor(x.copy())
    assert fn(t, inplace=True, **kwargs) is t
    np.testing.assert_allclose(t.numpy(), ref(x), rtol=1e-12)
    np.testing.assert_array_equal(fn(tg.tensor(x), inplace=False, **kwargs).numpy(), t.numpy())
    w = tg.tensor(x, requires_grad=True)
    with pytest.raises(tg.TapeError, match=r"\(inplace=True\): .* would be recorded"):
        fn(w * 1.0, inplace=True, **kwargs)
    assert w.tolist() == x.tolist()
    with tg.no_grad():
        assert fn(w, inplace=True, **kwargs) is w
    np.testing.assert_allclose(w.numpy(), ref(x), rtol=1e-12)


@pytest.mark.parametrize("fn", [F.leaky_relu, F.elu, F.silu, F.mish])
def test_inplace_float_activation_of_an_integer_tensor_is_refused(fn):
    # PyTorch refuses these on integer tensors; writing silu([-1, 2, 7]) = [-0.27, 1.76,
    # 6.99] into int64 once truncated it to [0, 1, 6] silently
    t = tg.tensor([-1, 2, 7])
    with pytest.raises(TypeError, match=rf"{fn.__name__}\(inplace=True\): the result is "
                                        r"float32, .* a int64 tensor of shape \(3,\)"):
        fn(t, inplace=True)
    assert t.tolist() == [-1, 2, 7] and t.dtype == np.int64
    assert F.relu6(t, inplace=True) is t and t.tolist() == [0, 2, 6]  # int stays int


def test_stale_backward_after_an_in_place_method_raises():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0])
    loss = (w * b).sum()
    b.mul_(2)
    with pytest.raises(tg.TapeError, match="mul"):
        loss.backward()


def test_failed_in_place_methods_change_nothing():
    i = tg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="div_: cannot update a int64 tensor"):
        i.div_(2)
    with pytest.raises(TypeError, match="clamp_: cannot update a int64 tensor in place with "
                                        "float64"):
        i.clamp_(0, 1.5)
    with pytest.raises(ValueError, match=r"add_: the right-hand side of shape \(2,\)"):
        i.add_(tg.tensor([1, 2]))
    with pytest.raises(TypeError, match="fill_: value must be a number or a 0-d tensor"):
        i.fill_([1, 2, 3])
    assert i.tolist() == [1, 2, 3] and _version_of(i) == 0


# ---------------------------------------------------------------------- conversions
def test_conversions_and_device(a):
    x = t64(a)
    assert x.dim() == 2 and x.numel() == 12 and nn.Parameter(np.ones((2, 3))).numel() == 6
    assert x.to(tg.float64) is x and x.to("cpu") is x and x.cpu() is x
    assert x.to(tg.float32).dtype == np.float32 and x.to("cpu", "float32").dtype == np.float32
    assert x.to(tg.tensor([1])).dtype == np.int64 and x.to(device="cpu:0") is x
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32
    assert x.half().dtype == np.float16 and x.bool().dtype == np.bool_
    assert x.device == tg.device("cpu") and str(x.device) == "cpu"
    assert x.device.type == "cpu" and repr(x.device) == "device(type='cpu')"
    assert x.type() == "tapegrad.DoubleTensor" and tg.tensor([True]).type() == (
        "tapegrad.BoolTensor")
    assert x.type(tg.float32).dtype == np.float32
    for bad in ("cuda", "cuda:0", "mps", "cpu:1"):
        with pytest.raises(ValueError, match="device: tapegrad computes on the CPU"):
            x.to(bad)
    with pytest.raises(TypeError, match="to: the dtype is given twice"):
        x.to(tg.float32, tg.float64)
    z = x.new_zeros(2, 3)
    assert z.dtype == np.float64 and z.shape == (2, 3) and not z.requires_grad
    assert tg.tensor([1]).new_ones(2).dtype == np.int64
    assert x.new_full((2,), 5).tolist() == [5.0, 5.0]
    assert x.new_zeros(2, dtype=tg.float32).dtype == np.float32


def test_factories_and_functions():
    arr = np.arange(3.0)
    t = tg.from_numpy(arr)
    assert t.dtype == np.float64
    arr[0] = 7.0
    assert t[0].item() == 7.0  # shared memory, as PyTorch
    with pytest.raises(TypeError, match="from_numpy: expected an np.ndarray, got list"):
        tg.from_numpy([1.0])
    np.testing.assert_array_equal(tg.linspace(0, 1, 5).numpy(),
                                  np.linspace(0, 1, 5, dtype=np.float32))
    assert tg.linspace(0, 1, 0).shape == (0,) and tg.linspace(2, 3, 1).tolist() == [2.0]
    with pytest.raises(ValueError, match="linspace: steps must be an int >= 0"):
        tg.linspace(0, 1, -1)
    assert tg.allclose(tg.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    assert not tg.allclose(tg.tensor([1.0]), tg.tensor([1.1]))
    with pytest.raises(ValueError, match="allclose: shapes"):
        tg.allclose(tg.zeros(2), tg.zeros(3))
    x = tg.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert tg.sum(x).item() == 2.5 and tg.mean(x, dim=0).tolist() == [2.0, -0.75]
    assert tg.max(x).item() == 3.0 and tg.min(x, 1).tolist() == [-2.0, 0.5]
    assert tg.numel(x) == 4 and tg.sum([1.0, 2.0]).item() == 3.0


def test_one_hot():
    oh = F.one_hot(tg.tensor([0, 2, 1]))
    assert oh.dtype == np.int64 and oh.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(tg.tensor([[1], [0]]), num_classes=4).shape == (2, 1, 4)
    assert F.one_hot(tg.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    with pytest.raises(ValueError, match="one_hot: class index 3 is out of range for "
                                         "num_classes=3"):
        F.one_hot(tg.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="one_hot: class index -1"):
        F.one_hot(tg.tensor([-1]), 3)
    with pytest.raises(TypeError, match="one_hot: t must hold integer class indices"):
        F.one_hot(tg.tensor([0.0]))
    with pytest.raises(ValueError, match="one_hot: cannot infer num_classes"):
        F.one_hot(tg.tensor(np.zeros(0, np.int64)))


# ---------------------------------------------------------------------- grad modes
def test_set_grad_enabled_as_call_context_and_decorator():
    w = tg.tensor([1.0], requires_grad=True)
    tg.set_grad_enabled(False)
    try:
        assert not tg.is_grad_enabled() and not (w * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        with tg.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def f():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled() and f() is False and tg.is_grad_enabled()


def test_inference_mode():
    w = tg.tensor([1.0], requires_grad=True)
    with tg.inference_mode():
        assert (w * 2).record is None
    assert (w * 2).record is not None

    @tg.inference_mode
    def bare():
        return tg.is_grad_enabled()

    @tg.inference_mode()
    def called():
        return tg.is_grad_enabled()

    assert bare() is False and called() is False and tg.is_grad_enabled()
    with tg.no_grad(), tg.inference_mode(False):
        assert tg.is_grad_enabled()  # as PyTorch: inference_mode(False) records


def test_add_and_sub_with_alpha_scale_a_list_elementwise():
    """alpha·other of a list is the scaled numbers (the list's own `* 2` repeats it)."""
    x = tg.tensor([1.0, 2.0, 3.0])
    x.add_([1, 2, 3], alpha=2)
    np.testing.assert_array_equal(x.numpy(), [3.0, 6.0, 9.0])
    x.sub_((1.0, 1.0, 1.0), alpha=0.5)
    np.testing.assert_array_equal(x.numpy(), [2.5, 5.5, 8.5])
    with pytest.raises(TypeError, match="add_: alpha must be a number"):
        x.add_(1, alpha=[2])
    with pytest.raises(TypeError, match="sub_: other must be"):
        x.sub_("a", alpha=2)
    assert x.tolist() == [2.5, 5.5, 8.5]


def test_tg_max_and_min_of_two_tensors_are_elementwise_as_torch():
    """torch.max(input, other) is the elementwise maximum; tg.max(x, t) read t as an axis."""
    a, b = np.array([[1.0, 5.0], [4.0, -2.0]]), np.array([[3.0, 2.0], [0.0, -1.0]])
    x, y = t64(a), t64(b)
    np.testing.assert_array_equal(tg.max(x, y).numpy(), np.maximum(a, b))
    np.testing.assert_array_equal(tg.min(x, other=y).numpy(), np.minimum(a, b))
    tg.max(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (a > b).astype(float))
    np.testing.assert_array_equal(y.grad.numpy(), (b > a).astype(float))
    np.testing.assert_array_equal(tg.max(x, 1).numpy(), a.max(1))  # an int: the reduction
    assert tg.min(x, dim=0).indices.tolist() == [0, 1]


def test_tg_all_names_only_tapegrad_objects():
    assert "inspect" not in tg.__all__


def test_sort_and_argsort_take_pytorchs_stable_keyword():
    """x.sort(stable=True) and tg.argsort(x, stable=True), PyTorch's spellings; every sort
    is stable, so ties keep their order either way."""
    x = tg.tensor([2.0, 1.0, 2.0, 1.0])
    for stable in (True, False):
        assert x.sort(stable=stable, descending=True).indices.tolist() == [0, 2, 1, 3]
        assert tg.argsort(x, stable=stable).tolist() == [1, 3, 0, 2]
        assert tg.sort(x, dim=0, stable=stable).values.tolist() == [1, 1, 2, 2]


def test_type_takes_back_the_names_it_gives():
    """t.type() names the type ('tapegrad.FloatTensor'); t.type(name) converts to it, and
    to PyTorch's spelling of the same type."""
    x = tg.tensor([1.5, -2.0])
    assert x.type() == "tapegrad.FloatTensor"
    assert x.type(x.double().type()).dtype == np.float64
    y = x.type("torch.LongTensor")
    assert y.dtype == np.int64 and y.tolist() == [1, -2]
    assert x.type("tapegrad.BoolTensor").tolist() == [True, True]
    with pytest.raises(TypeError, match="unknown dtype 'torch.FooTensor'"):
        x.type("torch.FooTensor")


def test_max_min_with_dim_over_an_empty_axis_name_the_op():
    """max(dim=) over a zero-size axis: the same error as max(axis) (it was numpy's 'attempt
    to get argmax of an empty sequence' under max); over another axis, empty results."""
    x = tg.zeros(0, 3)
    for who in ("max", "min"):
        with pytest.raises(ValueError, match=rf"{who}: the tensor is empty along the reduced "
                                             r"axes \(shape \(0, 3\), axis \(0,\)\)"):
            getattr(x, who)(dim=0)
        values, indices = getattr(x, who)(dim=1)
        assert values.shape == indices.shape == (0,)


def test_size_is_numpys_count_and_called_pytorchs_shape():
    """t.size stays numpy's element count (an int); called, it is PyTorch's t.size():
    the shape, and t.size(d) the length along axis d."""
    x = tg.zeros(2, 3)
    assert x.size == np.zeros((2, 3)).size == 6 and isinstance(x.size, int)
    assert np.zeros(x.size).shape == (6,) and x.size * 2 == 12
    assert x.size() == (2, 3) and x.size(0) == 2 and x.size(-1) == x.size(dim=1) == 3
    with pytest.raises(ValueError, match="size: axis 2 is out of range"):
        x.size(2)


def test_pytorch_dtype_aliases():
    """tg.float/double/half/long/int/bool are torch's: float32, float64, float16, int64,
    int32, bool; the builtin names stay out of `from tapegrad import *`."""
    pairs = {"float": np.float32, "double": np.float64, "half": np.float16,
             "long": np.int64, "int": np.int32, "bool": np.bool_}
    for name, np_type in pairs.items():
        assert getattr(tg, name) == np.dtype(np_type)
    assert tg.tensor([1, 2], dtype=tg.long).dtype == np.int64
    assert tg.tensor([1, 2]).to(tg.float).dtype == np.float32
    namespace: dict = {}
    exec("from tapegrad import *", namespace)
    assert {"float", "int", "bool"}.isdisjoint(namespace) and namespace["long"] == np.int64


def test_bmm_is_a_batch_of_matrix_products():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    x, y = t64(a), t64(b)
    np.testing.assert_allclose(tg.bmm(x, y).numpy(), np.stack([a[0] @ b[0], a[1] @ b[1]]))
    assert tg.gradcheck(lambda p, q: p.bmm(q).sin(), [x, y])
    with pytest.raises(ValueError, match=r"bmm: needs batches .* shapes \(2, 3, 4\) and "
                                         r"\(3, 4, 5\)"):
        x.bmm(tg.zeros(3, 4, 5))
    with pytest.raises(ValueError, match=r"bmm: .* \(2, 3, 4\) and \(2, 3, 4\)"):
        x.bmm(x)


def test_isclose_allclose_and_new_tensor():
    x = tg.tensor([1.0, 2.0, np.nan])
    y = tg.tensor([1.0 + 1e-7, 2.1, np.nan])
    assert tg.isclose(x, y).tolist() == [True, False, False]
    assert x.isclose(y, equal_nan=True).tolist() == [True, False, True]
    assert x.isclose(y, rtol=0.1, equal_nan=True).dtype == np.bool_
    assert tg.ones(2).allclose(tg.ones(2) + 1e-9) and not x.allclose(y)
    with pytest.raises(ValueError, match=r"isclose: shapes \(3,\) and \(2,\) do not broadcast"):
        x.isclose(tg.ones(2))
    with pytest.raises(TypeError, match="isclose: expects a Tensor, got float"):
        x.isclose(1.0)
    source = [[1, 2], [3, 4]]
    n = tg.zeros(1, dtype="float64").new_tensor(source)
    assert n.dtype == np.float64 and n.tolist() == [[1.0, 2.0], [3.0, 4.0]] and n.is_leaf
    m = x.new_tensor(n, requires_grad=True)  # a copy: n is left as it is
    m.data[0, 0] = 9.0
    assert m.dtype == np.float32 and m.requires_grad and n[0, 0].item() == 1.0


def test_a_0d_tensor_formats_as_its_number():
    loss = tg.tensor(0.123456, dtype="float64")
    assert f"loss {loss:.3f}" == "loss 0.123" and f"{tg.tensor(7):>3d}" == "  7"
    assert f"{loss}" == "0.123456" and f"{tg.ones(2)}" == repr(tg.ones(2))
    with pytest.raises(TypeError, match=r"format: a spec \('.2f'\) applies to 0-d tensors "
                                        r"only, this one has shape \(2,\)"):
        f"{tg.ones(2):.2f}"


def test_more_pytorch_functions_and_methods(a):
    x = t64(a)
    np.testing.assert_array_equal(tg.transpose(x, 0, 1).numpy(), a.T)
    assert tg.squeeze(tg.zeros(2, 1)).shape == (2,) and tg.unsqueeze(x, 0).shape == (1, 4, 3)
    assert tg.reshape(x, (3, 4)).shape == (3, 4) and tg.permute(x, (1, 0)).shape == (3, 4)
    assert tg.flatten(tg.zeros(2, 3, 4), 1).shape == (2, 12) and tg.clone(x) is not x
    np.testing.assert_allclose(tg.square(x).numpy(), a ** 2)
    np.testing.assert_allclose(tg.log1p(tg.tensor(a ** 2)).numpy(), np.log1p(a ** 2))
    np.testing.assert_allclose(tg.rsqrt(tg.tensor(a ** 2 + 1)).numpy(), (a ** 2 + 1) ** -0.5)
    np.testing.assert_allclose(x.amax(1).numpy(), a.max(1))
    np.testing.assert_allclose(tg.amin(x, (0, 1), keepdim=True).numpy(), [[a.min()]])
    np.testing.assert_allclose(x.clamp_min(0.1).numpy(), np.maximum(a, 0.1))
    np.testing.assert_allclose(tg.clamp_max(x, 0.1).numpy(), np.minimum(a, 0.1))
    assert tg.dot(t64([1.0, 2.0]), t64([3.0, 4.0])).item() == 11.0
    assert tg.gradcheck(lambda p: p.index_select(1, tg.tensor([2, 0, 2])).sin(), [x])
    assert tg.gradcheck(lambda p: p[0].dot(p[1]) * p.amax() * p.rsqrt().sum(), [t64(a ** 2)])
    np.testing.assert_array_equal(tg.index_select(x, 0, [3, -4]).numpy(), a[[3, 0]])
    v = tg.tensor([np.nan, np.inf, -1.0])
    assert (tg.isnan(v).tolist(), v.isinf().tolist(), v.isfinite().tolist()) == (
        [True, False, False], [False, True, False], [False, False, True])
    assert tg.all(x > -10) and not tg.any(x > 10) and "all" not in tg.__all__
    assert (x.nelement(), x.ndimension(), x.element_size()) == (12, 2, 8)
    assert x.is_floating_point() and not tg.tensor([1]).is_floating_point()
    with pytest.raises(IndexError, match="index_select: index 3 is out of range for axis 1 "
                                         "of size 3"):
        x.index_select(1, tg.tensor([3]))
    with pytest.raises(TypeError, match="index_select: index must be integers, got float"):
        x.index_select(1, [0.5])
    with pytest.raises(ValueError, match=r"index_select: index must be 0-d or 1-D"):
        x.index_select(1, [[0]])
    with pytest.raises(ValueError, match=r"dot: needs two 1-D tensors of one length, got "
                                         r"shapes \(3,\) and \(2,\)"):
        tg.dot(tg.ones(3), tg.ones(2))


def test_grad_fn_is_the_record_and_none_for_leaves():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    assert x.grad_fn is None and y.grad_fn is y.record and y.grad_fn.op == "sum"
    assert (x * 3).grad_fn.op == "mul" and tg.tensor(1.0).grad_fn is None
