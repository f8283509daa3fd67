"""nn modules wrapping the new functions (L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, Hardtanh,
ReLU6, Softmin, LogSigmoid), Unflatten, init.eye_ and trunc_normal_, parameters_to_vector and
vector_to_parameters, Module.get_submodule/get_parameter/get_buffer and forward pre-hooks;
Embedding and PReLU (F.embedding, F.prelu), Module.cpu/register_module, and insert, pop,
item assignment and deletion in Sequential and ModuleList."""

import math
from collections import OrderedDict

import numpy as np
import pytest
from conftest import t64

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
from tapegrad.nn.utils import parameters_to_vector, vector_to_parameters


# ================================================================ modules wrapping F
@pytest.mark.parametrize("module, fn", [
    (nn.L1Loss(), F.l1_loss),
    (nn.SmoothL1Loss(reduction="sum", beta=0.5),
     lambda x, t: F.smooth_l1_loss(x, t, reduction="sum", beta=0.5)),
    (nn.HuberLoss(reduction="none", delta=2.0),
     lambda x, t: F.huber_loss(x, t, reduction="none", delta=2.0)),
    (nn.KLDivLoss(reduction="batchmean"), lambda x, t: F.kl_div(x, t, reduction="batchmean")),
    (nn.KLDivLoss(reduction="sum", log_target=True),
     lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True)),
])
def test_loss_modules_match_the_functions(module, fn, rng):
    x, t = rng.standard_normal((3, 4)) - 2, rng.random((3, 4))
    np.testing.assert_array_equal(module(t64(x), t).numpy(), fn(t64(x), t).numpy())


@pytest.mark.parametrize("module, fn", [
    (nn.Hardtanh(-2.0, 0.5), lambda x: F.hardtanh(x, -2.0, 0.5)), (nn.ReLU6(), F.relu6),
    (nn.Softmin(dim=0), lambda x: F.softmin(x, dim=0)), (nn.LogSigmoid(), F.logsigmoid),
])
def test_activation_modules_match_the_functions(module, fn, rng):
    x = rng.standard_normal((3, 4)) * 4
    np.testing.assert_array_equal(module(t64(x)).numpy(), fn(t64(x)).numpy())


def test_module_options_are_checked_and_shown():
    assert repr(nn.SmoothL1Loss(beta=0.5)) == "SmoothL1Loss(beta=0.5)"
    assert repr(nn.HuberLoss(reduction="sum")) == "HuberLoss(reduction='sum')"
    assert repr(nn.KLDivLoss("batchmean", log_target=True)) == (
        "KLDivLoss(reduction='batchmean', log_target=True)")
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.ReLU6()) == "ReLU6()" and repr(nn.Softmin(1)) == "Softmin(dim=1)"
    for make, match in ((lambda: nn.SmoothL1Loss(beta=-1), "SmoothL1Loss: beta"),
                        (lambda: nn.SmoothL1Loss(beta=float("nan")), "SmoothL1Loss: beta"),
                        (lambda: nn.HuberLoss(delta=0), "HuberLoss: delta"),
                        (lambda: nn.KLDivLoss("batch"), "KLDivLoss: reduction"),
                        (lambda: nn.L1Loss("avg"), "L1Loss: reduction"),
                        (lambda: nn.Hardtanh(1, -1), "Hardtanh: min_val 1")):
        with pytest.raises(ValueError, match=match):
            make()


# ================================================================ Unflatten
def test_unflatten_inverts_flatten():
    x = tg.arange(24.0).reshape(2, 12)
    assert nn.Unflatten(1, (3, 4))(x).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, -1, 3))(x).shape == (2, 2, 2, 3)
    y = nn.Unflatten(0, [1, 2])(x)
    assert y.shape == (1, 2, 12)
    z = tg.randn(5, 2, 3, 4)
    np.testing.assert_array_equal(nn.Unflatten(1, (2, 3, 4))(nn.Flatten()(z)).numpy(),
                                  z.numpy())
    assert repr(nn.Unflatten(1, (3, 4))) == "Unflatten(dim=1, unflattened_size=(3, 4))"


