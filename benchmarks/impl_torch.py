"""PyTorch eager (CPU, one thread): each workload as idiomatic torch code."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
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

torch.set_num_threads(1)


def _linears(params: list[np.ndarray]) -> list[torch.nn.Linear]:
    layers = []
    for w, b in zip(params[::2], params[1::2]):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
    return layers


def mlp_step(sizes: tuple[int, ...], batch: int, update: bool = True) -> Step:
    x, y = classification(batch, sizes[0], sizes[-1])
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    layers = _linears(mlp_params(sizes))
    model = torch.nn.Sequential(*[m for lin in layers[:-1] for m in (lin, torch.nn.ReLU())],
                                layers[-1])
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step() -> object:
        loss = F.cross_entropy(model(xt), yt)
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
    x = torch.from_numpy(chain_input(s.chain_width)).requires_grad_()

    def step() -> object:
        x.grad = None
        chain(x, s.chain, torch.tanh).sum().backward()
        return x.grad

    return step


def w3(s: Sizes) -> Step:
    x, y = moons(s.moons)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.from_numpy(p).requires_grad_() for p in moons_params(s.moons_mlp)]
    layers = len(s.moons_mlp) - 1

    def step() -> object:
        h = xt
        for k in range(layers):
            h = h @ params[2 * k].T + params[2 * k + 1]
            if k < layers - 1:
                h = h.relu()
        loss = (1 - yt * h[:, 0]).relu().mean() + HINGE_ALPHA * sum((p * p).sum()
                                                                  for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= MOONS_LR * p.grad
        return loss

    return step


def w4(s: Sizes) -> Step:
    d_in, d_hid, d_out = s.bn_mlp
    x, y = classification(s.batch, d_in, d_out)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    lin1, lin2 = _linears(mlp_params((d_in, d_hid, d_out)))
    model = torch.nn.Sequential(lin1, torch.nn.BatchNorm1d(d_hid, eps=BN_EPS,
                                                           momentum=BN_MOMENTUM),
                                torch.nn.ReLU(), lin2)
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step() -> object:
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def w6(s: Sizes, n: int) -> Step:
    x = torch.from_numpy(chain_input(None)).requires_grad_()

    def step() -> object:
        x.grad = None
        chain(x, n, torch.tanh).backward()
        return x.grad

    return step


def w7(s: Sizes, steps: int) -> Step:
    batch, features, hidden = s.rnn
    xs, arrays = rnn_problem(batch, features, hidden, steps)
    u, w, b = (torch.from_numpy(a).requires_grad_() for a in arrays)
    inputs = list(torch.from_numpy(xs))

    def step() -> object:
        h = torch.zeros(batch, hidden)
        for xt in inputs:
            h = (xt @ u + h @ w + b).tanh()
        loss = (h * h).mean()
        for p in (u, w, b):
            p.grad = None
        loss.backward()
        return loss

    return step
