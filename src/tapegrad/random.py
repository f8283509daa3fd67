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