def test_unflatten_errors():
    x = tg.zeros(2, 12)
    with pytest.raises(ValueError, match=r"Unflatten: axis 1 of input shape \(2, 12\) has size "
                                         r"12, which unflattened_size \(5, 2\) does not fit"):
        nn.Unflatten(1, (5, 2))(x)
    with pytest.raises(ValueError, match="Unflatten: axis 1 .* unflattened_size \\(5, -1\\)"):
        nn.Unflatten(1, (5, -1))(x)
    with pytest.raises(ValueError, match=r"Unflatten: dim=2 is out of range .* \(2, 12\)"):
        nn.Unflatten(2, (3, 4))(x)
    for bad in ((), (3, 0), (-1, -1), 12, (3.0, 4)):
        with pytest.raises(TypeError, match="Unflatten: unflattened_size must be"):
            nn.Unflatten(1, bad)


# ================================================================ init
def test_eye_():
    w = nn.Linear(3, 5).weight
    nn.init.eye_(w)
    np.testing.assert_array_equal(w.numpy(), np.eye(5, 3))
    assert w.dtype == np.float32
    with pytest.raises(ValueError, match=r"eye_: only 2-D tensors are supported, got shape "
                                         r"\(2, 2, 2\)"):
        nn.init.eye_(tg.zeros(2, 2, 2))


def truncated_normal_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    z = cdf(be) - cdf(al)
    shift = (pdf(al) - pdf(be)) / z
    var = 1 + (al * pdf(al) - be * pdf(be)) / z - shift ** 2
    return mean + std * shift, std * math.sqrt(var)


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (1.0, 2.0, 0.5, 6.0), (0.0, 1.0, 1.0, 3.0),
])
def test_trunc_normal_stays_in_bounds_with_the_truncated_moments(mean, std, a, b):
    t = tg.zeros(200, 500)
    assert nn.init.trunc_normal_(t, mean, std, a, b) is t
    v = t.numpy().astype(np.float64)
    assert v.min() >= np.float32(a) and v.max() <= np.float32(b)
    m, s = truncated_normal_moments(mean, std, a, b)
    # 1e5 samples: the sample mean's standard error is s/316; allow 5 of them
    assert abs(v.mean() - m) < 5 * s / math.sqrt(v.size)
    assert v.std() == pytest.approx(s, rel=0.01)


def test_trunc_normal_is_seeded_and_checks_its_arguments():
    tg.manual_seed(3)
    a = nn.init.trunc_normal_(tg.zeros(50)).numpy().copy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.init.trunc_normal_(tg.zeros(50)).numpy(), a)
    t = tg.ones(4)
    for kwargs, match in (({"std": 0.0}, "need std > 0 and a < b"),
                          ({"a": 1.0, "b": -1.0}, "need std > 0 and a < b"),
                          ({"a": 3.0, "b": 9.0},
                           r"\[a, b\] = \[3.0, 9.0\] holds only 0.00135 of N\(0.0, 1.0²\)")):
        with pytest.raises(ValueError, match="trunc_normal_: " + match):
            nn.init.trunc_normal_(t, **kwargs)
    with pytest.raises(TypeError, match="trunc_normal_: mean must be a number"):
        nn.init.trunc_normal_(t, mean="0")
    np.testing.assert_array_equal(t.numpy(), 1.0)  # failed calls change nothing


