"""tapegrad.nn: Module bookkeeping, layers against numpy, scopes, state dicts, bad input."""

import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.bn1 = nn.BatchNorm1d(3)
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.block(F.relu(self.bn1(self.fc1(x)))))


# ================================================================ Parameter, Linear
def test_parameter_is_a_float32_leaf_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.dtype == np.float32
    assert p.is_leaf
    assert nn.Parameter(np.zeros(2)).dtype == np.float64  # float64 data stays float64
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


def test_linear_shapes_init_and_forward(rng):
    lin = nn.Linear(64, 16)
    assert lin.weight.shape == (16, 64) and lin.bias.shape == (16,)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.dtype == np.float32
    bound = 1 / np.sqrt(64)  # PyTorch's default: U(-1/√in, 1/√in) for weight and bias
    w = lin.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(lin.bias.numpy()).max() <= bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)  # 1,024 draws
    x = rng.standard_normal((5, 64)).astype(np.float32)
    np.testing.assert_allclose(lin(tg.tensor(x)).numpy(), x @ w.T + lin.bias.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]
    assert repr(lin) == "Linear(in_features=64, out_features=16, bias=True)"


def test_linear_wrong_width_names_both_sizes_and_the_layer():
    net = Net()
    with pytest.raises(ValueError, match=r"Linear\(2, 3\) \('fc1'\): expected input with 2 "
                                         r"features .*shape \(4, 5\) with 5"):
        net(tg.zeros(4, 5))
    with pytest.raises(ValueError, match=r"Linear\(3, 4\): expected input with 3 features"):
        nn.Linear(3, 4)(tg.zeros(2, 2))


def test_linear_refuses_integer_input_and_allows_zero_inputs():
    lin = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"Linear\(3, 2\): input must be floating point, got "
                                        r"int64 \(shape \(4, 3\)\)"):
        lin(tg.Tensor(np.ones((4, 3), np.int64)))
    empty = nn.Linear(0, 2)  # PyTorch allows it: y = b, with b drawn from U(0, 0)
    assert empty(tg.zeros(4, 0)).numpy().tolist() == [[0.0, 0.0]] * 4


def test_linear_seeded():
    tg.manual_seed(7)
    a = nn.Linear(5, 5).weight.numpy().copy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(5, 5).weight.numpy(), a)


# ================================================================ Module bookkeeping
def test_named_parameters_children_modules():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "block.fc.weight",
                     "block.fc.bias", "head.weight"]
    assert [p.shape for p in net.parameters()] == [(3, 2), (3,), (3,), (3,), (4, 3), (4,),
                                                   (2, 4)]
    assert [n for n, _ in net.named_children()] == ["fc1", "bn1", "block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn1", "block", "block.fc",
                                                   "block.act", "head"]
    assert len(list(net.modules())) == 7
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                      "2.bias"]


def test_shared_parameter_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


def test_train_eval_and_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert net.block.act.training
    F.mse_loss(net(tg.randn(4, 2)), tg.zeros(4, 2)).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_is_nested_like_pytorch():
    assert repr(Net()) == (
        "Net(\n"
        "  (fc1): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (bn1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (act): Tanh()\n"
        "  )\n"
        "  (head): Linear(in_features=4, out_features=2, bias=False)\n"
        ")")


def test_modules_push_scopes_onto_their_records():
    net = Net()
    with tg.Tape() as tape:
        net(tg.randn(4, 2))
    by_scope = {}
    for r in tape.records:
        by_scope.setdefault(r.scope, []).append(r.op)
    assert list(by_scope) == [("fc1",), ("bn1",), (), ("block", "fc"), ("block", "act"),
                              ("head",)]
    assert by_scope[("bn1",)] == ["mean", "sub", "square", "mean", "add", "sqrt", "div", "mul",
                                  "add"]
    assert by_scope[()] == ["relu"]  # F.relu in the root's forward: no scope
    labels = {r.scope: r.scope_labels for r in tape.records}
    assert labels[("bn1",)] == ("BatchNorm1d(3)",)
    assert labels[("block", "fc")] == ("Block()", "Linear(3, 4)")


def test_grandchild_called_directly_gets_the_full_path():
    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()

        def forward(self, x):
            return self.block.fc(x)

    with tg.Tape() as tape:
        Skip()(tg.randn(2, 3))
    assert {r.scope for r in tape.records} == {("block", "fc")}


def test_forward_hook():
    lin = nn.Linear(2, 2)
    seen = []
    handle = lin.register_forward_hook(lambda m, inp, out: seen.append((m, out.shape)))
    lin(tg.zeros(3, 2))
    handle.remove()
    lin(tg.zeros(3, 2))
    assert seen == [(lin, (3, 2))]


# ================================================================ state dicts
def test_state_dict_contains_parameters_and_buffers():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
                        "bn1.running_var", "bn1.num_batches_tracked", "block.fc.weight",
                        "block.fc.bias", "head.weight"]
    assert not any(v.requires_grad for v in sd.values())


