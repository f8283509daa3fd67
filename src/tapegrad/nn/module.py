"""Module and Parameter: the containers that hold a network's tensors, PyTorch-style.

A Module registers what is assigned to its attributes: Parameters (trained), child Modules,
and buffers (state that is saved but not trained, e.g. BatchNorm's running statistics).

Name scopes: when a module's forward calls one of its descendants, the descendant's forward
runs inside `tg.name_scope(attr_name, label)` (one scope per level of the attribute path), so
every record it makes carries the path, e.g. ('bn1',) or ('block', 'fc'), and the labels,
e.g. ('BatchNorm1d(256)',). The module called directly by the user (the root) pushes no
scope: the network as a whole is the drawing, its layers are the clusters. A module called
from outside any module's forward is a root, even if it is also some module's child.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..tape import _threads, no_grad
from ..tensor import Tensor, as_dtype


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable: requires_grad=True by default.

    Parameter(data) copies data and keeps the dtype of float arrays and tensors (Python
    numbers and lists, of ints too, become float32); Parameter() is an empty float32
    parameter."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        python = isinstance(data, (int, float, list, tuple))
        super().__init__(np.zeros(0, np.float32) if data is None else data,
                         requires_grad=requires_grad, dtype=np.float32 if python else None)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _float_dtype(dtype: Any, who: str) -> np.dtype:
    """A layer's parameter dtype: float32 for None, else a floating dtype (TypeError
    naming the layer for anything else)."""
    dt = as_dtype(dtype, who)
    if dt is None:
        return np.dtype(np.float32)
    if dt.kind != "f":
        raise TypeError(f"{who}: dtype must be floating point, got {dt}")
    return dt


def _size(n: Any, who: str, name: str) -> int:
    """A layer's size argument (in_features, num_embeddings, ...) as an int >= 0
    (ValueError naming the layer and the argument for anything else)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"{who}: {name} must be a non-negative int, got {n!r}")
    return int(n)