# ================================================================ parameters as a vector
def test_parameters_to_vector_round_trip():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    params = list(net.parameters())
    vec = parameters_to_vector(net.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,) and vec.dtype == np.float32
    np.testing.assert_array_equal(vec.numpy(), np.concatenate([p.numpy().ravel()
                                                               for p in params]))
    new = tg.arange(float(vec.size))
    vector_to_parameters(new, net.parameters())
    assert [p is q for p, q in zip(net.parameters(), params)] == [True] * 4
    assert all(p.dtype == np.float32 for p in params)
    np.testing.assert_array_equal(params[0].numpy(), np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(params[3].numpy(), [24.0, 25.0])
    np.testing.assert_array_equal(parameters_to_vector(params).numpy(), new.numpy())


def test_parameters_to_vector_is_differentiable():
    w, b = t64([[1.0, 2.0]]), t64([3.0])
    parameters_to_vector([w, b]).square().sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2.0, 4.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [6.0])


def test_vector_to_parameters_errors_change_nothing():
    w, b = tg.ones(2, 2), tg.ones(3)
    with pytest.raises(ValueError, match=r"vector_to_parameters: vec has shape \(6,\), the "
                                         r"parameters need \(7,\)"):
        vector_to_parameters(tg.zeros(6), [w, b])
    with pytest.raises(TypeError, match="vector_to_parameters: expected vec to be a Tensor"):
        vector_to_parameters(np.zeros(7), [w, b])
    with pytest.raises(TypeError, match="parameters_to_vector: item 1 is ndarray"):
        parameters_to_vector([w, np.zeros(3)])
    with pytest.raises(ValueError, match="parameters_to_vector: no parameters given"):
        parameters_to_vector([])
    assert w.numpy().sum() == 4 and b.numpy().sum() == 3


# ================================================================ lookups by path
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        self.head = nn.Linear(3, 1, bias=False)
        self.scale = 2.0


def test_get_submodule_parameter_and_buffer():
    net = Net()
    assert net.get_submodule("") is net
    assert net.get_submodule("block.1") is net.block[1]
    assert net.get_parameter("block.0.weight") is net.block[0].weight
    assert net.get_parameter("head.weight") is net.head.weight
    assert net.get_buffer("block.1.running_var") is net.block[1].running_var
    names = dict(net.named_parameters())
    assert all(net.get_parameter(k) is v for k, v in names.items())


@pytest.mark.parametrize("call, match", [
    (lambda n: n.get_submodule("block.2"), "get_submodule: 'block.2': Sequential.2 does not "
                                           "exist"),
    (lambda n: n.get_submodule("scale"), "get_submodule: 'scale': Net.scale is not an "
                                         "nn.Module"),
    (lambda n: n.get_parameter("head.bias"), "get_parameter: 'head.bias': Linear.bias is not "
                                             "an nn.Parameter"),
    (lambda n: n.get_parameter("block.1.running_mean"), "is not an nn.Parameter"),
    # the call made and the path given, not the get_submodule it walks with
    (lambda n: n.get_parameter("nope.weight"), "get_parameter: 'nope.weight': Net.nope does "
                                               "not exist"),
    (lambda n: n.get_buffer("block.5.running_mean"), "get_buffer: 'block.5.running_mean': "
                                                     "Sequential.5 does not exist"),
    (lambda n: n.get_buffer("block.1.weight"), "get_buffer: 'block.1.weight': "
                                               "BatchNorm1d.weight is not a buffer"),
    (lambda n: n.get_buffer("head.running_mean"), "Linear.running_mean does not exist"),
])
def test_lookups_that_lead_nowhere_name_the_step(call, match):
    with pytest.raises(AttributeError, match=match) as info:
        call(Net())
    assert isinstance(info.value, ValueError)


def test_lookups_take_strings():
    with pytest.raises(TypeError, match="get_parameter: target must be a dotted string"):
        Net().get_parameter(0)


