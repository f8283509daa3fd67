"""The README's Python examples run as written, and say what they claim."""

import re
from pathlib import Path

import numpy as np
import pytest

import tapegrad.cli as cli

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    # the ten lines: dL/dw = 2(x·w + b − 4)·x with x·w + b − 4 = 0.6
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    residual = x @ w + 0.1 - 4.0
    np.testing.assert_allclose(namespace["w"].grad.numpy(), 2 * residual * x, rtol=1e-6)
    np.testing.assert_allclose(namespace["b"].grad.item(), 2 * residual, rtol=1e-6)
    # the framework example trains: the last validation accuracy is well above chance
    assert namespace["history"]["val_accuracy"][-1] > 0.95
    # the PyTorch-style loop trains too
    assert namespace["val_acc"] > 0.95


@pytest.mark.parametrize("command, row", [("train", "(`tapegrad train`)"),
                                          ("demo", "(`make demo`)")])
def test_readme_accuracy_table_matches_the_command(command, row):
    """The Numbers table's seed-0 accuracies are what `tapegrad train` and the demo's
    training (their default settings) print."""
    line = next(line for line in README.read_text().splitlines() if row in line)
    percent, correct, total = re.search(r"\| ([\d.]+)% \((\d+)/(\d+)\) \|", line).groups()
    args = cli.parser().parse_args([command, "--no-progress"])
    accuracy = cli.train(args)["test_accuracy"]
    assert f"{100 * accuracy:.2f}" == percent
    assert round(accuracy * int(total)) == int(correct)
