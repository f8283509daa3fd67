"""The W2 chain on the leanest tape that differentiates it: a yardstick for tapegrad's
per-op bookkeeping, not an engine (do not use it).

    python benchmarks/lean_tape.py [--ops N]

Each op (unary or binary) appends (rule, inputs, output) to one global list, and backward
walks that list in reverse, written for speed rather than generality: no graph walk
(everything on the tape is in the graph), no requires-grad tracking (constants get
gradients too, which are thrown away), no checks of values changed in place, no name
scopes, no freeing of values during backward, no dtype or shape fix-ups, no higher-order
gradients. It prints its time per op (forward and backward) next to tapegrad's on the same
chain, minimum of repeated runs in one process: the difference is what tapegrad's
guarantees cost per op (benchmarks/README.md, "What is still far").
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import threads  # noqa: E402,F401  (before numpy)

# isort: split
import impl_tapegrad  # noqa: E402
import numpy as np  # noqa: E402
from problems import Sizes, chain, chain_input  # noqa: E402

TAPE: list[tuple[Any, tuple[Any, ...], Any]] = []
_constants: dict[float, LeanTensor] = {}


class LeanTensor:
    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.grad: np.ndarray | None = None

    def __mul__(self, other: float) -> LeanTensor:
        return MUL(self, other)

    def __add__(self, other: float) -> LeanTensor:
        return ADD(self, other)

    def tanh(self) -> LeanTensor:
        return TANH(self)


def _constant(v: float) -> LeanTensor:
    c = _constants.get(v)
    if c is None:
        c = _constants[v] = LeanTensor(np.asarray(v, np.float32))
    return c


class LeanOp:
    """forward on arrays, one vjp per input: vjp(g, out, *inputs) -> gradient."""

    __slots__ = ("forward", "vjps")

    def __init__(self, forward: Callable[..., np.ndarray], *vjps: Callable[..., Any]) -> None:
        self.forward, self.vjps = forward, vjps

    def __call__(self, a: LeanTensor, b: Any = None) -> LeanTensor:
        if b is None:  # unary (no comprehensions: each would be a function call)
            out = LeanTensor(self.forward(a.data))
            TAPE.append((self, (a,), out))
            return out
        if type(b) is not LeanTensor:
            b = _constant(b)
        out = LeanTensor(self.forward(a.data, b.data))
        TAPE.append((self, (a, b), out))
        return out


MUL = LeanOp(np.multiply, lambda g, out, a, b: g * b, lambda g, out, a, b: g * a)
ADD = LeanOp(np.add, lambda g, out, a, b: g, lambda g, out, a, b: g)
TANH = LeanOp(np.tanh, lambda g, out, a: g - g * (out * out))
SUM = LeanOp(np.sum, lambda g, out, a: np.broadcast_to(g, a.shape))


def backward(loss: LeanTensor, leaves: list[LeanTensor]) -> None:
    """Sweep the whole tape in reverse; the leaves get .grad; the tape is emptied."""
    grads = {id(loss): np.ones((), loss.data.dtype)}
    pop = grads.pop
    for op, inputs, out in reversed(TAPE):
        g = pop(id(out), None)
        if g is None:
            continue
        if len(inputs) == 1:
            pairs: Any = ((op.vjps[0](g, out.data, inputs[0].data), inputs[0]),)
        else:
            a, b = inputs
            pairs = ((op.vjps[0](g, out.data, a.data, b.data), a),
                     (op.vjps[1](g, out.data, a.data, b.data), b))
        for gi, t in pairs:
            key = id(t)
            grads[key] = grads[key] + gi if key in grads else gi
    TAPE.clear()
    for leaf in leaves:
        leaf.grad = grads.get(id(leaf))


def lean_step(ops: int) -> Callable[[], np.ndarray | None]:
    """One W2 step on the lean tape; returns the input's gradient."""
    x = LeanTensor(chain_input(Sizes().chain_width))

    def step() -> np.ndarray | None:
        backward(SUM(chain(x, ops, LeanTensor.tanh)), [x])
        return x.grad

    return step


def _per_op(step: Callable[[], Any], ops: int, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return best / ops * 1e6


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    steps = {"lean tape": lean_step(args.ops),
             "tapegrad": impl_tapegrad.w2(Sizes(chain=args.ops))}
    for step in steps.values():
        step()
    gc.freeze()  # what exists now is not rescanned by the collections the steps trigger
    try:
        times = {name: _per_op(step, args.ops, args.runs) for name, step in steps.items()}
    finally:
        gc.unfreeze()
    for name, us in times.items():
        print(f"{name:10s} {us:6.2f} µs per op (forward + backward, minimum of {args.runs})")
    return times


if __name__ == "__main__":
    main()