def test_load_state_dict_round_trip_through_a_file(tmp_path):
    src, dst = Net(), Net()
    src(tg.randn(8, 2))  # moves the running statistics
    tg.save(src.state_dict(), tmp_path / "net.npz")
    dst.load_state_dict(tg.load(tmp_path / "net.npz"))
    for (k, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    x = tg.randn(5, 2)
    src.eval(), dst.eval()
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


@pytest.mark.parametrize("corrupt, match", [
    (lambda sd: sd.pop("bn1.running_var"), r"missing keys \['bn1.running_var'\]"),
    (lambda sd: sd.__setitem__("fc9.weight", tg.zeros(1)), r"unexpected keys \['fc9.weight'\]"),
    (lambda sd: sd.__setitem__("head.weight", tg.zeros(4, 2)),
     r"'head.weight' has shape \(4, 2\), the module's has \(2, 4\)"),
    (lambda sd: sd.__setitem__("block.fc.bias", tg.zeros(4, dtype="float64")),
     r"'block.fc.bias' has dtype float64"),
])
def test_failed_load_names_the_key_and_changes_nothing(corrupt, match):
    net, other = Net(), Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    sd = {k: tg.Tensor(v.numpy() + 1) for k, v in other.state_dict().items()}
    corrupt(sd)
    with pytest.raises(ValueError, match=match):
        net.load_state_dict(sd)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_load_state_dict_non_strict_reports_keys():
    net = nn.Linear(2, 2)
    res = net.load_state_dict({"weight": np.ones((2, 2), np.float32), "x": np.zeros(1)},
                              strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["x"]
    np.testing.assert_array_equal(net.weight.numpy(), 1.0)


def test_load_bumps_version_so_a_stale_backward_fails():
    lin = nn.Linear(2, 2)
    x = tg.ones(1, 2, requires_grad=True)
    loss = lin(x).sum()  # matmul saved the weight (for dL/dx)
    lin.load_state_dict({k: tg.Tensor(v.numpy() * 2) for k, v in lin.state_dict().items()})
    with pytest.raises(tg.TapeError, match="matmul"):
        loss.backward()


# ================================================================ containers
def test_sequential_identity_flatten(rng):
    seq = nn.Sequential(nn.Flatten(), nn.Identity(), nn.Linear(6, 2))
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    lin = seq[2]
    np.testing.assert_allclose(seq(tg.tensor(x)).numpy(),
                               x.reshape(4, 6) @ lin.weight.numpy().T + lin.bias.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert len(seq) == 3 and list(seq)[1].__class__ is nn.Identity
    assert isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    seq.append(nn.ReLU())
    assert len(seq) == 4 and isinstance(seq[3], nn.ReLU)
    with pytest.raises(TypeError, match="Sequential: item '0' is int"):
        nn.Sequential(3)
    assert nn.Flatten(0)(tg.zeros(2, 3)).shape == (6,)


@pytest.mark.parametrize("module, fn", [
    (nn.ReLU(), F.relu), (nn.LeakyReLU(0.1), lambda x: F.leaky_relu(x, 0.1)),
    (nn.ELU(0.5), lambda x: F.elu(x, 0.5)), (nn.Sigmoid(), F.sigmoid), (nn.Tanh(), F.tanh),
    (nn.Softplus(), F.softplus), (nn.Softmax(1), lambda x: F.softmax(x, 1)),
    (nn.LogSoftmax(), F.log_softmax),
])
def test_activation_modules_apply_their_functions(module, fn, rng):
    x = tg.tensor(rng.standard_normal((3, 4)))
    np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())


def test_loss_modules_are_the_functional_losses_with_pytorch_names():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((6, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    w = rng.uniform(0.5, 2, 4)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    smooth = 0.9 * -logp[np.arange(6), y] - 0.1 * logp.mean(axis=1)  # label_smoothing 0.1
    ce = nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum")
    assert ce(tg.tensor(z), y).item() == pytest.approx(smooth.sum())
    assert repr(ce) == "CrossEntropyLoss(reduction='sum', label_smoothing=0.1)"
    nll = nn.NLLLoss(weight=w)
    assert nll(tg.tensor(logp), y).item() == pytest.approx(
        -(w[y] * logp[np.arange(6), y]).sum() / w[y].sum())
    t = (z > 0).astype(np.float64)
    assert nn.MSELoss()(tg.tensor(z), t).item() == pytest.approx(((z - t) ** 2).mean())
    assert nn.BCEWithLogitsLoss(pos_weight=w)(tg.tensor(z), t).item() == pytest.approx(
        (-(w * t * -np.logaddexp(0, -z) + (1 - t) * -np.logaddexp(0, z))).mean())
    p = 1 / (1 + np.exp(-z))
    assert nn.BCELoss(reduction="none")(tg.tensor(p), t).numpy() == pytest.approx(
        -(t * np.log(p) + (1 - t) * np.log(1 - p)))
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_loss_weights_are_buffers_in_the_state_dict_as_in_pytorch(rng):
    # PyTorch registers weight (and BCEWithLogitsLoss's pos_weight) as buffers: a model that
    # holds its criterion saves and loads them
    w = [0.5, 2.0, 1.0, 3.0]
    ce = nn.CrossEntropyLoss(weight=w)
    assert list(ce.state_dict()) == ["weight"] and isinstance(ce.weight, tg.Tensor)
    assert ce.weight.dtype == np.float64  # a list keeps its exact values
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(w, pos_weight=w).state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    assert list(nn.BCELoss(np.array(w)).state_dict()) == ["weight"]
    shared = tg.tensor(w)
    assert nn.NLLLoss(shared).weight is shared  # a Tensor is kept, as PyTorch does
    z = rng.standard_normal((6, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    fresh = nn.CrossEntropyLoss(weight=[1.0, 1.0, 1.0, 1.0])
    fresh.load_state_dict(ce.state_dict())
    wy = np.array(w)[y]
    assert fresh(tg.tensor(z), y).item() == pytest.approx(
        -(wy * logp[np.arange(6), y]).sum() / wy.sum(), rel=1e-12)
    out = ce(tg.tensor(z.astype(np.float32)), y)  # float64 weights, float32 input
    assert out.dtype == np.float32
    t = (z > 0).astype(np.float32)
    assert nn.BCEWithLogitsLoss(pos_weight=np.ones(4))(tg.tensor(z.astype(np.float32)),
                                                        t).dtype == np.float32


def test_module_list_registers_its_modules():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x).tanh()
            return x

    net = Stack()
    assert [n for n, _ in net.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    x = np.array([[0.5, -1.0]], np.float32)
    l0, l1 = net.layers
    h = np.tanh(x @ l0.weight.numpy().T + l0.bias.numpy())
    np.testing.assert_allclose(net(tg.tensor(x)).numpy(),
                               np.tanh(h @ l1.weight.numpy().T + l1.bias.numpy()), rtol=1e-6)
    with tg.Tape() as tape:
        net(tg.tensor(x))
    assert tape.records[0].scope == ("layers", "0")
    net.layers.append(nn.Identity())
    assert len(net.layers) == 3 and isinstance(net.layers[-1], nn.Identity)
    assert len(net.layers[:2]) == 2
    with pytest.raises(TypeError, match="ModuleList: item 3 is int"):
        net.layers.append(3)
    with pytest.raises(IndexError, match="ModuleList: index 5 is out of range"):
        net.layers[5]


def test_sequential_slice_keeps_names_like_pytorch():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tail = seq[1:]
    assert [n for n, _ in tail.named_parameters()] == ["2.weight", "2.bias"]
    assert tail[1] is seq[2]  # the same module objects, so the weights are shared
    x = tg.tensor([[0.5, -1.0]])
    np.testing.assert_array_equal(tail(seq[0](x)).numpy(), seq(x).numpy())
    tail.append(nn.Tanh())  # named '3': the kept '2' is not overwritten
    assert list(dict(tail.named_children())) == ["1", "2", "3"]


def test_to_cpu_is_a_no_op_and_other_devices_are_refused():
    lin = nn.Linear(2, 2)
    w = lin.weight
    assert lin.to("cpu") is lin and lin.weight is w and w.dtype == np.float32
    with pytest.raises(ValueError, match="Linear.to: tapegrad runs on numpy, on the CPU only; "
                                         "got device 'cuda:0'"):
        lin.to("cuda:0")
    assert lin.to("float64").weight.dtype == np.float64


def test_inplace_flags_are_accepted_and_leave_the_input_intact():
    x = tg.tensor([-1.0, 2.0])
    for m in (nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True), nn.ELU(inplace=True),
              nn.Dropout(0.5, inplace=True)):
        m(x)
        assert x.numpy().tolist() == [-1.0, 2.0]
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"
    assert nn.ReLU(True)(x).numpy().tolist() == [0.0, 2.0]


def test_dropout_module_follows_training_mode():
    d = nn.Dropout(0.5)
    x = tg.ones(100, 100)
    assert 0.45 < (d(x).numpy() == 0).mean() < 0.55
    d.eval()
    assert d(x) is x
    orig = nn.Dropout(0.5, inverted=False).eval()
    np.testing.assert_array_equal(orig(x).numpy(), 0.5)
    with pytest.raises(ValueError, match="Dropout: p"):
        nn.Dropout(-0.1)


# ================================================================ normalization layers
def test_batchnorm1d_training_eval_and_running_stats(rng):
    bn = nn.BatchNorm1d(3)
    x = (rng.standard_normal((16, 3)) * [1, 2, 3] + [0, 1, -2]).astype(np.float32)
    y = bn(tg.tensor(x)).numpy()
    mu, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mu, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1),
                               rtol=1e-5)
    bn.eval()
    rm, rv = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    y_eval = bn(tg.tensor(x)).numpy()
    np.testing.assert_allclose(y_eval, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.numpy(), rm)
    np.testing.assert_array_equal(bn.running_var.numpy(), rv)


def test_batchnorm1d_errors_and_options():
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when "
                                         "training|more than 1 value per channel"):
        bn(tg.zeros(1, 4))
    assert bn.running_mean.numpy().tolist() == [0.0] * 4  # nothing moved, nothing counted
    assert bn.num_batches_tracked.item() == 0
    bn.eval()
    assert bn(tg.zeros(1, 4)).shape == (1, 4)  # eval works on one sample
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected input \(N, 4\)"):
        bn(tg.zeros(3, 5))
    plain = nn.BatchNorm1d(2, affine=False)
    assert plain.weight is None and plain.bias is None
    assert list(plain.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_layernorm_module(rng):
    ln = nn.LayerNorm(5)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    mu, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(ln(tg.tensor(x)).numpy(), (x - mu) / np.sqrt(var + 1e-5),
                               rtol=1e-4, atol=1e-5)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert ln.weight.shape == (5,)


def test_normalization_layers_take_pytorchs_bias_flag_and_reset_parameters(rng):
    # PyTorch 2.x: LayerNorm(..., bias=False) and BatchNorm1d(..., bias=False) learn γ only;
    # reprs name the flag; reset_parameters() restores γ = 1, β = 0 (and the running stats)
    ln = nn.LayerNorm(4, bias=False, dtype="float64")
    assert ln.bias is None and list(ln.state_dict()) == ["weight"]
    assert repr(ln) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"
    assert repr(nn.LayerNorm(4, elementwise_affine=False)) == (
        "LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)")
    x = rng.standard_normal((3, 4))
    ln.weight.data[...] = [1.0, 2.0, 3.0, 4.0]
    xhat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln(tg.tensor(x)).numpy(), xhat * [1.0, 2.0, 3.0, 4.0],
                               atol=1e-12)
    ln.reset_parameters()
    assert ln.weight.numpy().tolist() == [1.0] * 4
    bn = nn.BatchNorm1d(3, bias=False, dtype="float64")
    assert bn.bias is None and bn.weight is not None
    assert list(bn.state_dict()) == ["weight", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert repr(bn) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, "
                        "track_running_stats=True)")
    assert "affine=False, bias=False" in repr(nn.BatchNorm1d(3, affine=False))
    with pytest.raises(TypeError):
        nn.BatchNorm1d(3, 1e-5, 0.1, True, True, None, False)  # bias is keyword-only
    full = nn.BatchNorm1d(3, dtype="float64")
    full(tg.tensor(rng.standard_normal((5, 3))))
    full.weight.data[...] = 2.0
    full.bias.data[...] = 1.0
    full.reset_parameters()
    assert full.weight.numpy().tolist() == [1.0] * 3 and full.bias.numpy().tolist() == [0.0] * 3
    assert full.running_mean.numpy().tolist() == [0.0] * 3
    assert full.running_var.numpy().tolist() == [1.0] * 3
    assert full.num_batches_tracked.item() == 0
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"  # as PyTorch prints it


def test_normalization_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"LayerNorm\(5\): expected input \(\*, 5\) .* got "
                                         r"shape \(3, 4\)"):
        nn.LayerNorm(5)(tg.zeros(3, 4))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(2, 5\)\): expected input \(\*, 2, 5\)"):
        nn.LayerNorm((2, 5))(tg.zeros(5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected more than 1 value per "
                                         r"channel when training, got input of shape \(1, 4, 1\)"):
        nn.BatchNorm1d(4)(tg.zeros(1, 4, 1))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): .* without running statistics"):
        nn.BatchNorm1d(4, track_running_stats=False).eval()(tg.zeros(1, 4))


