"""Structural modules: Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..tape import TapegradIndexError
from ..tensor import Tensor
from .module import Module


class _ModuleSequence(Module, ABC):
    """Children named '0', '1', ...: len, iteration, indexing, slicing, append, extend,
    insert, pop, item assignment and deletion."""

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

    def insert(self, index: int, module: Module) -> _ModuleSequence:
        """Put module before position index (-len(self) <= index <= len(self), as for
        PyTorch's Sequential.insert; negative counts from the end); the children are then
        renumbered '0', '1', .... Returns self."""
        name = type(self).__name__
        if not isinstance(module, Module):
            raise TypeError(f"{name}.insert: module must be a Module, got "
                            f"{type(module).__name__}")
        n = len(self)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{name}.insert: index must be an int, got {index!r}")
        if not -n <= index <= n:
            raise TapegradIndexError(f"{name}.insert: index {index} is out of range for "
                                     f"{n} modules (in [-{n}, {n}])")
        mods = list(self._modules.values())
        mods.insert(int(index), module)
        self._renumber(mods)
        return self

    def pop(self, index: int | slice = -1) -> Module:
        """Remove the module at index (the last by default) and return it (a slice: remove
        those and return them as a container); the rest are renumbered, see __delitem__."""
        module = self[index]
        del self[index]
        return module

    def __delitem__(self, index: int | slice) -> None:
        """Remove the module at index (or those of a slice); as PyTorch does, the children
        left are renumbered '0', '1', ... (a Sequential's own names are lost too)."""
        mods = list(self._modules.values())
        if isinstance(index, slice):
            del mods[index]
        else:
            del mods[self._position(index)]
        self._renumber(mods)

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at index; it takes the name of the one it replaces."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: cannot assign {type(module).__name__} "
                            f"at index {index!r} (a Module expected)")
        setattr(self, list(self._modules)[self._position(index)], module)

    def _renumber(self, modules: list[Module]) -> None:
        """Hold exactly modules, in this order, named '0', '1', ...."""
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def _position(self, index: Any) -> int:
        """index (an int in [-len, len)) as a position in [0, len)."""
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{type(self).__name__}: index must be an int or a slice, got "
                            f"{index!r}")
        n = len(self)
        if not -n <= index < n:
            raise TapegradIndexError(f"{type(self).__name__}: index {index} is out of range "
                                     f"for {n} modules")
        return int(index) % n

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
        return list(self._modules.values())[self._position(index)]


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


class ModuleDict(Module):
    """A dict of modules registered as children under their keys (parameters
    'heads.cls.weight' in the owner), in insertion order, indexed, iterated (over the keys)
    and updated like a dict. It has no forward: the owner's forward picks modules by key.

    Keys are non-empty strings without '.' that do not hide an attribute of the ModuleDict
    ('keys', 'training', ...): a bad key or a non-Module raises, and nothing is added."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
                 ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check(self, key: Any, module: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {key!r}")
        if not key or "." in key:
            raise ValueError(f"ModuleDict: key {key!r} must be non-empty and without '.'")
        if key not in self._modules and hasattr(self, key):
            raise ValueError(f"ModuleDict: key {key!r} would hide the attribute "
                             f"ModuleDict.{key}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: item {key!r} is {type(module).__name__}, not a "
                            "Module")

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module {key!r}; keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self._check(key, module)
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # KeyError for a missing key
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def pop(self, key: str) -> Module:
        """Remove the module under key and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) modules from a mapping or an iterable of (key, module) pairs, in
        their order. Every entry is checked before any is added."""
        if isinstance(modules, (Mapping, ModuleDict)):
            items = list(modules.items())
        elif isinstance(modules, Iterable) and not isinstance(modules, (str, Module)):
            items = list(modules)
            for j, pair in enumerate(items):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise ValueError(f"ModuleDict.update: element #{j} must be a (key, "
                                     f"module) pair, got {pair!r:.80}")
        else:
            raise TypeError(f"ModuleDict.update: expected a mapping or (key, module) pairs, "
                            f"got {type(modules).__name__}")
        for key, module in items:
            self._check(key, module)
        for key, module in items:
            self.add_module(key, module)


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


class Unflatten(Module):
    """Split axis dim into unflattened_size (Flatten's inverse): Unflatten(1, (8, 8)) turns
    (N, 64) into (N, 8, 8). One entry may be -1, inferred from the axis's size."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        sizes = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else ()
        ints = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes)
        if not sizes or not ints or any(n < 1 and n != -1 for n in sizes) or sizes.count(-1) > 1:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of positive "
                            f"ints (at most one -1), got {unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(n) for n in sizes)

    def forward(self, x: Tensor) -> Tensor:
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten: dim={self.dim} is out of range for input of shape "
                             f"{x.shape}")
        d = self.dim % x.ndim
        size, known = x.shape[d], math.prod(n for n in self.unflattened_size if n != -1)
        fits = size % known == 0 if -1 in self.unflattened_size else size == known
        if not fits:
            raise ValueError(f"Unflatten: axis {d} of input shape {x.shape} has size {size}, "
                             f"which unflattened_size {self.unflattened_size} does not fit")
        return x.reshape(x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
