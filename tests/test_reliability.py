"""Long-run behaviour: memory stays flat, graphs free themselves, threads keep their own grad
mode. (Exact resume and BatchNorm edge cases live with optim/nn tests.)"""

import gc
import threading
import tracemalloc
import weakref

import numpy as np

import tapegrad as tg


def _mlp_step(params, x, y_onehot, lr=0.1):
    w1, b1, w2, b2 = params
    logits = (x @ w1 + b1).relu() @ w2 + b2
    loss = -(tg.log_softmax(logits, axis=1) * y_onehot).sum(axis=1).mean()
    for p in params:
        p.grad = None
    loss.backward()
    with tg.no_grad():
        for p in params:
            p.copy_(p - lr * p.grad)
    return loss.item()


def _problem(seed):
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.standard_normal((32, 8)).astype(np.float32))
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    params = [tg.tensor(rng.standard_normal((8, 16)).astype(np.float32) * 0.3, requires_grad=True),
              tg.zeros(16, requires_grad=True),
              tg.tensor(rng.standard_normal((16, 3)).astype(np.float32) * 0.3, requires_grad=True),
              tg.zeros(3, requires_grad=True)]
    return params, x, tg.tensor(y)


def test_memory_is_flat_over_2000_steps():
    params, x, y = _problem(0)
    for _ in range(50):  # warm-up: caches, lazily created objects
        _mlp_step(params, x, y)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(100):
            _mlp_step(params, x, y)
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(1900):
            _mlp_step(params, x, y)
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - base < 200_000, f"grew by {end - base} bytes over 1900 steps"


def test_undifferentiated_forward_frees_itself_without_gc():
    gc.disable()
    try:
        x = tg.randn(4, 4, requires_grad=True)
        h = (x @ x).tanh()
        probe = weakref.ref(h)
        out = (h * 2).sum()
        del h, out
        assert probe() is None
    finally:
        gc.enable()


def test_no_grad_makes_no_records():
    x = tg.randn(3, requires_grad=True)
    with tg.Tape() as tape, tg.no_grad():
        (x * 2).exp().sum()
    assert tape.records == []


def test_two_threads_train_at_once_with_their_own_grad_mode():
    results = {}
    errors = []

    def train(name, seed, evaluate_every):
        try:
            params, x, y = _problem(seed)
            losses = []
            for step in range(200):
                losses.append(_mlp_step(params, x, y))
                if step % evaluate_every == 0:
                    with tg.no_grad():  # this thread's evaluation must not switch off the other
                        ((x @ params[0]).relu() @ params[2]).sum()
            results[name] = losses
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=train, args=("a", 1, 1)),
               threading.Thread(target=train, args=("b", 2, 3))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    for seed, name in ((1, "a"), (2, "b")):
        params, x, y = _problem(seed)
        alone = [_mlp_step(params, x, y) for _ in range(200)]
        assert results[name] == alone  # identical to running alone
        assert alone[-1] < alone[0]