# ================================================================ end to end
def test_mlp_with_batchnorm_learns_xor_like_data():
    tg.manual_seed(0)
    gen = np.random.default_rng(0)
    x = gen.standard_normal((64, 2)).astype(np.float32)
    y = ((x[:, 0] * x[:, 1]) > 0).astype(np.int64)
    net = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))
    losses = []
    for _ in range(150):
        loss = F.cross_entropy(net(tg.tensor(x)), y)
        net.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in net.parameters():
                p.copy_(p.numpy() - 0.5 * p.grad.numpy())
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0]
    net.eval()
    acc = (net(tg.tensor(x)).numpy().argmax(1) == y).mean()
    assert acc > 0.9


# ================================================================ gradient clipping
def _with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = tg.Tensor(np.array(g))
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_norm_before_clipping(rng):
    g1, g2 = rng.standard_normal((3, 4)) * 5, rng.standard_normal(6) * 5
    params = _with_grads(g1, g2)
    total = np.sqrt((g1 ** 2).sum() + (g2 ** 2).sum())
    assert total > 1.0
    norm = nn.utils.clip_grad_norm_(iter(params), max_norm=1.0)
    assert isinstance(norm, tg.Tensor) and norm.item() == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(params[0].grad.numpy(), g1 / (total + 1e-6), rtol=1e-12)
    clipped = np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in params))
    assert clipped == pytest.approx(1.0, rel=1e-5)
    # below the threshold nothing changes
    small = _with_grads(g1 / 100)
    assert nn.utils.clip_grad_norm_(small, 10.0).item() == pytest.approx(
        np.linalg.norm(g1 / 100))
    np.testing.assert_array_equal(small[0].grad.numpy(), g1 / 100)