def zero_grads(params: Iterable[Tensor], set_to_none: bool) -> None:
    """p.grad = None for every p, or (set_to_none=False) zeros written in place into each
    .grad, so a reference to it kept elsewhere sees the zeros (PyTorch's zero_()). A grad
    that is itself recorded (backward with create_graph=True) is replaced by a fresh zero
    tensor, as PyTorch detaches it first."""
    for p in params:
        g = p.grad
        if set_to_none or g is None:
            p.grad = None
        elif g.requires_grad:
            p.grad = Tensor._make(np.zeros_like(g._data), False)
        else:
            with no_grad():
                g.copy_(0)


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class _HookHandle:
    def __init__(self, hooks: dict[int, Any], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


_hook_ids = itertools.count()


class _NoSuchAttribute(AttributeError, ValueError):
    """A get_submodule/get_parameter/get_buffer path that leads nowhere: PyTorch raises
    AttributeError; tapegrad's errors for bad use are ValueErrors. Both catch it."""


_DEVICES = ("cpu", "cuda", "mps", "xpu", "meta")  # PyTorch's device names, for Module.to


class _CallStack(threading.local):
    def __init__(self) -> None:
        self.modules: list[Module] = []


_calls = _CallStack()
# counts attribute assignments and deletions on every module: a module's cached name scopes
# (paths and labels) are valid while it is unchanged
_assignments = [0]


class Module:
    """Base class of layers and networks. Subclasses set attributes in __init__ (after
    calling super().__init__()) and define forward(*inputs).

    >>> import tapegrad as tg, tapegrad.nn as nn
    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.bn1 = nn.BatchNorm1d(8)
    ...         self.fc2 = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.bn1(self.fc1(x)).relu())
    >>> net = MLP()
    >>> [name for name, _ in net.named_parameters()]
    ['fc1.weight', 'fc1.bias', 'bn1.weight', 'bn1.bias', 'fc2.weight', 'fc2.bias']
    >>> with tg.Tape() as tape:
    ...     y = net(tg.randn(16, 4))
    >>> tape.records[0].scope, tape.records[0].scope_labels
    (('fc1',), ('Linear(4, 8)',))
    >>> [r.op for r in tape.records if r.scope == ('bn1',)]
    ['mean', 'sub', 'square', 'mean', 'add', 'sqrt', 'div', 'mul', 'add']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_buffer_names", set())  # assignments to these are buffers
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "_scope_cache", None)  # see _scopes_from
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise TypeError(f"{type(self).__name__}: call super().__init__() before "
                            f"assigning attribute {name!r}")
        registry = self._registry_for(name, value)
        _assignments[0] += 1
        for other in (self._parameters, self._modules, self._buffers):
            if other is not registry:
                other.pop(name, None)
        if registry is not None:
            registry[name] = value  # a re-assigned name keeps its place, as in PyTorch
        object.__setattr__(self, name, value)

    def _registry_for(self, name: str, value: Any) -> dict[str, Any] | None:
        """Where an assignment goes: Parameters to _parameters, Modules to _modules, tensors
        to a registered buffer name. As in PyTorch, a registered parameter, child module or
        buffer can only be replaced by one of its kind or None (anything else would silently
        drop it from parameters() and state_dict()): TypeError, and nothing changes."""
        if isinstance(value, Parameter):
            return self._parameters
        if isinstance(value, Module):
            return self._modules
        kinds = ((self._parameters, "parameter", "nn.Parameter"),
                 (self._modules, "child module", "nn.Module"))
        for registry, kind, expected in kinds:
            if name in registry:
                if value is None:
                    return registry
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} "
                                f"as {kind} {name!r} ({expected} or None expected)")
        if name in self._buffer_names:
            if value is None or isinstance(value, Tensor):
                return self._buffers
            raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as "
                            f"buffer {name!r} (Tensor or None expected)")
        return None

    def __delattr__(self, name: str) -> None:
        _assignments[0] += 1
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (None keeps the slot, as for a layer built with bias=False)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a "
                            f"Parameter or None, got {type(param).__name__}")
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is not trained (no gradient) but belongs to the module; persistent
        buffers are part of state_dict (as BatchNorm's running_mean and running_var)."""
        who = f"{type(self).__name__}.register_buffer"
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{who}: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"{who}: the name must be a non-empty string without '.', got "
                             f"{name!r}")
        for registry, kind in ((self._parameters, "parameter"), (self._modules, "module")):
            if name in registry:  # checked first: a failed call registers nothing
                raise TypeError(f"{who}: {name!r} is already a {kind}")
        self._buffer_names.add(name)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        setattr(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register module (or None, keeping the slot) as the child `name`, the attribute
        self.name. As in PyTorch the name is a non-empty string without '.' that is not
        already a non-module attribute (ValueError; TypeError for a non-str or non-Module)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got "
                            f"{type(module).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"add_module: the name must be a string, got {name!r}")
        if not name or "." in name:
            raise ValueError(f"add_module: the name must be non-empty and without '.', got "
                             f"{name!r}")
        if name not in self._modules and hasattr(self, name):
            raise ValueError(f"add_module: attribute {name!r} already exists in "
                             f"{type(self).__name__}")
        setattr(self, name, module)

    register_module = add_module  # PyTorch's alias

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every module that is called defines it (containers such as
        ModuleList that are only iterated need not)."""
        raise TypeError(f"{type(self).__name__} does not define forward(), so it cannot be "
                        "called")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        stack = _calls.modules
        scopes = self._scopes_from(stack[-1]) if stack else ()
        st = _threads.state  # the name scope new records carry: pushed here, as name_scope does
        outer = st.scope, st.scope_labels
        stack.append(self)
        try:
            for name, label in scopes:  # one step for a child called by its parent
                st.scope += (name,)
                st.scope_labels += (label,)
            if self._forward_pre_hooks:
                for hook in tuple(self._forward_pre_hooks.values()):
                    result = hook(self, args)
                    if result is not None:
                        args = result if isinstance(result, tuple) else (result,)
            out = self.forward(*args, **kwargs)
            if self._forward_hooks:
                for hook in tuple(self._forward_hooks.values()):
                    result = hook(self, args, out)
                    out = out if result is None else result
            return out
        finally:
            st.scope, st.scope_labels = outer
            stack.pop()

    def _scopes_from(self, caller: Module) -> tuple[tuple[str, str], ...]:
        """The (name, label) scopes from `caller` down to this module, one per step of the
        attribute path (empty if it is not a descendant). Cached per caller; any attribute
        assignment on any module (a new child, a changed Dropout p) invalidates the cache."""
        cache = self._scope_cache
        if cache is not None and cache[0] == _assignments[0] and cache[1]() is caller:
            return cache[2]
        scopes = tuple((name, module.scope_label()) for name, module in self._path_from(caller))
        object.__setattr__(self, "_scope_cache", (_assignments[0], weakref.ref(caller), scopes))
        return scopes

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
                              ) -> _HookHandle:
        """Call hook(module, inputs, output) after each forward (a non-None result replaces
        the output); returns a handle whose remove() unregisters it."""
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple[Any, ...]], Any]
                                  ) -> _HookHandle:
        """Call hook(module, args) before each forward, args the tuple of positional inputs
        (keyword inputs pass unchanged): a non-None result replaces them (a value that is not
        a tuple as the one input), as in PyTorch. Returns a handle whose remove()
        unregisters it."""
        key = next(_hook_ids)
        self._forward_pre_hooks[key] = hook
        return _HookHandle(self._forward_pre_hooks, key)

    def _path_from(self, caller: Module) -> tuple[tuple[str, Module], ...]:
        """The attribute path from `caller` to this module: (('block', m1), ('fc', self))."""
        for name, child in caller._modules.items():
            if child is self:
                return ((name, self),)
        for name, child in caller._modules.items():
            if child is not None:
                sub = self._path_from(child)
                if sub:
                    return ((name, child),) + sub
        return ()

    def scope_label(self) -> str:
        """How viz labels this module's cluster, e.g. 'Linear(64, 128)'."""
        return f"{type(self).__name__}()"

    # ------------------------------------------------------------------ traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, child) pairs; a module held under two names is yielded once (the first
        name), as in PyTorch, so apply() and children() visit it once."""
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, each once, with dotted names ('' for self)."""
        seen: set[int] = set()
        todo: list[tuple[str, Module]] = [(prefix, self)]
        while todo:
            name, m = todo.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            todo.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """named_modules() without the names (what parameters(), train() and zero_grad()
        walk on every call, so no name strings are built)."""
        seen: set[int] = set()
        todo: list[Module] = [self]
        while todo:
            m = todo.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield m
            todo.extend(reversed([c for c in m._modules.values() if c is not None]))

    def get_submodule(self, target: str) -> Module:
        """The descendant at the dotted attribute path target, e.g. 'block.fc' or '0' in a
        Sequential ('' is the module itself). A path that leads nowhere is an error naming
        the step (AttributeError as in PyTorch, also a ValueError)."""
        if not isinstance(target, str):
            raise TypeError(f"get_submodule: target must be a dotted string, got {target!r}")
        return self._walk(target, target, "get_submodule")

    def _walk(self, path: str, target: str, who: str) -> Module:
        """The descendant at the dotted path ('' is self); errors name `who` and the whole
        `target` the caller was given (a parameter's path, say, not just its module's)."""
        m = self
        for name in path.split(".") if path else ():
            child = m._modules.get(name)
            if child is None:
                what = "is not an nn.Module" if hasattr(m, name) else "does not exist"
                raise _NoSuchAttribute(f"{who}: {target!r}: {type(m).__name__}.{name} {what}")
            m = child
        return m

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path target, e.g. 'block.fc.weight' (an error naming
        the path if there is none, as for get_submodule)."""
        return self._get_tensor(target, "_parameters", "get_parameter", "an nn.Parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path target, e.g. 'bn.running_mean' (an error naming the
        path if there is none, as for get_submodule)."""
        return self._get_tensor(target, "_buffers", "get_buffer", "a buffer")

    def _get_tensor(self, target: str, registry: str, who: str, kind: str) -> Tensor:
        if not isinstance(target, str):
            raise TypeError(f"{who}: target must be a dotted string, got {target!r}")
        path, _, name = target.rpartition(".")
        m = self._walk(path, target, who)
        t = getattr(m, registry).get(name)
        if t is None:
            what = f"is not {kind}" if hasattr(m, name) else "does not exist"
            raise _NoSuchAttribute(f"{who}: {target!r}: {type(m).__name__}.{name} {what}")
        return t

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ('fc1.weight', W); shared parameters once."""
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for pname, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of named_parameters(), in the same order, each once."""
        seen: set[int] = set()
        for m in self.modules() if recurse else (self,):
            for p in m._parameters.values():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for mname, m in self.named_modules(prefix):
            for bname, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{bname}" if mname else bname), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant; returns self. mode must be
        True or False (as in PyTorch; train("no") would otherwise mean training)."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: training mode is expected to be "
                             f"boolean, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: None, or with set_to_none=False zeros written
        into the existing .grad tensor, as in PyTorch (see zero_grads)."""
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every descendant, then on self (e.g. a custom init); returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, dtype: Any) -> Module:
        """Convert every floating parameter and buffer to dtype, in place (the Parameter
        objects stay the same, so optimizers keep working; gradients are cleared).
        model.to("cpu") is accepted and changes nothing (tapegrad runs on numpy, on the CPU);
        other devices ("cuda", "mps", ...) are a ValueError."""
        if isinstance(dtype, str) and dtype.split(":")[0] in _DEVICES:
            if dtype.split(":")[0] != "cpu":
                raise ValueError(f"{type(self).__name__}.to: tapegrad runs on numpy, on the "
                                 f"CPU only; got device {dtype!r}")
            return self
        dt = as_dtype(dtype, f"{type(self).__name__}.to")
        if dt is None or dt.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: dtype must be floating, got {dtype!r}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype.kind == "f" and t.dtype != dt:
                t.data = t.numpy().astype(dt)
                t.grad = None
        return self

    def cpu(self) -> Module:
        """Returns self, as to("cpu") does: tapegrad runs on numpy, on the CPU."""
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    # persistent buffers that a loaded state dict may lack: they keep their current value, as
    # PyTorch loads BatchNorm state dicts saved before num_batches_tracked existed
    _optional_buffers: frozenset[str] = frozenset()

    def _state_items(self, prefix: str = "", ancestors: tuple[int, ...] = ()
                     ) -> Iterator[tuple[str, Tensor, bool]]:
        """(dotted key, tensor, optional) of every parameter and persistent buffer under
        every name it is reachable by: as in PyTorch, a module or parameter shared by enc and
        dec has both enc.* and dec.* keys (a module that contains itself is not entered
        again). optional: a buffer named in its module's _optional_buffers."""
        for pname, p in self._parameters.items():
            if p is not None:
                yield prefix + pname, p, False
        for bname, b in self._buffers.items():
            if b is not None and bname not in self._non_persistent:
                yield prefix + bname, b, bname in self._optional_buffers
        ancestors += (id(self),)
        for cname, m in self._modules.items():
            if m is not None and id(m) not in ancestors:
                yield from m._state_items(f"{prefix}{cname}.", ancestors)

    def state_dict(self) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, as detached tensors that share
        memory with the module (as in PyTorch; clone them to keep a snapshot). A shared
        module or parameter appears under each of its names (enc.weight and dec.weight)."""
        return {name: t.detach() for name, t, _ in self._state_items()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> _IncompatibleKeys:
        """Copy values into the parameters and buffers, in place.

        Everything is checked before anything is written: with strict=True a missing or
        unexpected key raises, and any entry whose shape or dtype differs from the module's
        raises; the error names the key(s) and the module is left unchanged. The keys are
        those of state_dict(), so a shared module's alias keys (dec.* beside enc.*) are
        expected, as in PyTorch; if they disagree, the later key's values are kept. A buffer
        its module lists in _optional_buffers (BatchNorm1d's num_batches_tracked, which older
        state dicts lack) may be absent: it keeps its value and is not a missing key."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of tensors, got "
                            f"{type(state_dict).__name__}")
        items = list(self._state_items())
        own = {key: t for key, t, _ in items}
        missing = [k for k, _, optional in items if k not in state_dict and not optional]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"load_state_dict into {type(self).__name__}: "
                             f"{' and '.join(parts)}; nothing was loaded")
        arrays = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if isinstance(value, Tensor):
                arr = value._data
            elif isinstance(value, np.ndarray):
                arr = value
            else:
                raise TypeError(f"load_state_dict: entry {key!r} is {type(value).__name__}, "
                                "not a Tensor or array; nothing was loaded")
            if arr.shape != target.shape:
                raise ValueError(f"load_state_dict: entry {key!r} has shape {arr.shape}, "
                                 f"the module's has {target.shape}; nothing was loaded")
            if arr.dtype != target.dtype:
                raise ValueError(f"load_state_dict: entry {key!r} has dtype {arr.dtype}, "
                                 f"the module's has {target.dtype}; nothing was loaded")
            arrays[key] = arr
        with no_grad():
            for key, arr in arrays.items():
                own[key].copy_(arr)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The arguments shown inside this module's repr, e.g. 'in_features=4, ...'."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                 for name, m in self._modules.items() if m is not None]  # aliases too
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
