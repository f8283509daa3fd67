"""The lean per-step paths above the engine keep their behaviour: optimizer steps write into
the parameters' own storage and leave the gradients alone."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.optim as optim

OPTIMIZERS = [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW,
]
IDS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=IDS)
def test_step_writes_in_place_and_leaves_the_grad(make):
    lin = nn.Linear(3, 2)
    views = {name: t.numpy() for name, t in lin.state_dict().items()}  # share memory
    before = {name: v.copy() for name, v in views.items()}
    opt = make(lin.parameters())
    x = tg.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    lin(x).square().sum().backward()
    grads = {name: p.grad.numpy().copy() for name, p in lin.named_parameters()}
    opt.step()
    for name, p in lin.named_parameters():
        assert np.array_equal(p.grad.numpy(), grads[name])  # the rule read it, never wrote
        assert not np.array_equal(views[name], before[name])  # the old view sees the step
        assert p.numpy() is not views[name] and np.shares_memory(p.numpy(), views[name])


def test_sgd_step_is_numpys_in_place_update():
    rng = np.random.default_rng(0)
    w0, g0 = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((5, 4))
    w = tg.tensor(w0, requires_grad=True)
    w.grad = tg.tensor(g0.astype(np.float32))
    optim.SGD([w], lr=0.3).step()
    expected = w0.copy()
    expected -= np.float32(0.3) * g0.astype(np.float32)
    assert w.dtype == np.float32 and np.array_equal(w.numpy(), expected)


def test_a_parameter_without_grad_gets_no_state_and_does_not_move():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert list(opt.state) == [a] and opt.state[a]["step"] == 1
    assert b.numpy().tolist() == [3.0]


# ---------------------------------------------------------------------- module name scopes
class _Calls(nn.Module):
    """Calls `target` (a child, a grandchild or any module) on its input; the reference to
    it is not registered, only the given children are."""

    def __init__(self, target, **children):
        super().__init__()
        object.__setattr__(self, "target", target)
        for name, m in children.items():
            setattr(self, name, m)

    def forward(self, x):
        return self.target(x)


def _scopes(model, x):
    with tg.Tape() as tape:
        model(x)
    return {(r.scope, r.scope_labels) for r in tape.records}


def test_scopes_follow_changes_between_calls():
    x = tg.randn(4, 3, requires_grad=True)
    drop = nn.Dropout(0.5)
    seq = nn.Sequential(nn.Linear(3, 3), drop)
    assert ((("1",), ("Dropout(p=0.5)",))) in _scopes(seq, x)
    drop.p = 0.25  # the label shows the new p
    assert ((("1",), ("Dropout(p=0.25)",))) in _scopes(seq, x)
    seq[0].out_features = 3  # any assignment re-reads labels; a new child gets its own
    seq.add_module("0", nn.Linear(3, 3, bias=False))
    assert _scopes(seq, x) >= {(("0",), ("Linear(3, 3)",)), (("1",), ("Dropout(p=0.25)",))}


def test_a_shared_module_gets_the_scope_of_each_caller():
    x = tg.randn(2, 3, requires_grad=True)
    lin = nn.Linear(3, 3)
    a, b = _Calls(lin, first=lin), _Calls(lin, block=nn.Sequential(lin))
    for _ in range(2):  # alternate callers: the cached path of the other one is not used
        assert _scopes(a, x) == {(("first",), ("Linear(3, 3)",))}
        assert _scopes(b, x) == {(("block", "0"), ("Sequential()", "Linear(3, 3)"))}
        assert _scopes(lin, x) == {((), ())}  # called directly: the root pushes no scope


def test_a_removed_child_is_no_longer_scoped():
    x = tg.randn(2, 3, requires_grad=True)
    lin = nn.Linear(3, 3)
    outer = _Calls(lin, inner=lin)
    assert _scopes(outer, x) == {(("inner",), ("Linear(3, 3)",))}
    del outer.inner  # still called (through .target), but no longer a child
    assert _scopes(outer, x) == {((), ())}


def test_hooks_see_each_call_and_may_replace_the_output():
    lin = nn.Linear(3, 2)
    seq = nn.Sequential(lin)
    x = tg.randn(4, 3)
    handle = lin.register_forward_hook(lambda m, inputs, out: out * 0.0)
    assert np.array_equal(seq(x).numpy(), np.zeros((4, 2), np.float32))
    handle.remove()
    expected = x.numpy() @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(seq(x).numpy(), expected, rtol=1e-6)


# ---------------------------------------------------------------------- class-index losses
def _np_cross_entropy(logits, y, weight, ignore_index):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    keep = y != ignore_index
    w = weight[np.where(keep, y, 0)] * keep
    return -(w * logp[np.arange(len(y)), np.where(keep, y, 0)]).sum() / w.sum()


@pytest.mark.parametrize("ignore_index", [-100, 0, 2, 7])
@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.int32])
def test_cross_entropy_counts_exactly_the_kept_labels(ignore_index, dtype):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((12, 4))
    y = np.array([0, 1, 2, 3, 2, 2, 0, 1, 3, 3, 1, 0], dtype=dtype)
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    for w in (None, weight):
        got = tg.nn.functional.cross_entropy(tg.tensor(logits), tg.tensor(y), weight=w,
                                             ignore_index=ignore_index)
        expected = _np_cross_entropy(logits, y.astype(np.int64),
                                     np.ones(4) if w is None else w, ignore_index)
        np.testing.assert_allclose(got.item(), expected, rtol=1e-12)


def test_cross_entropy_still_names_an_out_of_range_label():
    logits = tg.randn(3, 4)
    with pytest.raises(ValueError, match="target label 4 is out of range for 4 classes"):
        tg.nn.functional.cross_entropy(logits, [1, 4, -100])
    with pytest.raises(ValueError, match="target label -1 is out of range"):
        tg.nn.functional.cross_entropy(logits, [1, -1, 2], ignore_index=2)
    assert np.isfinite(tg.nn.functional.cross_entropy(logits, [1, -100, 2]).item())


# ---------------------------------------------------------------------- traversal
def test_parameters_and_modules_follow_the_named_walks():
    shared = nn.Linear(3, 3)
    inner = nn.Sequential(shared, nn.ReLU(), nn.Linear(3, 2, bias=False))
    outer = nn.Sequential(nn.Linear(2, 3), inner, shared, nn.BatchNorm1d(3))
    outer.add_module("gone", None)
    outer.register_parameter("scale", nn.Parameter(np.ones(1)))
    outer.tied = nn.Parameter(np.ones(2))
    names = [n for n, _ in outer.named_parameters()]
    assert names == ["scale", "tied", "0.weight", "0.bias", "1.0.weight", "1.0.bias",
                     "1.2.weight", "3.weight", "3.bias"]
    assert [id(p) for p in outer.parameters()] == [id(p) for _, p in
                                                   outer.named_parameters()]
    assert [id(p) for p in outer.parameters(recurse=False)] == [id(outer.scale),
                                                                id(outer.tied)]
    assert [id(m) for m in outer.modules()] == [id(m) for _, m in outer.named_modules()]
    assert len(list(outer.modules())) == 7  # outer, 0, inner, shared, relu, 1.2, bn: once each


# ---------------------------------------------------------------------- gradient clipping
@pytest.mark.parametrize("norm_type", [1, 2, 3.5, float("inf")])
def test_clip_grad_norm_sums_float32_gradients_in_float64(norm_type):
    rng = np.random.default_rng(7)
    grads = [rng.standard_normal(s).astype(np.float32) * 1e20 for s in [(4, 3), (3,), ()]]
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = tg.tensor(g)
        params.append(p)
    flat = np.concatenate([g.astype(np.float64).ravel() for g in grads])
    expected = (np.abs(flat).max() if norm_type == float("inf")
                else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type))
    total = nn.utils.clip_grad_norm_(params, 1e30, norm_type=norm_type)
    assert np.isfinite(expected) and total.dtype == np.float32  # (g²) overflows float32
    assert float(total.item()) == pytest.approx(float(np.float32(expected)), rel=1e-6)
    assert all(np.array_equal(p.grad.numpy(), g) for p, g in zip(params, grads))