# ================================================================ forward pre-hooks
def test_forward_pre_hook_sees_and_replaces_the_inputs():
    lin = nn.Linear(2, 2)
    seen = []
    h1 = lin.register_forward_pre_hook(lambda m, args: seen.append((m, args)))
    x = tg.ones(1, 2)
    y = lin(x)
    assert seen == [(lin, (x,))]
    h2 = lin.register_forward_pre_hook(lambda m, args: args[0] * 0)  # a non-tuple: one input
    np.testing.assert_allclose(lin(x).numpy(), lin.bias.numpy()[None])
    outs = []
    lin.register_forward_hook(lambda m, args, out: outs.append(args[0].numpy().copy()))
    lin(x)
    np.testing.assert_array_equal(outs[-1], [[0.0, 0.0]])  # forward hooks get the new args
    h2.remove()
    h1.remove()
    h1.remove()  # twice is harmless
    n = len(seen)
    np.testing.assert_array_equal(lin(x).numpy(), y.numpy())
    assert len(seen) == n


def test_forward_pre_hooks_run_in_order_and_may_return_tuples():
    class Add(nn.Module):
        def forward(self, a, b, scale=1.0):
            return (a + b) * scale
    m = Add()
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 10, args[1]))
    m.register_forward_pre_hook(lambda mod, args: (args[0] + 1, args[1]))
    assert m(tg.tensor(1.0), tg.tensor(2.0), scale=2.0).item() == (1 * 10 + 1 + 2) * 2


# ================================================================ Embedding
def scattered(shape, idx, g):
    """The gradient of sum(weight[idx] * g) with respect to weight: g added into the rows."""
    out = np.zeros(shape)
    np.add.at(out, idx, g)
    return out


def test_embedding_is_a_row_lookup_whose_gradient_adds_into_the_rows(rng):
    w = rng.standard_normal((5, 3))
    idx = np.array([[0, 4, 4], [2, 0, 4]])  # repeats accumulate
    weight = t64(w)
    y = F.embedding(tg.tensor(idx), weight)
    assert y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y.numpy(), w[idx])
    g = rng.standard_normal(y.shape)
    (y * g).sum().backward()
    np.testing.assert_allclose(weight.grad.numpy(), scattered(w.shape, idx, g), rtol=1e-15)
    assert F.embedding(3, weight).shape == (3,)  # a 0-d index: one row
    assert F.embedding(tg.zeros(2, 0, dtype="int64"), weight).shape == (2, 0, 3)
    assert tg.gradcheck(lambda t: F.embedding(idx, t), [t64(w)])


@pytest.mark.parametrize("padding_idx", [1, -4])
def test_embedding_padding_row_is_read_but_gets_no_gradient(padding_idx, rng):
    w = rng.standard_normal((5, 2))
    idx = np.array([1, 3, 1, 0])
    weight = t64(w)
    y = F.embedding(idx, weight, padding_idx=padding_idx)
    np.testing.assert_array_equal(y.numpy(), w[idx])  # the row's value, as PyTorch
    g = rng.standard_normal(y.shape)
    (y * g).sum().backward()
    expected = scattered(w.shape, idx, g)
    expected[1] = 0.0
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-15)