@pytest.mark.parametrize("norm_type, ref", [
    (1, lambda a: np.abs(a).sum()), (float("inf"), lambda a: np.abs(a).max()),
    (3.0, lambda a: (np.abs(a) ** 3).sum() ** (1 / 3)),
])
def test_clip_grad_norm_other_orders(norm_type, ref, rng):
    g1, g2 = rng.standard_normal(5), rng.standard_normal((2, 2))
    params = _with_grads(g1, g2)
    expected = ref(np.concatenate([g1, g2.ravel()]))
    assert nn.utils.clip_grad_norm_(params, 0.5, norm_type=norm_type).item() == \
        pytest.approx(expected, rel=1e-12)
    after = ref(np.concatenate([p.grad.numpy().ravel() for p in params]))
    assert after == pytest.approx(0.5, rel=1e-5)


def test_clip_grad_norm_on_a_model_and_bad_input():
    net = Net()
    F.mse_loss(net(tg.randn(6, 2)), tg.ones(6, 2) * 100).backward()
    assert nn.utils.clip_grad_norm_(net.parameters(), 0.1).item() > 0.1
    assert np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum()
                       for p in net.parameters())) == pytest.approx(0.1, rel=1e-4)
    bad = _with_grads(np.array([1.0, np.nan]), np.array([3.0]))
    with pytest.raises(ValueError, match="clip_grad_norm_: the total norm .* nan"):
        nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(bad[1].grad.numpy(), [3.0])  # unchanged
    with pytest.raises(ValueError, match="max_norm must be a non-negative number"):
        nn.utils.clip_grad_norm_(bad, -1.0)
    with pytest.raises(TypeError, match="clip_grad_norm_: item 0 is ndarray"):
        nn.utils.clip_grad_norm_([np.zeros(2)], 1.0)
    assert nn.utils.clip_grad_norm_(nn.Linear(2, 2).parameters(), 1.0).item() == 0.0


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_sees_a_nan_in_any_gradient(norm_type):
    # the max over gradients once skipped a NaN that came after a number (Python's max)
    bad = _with_grads(np.array([1.0, 2.0]), np.array([np.nan]), np.array([3.0]))
    with pytest.raises(ValueError, match="clip_grad_norm_: the total norm .* nan"):
        nn.utils.clip_grad_norm_(bad, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    np.testing.assert_array_equal(bad[2].grad.numpy(), [3.0])  # unchanged
    # without the error, PyTorch multiplies every gradient by min(max_norm/(NaN + 1e-6), 1),
    # which is NaN, whatever max_norm: the NaN reaches every gradient
    total = nn.utils.clip_grad_norm_(bad, 1e6, norm_type=norm_type)
    assert np.isnan(total.item())
    for p in bad:
        assert np.isnan(p.grad.numpy()).all()


def test_clip_grad_norm_with_an_infinite_gradient_zeroes_the_finite_ones():
    params = _with_grads(np.array([np.inf, 1.0]), np.array([-2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf·0 gives NaN without a numpy warning
        assert nn.utils.clip_grad_norm_(params, 1.0).item() == np.inf
    np.testing.assert_array_equal(params[0].grad.numpy(), [np.nan, 0.0])
    np.testing.assert_array_equal(params[1].grad.numpy(), [-0.0])


def test_clip_grad_value(rng):
    g = rng.standard_normal((4, 4)) * 3
    params = _with_grads(g)
    nn.utils.clip_grad_value_(params, 1.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), np.clip(g, -1.5, 1.5))
    with pytest.raises(ValueError, match="clip_grad_value_: clip_value"):
        nn.utils.clip_grad_value_(params, -1)


# ================================================================ more bad input, stability
def test_module_misuse_gives_clear_errors():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(TypeError, match=r"Forgot: call super\(\).__init__\(\) before"):
        Forgot()
    with pytest.raises(ValueError, match="Linear: in_features must be a non-negative int"):
        nn.Linear(2.5, 3)
    with pytest.raises(ValueError, match="BatchNorm1d: num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="LayerNorm: normalized_shape"):
        nn.LayerNorm((3, -1))
    with pytest.raises(TypeError, match="load_state_dict: expected a dict"):
        nn.Linear(2, 2).load_state_dict([1, 2])
    lin = nn.Linear(2, 2)
    w = lin.weight.numpy().copy()
    with pytest.raises(TypeError, match="entry 'bias' is list"):
        lin.load_state_dict({"weight": np.zeros((2, 2), np.float32), "bias": [0.0, 0.0]})
    np.testing.assert_array_equal(lin.weight.numpy(), w)  # validated before any write
    with pytest.raises(ValueError, match=r"LayerNorm.*|layer_norm: input shape \(2, 4\)"):
        nn.LayerNorm(3)(tg.zeros(2, 4))


def test_reassignment_keeps_order_and_refuses_to_drop_registered_state():
    # PyTorch semantics: a re-assigned parameter/buffer keeps its place in parameters() and
    # state_dict() (optimizer indices and checkpoints depend on that order); replacing one by
    # something of another kind raises instead of silently unregistering it
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    keys = list(net.state_dict())
    net.fc1.weight = nn.Parameter(np.ones((3, 2), np.float32))
    net.bn1.running_mean = tg.zeros(3)
    assert [n for n, _ in net.named_parameters()] == names and list(net.state_dict()) == keys
    assert net.fc1.weight.numpy().tolist() == [[1.0, 1.0]] * 3
    for owner, name, value, kind in [(net.fc1, "weight", tg.ones(3, 2), "parameter"),
                                     (net.bn1, "running_var", np.ones(3), "buffer"),
                                     (net, "block", 3, "child module")]:
        before = getattr(owner, name)
        with pytest.raises(TypeError, match=f"cannot assign .* as {kind} '{name}'"):
            setattr(owner, name, value)
        assert getattr(owner, name) is before
    assert [n for n, _ in net.named_parameters()] == names and list(net.state_dict()) == keys
    net.fc1.bias = None  # None keeps the slot empty, as PyTorch's bias=False
    assert "fc1.bias" not in dict(net.named_parameters()) and net.fc1.bias is None


def test_batchnorm_counts_training_batches_only(rng):
    bn = nn.BatchNorm1d(3)
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    for _ in range(3):
        bn(tg.tensor(rng.standard_normal((4, 3))))
    bn(tg.tensor(rng.standard_normal((4, 3, 5))))
    assert bn.num_batches_tracked.item() == 4
    for bad in (tg.zeros(1, 3), tg.zeros(4, 2)):  # refused batches count for nothing
        with pytest.raises(ValueError):
            bn(bad)
    bn.eval()
    bn(tg.tensor(rng.standard_normal((4, 3))))
    assert bn.num_batches_tracked.item() == 4
    bn.double()  # the count stays an integer
    assert bn.num_batches_tracked.dtype == np.int64 and bn.running_mean.dtype == np.float64
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0
    free = nn.BatchNorm1d(3, track_running_stats=False)
    free(tg.tensor(rng.standard_normal((4, 3))))
    assert free.num_batches_tracked is None and list(free.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("tail", [(), (4,)])
def test_batchnorm_momentum_none_is_the_cumulative_average(rng, tail):
    # r_n = (stat_1 + … + stat_n)/n: the mean of the batch means, and of the unbiased
    # batch variances (over N, or N and L for (N, C, L)); the initial 0 and 1 do not enter
    bn = nn.BatchNorm1d(3, momentum=None, dtype="float64")
    axes = (0,) if not tail else (0, 2)
    per_channel = np.array([2.0, 0.5, 1.0]).reshape((3,) + (1,) * len(tail))
    means, variances = [], []
    for n in (2, 5, 3, 8):
        x = rng.standard_normal((n, 3) + tail) * per_channel + 3.0
        bn(tg.tensor(x))
        means.append(x.mean(axes))
        variances.append(x.var(axes, ddof=1))
        np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, 0), rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), np.mean(variances, 0), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4
    bn.eval()  # normalizes with the averages and leaves them
    x = rng.standard_normal((2, 3) + tail)
    mu, var = (np.mean(s, 0).reshape(per_channel.shape) for s in (means, variances))
    np.testing.assert_allclose(bn(tg.tensor(x)).numpy(), (x - mu) / np.sqrt(var + 1e-5),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, 0), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4 and "momentum=None" in repr(bn)


def test_batchnorm_state_dict_round_trip_continues_the_count(rng, tmp_path):
    src = nn.BatchNorm1d(2, momentum=None, dtype="float64")
    batches = [rng.standard_normal((4, 2)) for _ in range(4)]
    for x in batches[:3]:
        src(tg.tensor(x))
    tg.save(src.state_dict(), tmp_path / "bn.npz")
    dst = nn.BatchNorm1d(2, momentum=None, dtype="float64")
    dst.load_state_dict(tg.load(tmp_path / "bn.npz"))
    assert dst.num_batches_tracked.item() == 3
    for bn in (src, dst):  # the 4th batch enters with weight 1/4 in both
        bn(tg.tensor(batches[3]))
    for (k, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    np.testing.assert_allclose(dst.running_mean.numpy(),
                               np.mean([x.mean(0) for x in batches], 0), rtol=1e-12)


def test_batchnorm_loads_a_state_dict_without_num_batches_tracked(rng):
    # as PyTorch does for state dicts saved before the count existed: the load succeeds,
    # strictly, no key is reported missing, and the count keeps its value
    old = {k: v for k, v in Net().state_dict().items() if k != "bn1.num_batches_tracked"}
    net = Net()
    net(tg.tensor(rng.standard_normal((4, 2)).astype(np.float32)))
    assert net.load_state_dict(old) == ([], [])
    assert net.load_state_dict(old, strict=False) == ([], [])
    assert net.bn1.num_batches_tracked.item() == 1
    np.testing.assert_array_equal(net.bn1.running_mean.numpy(), 0.0)
    bad = {**old, "bn1.num_batches_tracked": tg.tensor(2.0)}
    with pytest.raises(ValueError, match="'bn1.num_batches_tracked' has dtype float32"):
        net.load_state_dict(bad)
    assert net.bn1.num_batches_tracked.item() == 1


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"momentum": "0.1"}, TypeError, "BatchNorm1d: momentum must be a number, or None .*'0.1'"),
    ({"momentum": True}, TypeError, "BatchNorm1d: momentum must be a number, or None"),
    ({"momentum": 1.5}, ValueError, r"BatchNorm1d: need 0 <= momentum <= 1 .*momentum=1.5"),
    ({"momentum": None, "eps": 0.0}, ValueError, "BatchNorm1d: need .* eps=0.0"),
    ({"eps": None}, TypeError, "BatchNorm1d: eps must be a number, got None"),
])
def test_batchnorm_rejects_bad_momentum_and_eps(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        nn.BatchNorm1d(3, **kwargs)


def test_flatten_rejects_out_of_range_dims():
    assert nn.Flatten(0, -1)(tg.zeros(2, 3, 4)).shape == (24,)
    with pytest.raises(ValueError, match=r"Flatten: start_dim=3 is out of range for input of "
                                         r"shape \(2, 3\)"):
        nn.Flatten(3)(tg.zeros(2, 3))
    with pytest.raises(ValueError, match="Flatten: end_dim=-4"):
        nn.Flatten(0, -4)(tg.zeros(2, 3, 4))


def test_gradients_through_modules_match_finite_differences(rng):
    tg.manual_seed(2)
    net = nn.Sequential(nn.Linear(3, 5, dtype="float64"), nn.BatchNorm1d(5), nn.ELU(),
                        nn.LayerNorm(5), nn.Linear(5, 2, dtype="float64"))
    x = rng.standard_normal((6, 3))
    net.eval()  # fixed running statistics: a deterministic function of x
    assert tg.gradcheck(lambda a: net(a), [tg.Tensor(x)])
    net.train()
    assert tg.gradcheck(lambda a: F.cross_entropy(net(a), [0, 1, 1, 0, 1, 0]),
                        [tg.Tensor(x)])


def test_batchnorm_module_constant_feature_float32_is_finite():
    bn = nn.BatchNorm1d(2)
    x = tg.tensor(np.array([[1.0, 7.0], [3.0, 7.0], [2.0, 7.0]], np.float32),
                  requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = bn(x)
        (y * tg.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))).sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    assert all(np.isfinite(p.grad.numpy()).all() for p in bn.parameters())
    assert bn.running_var.numpy()[1] == pytest.approx(0.9)  # 0.9·1 + 0.1·0
    assert bn.running_mean.dtype == np.float32


