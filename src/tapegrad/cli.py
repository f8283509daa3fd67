"""The `tapegrad` command."""

from __future__ import annotations

import argparse
import sys

import numpy as np

import tapegrad as tg


def _two_moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x, y], 1) + 0.1 * rng.standard_normal((n, 2))
    return pts.astype(np.float32), upper.astype(np.int64)


def demo(args: argparse.Namespace) -> int:
    """Train a 2-16-2 network on two moons with raw tensors and print the loss falling."""
    tg.manual_seed(0)
    x, y = _two_moons(200, np.random.default_rng(0))
    w1 = (tg.randn(2, 16) * 0.5).requires_grad_()
    b1 = tg.zeros(16, requires_grad=True)
    w2 = (tg.randn(16, 2) * 0.5).requires_grad_()
    b2 = tg.zeros(2, requires_grad=True)
    params = [w1, b1, w2, b2]
    X, Y = tg.tensor(x), np.eye(2, dtype=np.float32)[y]
    for step in range(args.steps + 1):
        logits = (X @ w1 + b1).tanh() @ w2 + b2
        loss = -(tg.log_softmax(logits, axis=1) * Y).sum(axis=1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p.data -= 0.5 * p.grad.numpy()
        if step % (args.steps // 10 or 1) == 0:
            acc = float((logits.numpy().argmax(1) == y).mean())
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {acc:.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tapegrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train a small network and print its progress")
    p.add_argument("--steps", type=int, default=300)
    p.set_defaults(run=demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
