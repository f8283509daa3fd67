"""PyTorch's spellings: dim=/keepdim= beside axis=/keepdims=, and the methods and functions a
PyTorch user reaches for. Values against numpy, gradients against finite differences."""

import tapegrad as tg


# ---------------------------------------------------------------------- grad modes
def test_set_grad_enabled_as_call_context_and_decorator():
    w = tg.tensor([1.0], requires_grad=True)
    tg.set_grad_enabled(False)
    try:
        assert not tg.is_grad_enabled() and not (w * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        with tg.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def f():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled() and f() is False and tg.is_grad_enabled()


def test_inference_mode():
    w = tg.tensor([1.0], requires_grad=True)
    with tg.inference_mode():
        assert (w * 2).record is None
    assert (w * 2).record is not None

    @tg.inference_mode
    def bare():
        return tg.is_grad_enabled()

    @tg.inference_mode()
    def called():
        return tg.is_grad_enabled()

    assert bare() is False and called() is False and tg.is_grad_enabled()
    with tg.no_grad(), tg.inference_mode(False):
        assert tg.is_grad_enabled()  # as PyTorch: inference_mode(False) records