def test_embedding_module_init_padding_and_training(rng):
    tg.manual_seed(5)
    emb = nn.Embedding(400, 50)
    w = emb.weight.numpy()
    assert w.shape == (400, 50) and w.dtype == np.float32
    assert abs(w.mean()) < 5 / math.sqrt(w.size) and w.std() == pytest.approx(1.0, rel=0.02)
    tg.manual_seed(5)
    np.testing.assert_array_equal(nn.Embedding(400, 50).weight.numpy(), w)
    emb = nn.Embedding(6, 4, padding_idx=-2, dtype="float64")
    assert emb.padding_idx == 4 and emb.weight.dtype == np.float64
    np.testing.assert_array_equal(emb.weight.numpy()[4], 0.0)
    assert [k for k, _ in emb.named_parameters()] == ["weight"]
    before = emb.weight.numpy().copy()
    opt = tg.optim.SGD(emb.parameters(), lr=0.5)
    emb(np.array([[4, 1], [4, 4]])).sum().backward()
    opt.step()
    after = emb.weight.numpy()
    np.testing.assert_array_equal(after[4], 0.0)  # the padding row stays as it was
    np.testing.assert_allclose(after[1], before[1] - 0.5)
    np.testing.assert_array_equal(after[[0, 2, 3, 5]], before[[0, 2, 3, 5]])


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_embedding_max_norm_renormalizes_the_rows_used_in_place(norm_type, rng):
    w = rng.standard_normal((6, 3)) * 2
    idx = np.array([[0, 2], [2, 5]])
    weight = t64(w)
    y = F.embedding(idx, weight, max_norm=1.5, norm_type=norm_type)
    expected = w.copy()
    for r in (0, 2, 5):
        norm = np.sum(np.abs(w[r]) ** norm_type) ** (1 / norm_type) if norm_type < math.inf \
            else np.abs(w[r]).max()
        if norm > 1.5:
            expected[r] = w[r] * (1.5 / (norm + 1e-7))
    np.testing.assert_allclose(weight.numpy(), expected, rtol=1e-14)
    np.testing.assert_array_equal(weight.numpy()[[1, 3, 4]], w[[1, 3, 4]])  # rows not used
    np.testing.assert_array_equal(y.numpy(), weight.numpy()[idx])
    g = rng.standard_normal(y.shape)
    (y * g).sum().backward()  # the renormalization is not differentiated
    np.testing.assert_allclose(weight.grad.numpy(), scattered(w.shape, idx, g), rtol=1e-15)
    emb = nn.Embedding(6, 3, max_norm=1.0)
    emb(np.arange(6))
    assert np.linalg.norm(emb.weight.numpy(), axis=1).max() <= 1.0 + 1e-6


def test_embedding_from_pretrained():
    pre = tg.tensor(np.arange(6.0).reshape(3, 2))
    state = tg.get_rng_state()
    emb = nn.Embedding.from_pretrained(pre, padding_idx=1)
    assert tg.get_rng_state()["state"] == state["state"]  # nothing drawn
    assert emb.weight.dtype == np.float64 and not emb.weight.requires_grad
    np.testing.assert_array_equal(emb.weight.numpy(), pre.numpy())  # the padding row kept
    emb.weight.data[0, 0] = 9.0
    assert pre.numpy()[0, 0] == 0.0  # a copy
    np.testing.assert_array_equal(emb(np.array([2, 1])).numpy(), [[4.0, 5.0], [2.0, 3.0]])
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    assert repr(emb) == "Embedding(3, 2, padding_idx=1)"


def test_embedding_repr():
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.Embedding(10, 3, padding_idx=-1)) == "Embedding(10, 3, padding_idx=9)"
    assert repr(nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0)) == (
        "Embedding(10, 3, max_norm=1.0, norm_type=1.0)")
    assert repr(nn.Sequential(nn.Embedding(4, 2))) == "Sequential(\n  (0): Embedding(4, 2)\n)"


