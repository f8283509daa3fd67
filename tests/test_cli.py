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


@pytest.mark.parametrize("optimizer, given, lr", [("adadelta", [], 1.0), ("adam", [], 1e-2),
                                                   ("adadelta", ["--lr", "0.5"], 0.5)])
def test_the_default_learning_rate_fits_the_optimizer(optimizer, given, lr):
    """Adadelta's rule sets its step's scale and takes lr 1 (Zeiler's, PyTorch's default);
    the others start from 1e-2; --lr overrides either. One epoch: the cosine schedule's
    initial_lr is the rate the optimizer was made with."""
    args = cli.parser().parse_args(["train", "--epochs", "1", "--no-progress",
                                    "--optimizer", optimizer, *given])
    result = cli.train(args)
    assert result["optimizer"].param_groups[0]["initial_lr"] == lr


@pytest.mark.parametrize("extra, present, absent", [
    ([], ["<b>bn1</b>: BatchNorm1d(256)", "sqrt", "square", "<i>grad</i>", "rankdir=TB"], []),
    (["--collapse", "all"], ["<b>bn1</b>: BatchNorm1d(256)"], ["sqrt"]),
    (["--expand", "all"], ["sqrt", "square"], ["(collapsed)"]),
    (["--expand", "bn1"], ["sqrt", "<b>fc2</b>: Linear(256, 10)<br/>"], []),
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
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte[.gz] not found" in err
    assert "add --download" in err and "download=True" not in err  # the option, not the kwarg


@pytest.mark.parametrize("command", ["train", "demo"])
def test_bn_mlp_leaves_out_a_last_batch_of_one_sample(command, tmp_path, capsys):
    """1,437 training samples = 4·359 + 1: BatchNorm cannot train on the last batch."""
    extra = ["--graph", str(tmp_path / "bn.svg")] if command == "demo" else ["--model",
                                                                              "bn-mlp"]
    assert cli.main([command, "--batch-size", "359", "--epochs", "2", "--no-progress",
                     *extra]) == 0
    out = capsys.readouterr().out
    assert "note: 1437 samples in batches of 359 leave a last batch of one sample" in out
    assert "held-out accuracy" in out
    assert cli.main(["train", "--model", "bn-mlp", "--batch-size", "1"]) == 2
    assert "--batch-size 1 gives batches of one sample" in capsys.readouterr().err
    args = cli.parser().parse_args(["train", "--epochs", "1", "--batch-size", "359",
                                    "--no-progress"])
    cli.train(args)  # no BatchNorm: the batch of one sample is trained on
    assert "note:" not in capsys.readouterr().out


@pytest.mark.parametrize("option, value, message", [
    ("--hidden", "0", "argument --hidden: expected an integer >= 1, got '0'"),
    ("--epochs", "2.5", "argument --epochs: expected an integer >= 1, got '2.5'"),
    ("--batch-size", "-4", "argument --batch-size: expected an integer >= 1, got '-4'"),
    ("--dropout", "-0.5", "argument --dropout: expected a probability in [0, 1], got '-0.5'"),
    ("--dropout", "nan", "argument --dropout: expected a probability in [0, 1], got 'nan'"),
])
def test_training_options_are_checked_before_anything_runs(option, value, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", option, value])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_bad_checkpoint_path_stops_before_training(tmp_path, capsys):
    template = str(tmp_path / "ck_{epoch}_{val_los}.npz")
    assert cli.main(["train", "--checkpoint", template, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"tapegrad train: ModelCheckpoint: path {template!r} uses the field {{val_los}}" in err


def test_the_checkpoint_folder_is_made(tmp_path):
    """As `graph -o` makes the drawing's folder (the library's ModelCheckpoint wants it)."""
    path = tmp_path / "runs" / "a" / "ck.npz"
    assert cli.main(["train", "--checkpoint", str(path), "--epochs", "1", "--no-progress"]) == 0
    assert path.is_file()
