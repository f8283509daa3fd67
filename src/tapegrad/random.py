"""tapegrad's random generator: initializers, dropout, rand/randn and data shuffling draw
from it, so `tg.manual_seed(s)` makes a whole run repeatable."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed tapegrad's generator."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))


def generator() -> np.random.Generator:
    """The generator in use (replaced by each manual_seed)."""
    return _generator


class Generator:
    """PyTorch's torch.Generator: a stream of random numbers of its own, for the generator=
    argument of rand, randn, randint, randperm, normal, multinomial, bernoulli, DataLoader and
    random_split, so draws from it neither disturb nor depend on tapegrad's generator
    (tg.manual_seed). manual_seed(s) reseeds it in place and returns it, as in PyTorch:

    >>> g = Generator().manual_seed(2147483647)
    >>> g.initial_seed()
    2147483647

    The numbers are numpy's (a PCG64 seeded with the seed), not PyTorch's."""

    DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"Generator: only device 'cpu' is supported, got {device!r}")
        self.device = "cpu"
        self._seed = self.DEFAULT_SEED
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed (in place: whatever holds this generator draws the new stream); self."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"Generator.manual_seed: seed must be a non-negative integer, "
                             f"got {seed!r}")
        self._seed = int(seed)
        self._rng.bit_generator.state = np.random.default_rng(self._seed).bit_generator.state
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % 2**63)
        return self._seed

    def initial_seed(self) -> int:
        """The seed of the last manual_seed (or seed)."""
        return self._seed

    def get_state(self) -> dict[str, Any]:
        """The state, as plain data (a dict, where PyTorch gives a ByteTensor)."""
        return copy.deepcopy(self._rng.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> Generator:
        """Restore a state from get_state; self."""
        _set_state(self._rng, state, "Generator.set_state: not a generator state")
        return self

    def __repr__(self) -> str:
        return f"<tapegrad.Generator seed={self._seed}>"


def resolve(generator: Any, who: str) -> np.random.Generator:
    """The numpy generator a generator= argument draws from: tapegrad's for None, a
    Generator's own, or a numpy Generator itself."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{who}: generator must be a tg.Generator, a numpy Generator or None, "
                    f"got {generator!r}")


def get_rng_state() -> dict[str, Any]:
    """The generator's state, as plain data (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state from get_rng_state, so the next draws repeat exactly."""
    _set_state(_generator, state, "set_rng_state: not a generator state")


def check_rng_state(state: Any, failure: str) -> None:
    """Raise ValueError(f"{failure}: ...") unless set_rng_state would take `state` (tried on a
    copy of the generator: nothing changes)."""
    _set_state(copy.deepcopy(_generator), state, failure)


def _set_state(generator: np.random.Generator, state: Any, failure: str) -> None:
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{failure}: {e}") from None