def test_embedding_errors_change_nothing():
    weight = tg.ones(3, 2, requires_grad=True)
    with pytest.raises(TypeError, match="embedding: input must hold integer indices, got "
                                        "float32"):
        F.embedding(tg.tensor([0.0, 1.0]), weight)
    with pytest.raises(TypeError, match="embedding: input must hold integer indices, got bool"):
        F.embedding(np.array([True]), weight)
    for bad in (3, -1):
        with pytest.raises(IndexError, match=rf"embedding: index {bad} is out of range for "
                                             r"weight of shape \(3, 2\) \(indices in \[0, 3\)\)"
                           ) as info:
            F.embedding([0, bad], weight, max_norm=0.5)
        assert isinstance(info.value, ValueError)
    np.testing.assert_array_equal(weight.numpy(), 1.0)  # no row was renormalized
    with pytest.raises(ValueError, match=r"embedding: weight must be 2-D .* got shape \(3,\)"):
        F.embedding([0], tg.ones(3))
    with pytest.raises(ValueError, match=r"embedding: padding_idx 3 is out of range for "
                                         r"num_embeddings 3 \(in \[-3, 3\)\)"):
        F.embedding([0], weight, padding_idx=3)
    with pytest.raises(TypeError, match="embedding: padding_idx must be an int or None"):
        F.embedding([0], weight, padding_idx=1.0)
    with pytest.raises(ValueError, match="embedding: max_norm must be >= 0 and norm_type > 0"):
        F.embedding([0], weight, max_norm=-1.0)
    with pytest.raises(TypeError, match="embedding: weight must be floating point, got int64"):
        F.embedding([0], tg.ones(3, 2, dtype="int64"), max_norm=1.0)
    for make, kind, match in (
            (lambda: nn.Embedding(-1, 2), ValueError, "Embedding: num_embeddings must be a "
                                                      "non-negative int, got -1"),
            (lambda: nn.Embedding(3, 2.0), ValueError, "Embedding: embedding_dim must be"),
            (lambda: nn.Embedding(3, 2, padding_idx=-4), ValueError, "Embedding: padding_idx -4"),
            (lambda: nn.Embedding(3, 2, True), TypeError, "Embedding: padding_idx must be"),
            (lambda: nn.Embedding(3, 2, max_norm="1"), TypeError, "Embedding: max_norm must be"),
            (lambda: nn.Embedding(3, 2, dtype="int64"), TypeError, "Embedding: dtype must be "
                                                                   "floating point"),
            (lambda: nn.Embedding.from_pretrained(tg.ones(3)), ValueError,
             r"Embedding.from_pretrained: embeddings must be 2-D .* got shape \(3,\)"),
            (lambda: nn.Embedding.from_pretrained(np.ones((3, 2))), TypeError,
             "Embedding.from_pretrained: embeddings must be a Tensor"),
            (lambda: nn.Embedding.from_pretrained(tg.ones(3, 2), padding_idx=3), ValueError,
             "Embedding: padding_idx 3 is out of range")):
        with pytest.raises(kind, match=match):
            make()


# ================================================================ PReLU
def prelu_truth(x, a, g):
    """y, dy/dx·g and Σ dy/da·g of PReLU in plain numpy: a broadcast over axis 1 (or one a);
    at x = 0 the slope side (PyTorch's), so dx = a·g and da gets x·g = 0."""
    a_b = a.reshape(()) if a.size == 1 else a.reshape((-1,) + (1,) * (x.ndim - 2))
    neg = ~(x > 0)
    y = np.where(neg, a_b * x, x)
    gx = np.where(neg, a_b * g, g)
    ga = np.where(neg, x * g, 0.0)
    ga = ga.sum() if a.size == 1 else ga.sum(axis=tuple(i for i in range(x.ndim) if i != 1))
    return y, gx, np.reshape(ga, a.shape)


@pytest.mark.parametrize("x_shape, a_shape", [
    ((), (1,)), ((5,), (1,)), ((5,), ()), ((4, 3), (1,)), ((4, 3), (3,)), ((2, 3, 4), (3,)),
    ((2, 3, 2, 2), (3,)), ((2, 3, 2, 2), (1,)), ((2, 1), (1,)),
])
def test_prelu_values_and_gradients(x_shape, a_shape, rng):
    x = rng.standard_normal(x_shape)
    x[rng.random(x_shape) < 0.3] = 0.0  # exact zeros: the slope side
    a = rng.standard_normal(a_shape)
    xt, at = t64(x), t64(a)
    y = F.prelu(xt, at)
    g = rng.standard_normal(y.shape)
    (y * g).sum().backward()
    ey, egx, ega = prelu_truth(x, a, g)
    assert y.shape == x.shape and at.grad.shape == a.shape
    np.testing.assert_array_equal(y.numpy(), ey)
    np.testing.assert_array_equal(xt.grad.numpy(), egx)
    np.testing.assert_allclose(at.grad.numpy(), ega, rtol=1e-13, atol=1e-15)
    x_away = x + np.where(x >= 0, 0.5, -0.5)  # finite differences need no kink nearby
    assert tg.gradcheck(lambda u, v: F.prelu(u, v), [t64(x_away), t64(a)])


