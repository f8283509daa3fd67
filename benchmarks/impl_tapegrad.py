"""tapegrad: each workload written as a user would write it, backward by the tape."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from problems import (
    BN_EPS,
    BN_MOMENTUM,
    CHAIN_ADD,
    CHAIN_MUL,
    CHAIN_OPS,
    HINGE_ALPHA,
    LR,
    MOONS_LR,
    Sizes,
    chain_input,
    classification,
    mlp_params,
    moons,
    moons_params,
    rnn_problem,
)

import tapegrad as tg

Step = Callable[[], object]


def _leaves(arrays: list[np.ndarray]) -> list[tg.Tensor]:
    return [tg.tensor(a.copy(), requires_grad=True) for a in arrays]


def _cross_entropy(logits: tg.Tensor, y: np.ndarray) -> tg.Tensor:
    return -tg.log_softmax(logits, axis=1)[np.arange(len(y)), y].mean()


def _sgd(params: list[tg.Tensor], lr: float) -> None:
    with tg.no_grad():
        for p in params:
            p.copy_(p - lr * p.grad)


def _zero_grad(params: list[tg.Tensor]) -> None:
    for p in params:
        p.grad = None


def mlp_step(sizes: tuple[int, ...], batch: int, update: bool = True) -> Step:
    x, y = classification(batch, sizes[0], sizes[-1])
    xt = tg.tensor(x)
    params = _leaves(mlp_params(sizes))
    layers = len(sizes) - 1

    def step() -> object:
        h = xt
        for k in range(layers):
            h = h @ params[2 * k].T + params[2 * k + 1]
            if k < layers - 1:
                h = h.relu()
        loss = _cross_entropy(h, y)
        _zero_grad(params)
        loss.backward()
        if update:
            _sgd(params, LR)
        return loss

    return step


def w1(s: Sizes) -> Step:
    return mlp_step(s.mlp, s.batch)


def w5(s: Sizes) -> Step:
    return mlp_step(s.mlp, s.mem_batch, update=False)


def _chain(x: tg.Tensor, n: int) -> tg.Tensor:
    for i in range(n):
        op = CHAIN_OPS[i % 4]
        if op == "mul":
            x = x * CHAIN_MUL
        elif op == "add":
            x = x + CHAIN_ADD
        else:
            x = x.tanh()
    return x


def w2(s: Sizes) -> Step:
    x = tg.tensor(chain_input(s.chain_width), requires_grad=True)

    def step() -> object:
        x.grad = None
        _chain(x, s.chain).sum().backward()
        return x.grad

    return step


def w3(s: Sizes) -> Step:
    x, y = moons(s.moons)
    xt, yt = tg.tensor(x), tg.tensor(y)
    params = _leaves(moons_params(s.moons_mlp))
    layers = len(s.moons_mlp) - 1

    def step() -> object:
        h = xt
        for k in range(layers):
            h = h @ params[2 * k].T + params[2 * k + 1]
            if k < layers - 1:
                h = h.relu()
        data_loss = (1 - yt * h[:, 0]).relu().mean()
        reg_loss = HINGE_ALPHA * sum((p * p).sum() for p in params)
        loss = data_loss + reg_loss
        _zero_grad(params)
        loss.backward()
        _sgd(params, MOONS_LR)
        return loss

    return step


def _batch_norm(x: tg.Tensor, gamma: tg.Tensor, beta: tg.Tensor, run_mean: tg.Tensor,
                run_var: tg.Tensor) -> tg.Tensor:
    """Training-mode BatchNorm composed of primitives, as the lecture derives it."""
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc * xc).mean(axis=0)
    out = xc / (var + BN_EPS).sqrt() * gamma + beta
    n = x.shape[0]
    with tg.no_grad():
        run_mean.copy_((1 - BN_MOMENTUM) * run_mean + BN_MOMENTUM * mu)
        run_var.copy_((1 - BN_MOMENTUM) * run_var + BN_MOMENTUM * var * (n / (n - 1)))
    return out


def w4(s: Sizes) -> Step:
    d_in, d_hid, d_out = s.bn_mlp
    x, y = classification(s.batch, d_in, d_out)
    xt = tg.tensor(x)
    w1_, b1, w2_, b2 = _leaves(mlp_params((d_in, d_hid, d_out)))
    gamma, beta = tg.ones(d_hid, requires_grad=True), tg.zeros(d_hid, requires_grad=True)
    run_mean, run_var = tg.zeros(d_hid), tg.ones(d_hid)
    params = [w1_, b1, w2_, b2, gamma, beta]

    def step() -> object:
        h = _batch_norm(xt @ w1_.T + b1, gamma, beta, run_mean, run_var).relu()
        loss = _cross_entropy(h @ w2_.T + b2, y)
        _zero_grad(params)
        loss.backward()
        _sgd(params, LR)
        return loss

    return step


def w6(s: Sizes, n: int) -> Step:
    x = tg.tensor(chain_input(None), requires_grad=True)

    def step() -> object:
        x.grad = None
        _chain(x, n).backward()
        return x.grad

    return step


def w7(s: Sizes, steps: int) -> Step:
    batch, features, hidden = s.rnn
    xs, arrays = rnn_problem(batch, features, hidden, steps)
    u, w, b = _leaves(arrays)
    inputs = [tg.tensor(xt) for xt in xs]

    def step() -> object:
        h = tg.zeros(batch, hidden)
        for xt in inputs:
            h = (xt @ u + h @ w + b).tanh()
        loss = (h * h).mean()
        _zero_grad([u, w, b])
        loss.backward()
        return loss, u.grad, w.grad, b.grad

    return step