def test_batchnorm_keeps_float32_buffers_for_float64_input(rng):
    bn = nn.BatchNorm1d(3)
    bn(tg.tensor(rng.standard_normal((4, 3))).double())
    assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32


def test_apply_and_dtype_conversion(rng):
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "Linear", "Tanh", "Block", "Linear", "Net"]
    params = list(net.parameters())
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert all(a is b for a, b in zip(params, net.parameters()))  # same objects, in place
    assert net.bn1.running_var.dtype == np.float64
    x = rng.standard_normal((5, 2))
    assert tg.gradcheck(lambda a: net(a), [tg.Tensor(x)])
    assert net.float().fc1.weight.dtype == np.float32
    with pytest.raises(TypeError, match="Net.to: dtype must be floating"):
        net.to("int64")
    assert nn.BatchNorm1d(3, dtype="float64").running_mean.dtype == np.float64
    assert nn.LayerNorm(3, dtype="float64").weight.dtype == np.float64


@pytest.mark.parametrize("module", ["tapegrad.functional", "tapegrad.nn.module"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_public_names_of_the_design_contract():
    # DESIGN.md, "Public API": a misspelt or missing name fails here
    for name in ("relu leaky_relu elu softplus sigmoid tanh softmax log_softmax mse_loss "
                 "binary_cross_entropy binary_cross_entropy_with_logits cross_entropy "
                 "nll_loss linear dropout batch_norm layer_norm l1_penalty l2_penalty").split():
        assert callable(getattr(F, name)), name
    for name in ("Module Parameter Linear Sequential Identity Flatten ReLU LeakyReLU ELU "
                 "Sigmoid Tanh Softplus Dropout BatchNorm1d LayerNorm").split():
        assert isinstance(getattr(nn, name), type), name
    for name in ("zeros_ ones_ constant_ normal_ uniform_ xavier_uniform_ xavier_normal_ "
                 "kaiming_uniform_ kaiming_normal_ lecun_normal_ orthogonal_ calculate_gain "
                 "lsuv_").split():
        assert callable(getattr(nn.init, name)), name
    assert callable(nn.utils.clip_grad_norm_) and callable(nn.utils.clip_grad_value_)
    for name in ("parameters named_parameters modules children train eval zero_grad "
                 "state_dict load_state_dict").split():
        assert callable(getattr(nn.Module, name)), name


def test_calling_a_module_without_forward_is_a_type_error():
    with pytest.raises(TypeError, match="ModuleList does not define forward"):
        nn.ModuleList([nn.Linear(2, 2)])(tg.randn(1, 2))


# ================================================================ shared modules, state on failure
class Tied(nn.Module):
    """One Linear held as both enc and dec (weight tying by module)."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(2, 2)
        self.dec = self.enc

    def forward(self, x):
        return self.dec(self.enc(x))


def test_a_shared_module_is_visited_once_but_saved_under_both_names():
    # PyTorch: named_children() skips a module already yielded, so apply() and children()
    # visit it once; state_dict() walks every name, so it has enc.* and dec.* keys
    net = Tied()
    w = net.enc.weight.numpy().copy()
    calls = []
    net.apply(calls.append)
    assert calls == [net.enc, net]
    assert list(net.children()) == [net.enc] and [n for n, _ in net.named_children()] == ["enc"]

    def halve(m):
        if isinstance(m, nn.Linear):
            with tg.no_grad():
                m.weight.copy_(m.weight.numpy() * 0.5)

    net.apply(halve)
    np.testing.assert_array_equal(net.enc.weight.numpy(), w * 0.5)  # once, not by 0.25
    sd = net.state_dict()
    assert list(sd) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert "(dec): Linear" in repr(net)
    # a PyTorch-style state dict with both aliases loads strictly
    other = Tied()
    assert other.load_state_dict({k: tg.Tensor(v.numpy() + 1) for k, v in sd.items()}) == (
        [], [])
    np.testing.assert_array_equal(other.dec.weight.numpy(), w * 0.5 + 1)
    # as in PyTorch, the alias keys are expected: without them strict loading names them
    before = other.enc.weight.numpy().copy()
    with pytest.raises(ValueError, match=r"missing keys \['dec.weight', 'dec.bias'\]"):
        other.load_state_dict({k: v for k, v in sd.items() if k.startswith("enc")})
    np.testing.assert_array_equal(other.enc.weight.numpy(), before)
    res = other.load_state_dict({k: v for k, v in sd.items() if k.startswith("enc")},
                                strict=False)
    assert res.missing_keys == ["dec.weight", "dec.bias"] and res.unexpected_keys == []
    np.testing.assert_array_equal(other.dec.weight.numpy(), w * 0.5)


def test_a_failed_register_buffer_registers_nothing():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"Linear.register_buffer: 'weight' is already a "
                                        r"parameter"):
        lin.register_buffer("weight", tg.zeros(2, 2), persistent=False)
    assert isinstance(lin.weight, nn.Parameter)
    assert not lin._buffer_names and not lin._non_persistent
    del lin.weight
    lin.weight = tg.ones(2, 2)  # now a plain attribute, not a (non-persistent) buffer
    assert [n for n, _ in lin.named_buffers()] == []
    with pytest.raises(ValueError, match=r"register_buffer: the name must be .*'a.b'"):
        lin.register_buffer("a.b", tg.zeros(1))
    assert not lin._buffer_names


def test_zero_grad_without_none_zeroes_the_grad_tensor_in_place():
    # PyTorch's zero_grad(set_to_none=False) zeroes .grad itself: a reference kept to it
    # (an accumulation buffer, a hook) sees the zeros
    net = nn.Linear(2, 1)
    F.mse_loss(net(tg.ones(3, 2)), tg.zeros(3, 1)).backward()
    g = net.weight.grad
    assert np.abs(g.numpy()).sum() > 0
    net.zero_grad(set_to_none=False)
    assert net.weight.grad is g and g.numpy().tolist() == [[0.0, 0.0]]


def test_train_mode_must_be_a_bool():
    net = Net()
    with pytest.raises(ValueError, match="Net.train: training mode is expected to be boolean, "
                                         "got 'no'"):
        net.train("no")
    assert all(m.training for m in net.modules())  # unchanged


@pytest.mark.parametrize("call, exc, match", [
    (lambda: nn.Dropout(None), TypeError, "Dropout: p must be a number, got None"),
    (lambda: nn.Dropout("a"), TypeError, "Dropout: p must be a number, got 'a'"),
    (lambda: nn.CrossEntropyLoss(label_smoothing="a"), TypeError,
     "CrossEntropyLoss: label_smoothing must be a number, got 'a'"),
    (lambda: nn.LayerNorm(3.0), TypeError, "LayerNorm: normalized_shape must be an int or a "
     "sequence of ints, got 3.0"),
    (lambda: nn.LayerNorm(True), TypeError, "LayerNorm: normalized_shape .* got True"),
    (lambda: nn.LayerNorm(3, eps="a"), TypeError, "LayerNorm: eps must be a number"),
    (lambda: nn.BatchNorm1d(True), ValueError, "BatchNorm1d: num_features .* got True"),
    (lambda: nn.Linear(2, 2, dtype="foo"), TypeError, "Linear: unknown dtype 'foo'"),
    (lambda: nn.Linear(2, 2, dtype="int64"), TypeError,
     "Linear: dtype must be floating point, got int64"),
    (lambda: nn.BatchNorm1d(3, dtype="foo"), TypeError, "BatchNorm1d: unknown dtype 'foo'"),
    (lambda: nn.LayerNorm(3, dtype="foo"), TypeError, "LayerNorm: unknown dtype 'foo'"),
    (lambda: nn.Sequential(nn.ReLU())["a"], TypeError,
     "Sequential: index must be an int or a slice, got 'a'"),
    (lambda: nn.utils.clip_grad_norm_(_with_grads(np.ones(2)), 1.0, norm_type="a"),
     ValueError, "clip_grad_norm_: norm_type must be positive or inf, got 'a'"),
])
def test_bad_layer_arguments_name_the_layer_and_value(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_layer_arguments_that_pytorch_accepts():
    assert nn.LayerNorm(np.int64(3)).normalized_shape == (3,)
    assert nn.Sequential(nn.ReLU(), nn.Tanh())[np.int64(1)].__class__ is nn.Tanh
    assert nn.Parameter([1, 2, 3]).dtype == np.float32  # Python ints become float32 too
    grads = _with_grads(np.array([3.0, -4.0]))
    assert nn.utils.clip_grad_norm_(grads, 10.0, norm_type="inf").item() == 4.0