def test_prelu_module():
    m = nn.PReLU()
    assert m.weight.shape == (1,) and m.weight.dtype == np.float32
    np.testing.assert_array_equal(m.weight.numpy(), [0.25])
    np.testing.assert_array_equal(m(tg.tensor([-2.0, 0.0, 3.0])).numpy(), [-0.5, 0.0, 3.0])
    m = nn.PReLU(3, init=0.1, dtype="float64")
    assert m.weight.dtype == np.float64 and m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.numpy(), [0.1] * 3)
    x = -np.ones((2, 3, 2))
    np.testing.assert_allclose(m(t64(x)).numpy(), -0.1)
    assert [k for k, _ in m.named_parameters()] == ["weight"]
    assert repr(m) == "PReLU(num_parameters=3)" and repr(nn.PReLU()) == "PReLU(num_parameters=1)"


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"prelu: weight has 3 slopes, but input of shape "
                                         r"\(2, 4\) has 4 channels \(axis 1\)"):
        nn.PReLU(3)(tg.zeros(2, 4))
    with pytest.raises(ValueError, match=r"prelu: weight has 3 slopes, but input of shape "
                                         r"\(3,\) has 1 channel "):
        F.prelu(tg.zeros(3), tg.ones(3))
    with pytest.raises(ValueError, match=r"prelu: weight must be 0-d or 1-D, got shape \(3, 1\)"):
        F.prelu(tg.zeros(2, 3), tg.ones(3, 1))
    with pytest.raises(TypeError, match="prelu: input is float64 but weight is float32"):
        nn.PReLU(3)(tg.zeros(2, 3, dtype="float64"))
    with pytest.raises(TypeError, match="prelu: input must be floating point, got int64"):
        F.prelu(tg.zeros(2, 3, dtype="int64"), tg.ones(1))
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a non-negative int"):
        nn.PReLU(-1)
    with pytest.raises(TypeError, match="PReLU: init must be a number"):
        nn.PReLU(2, init="0.1")
    with pytest.raises(TypeError, match="PReLU: dtype must be floating point"):
        nn.PReLU(2, dtype="int32")


# ================================================================ Module and container gaps
def test_cpu_and_register_module():
    net = nn.Linear(2, 2)
    assert net.cpu() is net
    m = nn.Module()
    m.register_module("fc", net)
    assert m.fc is net and [k for k, _ in m.named_parameters()] == ["fc.weight", "fc.bias"]
    for name, kind, match in ((3, TypeError, "add_module: the name must be a string, got 3"),
                              ("a.b", ValueError, "add_module: the name must be non-empty and "
                                                  "without '.', got 'a.b'"),
                              ("", ValueError, "without '.', got ''"),
                              ("training", ValueError, "add_module: attribute 'training' "
                                                       "already exists in Module")):
        with pytest.raises(kind, match=match):
            m.register_module(name, nn.Identity())
    with pytest.raises(ValueError, match="attribute 'weight' already exists in Linear"):
        net.add_module("weight", nn.Identity())
    with pytest.raises(TypeError, match="add_module: 'x' must be a Module, got int"):
        m.register_module("x", 3)
    assert list(m._modules) == ["fc"]  # failed calls add nothing


def tagged(n):
    return [nn.Linear(1, 1) for _ in range(n)]


def names_of(container, mods):
    """The (name, position in mods) of each child: what the container holds, in order."""
    return [(k, next(i for i, m in enumerate(mods) if m is v))
            for k, v in container._modules.items()]


