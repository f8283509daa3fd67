"""tapegrad: each workload written as a user would write it, backward by the tape."""

from __future__ import annotations

import numpy as np
from problems import (
    BN_EPS,
    BN_MOMENTUM,
    HINGE_ALPHA,
    LR,
    MOONS_LR,
    Sizes,
    Step,
    chain,
    chain_input,
    classification,
    mlp_params,
    moons,
    moons_params,
    rnn_problem,
)

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim


def _leaves(arrays: list[np.ndarray]) -> list[tg.Tensor]:
    return [tg.tensor(a.copy(), requires_grad=True) for a in arrays]


def _linears(arrays: list[np.ndarray]) -> list[nn.Linear]:
    """nn.Linear layers holding the given [W1, b1, W2, b2, ...]."""
    layers = []
    for w, b in zip(arrays[::2], arrays[1::2]):
        lin = nn.Linear(w.shape[1], w.shape[0])
        with tg.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        layers.append(lin)
    return layers


def _sgd(params: list[tg.Tensor], lr: float) -> None:
    with tg.no_grad():
        for p in params:
            p -= lr * p.grad


def _zero_grad(params: list[tg.Tensor]) -> None:
    for p in params:
        p.grad = None


def mlp_step(sizes: tuple[int, ...], batch: int, update: bool = True) -> Step:
    """nn.Sequential of nn.Linear and nn.ReLU, F.cross_entropy, optim.SGD."""
    x, y = classification(batch, sizes[0], sizes[-1])
    xt = tg.tensor(x)
    layers = _linears(mlp_params(sizes))
    model = nn.Sequential(*[m for lin in layers[:-1] for m in (lin, nn.ReLU())], layers[-1])
    opt = optim.SGD(model.parameters(), lr=LR)

    def step() -> object:
        loss = F.cross_entropy(model(xt), y)
        opt.zero_grad()
        loss.backward()
        if update:
            opt.step()
        return loss

    return step


def w1(s: Sizes) -> Step:
    return mlp_step(s.mlp, s.batch)


def w5(s: Sizes) -> Step:
    return mlp_step(s.mlp, s.mem_batch, update=False)


def w2(s: Sizes) -> Step:
    x = tg.tensor(chain_input(s.chain_width), requires_grad=True)

    def step() -> object:
        x.grad = None
        chain(x, s.chain, tg.Tensor.tanh).sum().backward()
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


def w4(s: Sizes) -> Step:
    """nn.Linear -> nn.BatchNorm1d (composed of primitives in F.batch_norm) -> nn.ReLU ->
    nn.Linear, F.cross_entropy, optim.SGD."""
    d_in, d_hid, d_out = s.bn_mlp
    x, y = classification(s.batch, d_in, d_out)
    xt = tg.tensor(x)
    lin1, lin2 = _linears(mlp_params((d_in, d_hid, d_out)))
    model = nn.Sequential(lin1, nn.BatchNorm1d(d_hid, eps=BN_EPS, momentum=BN_MOMENTUM),
                          nn.ReLU(), lin2)
    opt = optim.SGD(model.parameters(), lr=LR)

    def step() -> object:
        loss = F.cross_entropy(model(xt), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def w6(s: Sizes, n: int) -> Step:
    x = tg.tensor(chain_input(None), requires_grad=True)

    def step() -> object:
        x.grad = None
        chain(x, n, tg.Tensor.tanh).backward()
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
