"""The benchmark suite at tiny sizes: every workload runs, and the tapegrad implementations
compute what the hand-derived numpy floors compute (so the timings compare equal work)."""

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import impl_numpy  # noqa: E402
import impl_tapegrad  # noqa: E402
import run  # noqa: E402
from problems import CHAIN_ADD, CHAIN_MUL, CHAIN_OPS, Sizes, chain_input  # noqa: E402

QUICK = Sizes.quick()


def test_every_workload_runs_at_quick_sizes():
    results, _ = run.run(None, repeats=1, quick=True, only={"numpy", "tapegrad"})
    keys = {r.workload.split()[0] for r in results}
    assert keys == {"W1", "W2", "W3", "W4", "W5", "W6", "W7"}
    for r in results:
        assert r.error is None, (r.workload, r.impl, r.error)
        assert len(r.values) == 1 and np.isfinite(r.values[0]) and r.values[0] >= 0
    text = run.table(results)
    assert "| W1 MLP step | tapegrad |" in text and "×" in text


@pytest.mark.parametrize("workload", ["w1", "w3", "w4"])
def test_training_steps_match_the_numpy_floor(workload):
    """Three SGD steps: equal losses mean equal gradients and updates along the way."""
    floor = getattr(impl_numpy, workload)(QUICK)
    ours = getattr(impl_tapegrad, workload)(QUICK)
    for _ in range(3):
        expected = floor()
        expected = expected[0] if isinstance(expected, tuple) else expected
        np.testing.assert_allclose(float(ours()), expected, rtol=1e-5, atol=1e-6)


def test_chain_gradient_matches_the_chain_rule_by_hand():
    x = chain_input(QUICK.chain_width).astype(np.float64)
    value, slope = x.copy(), np.ones_like(x)
    for i in range(QUICK.chain):
        op = CHAIN_OPS[i % 4]
        if op == "mul":
            value, slope = value * CHAIN_MUL, slope * CHAIN_MUL
        elif op == "add":
            value = value + CHAIN_ADD
        else:
            value = np.tanh(value)
            slope = slope * (1 - value**2)
    grad = impl_tapegrad.w2(QUICK)()
    assert grad.dtype == np.float32  # Python scalars did not upcast the chain
    np.testing.assert_allclose(grad.numpy(), slope, rtol=1e-4)


def test_unrolled_loop_gradients_match_hand_written_bptt():
    loss, gu, gw, gb = impl_tapegrad.w7(QUICK, 20)()
    floor_loss, fu, fw, fb = impl_numpy.w7(QUICK, 20)()
    np.testing.assert_allclose(loss.item(), floor_loss, rtol=1e-5)
    for ours, floor in ((gu, fu), (gw, fw), (gb, fb)):
        np.testing.assert_allclose(ours.numpy(), floor, rtol=1e-4, atol=1e-7)


def test_bytecode_count_per_op_is_the_same_for_a_longer_chain():
    """benchmarks/bytecodes.py: the engine's Python work per op does not grow with the graph
    (the count is exact, so a 2x longer chain costs 2x the instructions, give or take the
    fixed cost of one sum and one backward)."""
    import bytecodes

    short, long = (sum(bytecodes.count(n).values()) / n for n in (40, 80))
    assert short > 100  # the counter saw the engine run
    assert abs(long - short) / short < 0.05
    engine = bytecodes.count(40)
    assert any(function == "_sweep" for _, function in engine)


def test_lean_tape_yardstick_computes_the_same_gradient():
    """benchmarks/lean_tape.py times the W2 chain on a bare tape; it must do the same work."""
    import lean_tape

    expected = impl_tapegrad.w2(QUICK)().numpy()
    np.testing.assert_allclose(lean_tape.lean_step(QUICK.chain)(), expected, rtol=1e-6)
    times = lean_tape.main(["--ops", "40", "--runs", "2"])
    assert set(times) == {"lean tape", "tapegrad"} and all(t > 0 for t in times.values())