@pytest.mark.parametrize("kind", [nn.Sequential, nn.ModuleList])
def test_insert_pop_and_delete_renumber_as_pytorch(kind):
    mods = tagged(8)
    c = kind(*mods[:4]) if kind is nn.Sequential else kind(mods[:4])
    # the expected lists are what torch 2.13's Sequential and ModuleList give
    c.insert(1, mods[4])
    assert names_of(c, mods) == [("0", 0), ("1", 4), ("2", 1), ("3", 2), ("4", 3)]
    c.insert(5, mods[5])  # at the end
    c.insert(-1, mods[6])  # before the last
    assert names_of(c, mods) == [("0", 0), ("1", 4), ("2", 1), ("3", 2), ("4", 3), ("5", 6),
                                 ("6", 5)]
    assert c.pop(1) is mods[4] and c.pop() is mods[5]
    assert names_of(c, mods) == [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("4", 6)]
    del c[-2]
    del c[::2]
    assert names_of(c, mods) == [("0", 1), ("1", 6)]
    c[-1] = mods[7]
    assert names_of(c, mods) == [("0", 1), ("1", 7)]
    popped = c.pop(slice(0, 1))
    assert type(popped) is kind and names_of(popped, mods) == [("0", 1)]
    assert names_of(c, mods) == [("0", 7)] and c[0] is mods[7] and c._modules["0"] is c[0]
    assert [k for k, _ in c.named_parameters()] == ["0.weight", "0.bias"]


def test_sequential_deletion_renumbers_its_own_names_as_pytorch():
    mods = tagged(3)
    seq = nn.Sequential(OrderedDict(a=mods[0], b=mods[1], c=mods[2]))
    seq[1] = mods[1]  # assignment keeps the name
    assert list(seq._modules) == ["a", "b", "c"]
    del seq[1]
    assert names_of(seq, mods) == [("0", 0), ("1", 2)]
    assert not hasattr(seq, "a") and seq[1] is getattr(seq, "1")
    tail = nn.Sequential(*mods)[1:]  # names '1', '2'
    tail.insert(0, nn.Identity())
    assert list(tail._modules) == ["0", "1", "2"]
    x = tg.ones(1, 1)
    np.testing.assert_array_equal(tail(x).numpy(), mods[2](mods[1](x)).numpy())


@pytest.mark.parametrize("kind", [nn.Sequential, nn.ModuleList])
def test_container_edits_check_their_arguments_and_change_nothing(kind):
    mods = tagged(2)
    c = kind(*mods) if kind is nn.Sequential else kind(mods)
    name = kind.__name__
    for call, err, match in (
            (lambda: c.insert(3, nn.Identity()), IndexError,
             rf"{name}.insert: index 3 is out of range for 2 modules \(in \[-2, 2\]\)"),
            (lambda: c.insert(-3, nn.Identity()), IndexError, "index -3 is out of range"),
            (lambda: c.insert(0, 3), TypeError, f"{name}.insert: module must be a Module"),
            (lambda: c.insert("0", nn.Identity()), TypeError, "index must be an int"),
            (lambda: c.pop(2), IndexError, f"{name}: index 2 is out of range for 2 modules"),
            (lambda: c.__delitem__(-3), IndexError, "index -3 is out of range"),
            (lambda: c.__delitem__("0"), TypeError, "index must be an int or a slice"),
            (lambda: c.__setitem__(2, nn.Identity()), IndexError, "index 2 is out of range"),
            (lambda: c.__setitem__(0, 3), TypeError, f"{name}: cannot assign int at index 0")):
        with pytest.raises(err, match=match) as info:
            call()
        assert isinstance(info.value, (TypeError, ValueError))
    assert names_of(c, mods) == [("0", 0), ("1", 1)]
    with pytest.raises(IndexError, match="index -1 is out of range for 0 modules"):
        kind().pop()
