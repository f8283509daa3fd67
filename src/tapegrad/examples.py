"""Built-in example computations for `tapegrad graph` and the README figures.

Each example runs a forward pass inside `tg.Tape()` (so every intermediate value keeps its
gradient) and a backward pass, and returns an `Example`: the root tensors to draw and the
module whose state (BatchNorm's running statistics) the drawing shows as notes.

    scalar      L = (x·w + b − y)², the lecture's squared error of one linear unit
    relu-chain  C = (y − h2)², h2 = w2·h1, h1 = relu(w1·x), the lecture's tiny ReLU network
    mlp         fc1 → relu → fc2 → cross-entropy on a batch of 32
    bn-mlp      fc1 → bn1 (BatchNorm1d(256)) → relu → fc2 → cross-entropy on a batch of 64

    ex = examples.build("bn-mlp"); viz.draw(*ex.roots, module=ex.module, collapse=["bn1"])
    examples.draw("bn-mlp", collapse=["bn1"])          # the same, in one call

Examples are deterministic (seeded) and leave tapegrad's random stream as they found it.
`python -m tapegrad.examples [directory]` regenerates the README figures.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import graphviz

from . import nn, viz
from .models import MLP
from .nn import functional as F
from .random import generator, get_rng_state, manual_seed, set_rng_state
from .tape import Tape, name_scope
from .tensor import Tensor, tensor


class Example(NamedTuple):
    """The tensors to draw (after backward) and the module whose state the drawing shows."""

    roots: tuple[Tensor, ...]
    module: nn.Module | None


def scalar() -> Example:
    """L = (x·w + b − y)² at x = 2, w = −3, b = 1, y = 4 (float64).

    By hand: x·w = −6, + b = −5, − y = −9, L = 81; dL/d(…) = 2·(−9) = −18 flows back
    unchanged through the sub and the add, so dL/db = −18 and dL/dw = x·(−18) = −36."""
    x = tensor(2.0, dtype="float64", name="x")
    w = tensor(-3.0, dtype="float64", requires_grad=True, name="w")
    b = tensor(1.0, dtype="float64", requires_grad=True, name="b")
    y = tensor(4.0, dtype="float64", name="y")
    with Tape():
        loss = (x * w + b - y) ** 2
    loss.name = "L"
    loss.backward()
    return Example((loss,), None)


def relu_chain() -> Example:
    """C = (y − h2)², h2 = w2·h1, h1 = relu(w1·x) at x = 1.5, w1 = 0.8, w2 = −1.2, y = 0.5.

    By hand: h1 = 1.2, h2 = −1.44, C = 1.94² = 3.7636; dC/dw2 = −2(y − h2)·h1 = −4.656,
    dC/dw1 = −2(y − h2)·w2·1(w1·x > 0)·x = 6.984."""
    x = tensor(1.5, dtype="float64", name="x")
    w1 = tensor(0.8, dtype="float64", requires_grad=True, name="w1")
    w2 = tensor(-1.2, dtype="float64", requires_grad=True, name="w2")
    y = tensor(0.5, dtype="float64", name="y")
    with Tape():
        h1 = (w1 * x).relu()
        h1.name = "h1"
        h2 = w2 * h1
        h2.name = "h2"
        cost = (y - h2) ** 2
    cost.name = "C"
    cost.backward()
    return Example((cost,), None)


def _classify(net: MLP, batch: int, n_in: int, n_out: int) -> Example:
    """One training step's forward and backward of `net` on a random batch."""
    gen = generator()
    x = Tensor(gen.standard_normal((batch, n_in)).astype("float32"), name="x")
    y = Tensor(gen.integers(0, n_out, batch), name="y")
    with Tape():
        logits = net(x)
        with name_scope("loss", "cross_entropy"):
            loss = F.cross_entropy(logits, y)
    loss.name = "loss"
    loss.backward()
    return Example((loss,), net)


def _seeded(fn: Callable[[], Example]) -> Callable[[], Example]:
    """Run `fn` on seed 0, then put tapegrad's random stream back where it was."""
    def run() -> Example:
        state = get_rng_state()
        manual_seed(0)
        try:
            return fn()
        finally:
            set_rng_state(state)

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


@_seeded
def mlp() -> Example:
    """MLP 8 → 16 → 4 (fc1, relu, fc2) and cross-entropy on a batch of 32."""
    return _classify(MLP(8, 16, 4), 32, 8, 4)


@_seeded
def bn_mlp() -> Example:
    """MLP 20 → 256 → 10 with bn1 = BatchNorm1d(256) after fc1, cross-entropy, batch 64."""
    return _classify(MLP(20, 256, 10, batch_norm=True), 64, 20, 10)


EXAMPLES: dict[str, Callable[[], Example]] = {
    "scalar": scalar, "relu-chain": relu_chain, "mlp": mlp, "bn-mlp": bn_mlp}


def build(name: str) -> Example:
    """Run the example called `name` (one of EXAMPLES)."""
    if name not in EXAMPLES:
        raise ValueError(f"examples: unknown example {name!r}; choose one of "
                         f"{', '.join(EXAMPLES)}")
    return EXAMPLES[name]()


def draw(name: str, **kwargs: Any) -> graphviz.Digraph:
    """viz.draw of the example `name`, with its module; kwargs go to viz.draw."""
    ex = build(name)
    return viz.draw(*ex.roots, module=ex.module, **kwargs)


def write_readme_figures(directory: str | Path = "notebooks/figures") -> list[Path]:
    """The README's BN-MLP graph, top to bottom: bn1 expanded to its primitive ops (the other
    modules collapsed), and every module collapsed, bn1 to one `bn1: BatchNorm1d(256)` box."""
    out = Path(directory)
    return [viz.save(draw("bn-mlp", expand=["bn1"], rankdir="TB"),
                     out / "bn_graph_expanded.svg"),
            viz.save(draw("bn-mlp", collapse=True, rankdir="TB"),
                     out / "bn_graph_collapsed.svg")]


if __name__ == "__main__":
    for path in write_readme_figures(*sys.argv[1:2]):
        print(path)
