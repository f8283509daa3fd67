"""The numpy floor: each workload written by hand in numpy, backward derived by hand.

These are what a careful person writes without an autograd engine: float32 throughout,
explicit backward, in-place parameter updates. The engine's target is to come close to them.
"""

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


def _cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of logits z (N, C) and its gradient dL/dz = (p - onehot)/N."""
    n = z.shape[0]
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y]))
    g = e / s
    g[rows, y] -= 1
    g /= n
    return loss, g


def mlp_step(sizes: tuple[int, ...], batch: int, update: bool = True) -> Step:
    """W1 (and W5 with update=False): forward, hand-written backward, SGD update."""
    x, y = classification(batch, sizes[0], sizes[-1])
    params = mlp_params(sizes)
    layers = len(sizes) - 1

    def step() -> object:
        hs = [x]
        for k in range(layers):
            z = hs[-1] @ params[2 * k].T + params[2 * k + 1]
            hs.append(np.maximum(z, 0) if k < layers - 1 else z)
        loss, g = _cross_entropy(hs[-1], y)
        grads: list[np.ndarray] = [None] * len(params)  # type: ignore[list-item]
        for k in reversed(range(layers)):
            grads[2 * k] = g.T @ hs[k]
            grads[2 * k + 1] = g.sum(axis=0)
            if k:
                g = g @ params[2 * k]
                g *= hs[k] > 0
        if update:
            for p, gp in zip(params, grads):
                p -= LR * gp
        return loss, grads

    return step


def w1(s: Sizes) -> Step:
    return mlp_step(s.mlp, s.batch)


def w5(s: Sizes) -> Step:
    return mlp_step(s.mlp, s.mem_batch, update=False)


def w2(s: Sizes) -> Step:
    """Forward only: numpy has no backward to run."""
    x = chain_input(s.chain_width)
    return lambda: chain(x, s.chain, np.tanh).sum()


def w3(s: Sizes) -> Step:
    """micrograd's moons demo, vectorized: ReLU MLP, max-margin loss + L2, SGD."""
    x, y = moons(s.moons)
    params = moons_params(s.moons_mlp)
    layers = len(s.moons_mlp) - 1
    n = len(y)

    def step() -> object:
        hs = [x]
        for k in range(layers):
            z = hs[-1] @ params[2 * k].T + params[2 * k + 1]
            hs.append(np.maximum(z, 0) if k < layers - 1 else z)
        margin = 1 - y * hs[-1][:, 0]
        loss = np.maximum(margin, 0).mean() + HINGE_ALPHA * sum((p * p).sum() for p in params)
        g = (-(y * (margin > 0)) / n)[:, None].astype(np.float32)
        for k in reversed(range(layers)):
            gw = g.T @ hs[k] + 2 * HINGE_ALPHA * params[2 * k]
            gb = g.sum(axis=0) + 2 * HINGE_ALPHA * params[2 * k + 1]
            if k:
                g = (g @ params[2 * k]) * (hs[k] > 0)
            params[2 * k] -= MOONS_LR * gw
            params[2 * k + 1] -= MOONS_LR * gb
        return loss

    return step


def w4(s: Sizes) -> Step:
    """Linear -> BatchNorm (training) -> ReLU -> Linear -> cross-entropy, with the fused BN
    backward: dx = (γ/σ)/N · (N·dy - Σdy - x̂·Σ(dy·x̂))."""
    d_in, d_hid, d_out = s.bn_mlp
    x, y = classification(s.batch, d_in, d_out)
    w1_, b1, w2_, b2 = mlp_params((d_in, d_hid, d_out))
    gamma = np.ones(d_hid, np.float32)
    beta = np.zeros(d_hid, np.float32)
    run_mean = np.zeros(d_hid, np.float32)
    run_var = np.ones(d_hid, np.float32)
    n = s.batch

    def step() -> object:
        z = x @ w1_.T + b1
        mu = z.mean(axis=0)
        xc = z - mu
        var = (xc * xc).mean(axis=0)
        inv = 1 / np.sqrt(var + BN_EPS)
        xhat = xc * inv
        bn = xhat * gamma + beta
        h = np.maximum(bn, 0)
        logits = h @ w2_.T + b2
        loss, g = _cross_entropy(logits, y)
        gw2 = g.T @ h
        gb2 = g.sum(axis=0)
        g = (g @ w2_) * (bn > 0)
        ggamma = (g * xhat).sum(axis=0)
        gbeta = g.sum(axis=0)
        gz = (gamma * inv / n) * (n * g - gbeta - xhat * ggamma)
        gw1 = gz.T @ x
        gb1 = gz.sum(axis=0)
        for p, gp in ((w1_, gw1), (b1, gb1), (w2_, gw2), (b2, gb2), (gamma, ggamma),
                      (beta, gbeta)):
            p -= LR * gp
        run_mean[...] = (1 - BN_MOMENTUM) * run_mean + BN_MOMENTUM * mu
        run_var[...] = (1 - BN_MOMENTUM) * run_var + BN_MOMENTUM * var * (n / (n - 1))
        return loss

    return step


def w6(s: Sizes, n: int) -> Step:
    """Forward only, on a 0-d array."""
    x = chain_input(None)
    return lambda: chain(x, n, np.tanh)


def w7(s: Sizes, steps: int) -> Step:
    """Unrolled RNN, backpropagation through time written by hand."""
    batch, features, hidden = s.rnn
    xs, (u, w, b) = rnn_problem(batch, features, hidden, steps)

    def step() -> object:
        hs = [np.zeros((batch, hidden), np.float32)]
        for t in range(steps):
            hs.append(np.tanh(xs[t] @ u + hs[-1] @ w + b))
        h = hs[-1]
        loss = (h * h).mean()
        gh = 2 * h / h.size
        gu = np.zeros_like(u)
        gw = np.zeros_like(w)
        gb = np.zeros_like(b)
        for t in reversed(range(steps)):
            ga = gh * (1 - hs[t + 1] * hs[t + 1])
            gu += xs[t].T @ ga
            gw += hs[t].T @ ga
            gb += ga.sum(axis=0)
            gh = ga @ w.T
        return loss, gu, gw, gb

    return step
