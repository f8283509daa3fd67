"""The problems every implementation solves: sizes, seeded data and initial weights.

Every implementation of a workload starts from the same float32 arrays made here, so the
implementations do the same arithmetic and differ only in how they get it done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Step = Callable[[], object]  # one timed call of a workload: a step, its result ignored


@dataclass(frozen=True)
class Sizes:
    """Workload sizes; `quick()` shrinks them for the smoke test (seconds, not minutes)."""

    mlp: tuple[int, ...] = (784, 256, 128, 10)  # W1, W5
    batch: int = 128  # W1, W4
    bn_mlp: tuple[int, int, int] = (784, 256, 10)  # W4
    chain: int = 1_000  # W2: elementwise ops on a (4,) tensor
    chain_width: int = 4
    moons: int = 100  # W3: points
    moons_mlp: tuple[int, ...] = (2, 16, 16, 1)
    mem_batch: int = 1_024  # W5
    scalar_chain: tuple[int, ...] = (100_000, 1_000_000)  # W6: the 100k chain and 10x longer
    loop_steps: tuple[int, ...] = (100, 1_000, 10_000)  # W7: unrolled RNN steps
    rnn: tuple[int, int, int] = (4, 8, 32)  # W7: batch, input, hidden

    @staticmethod
    def quick() -> Sizes:
        return Sizes(mlp=(20, 16, 12, 5), batch=8, bn_mlp=(20, 16, 5), chain=40, moons=12,
                     moons_mlp=(2, 4, 4, 1), mem_batch=16, scalar_chain=(200, 2_000),
                     loop_steps=(10, 100), rnn=(2, 3, 4))


LR = 0.1  # W1, W4: plain SGD
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
HINGE_ALPHA = 1e-4  # W3: micrograd's demo, L2 penalty weight
MOONS_LR = 1.0  # W3: micrograd's demo uses 1.0 - 0.9 * k / 100; the first step is 1.0


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def linear_init(rng: np.random.Generator, fan_in: int, fan_out: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)); weight (out, in)."""
    bound = 1 / np.sqrt(fan_in)
    w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
    b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return w, b


def mlp_params(sizes: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] with Wk of shape (out, in), as nn.Linear stores them."""
    rng = _rng(seed)
    out: list[np.ndarray] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        out.extend(linear_init(rng, fan_in, fan_out))
    return out


def classification(batch: int, features: int, classes: int, seed: int = 1
                   ) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped inputs in [0, 1) and integer labels."""
    rng = _rng(seed)
    x = rng.random((batch, features), dtype=np.float32)
    y = rng.integers(0, classes, batch)
    return x, y


def moons(n: int, noise: float = 0.1, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's make_moons, written out: two interleaved half circles, labels ±1
    (micrograd's demo maps 0/1 to -1/+1 for its max-margin loss)."""
    rng = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    x = (x + rng.normal(0, noise, x.shape)).astype(np.float32)
    y = np.concatenate([-np.ones(n_out), np.ones(n_in)]).astype(np.float32)
    return x, y


def moons_params(sizes: tuple[int, ...], seed: int = 3) -> list[np.ndarray]:
    """micrograd's Neuron init: weights U(-1, 1), biases 0; weight (out, in)."""
    rng = _rng(seed)
    out: list[np.ndarray] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        out.append(rng.uniform(-1, 1, (fan_out, fan_in)).astype(np.float32))
        out.append(np.zeros(fan_out, np.float32))
    return out


# W2 and W6: the op at position i of the chain (mul and add alternate, tanh in between)
CHAIN_OPS = ("mul", "tanh", "add", "tanh")
CHAIN_MUL, CHAIN_ADD = 0.9, 0.1


def chain(x: Any, n: int, tanh: Callable[[Any], Any]) -> Any:
    """n ops of the W2/W6 chain on x (an array, a Tensor or a scalar Value): `* 0.9`,
    tanh, `+ 0.1`, tanh, ... with Python-float constants, so float32 stays float32."""
    for i in range(n):
        op = CHAIN_OPS[i % 4]
        if op == "mul":
            x = x * CHAIN_MUL
        elif op == "add":
            x = x + CHAIN_ADD
        else:
            x = tanh(x)
    return x


def chain_input(width: int | None, seed: int = 4) -> np.ndarray:
    """A (width,) float32 vector, or a 0-d float32 scalar when width is None."""
    rng = _rng(seed)
    return rng.standard_normal(() if width is None else (width,)).astype(np.float32)


def rnn_problem(batch: int, features: int, hidden: int, steps: int, seed: int = 5
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """W7: inputs (steps, batch, features) and [U (features, hidden), W (hidden, hidden), b]
    for h_t = tanh(x_t U + h_{t-1} W + b), h_0 = 0, loss = mean(h_T²)."""
    rng = _rng(seed)
    xs = rng.standard_normal((steps, batch, features)).astype(np.float32)
    u = (rng.standard_normal((features, hidden)) / np.sqrt(features)).astype(np.float32)
    w = (rng.standard_normal((hidden, hidden)) * 0.9 / np.sqrt(hidden)).astype(np.float32)
    b = np.zeros(hidden, np.float32)
    return xs, [u, w, b]
