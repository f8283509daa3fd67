"""micrograd 0.1: scalar Values, the workloads it can express (W2, W3, W6).

micrograd's Value has no tanh; `_tanh` below is the one from Karpathy's lecture, written in
micrograd's own style (forward value, closure that accumulates the local derivative).
Its backward builds the topological order recursively: the W2 chain (1,000 ops) needs the
recursion limit raised, which `w2` does; W6 keeps the default limit and fails as users see.
"""

from __future__ import annotations

import math
import random
import sys

from micrograd.engine import Value
from micrograd.nn import MLP
from problems import (
    HINGE_ALPHA,
    MOONS_LR,
    Sizes,
    Step,
    chain,
    chain_input,
    moons,
)


def _tanh(v: Value) -> Value:
    t = math.tanh(v.data)
    out = Value(t, (v,), "tanh")

    def _backward() -> None:
        v.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def w2(s: Sizes) -> Step:
    """The same chain on one scalar (micrograd has no vectors)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * s.chain + 1_000))
    x = Value(float(chain_input(s.chain_width)[0]))

    def step() -> object:
        x.grad = 0
        chain(x, s.chain, _tanh).backward()
        return x.grad

    return step


def w3(s: Sizes) -> Step:
    """micrograd's demo notebook: MLP(2, [16, 16, 1]), max-margin loss + L2, SGD."""
    xs, ys = moons(s.moons)
    random.seed(3)
    model = MLP(s.moons_mlp[0], list(s.moons_mlp[1:]))
    inputs = [[Value(float(v)) for v in row] for row in xs]
    labels = [float(v) for v in ys]

    def step() -> object:
        scores = [model(row) for row in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = HINGE_ALPHA * sum(p * p for p in model.parameters())
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= MOONS_LR * p.grad
        return loss

    return step


def w6(s: Sizes, n: int) -> Step:
    x = Value(float(chain_input(None)))

    def step() -> object:
        x.grad = 0
        chain(x, n, _tanh).backward()
        return x.grad

    return step
