"""nn.ModuleDict: children under their keys, a dict's interface, bad keys refused."""

from collections import OrderedDict

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 4)
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 2), "reg": nn.Linear(4, 1, bias=False)})

    def forward(self, x, head):
        return self.heads[head](self.body(x).tanh())


def test_module_dict_registers_its_modules_under_their_keys():
    net = TwoHeads()
    assert [n for n, _ in net.named_parameters()] == [
        "body.weight", "body.bias", "heads.cls.weight", "heads.cls.bias", "heads.reg.weight"]
    assert list(net.state_dict()) == [n for n, _ in net.named_parameters()]
    x = np.array([[0.5, -1.0, 2.0]], np.float32)
    h = np.tanh(x @ net.body.weight.numpy().T + net.body.bias.numpy())
    np.testing.assert_allclose(net(tg.tensor(x), "reg").numpy(),
                               h @ net.heads["reg"].weight.numpy().T, rtol=1e-6)
    with tg.Tape() as tape:
        net(tg.tensor(x), "cls")
    assert tape.records[-1].scope == ("heads", "cls")
    net.eval()
    assert not net.heads["cls"].training


def test_module_dict_state_dict_round_trip(tmp_path):
    a, b = TwoHeads(), TwoHeads()
    tg.save(a.state_dict(), tmp_path / "m.npz")
    b.load_state_dict(tg.load(tmp_path / "m.npz"))
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.numpy(), q.numpy()), name


def test_module_dict_behaves_like_a_dict():
    relu, tanh, lin = nn.ReLU(), nn.Tanh(), nn.Linear(2, 2)
    d = nn.ModuleDict([("relu", relu), ("tanh", tanh)])
    assert len(d) == 2 and list(d) == ["relu", "tanh"] and list(d.keys()) == ["relu", "tanh"]
    assert list(d.values()) == [relu, tanh] and list(d.items()) == [("relu", relu),
                                                                    ("tanh", tanh)]
    assert "relu" in d and "sigmoid" not in d and d["tanh"] is tanh
    d["lin"] = lin  # insertion order, and its parameters are the dict's
    assert list(d) == ["relu", "tanh", "lin"] and list(d.parameters()) == [lin.weight, lin.bias]
    d["relu"] = nn.ELU()  # a replaced key keeps its place
    assert list(d) == ["relu", "tanh", "lin"] and isinstance(d["relu"], nn.ELU)
    d.update(OrderedDict(z=nn.Identity(), a=nn.Identity()))
    d.update(nn.ModuleDict({"b": nn.Sigmoid()}))
    assert list(d) == ["relu", "tanh", "lin", "z", "a", "b"]
    assert d.pop("tanh") is tanh and "tanh" not in d and not hasattr(d, "tanh")
    del d["lin"]
    assert list(d.parameters()) == [] and list(d) == ["relu", "z", "a", "b"]
    d.clear()
    assert len(d) == 0 and list(d.state_dict()) == []
    assert repr(nn.ModuleDict({"act": nn.ReLU()})) == "ModuleDict(\n  (act): ReLU()\n)"


@pytest.mark.parametrize("update, exc, match", [
    ({"keys": nn.ReLU()}, ValueError, "ModuleDict: key 'keys' would hide the attribute"),
    ({"training": nn.ReLU()}, ValueError, "key 'training' would hide"),
    ({"a.b": nn.ReLU()}, ValueError, r"key 'a.b' must be non-empty and without '\.'"),
    ({"": nn.ReLU()}, ValueError, "key '' must be non-empty"),
    ({3: nn.ReLU()}, TypeError, "ModuleDict: keys must be strings, got 3"),
    ({"ok": nn.ReLU(), "act": "relu"}, TypeError, "ModuleDict: item 'act' is str, not a Module"),
    ([("ok", nn.ReLU()), ("x", nn.ReLU(), 3)], ValueError,
     r"ModuleDict.update: element #1 must be a \(key, module\) pair"),
    (nn.ReLU(), TypeError, "ModuleDict.update: expected a mapping or .* got ReLU"),
    (5, TypeError, "ModuleDict.update: expected a mapping or .* got int"),
])
def test_module_dict_bad_entries_change_nothing(update, exc, match):
    d = nn.ModuleDict({"first": nn.Linear(2, 2)})
    before = list(d.items())
    with pytest.raises(exc, match=match):
        d.update(update)
    assert list(d.items()) == before
    if isinstance(update, dict) and len(update) == 1:  # the same through d[key] = module
        ((key, module),) = update.items()
        with pytest.raises(exc, match=match):
            d[key] = module
        assert list(d.items()) == before
    with pytest.raises(exc, match=match):
        nn.ModuleDict(update)


def test_module_dict_missing_key():
    d = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(KeyError, match="ModuleDict: no module 'b'; keys are \\['a'\\]"):
        d["b"]
    with pytest.raises(KeyError):
        del d["b"]
    with pytest.raises(TypeError, match="ModuleDict does not define forward"):
        d(tg.zeros(1))
