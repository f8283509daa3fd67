"""Structural modules: Sequential, ModuleList, Identity, Flatten."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..tensor import Tensor
from .module import Module


class _ModuleSequence(Module, ABC):
    """Children named '0', '1', ...: len, iteration, indexing, slicing, append, extend."""

    def append(self, module: Module) -> _ModuleSequence:
        """Add module at the end, named str(len(self)) (or the next free number: a slice
        like seq[1:] keeps the names '1', '2', which must not be overwritten)."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: item {len(self)} is "
                            f"{type(module).__name__}, not a Module")
        k = len(self)
        while str(k) in self._modules:
            k += 1
        self.add_module(str(k), module)
        return self

    def extend(self, modules: Iterable[Module]) -> _ModuleSequence:
        for m in modules:
            self.append(m)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    @abstractmethod
    def _slice(self, items: list[tuple[str, Module]]) -> _ModuleSequence:
        """The container of the same kind holding `items` (a slice of this one)."""

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return self._slice(list(self._modules.items())[index])
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{type(self).__name__}: index must be an int or a slice, got "
                            f"{index!r}")
        mods = list(self._modules.values())
        if not -len(mods) <= index < len(mods):
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for "
                             f"{len(mods)} modules")
        return mods[index]


class Sequential(_ModuleSequence):
    """Apply modules in order: Sequential(m0, m1, ...) or Sequential(OrderedDict(name=m)).
    Children are named '0', '1', ... (so parameters are '0.weight', ...)."""

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {name!r} is {type(m).__name__}, "
                                "not a Module")
            setattr(self, name, m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def _slice(self, items: list[tuple[str, Module]]) -> Sequential:
        return Sequential(OrderedDict(items))  # keeps the children's names, as PyTorch


class ModuleList(_ModuleSequence):
    """A list of modules registered as children '0', '1', ... (parameters 'layers.0.weight'
    in the owner), indexed, iterated and grown like a list. It has no forward: the owner's
    forward decides how to call them, e.g. `for layer in self.layers: x = layer(x)`."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, items: list[tuple[str, Module]]) -> ModuleList:
        return ModuleList(m for _, m in items)  # renumbered, as PyTorch's ModuleList


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge axes start_dim..end_dim (default: all but the batch axis): (N, 8, 8) -> (N, 64)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -x.ndim <= d < x.ndim:
                raise ValueError(f"Flatten: {name}={d} is out of range for input of shape "
                                 f"{x.shape}")
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
