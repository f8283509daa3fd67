"""The `tapegrad` command: train, graph, demo, --help and bad input."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.cli as cli
from tapegrad import data
from tapegrad.models import MLP


def held_out_digits(seed=0):
    X, y = data.load_digits()
    (X_train, _), (X_test, y_test) = data.train_val_split(X, y, 0.2, seed=seed, stratify=True)
    return data.standardize(X_train)(X_test), y_test


def test_train_reports_the_accuracy_numpy_measures(capsys, tmp_path):
    ckpt = tmp_path / "mlp.npz"
    args = cli.parser().parse_args(["train", "--epochs", "3", "--no-progress",
                                    "--checkpoint", str(ckpt)])
    result = cli.train(args)
    out = capsys.readouterr().out
    X_test, y_test = held_out_digits()
    with tg.no_grad():
        logits = result["model"].eval()(tg.tensor(X_test)).numpy()
    truth = float((logits.argmax(1) == y_test).mean())
    assert truth > 0.9
    assert result["test_accuracy"] == pytest.approx(truth)
    assert f"held-out accuracy: {truth:.4f}" in out
    restored = MLP(64, 128, 10)
    restored.load_state_dict(tg.load(ckpt)["model"])
    with tg.no_grad():
        assert np.array_equal(restored.eval()(tg.tensor(X_test)).numpy(), logits)


@pytest.mark.parametrize("extra, present, absent", [
    ([], ["<b>bn1</b>: BatchNorm1d(256)", "sqrt", "square", "<i>grad</i>", "rankdir=TB"], []),
    (["--collapse", "all"], ["<b>bn1</b>: BatchNorm1d(256)"], ["sqrt"]),
    (["--model", "scalar", "--no-grads"], ["<b>L</b>", "rankdir=LR"], ["<i>grad</i>"]),
    (["--model", "mlp", "--rankdir", "LR"], ["rankdir=LR"], []),
])
def test_graph_writes_the_drawing(tmp_path, extra, present, absent):
    out = tmp_path / "g.dot"
    assert cli.main(["graph", "-o", str(out), *extra]) == 0
    source = out.read_text()
    assert source.startswith("digraph")
    for text in present:
        assert text in source
    for text in absent:
        assert text not in source


def test_demo_trains_then_draws_batchnorm(tmp_path, capsys):
    graph = tmp_path / "bn.svg"
    assert cli.main(["demo", "--epochs", "2", "--no-progress", "--graph", str(graph)]) == 0
    assert "held-out accuracy" in capsys.readouterr().out
    assert "<svg" in graph.read_text()


@pytest.mark.parametrize("command", [[], ["train"], ["graph"], ["demo"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([*command, "--help"])
    assert exit_.value.code == 0 and "usage: tapegrad" in capsys.readouterr().out


def test_bad_input_is_a_message_not_a_traceback(capsys, tmp_path):
    assert cli.main(["train", "--data", "mnist", "--no-progress"]) == 2
    assert "--mnist-root" in capsys.readouterr().err
    assert cli.main(["train", "--data", "mnist", "--mnist-root", str(tmp_path),
                     "--no-progress"]) == 2
    assert "train-images-idx3-ubyte[.gz] not found" in capsys.readouterr().err
