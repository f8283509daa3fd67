"""The tape: Node records, grad mode, name scopes, and the reverse sweep.

Every primitive applied while grad mode is on, to at least one input that requires grad,
creates a Node record: the primitive, its inputs, a weak reference to its output, its
parameters, a sequence number that only ever increases, and the name scope that was current
(modules push their names). The output Tensor owns its Node, and a Node owns what it needs
of its inputs, so a graph lives exactly as long as the tensors that end it: no registry, no
cycle.

A record keeps a large input Tensor (its values) only when backward needs them: the input
is one its vjps read, a leaf, or the output of a record whose vjps read that output. Any
other input is held by its producing record alone, so an intermediate such as x @ W.T
before the bias is added is freed as soon as nothing else uses it (as in PyTorch, which
saves only what the derivative formulas need), and a backward without retain_graph lets go
of each record's large values as soon as its vjps have run. Kept for display: values of at
most SMALL_VALUES elements (a teaching graph shows every number, at no cost in memory), tensors
the user named (`t.name = "h1"`), and everything made inside a `Tape()` block.

`backward` and `grad` sweep the records an output depends on in decreasing sequence order,
iteratively (a chain of any length never touches Python's recursion limit). Each record
turns the gradient of its output into gradients for its inputs with its primitive's vjps.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import wraps
from operator import attrgetter
from types import FrameType, MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .ops import Primitive
    from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class TapeError(RuntimeError, ValueError):
    """An engine-state error: freed records, in-place changes to saved values, anomalies."""


class ShapeError(ValueError):
    """Inputs an op cannot take: misaligned or unbroadcastable shapes, bad axes."""


class TapegradIndexError(IndexError, ValueError):
    """An index out of range (an IndexError that plain ValueError handlers catch too)."""


class _State:
    """The engine state of one thread: a no_grad block in one thread leaves the others
    recording. A plain object reached once per op through `_threads.state` (reading a
    threading.local attribute costs ~4x a plain one, and an op reads several)."""

    __slots__ = ("grad_enabled", "scope", "scope_labels", "tapes", "anomaly", "arrays")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope: tuple[str, ...] = ()
        self.scope_labels: tuple[str, ...] = ()
        self.tapes: list[Tape] = []
        self.anomaly = False
        self.arrays = False  # a first-order sweep is running: primitives compute on arrays


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.state = _State()


_threads = _PerThread()
_seq = itertools.count()
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})  # shared by every record without params
SMALL_VALUES = 4096  # values of at most this many elements stay in their records, for display


def current_scope() -> tuple[str, ...]:
    """The name scope new records get, outermost first, e.g. ('net', 'bn1')."""
    return _threads.state.scope


# ---------------------------------------------------------------------------- grad mode
class _GradMode:
    """Context manager and decorator that sets grad mode for the current thread."""

    enabled: bool

    def __enter__(self) -> None:
        st = self._state = _threads.state
        self._prev = st.grad_enabled
        st.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        self._state.grad_enabled = self._prev

    def __call__(self, fn: F) -> F:
        enabled = self.enabled

        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            st = _threads.state
            prev = st.grad_enabled
            st.grad_enabled = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                st.grad_enabled = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Record nothing inside: `with tg.no_grad(): ...` or `@tg.no_grad()`."""

    enabled = False


class enable_grad(_GradMode):
    """Record again inside a no_grad block."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Grad mode on (True) or off, as PyTorch's: a plain call `tg.set_grad_enabled(False)`
    sets it for the current thread, a `with` block sets it and restores the mode before it,
    and `@tg.set_grad_enabled(False)` sets it inside the function only."""

    def __init__(self, mode: bool) -> None:
        st = self._state = _threads.state
        self._prev = st.grad_enabled
        self.enabled = st.grad_enabled = bool(mode)

    def __enter__(self) -> None:
        """Nothing more to do: the call has set the mode (__exit__ restores the one before)."""

    def __call__(self, fn: F) -> F:
        self._state.grad_enabled = self._prev  # as a decorator it changes nothing outside
        return super().__call__(fn)


class inference_mode(_GradMode):
    """PyTorch's inference_mode, which for tapegrad is no_grad: nothing is recorded inside
    (`with tg.inference_mode():`, `@tg.inference_mode()` or `@tg.inference_mode`).
    inference_mode(False) records again, as enable_grad."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # used as a decorator without a call
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.enabled = not mode


def is_grad_enabled() -> bool:
    return _threads.state.grad_enabled


class name_scope:
    """Push `name` onto the scope that new records carry (nn.Module does this per call).

    `label` describes the scope for display, e.g. name 'bn1', label 'BatchNorm1d(256)'."""

    def __init__(self, name: str, label: str | None = None) -> None:
        self.name = name
        self.label = label if label is not None else name

    def __enter__(self) -> None:
        st = self._state = _threads.state
        self._prev = (st.scope, st.scope_labels)
        st.scope = self._prev[0] + (self.name,)
        st.scope_labels = self._prev[1] + (self.label,)

    def __exit__(self, *exc: object) -> None:
        self._state.scope, self._state.scope_labels = self._prev


class detect_anomaly:
    """Inside, the first NaN/Inf made by a forward op or a vjp raises a TapeError naming the
    op and the line of user code that created its record."""

    def __enter__(self) -> detect_anomaly:
        st = self._state = _threads.state
        self._prev = st.anomaly
        st.anomaly = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._state.anomaly = self._prev


def _user_frame(frame: FrameType | None) -> tuple[FrameType | None, int]:
    """The first frame from `frame` outward whose code lies outside the tapegrad package (the
    user's), and how many frames out it is."""
    steps = 0
    while frame is not None:
        folder = os.path.dirname(os.path.abspath(frame.f_code.co_filename))
        if folder != _PACKAGE_DIR and not folder.startswith(_PACKAGE_DIR + os.sep):
            break
        frame, steps = frame.f_back, steps + 1
    return frame, steps


def _user_site() -> str:
    """'file:line: code' of the innermost stack frame outside the tapegrad package."""
    frame, _ = _user_frame(sys._getframe(1))
    if frame is None:
        return "<unknown>"
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}"


def _check_finite(array: np.ndarray, what: str) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "Inf"
        raise TapeError(f"detect_anomaly: {what} produced {bad}")


# ---------------------------------------------------------------------------- records
class Node(weakref.ref):
    """One record on the tape: `out = prim(*inputs, **params)`.

    edges    one entry per input: the input Tensor when the record keeps it (see the module
             docstring), else the input's own record (a weak reference to the input)
    inputs   the input Tensors; an input nobody holds any more is shown by a stand-in of its
             shape and dtype without values (`is_freed(t)`), and a number of the expression
             (one constant Tensor shared by all its uses) by a copy of this record's own
    output   the output Tensor, its stand-in, or None once it is gone and no record refers
             to it (the output owns its Node, not the other way)
    shape, dtype   the output's, set when a later record holds this one in its edges (for
             the gradient, and display, once the output itself is gone)
    out_data the output's array while a backward that frees as it goes still needs it for
             this record's vjps (the consumers that held the output have let go of it)
    seq      position on the tape; the sweep visits records in decreasing seq
    scope    the name scope the record was made in, outermost first, e.g. ('net', 'bn1')
    scope_labels  the matching descriptions, e.g. ('MLP', 'BatchNorm1d(256)')
    versions the versions of the saved inputs when recorded (None once freed: `freed`);
             None for an input no rule that will run reads (prim.cross)
    meta     per input, its InputMeta where the primitive's rules read only its shape and
             dtype (prim.meta_inputs; None elsewhere): what backward hands those rules
    kept     made inside a Tape: backward leaves its values for display
    site     the user's line that made it (set under detect_anomaly only)

    A Node is itself the weak reference to its output (`node()` is `node.output`): one
    GC-tracked object per record instead of two. Equality and hashing stay by identity.
    Records are made by `record` (primitives call it), not by calling the class.
    """

    __slots__ = ("prim", "edges", "params", "seq", "scope", "scope_labels", "versions",
                 "site", "shape", "dtype", "kept", "out_data", "meta",
                 "__weakref__")  # for _hooks and _shown_constants, which live with the record
    __hash__ = object.__hash__
    __eq__ = object.__eq__  # type: ignore[assignment]
    __ne__ = object.__ne__  # type: ignore[assignment]

    @property
    def op(self) -> str:
        return self.prim.name

    @property
    def freed(self) -> bool:
        """Whether a backward without retain_graph has used this record."""
        return self.versions is None

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return tuple(c if c is not None else _resolve(e) if type(e) is Node else e
                     for e, c in zip(self.edges, self._own_constants()))

    def _own_constants(self) -> tuple[Tensor | None, ...]:
        """Per input: for a shared constant (the 0.5 of `x * 0.5`, one Tensor for every use)
        a copy of this record's own, made once, so that a drawing shows every use of a
        number where it is used; None for any other input."""
        own = _shown_constants.get(self)
        if own is None:
            from .tensor import Tensor

            own = _shown_constants[self] = tuple(
                Tensor._make(e._data, False) if type(e) is not Node and e._shared else None
                for e in self.edges)
        return own

    @property
    def output(self) -> Tensor | None:
        return _resolve(self)

    def label(self) -> str:
        """The op with its parameters, e.g. 'sum(axis=0)'."""
        return self.prim.label(self.params)

    def __repr__(self) -> str:
        ins = ", ".join(_describe(t) for t in self.inputs)
        out = self.output
        shape = tuple(out.shape) if out is not None else "?"
        scope = f"  [{'/'.join(self.scope)}]" if self.scope else ""
        return f"#{self.seq} {self.label()}({ins}) -> {shape}{scope}"

    def check_saved(self) -> None:
        """Raise if the record was freed or a value its vjps read was changed in place."""
        if self.versions is None:
            raise TapeError(
                f"backward through '{self.op}' (record #{self.seq}) a second time: its saved "
                "values were freed after the first backward; pass retain_graph=True to the "
                "first backward (or tg.grad) to keep them")
        for i, v in zip(self.prim.saved_inputs, self.versions):
            t = self.edges[i]
            if v is not None and _version_of(t) != v:  # None: no rule to run reads it
                raise TapeError(
                    f"'{self.op}' (record #{self.seq}) saved input {i} {_describe(t)} at "
                    f"version {v}, but it was changed in place since (now version "
                    f"{_version_of(t)}); its gradient would be wrong. Change values under "
                    "no_grad only after backward, or clone them before changing them")
        if self.prim.saves_out:
            out = self()
            if out is not None and _version_of(out) != 0:  # made at version 0
                raise TapeError(f"'{self.op}' (record #{self.seq}) saved its output, which "
                                "was changed in place since; its gradient would be wrong")


# per record shown: the copies Node.inputs shows of shared constants (Node._own_constants)
_shown_constants: weakref.WeakKeyDictionary[Node, tuple[Tensor | None, ...]] = (
    weakref.WeakKeyDictionary())
_new_ref = weakref.ref.__new__
_stand_ins: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()


def _resolve(node: Node) -> Tensor | None:
    """The output of `node`; once it is gone, for a record whose output another record
    refers to by its record (see `record`), one stand-in while anyone holds it: a Tensor of
    its shape and dtype (a zero-stride view, no memory) that is `is_freed`; else None."""
    out = node()
    if out is not None:
        return out
    out = _stand_ins.get(id(node))  # the stand-in holds the node: its id stays unique
    if out is None:
        if not hasattr(node, "shape"):  # no record refers to it: nothing left to show
            return None
        from .tensor import Tensor, freed_array

        message = (f"the output of '{node.op}' (record #{node.seq}, shape {node.shape}) was "
                   "not kept: no backward rule reads it and nothing else held it, so its "
                   "values were freed. To look at them, keep a reference to the tensor, "
                   "name it (t.name = ...) before using it, or record inside "
                   "`with tg.Tape():`")
        out = Tensor._make(freed_array(node.shape, node.dtype, message), True)
        out._node = node
        _stand_ins[id(node)] = out
    return out


class InputMeta(NamedTuple):
    """What a record keeps of an input whose shape and dtype alone its rules read (sum, mean,
    reshape, getitem, ...), as they were when recorded: the input itself may be freed, or
    changed in place, without changing the gradient."""

    shape: tuple[int, ...]
    dtype: np.dtype


def is_freed(t: Tensor) -> bool:
    """Whether t stands in for a record's output whose values were freed (nothing needed them
    for backward and nothing else held them): only its shape and dtype are known."""
    return t._node is not None and _stand_ins.get(id(t._node)) is t


def record(prim: Primitive, inputs: tuple[Tensor, ...], out: Tensor,
           params: dict[str, Any], st: _State) -> Node:
    """A new record of `out = prim(*inputs, **params)`, with the versions of the inputs its
    vjps read (and of `out`) as they are now, the current name scope and the next seq.

    An input the record does not need to keep (not read by its vjps, not a leaf, its
    producer's vjps do not read it, not named) is replaced by its producer's record, outside
    a Tape.
    `st` is the calling thread's engine state."""
    node = _new_ref(Node, out)  # the weak reference alone: no Python-level __init__
    node.prim = prim
    edges = inputs
    if prim.unsaved and not st.tapes:
        for i in prim.unsaved:
            t = inputs[i]
            data = t._data
            if data.size <= SMALL_VALUES:  # small values stay in the record, for display
                continue
            parent = t._node
            if parent is not None and not parent.prim.saves_out and t.name is None:
                parent.shape = data.shape  # for its gradient (and display) once t is gone
                parent.dtype = data.dtype
                edges = edges[:i] + (parent,) + edges[i + 1:]
    node.edges = edges
    node.kept = False  # set by the caller when a Tape records it
    node.params = params if params else _NO_PARAMS  # a dict per record costs 64 bytes
    node.seq = next(_seq)
    node.scope = st.scope
    node.scope_labels = st.scope_labels
    saved = prim.saved_inputs
    if not saved:
        node.versions = ()
        if prim.meta_inputs:  # no rule reads values: hand them the shapes and dtypes of now
            node.meta = tuple(InputMeta(t._data.shape, t._data.dtype) if k in prim.meta_inputs
                              else None for k, t in enumerate(inputs))
    elif len(saved) == 1:  # _version_of, inlined: this runs on every record
        v = inputs[saved[0]]._version
        # unchanged inputs share one constant tuple: no GC-tracked allocation per record
        node.versions = (0,) if v is None or not v[0] else (v[0],)
    elif len(saved) == 2:
        t0, t1 = inputs[saved[0]], inputs[saved[1]]
        if prim.cross and not (t0._requires_grad and t1._requires_grad):
            # one rule runs and reads the other operand only: None, its own is not checked
            keep = t1 if t0._requires_grad else t0
            v = keep._version
            v = 0 if v is None else v[0]
            node.versions = (None, v) if keep is t1 else (v, None)
        else:
            v = t0._version
            a = 0 if v is None else v[0]
            v = t1._version
            b = 0 if v is None else v[0]
            node.versions = (0, 0) if not (a or b) else (a, b)
    else:
        node.versions = tuple(map(_version_of, [inputs[i] for i in saved]))
    return node


def _version_of(t: Tensor) -> int:
    """A tensor's version: how often its storage was changed in place (0 until a cell is
    made, which happens on the first change, view, detach or `.data`)."""
    v = t._version
    return 0 if v is None else v[0]


def _version_cell(t: Tensor) -> list[int]:
    """The tensor's version cell, shared with its views; made on first use."""
    v = t._version
    if v is None:
        v = t._version = [0]
    return v


def _describe(t: Tensor) -> str:
    shape = "x".join(map(str, t.shape)) or "scalar"
    return f"{t.name}:{shape}" if t.name else shape


class Tape:
    """`with tg.Tape() as tape:` keeps every record made inside, in order, for display.

    Tensors recorded inside also keep their gradient after backward (`retain_grads`), so a
    notebook can show the gradient of every intermediate value, not only of the leaves.
    """

    def __init__(self, retain_grads: bool = True) -> None:
        self.records: list[Node] = []
        self.retain_grads = retain_grads

    def __enter__(self) -> Tape:
        _threads.state.tapes.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _threads.state.tapes.remove(self)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.records)

    def __repr__(self) -> str:
        if not self.records:
            return "Tape(empty)"
        return "\n".join(map(repr, self.records))


# ---------------------------------------------------------------------------- hooks
# sweep key (_key: a leaf, or a computed tensor's record) -> (a weak reference to it,
# {hook id: fn} in registration order, the tensor described for messages), for tensors with
# hooks only: empty, it costs a sweep one check (see _sweep), not one per record
_hooks: dict[int, tuple[weakref.ref[Any], dict[int, Callable[[Tensor], Any]], str]] = {}
_hook_ids = itertools.count()


class RemovableHandle:
    """What Tensor.register_hook returns: remove() unregisters the hook (so does leaving a
    `with handle:` block)."""

    __slots__ = ("_key", "_fns", "_id")

    def __init__(self, key: int, fns: dict[int, Callable[[Tensor], Any]], hook_id: int
                 ) -> None:
        self._key, self._fns, self._id = key, fns, hook_id

    def remove(self) -> None:
        self._fns.pop(self._id, None)
        entry = _hooks.get(self._key)
        if not self._fns and entry is not None and entry[1] is self._fns:
            del _hooks[self._key]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_hook(t: Tensor, fn: Callable[[Tensor], Any]) -> RemovableHandle:
    """Call fn(grad) with t's gradient each time a backward (or tg.grad) computes it; see
    Tensor.register_hook. A leaf's hooks live as long as the leaf; a computed tensor's live
    on its record, as PyTorch's on grad_fn, so they are not lost when the tensor itself is
    (a large value no backward rule reads is let go of once its consumers are recorded)."""
    if not callable(fn):
        raise TypeError(f"register_hook: the hook must be callable, got {type(fn).__name__}")
    if not t._requires_grad:
        raise TapeError(f"register_hook: {_which(t)} does not require grad, so no gradient "
                        "is ever computed for it")
    holder = t if t._node is None else t._node
    key = id(holder)
    entry = _hooks.get(key)
    if entry is None:
        def forget(ref: weakref.ref[Any]) -> None:  # the holder is gone: so are its hooks
            if _hooks.get(key, (None,))[0] is ref:
                del _hooks[key]

        entry = _hooks[key] = (weakref.ref(holder, forget), {}, _which(t))
    hook_id = next(_hook_ids)
    entry[1][hook_id] = fn
    return RemovableHandle(key, entry[1], hook_id)


def _which(t: Tensor) -> str:
    """'the tensor 'h1' of shape (2, 3)', for messages."""
    return f"the tensor {'' if t.name is None else repr(t.name) + ' '}of shape {t.shape}"


def _run_hooks(which: str, fns: dict[int, Callable[[Tensor], Any]], g: Any,
               create_graph: bool) -> Any:
    """g (the complete gradient of a tensor, described by `which`: an array, or a Tensor
    with create_graph) after its hooks, in registration order: each gets a Tensor (read-only
    without create_graph) and may return a replacement of the same shape and dtype. They run
    in grad mode create_graph, as in PyTorch."""
    from .tensor import Tensor

    st = _threads.state
    modes = st.grad_enabled, st.arrays
    st.grad_enabled, st.arrays = create_graph, False
    try:
        for fn in list(fns.values()):  # a hook may remove itself
            if create_graph:
                seen = g
            else:
                view = np.asarray(g).view()
                view.flags.writeable = False  # a hook returns a new gradient, never edits
                seen = Tensor._make(view, False)
            new = fn(seen)
            if new is None:
                continue
            name = getattr(fn, "__qualname__", repr(fn))
            if not isinstance(new, Tensor):
                raise TypeError(f"register_hook: the hook {name} of {which} returned "
                                f"{type(new).__name__}; return a Tensor or None")
            if new.shape != seen.shape or new.dtype != seen.dtype:
                raise TapeError(f"register_hook: the hook {name} of {which} returned a "
                                f"gradient of shape {new.shape} and dtype "
                                f"{new.dtype}; it must keep the gradient's {seen.shape} and "
                                f"{seen.dtype}")
            g = new if create_graph else new._data
    finally:
        st.grad_enabled, st.arrays = modes
    return g


def _hooked_pop(pending: dict[int, Any], create_graph: bool) -> Callable[[int, Any], Any]:
    """pending.pop for a sweep while hooks exist: the complete gradient of a computed tensor
    (popped when its record's turn comes, after all its consumers) passes its hooks first."""
    hooked = {key: (which, fns) for key, (ref, fns, which) in _hooks.items()
              if type(ref()) is Node}
    pop = pending.pop

    def hooked_pop(key: int, default: Any) -> Any:
        g = pop(key, default)
        entry = hooked.get(key)
        return g if entry is None or g is None else _run_hooks(*entry, g, create_graph)

    return hooked_pop


def _hook_leaves(tensors: dict[int, Tensor], grads: dict[int, Any], given: set[int],
                 create_graph: bool) -> None:
    """Run the hooks of the leaves among `tensors` on their complete gradients in `grads`
    (both by sweep key) before anything is written, and add the storage of every gradient
    a hook has seen (a leaf's, or a computed tensor's in the sweep) to `given`: the .grad
    made of it is then a copy, which a later backward accumulating into .grad in place
    cannot change under a hook that kept the tensor it was shown."""
    for key, t in tensors.items():
        entry = _hooks.get(key)
        g = grads.get(key)
        if entry is None or g is None:
            continue
        if t._node is None:
            g = grads[key] = _run_hooks(entry[2], entry[1], g, create_graph)
        given.add(_storage(g._data if create_graph else np.asarray(g)))


# ---------------------------------------------------------------------------- the sweep
class Step:
    """One step of the reverse sweep: the record, the gradient arriving at its output, and
    the gradients it sends to each of its inputs (None where an input needs none)."""

    __slots__ = ("record", "grad_output", "grad_inputs")

    def __init__(self, record: Node, grad_output: Tensor,
                 grad_inputs: tuple[Tensor | None, ...]) -> None:
        self.record = record
        self.grad_output = grad_output
        self.grad_inputs = grad_inputs

    def __repr__(self) -> str:
        """One line: `mul #3: grad 2. -> a: -6., input 1 (3,): [4. 4. 4.]`, the gradient
        arriving at the output, then the one each input receives ('-': none needed)."""
        def show(g: Tensor | None) -> str:
            if g is None:
                return "-"
            text = np.array2string(g.numpy(), precision=4, threshold=8, edgeitems=2)
            return " ".join(text.split())  # one line, whatever the rank

        def who(k: int, t: Tensor) -> str:
            shape = f" {t.shape}" if t.ndim else ""
            return f"{t.name}{shape}" if t.name else f"input {k}{shape}"

        ins = ", ".join(f"{who(k, t)}: {show(g)}"
                        for k, (t, g) in enumerate(zip(self.record.inputs, self.grad_inputs)))
        return f"{self.record.label()} #{self.record.seq}: grad {show(self.grad_output)} -> {ins}"


def _key(t: Tensor) -> int:
    """The sweep's key for t's gradient: its record for a computed tensor (which may be gone
    while its record lives on), the tensor itself for a leaf."""
    return id(t) if t._node is None else id(t._node)


def _graph_nodes(roots: Sequence[Tensor], targets: dict[int, Tensor] | None = None
                 ) -> list[Node]:
    """All records the roots depend on, checked, in decreasing sequence order.

    With `targets`, also collect key -> tensor for every tensor whose .grad backward fills
    (leaves that require grad, and tensors that retain their grad)."""
    keep = targets if targets is not None else {}
    retained = targets is not None
    for r in roots:
        if r._requires_grad and (r._node is None or r._retains_grad):
            keep[_key(r)] = r
    stack = list({r._node: None for r in roots if r._node is not None})
    seen: set[Node] = set(stack)  # a record is marked when pushed, so it is pushed once
    push, mark = stack.append, seen.add
    nodes: list[Node] = []
    while stack:
        node = stack.pop()
        versions = node.versions  # check_saved, inlined for the common case: it passes
        if versions is None:
            node.check_saved()  # freed: raises
        if versions:
            edges = node.edges
            for i, v in zip(node.prim.saved_inputs, versions):
                cell = edges[i]._version
                if cell is not None and cell[0] != v and v is not None:  # None: not read
                    node.check_saved()  # raises
        if node.prim.saves_out:
            out = node()
            if out is not None and out._version is not None and out._version[0]:
                node.check_saved()  # raises
        nodes.append(node)
        for t in node.edges:
            if type(t) is Node:  # an input only its record holds
                if t not in seen:
                    mark(t)
                    push(t)
                if retained:
                    out = t()
                    if out is not None and out._retains_grad:
                        keep[id(t)] = out
                continue
            parent = t._node
            if parent is not None:
                if parent not in seen:
                    mark(parent)
                    push(parent)
                if t._retains_grad and t._requires_grad:
                    keep[id(parent)] = t
            elif t._requires_grad:
                keep[id(t)] = t
    nodes.sort(key=attrgetter("seq"), reverse=True)
    return nodes


def _check_requires_grad(roots: Sequence[Tensor], who: str) -> None:
    for r in roots:
        if not r._requires_grad:
            raise TapeError(f"{who}: the output does not require grad (no input that "
                            "requires grad took part, or it was computed under no_grad)")


def _root_grads(roots: Sequence[Tensor], grads: Sequence[Any] | None, who: str
                ) -> list[Tensor]:
    from .tensor import Tensor

    if grads is not None and len(grads) != len(roots):
        raise ValueError(f"{who}: {len(grads)} gradients given for {len(roots)} outputs")
    out = []
    for k, root in enumerate(roots):
        g = None if grads is None else grads[k]
        if g is None:
            if root._data.size != 1:
                raise ValueError(
                    f"{who}: output {k} has shape {tuple(root.shape)}; backward without a "
                    "gradient needs a scalar (one element). Pass the gradient of the output, "
                    "e.g. backward(tg.ones_like(y)), or reduce it first (y.sum())")
            g = Tensor._make(_ones(1, root.dtype).reshape(root.shape), False)  # read-only
        else:
            if not isinstance(g, Tensor):
                try:
                    g = Tensor(np.asarray(g, dtype=root.dtype))
                except (ValueError, TypeError):
                    raise TypeError(f"{who}: the gradient for output {k} must be numbers "
                                    f"(a Tensor or an array), got {g!r}") from None
            if g.shape != root.shape:
                raise ValueError(f"{who}: gradient for output {k} has shape {tuple(g.shape)}, "
                                 f"but the output has shape {tuple(root.shape)}")
        out.append(g)
    return out


def _sweep(roots: Sequence[Tensor], grads: list[Tensor], nodes: list[Node],
           create_graph: bool, pending: dict[int, Any], done: dict[int, Any],
           wanted: set[int], steps: bool = False, release: bool = False) -> Iterator[Step]:
    """Walk `nodes` (already checked and ordered); with `steps`, yield each Step.

    With `release`, each record is marked freed and lets go of its large saved values
    (`_release_one`) as soon as its vjps have run, or as soon as it is clear that no
    gradient reaches it, as PyTorch frees saved tensors during backward: a network's
    activations are freed layer by layer on the way down instead of all at the end.

    `pending` maps a key (`_key`: the record of a computed tensor, a leaf itself) to the
    gradient not yet consumed; after the walk it holds the leaves' gradients. `done` receives
    record key -> its output's complete gradient for the keys in `wanted` only: every other
    gradient is freed as soon as its record has used it.

    With create_graph=True the vjps get the records' Tensors, so every step is itself
    recorded and the gradients are Tensors. A first-order sweep (create_graph=False) hands
    the vjps the plain ndarrays instead: each primitive a rule calls is then one numpy call
    (no Tensor, no record), and the gradients are summed, cast and accumulated as arrays
    (in place once the sweep owns the buffer). Inputs a record did not keep are passed as
    None (its vjps do not read them), or as their InputMeta where the vjps read only their
    shape and dtype."""
    from .ops import add, cast, sum_to

    owned: set[int] = set()  # gradients this sweep allocated, safe to add into in place
    for root, g in zip(roots, grads):
        _accumulate(pending, owned, _key(root), g if create_graph else g._data, create_graph,
                    add)
    st = _threads.state
    anomaly = st.anomaly
    saved_mode = (st.grad_enabled, st.arrays)
    st.grad_enabled = create_graph
    st.arrays = not create_graph
    st.anomaly = False  # the vjps' own ops are checked as a whole, below
    pop = pending.pop if not _hooks else _hooked_pop(pending, create_graph)
    record_type = Node  # a local: this loop runs once per record
    sent: list[Any] = []
    suspended = False
    try:
        for node in nodes:
            key = id(node)
            g = pop(key, None)
            if g is None:  # no gradient reached it (and none can: its consumers came first)
                if release:  # freed; its values stay, for producers whose vjps are to come
                    _release_one(node, ())
                continue
            if key in wanted:
                done[key] = g
            prim = node.prim
            edges = node.edges
            params = node.params
            out = node()  # None once gone: then its vjps do not read it, or (release)
            if create_graph:
                values: Any = (node.meta if prim.meta_inputs else
                               [None if type(e) is record_type else e for e in edges])
                out_value: Any = out
            else:  # the arrays of the inputs the vjps read (always kept), None elsewhere
                saved = prim.saved_inputs
                if prim.variadic:
                    values = [e._data for e in edges]
                elif saved:
                    values = [None] * len(edges)
                    for i in saved:
                        values[i] = edges[i]._data
                elif prim.meta_inputs:  # rules that read shapes and dtypes only
                    values = node.meta
                else:
                    values = prim.no_values
                out_value = (out._data if out is not None else
                             node.out_data if release and prim.saves_out else None)
            vjps = None if prim.variadic else prim.vjps
            drop = release and not node.kept  # let go of large values after the vjps
            large: list[int] | None = None
            if steps:
                sent = []
            for i, e in enumerate(edges):
                if type(e) is record_type:
                    key, shape, dtype = id(e), e.shape, e.dtype
                else:
                    parent = e._node
                    data = e._data
                    if parent is None:
                        if not e._requires_grad:
                            if steps:
                                sent.append(None)
                            continue
                        key = id(e)
                    else:
                        key = id(parent)
                        if drop and data.size > SMALL_VALUES and e.name is None:
                            large = [i] if large is None else large + [i]
                    shape, dtype = data.shape, data.dtype
                fn = None if vjps is None else vjps[i]
                if fn is None:  # n-ary rules take i; a missing rule raises there
                    gi = prim.vjp(i, g, out_value, values, params)
                else:
                    gi = fn(g, out_value, *values, **params) if params else fn(g, out_value,
                                                                                *values)
                if create_graph:
                    if gi.shape != shape:
                        gi = _fitted(sum_to, gi, shape, node, i)
                    if gi.dtype != dtype:
                        gi = cast(gi, dtype=dtype)
                else:
                    dt = gi.dtype
                    if gi.shape != shape:
                        gi = _fitted(_sum_to, gi, shape, node, i)
                    if dt is not dtype and dt != dtype:
                        gi = gi.astype(dtype)
                if anomaly:
                    _check_finite(np.asarray(gi), f"the vjp of '{prim.name}' (input {i}) in "
                                  f"backward, for the record created at "
                                  f"{getattr(node, 'site', '<unknown>')}")
                if key in pending:
                    _accumulate(pending, owned, key, gi, create_graph, add)
                else:
                    pending[key] = gi  # may be shared with another input's gradient
                if steps:
                    sent.append(gi)
            if release:  # the vjps have run
                _release_one(node, large or ())
            if steps:  # the caller's code runs in its own modes while it looks at a step
                step = Step(node, _as_tensor(g), tuple(map(_as_tensor, sent)))
                st.grad_enabled, st.arrays = saved_mode
                st.anomaly = anomaly
                suspended = True
                yield step
                suspended = False  # resumed, perhaps inside another mode: keep that one
                saved_mode, anomaly = (st.grad_enabled, st.arrays), st.anomaly
                st.grad_enabled, st.arrays = create_graph, not create_graph
                st.anomaly = False
    finally:
        if not suspended:  # an iterator dropped at a step has nothing to restore
            st.grad_enabled, st.arrays = saved_mode
            st.anomaly = anomaly


def _as_tensor(g: Any) -> Tensor | None:
    """A gradient as a Tensor (a first-order sweep works on arrays and numpy scalars)."""
    from .tensor import Tensor

    if g is None or isinstance(g, Tensor):
        return g
    return Tensor._make(np.asarray(g), False)


def _fitted(sum_to: Callable[[Any, tuple[int, ...]], Any], g: Any, shape: tuple[int, ...],
            node: Node, i: int) -> Any:
    """g summed down to input i's shape (undoing broadcasting); a gradient that cannot be
    is one for an input whose data was replaced by an array of another shape since the
    record was made (`t.data = ...`)."""
    try:
        return sum_to(g, shape)
    except ValueError:
        raise TapeError(f"backward: '{node.op}' (record #{node.seq}) sends input {i} a "
                        f"gradient of shape {tuple(g.shape)}, but the input now has shape "
                        f"{shape}: its data was replaced by an array of another shape since "
                        "it was used") from None


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """ops.sum_to on arrays: sum g down to `shape`, undoing broadcasting."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead == 1 and g.shape[1:] == shape:  # a bias: summed over the batch axis
        return column_sums(g)
    axes = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + d] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


def column_sums(a: np.ndarray) -> np.ndarray:
    """a.sum(axis=0) for a (N, ...) array: for a 2-D float32/float64 array as the product
    1ᵀ·a, which BLAS computes 2-3x faster than numpy's reduction over the first axis (a bias
    gradient, a batch mean); float rounding may differ from numpy's pairwise sum in the last
    bits."""
    if a.ndim == 2 and a.dtype in _BLAS_FLOATS:
        return _ones(a.shape[0], a.dtype) @ a
    return a.sum(axis=0)


def _accumulate(pending: dict[int, Any], owned: set[int], key: int, g: Any,
                create_graph: bool, add: Callable[..., Tensor]) -> None:
    """pending[key] += g: a recorded add with create_graph, else on arrays (numpy scalars
    for 0-d gradients), in place into a buffer this sweep made."""
    prev = pending.get(key)
    if prev is None:
        pending[key] = g  # may be shared with another input's gradient: never written into
    elif create_graph:
        pending[key] = add(prev, g)
    elif key in owned:
        np.add(prev, g, out=prev)
    else:
        pending[key] = np.asarray(prev + g)  # a 0-d sum is a numpy scalar: make it an array
        owned.add(key)


def _release(nodes: list[Node]) -> None:
    """After a backward without retain_graph whose sweep kept every value (under
    detect_anomaly, so that a failure leaves the graph whole; or tg.grad with create_graph
    and retain_graph=False): mark the records freed (a later backward through them raises)
    and let go of the values they kept for it, so a graph that outlives its backward (a loss
    kept for logging) holds no activations. Records made inside a Tape keep their values for
    display."""
    for node in nodes:
        _release_one(node)


def _release_one(node: Node, large: Sequence[int] | None = None) -> None:
    """Mark `node` freed and let go of the large, computed, unnamed tensors it holds: those
    at `large` when a sweep has just found them (it keeps the values for the producers'
    vjps still to run), else found here."""
    node.versions = None
    if node.prim.saves_out:
        node.out_data = None
    if large is None:
        if node.kept:
            return
        large = [i for i, e in enumerate(node.edges)
                 if (type(e) is not Node and e._node is not None and e.name is None
                     and e._data.size > SMALL_VALUES)]
        sweeping = False
    else:
        sweeping = True
    if large:
        _drop_values(node, large, sweeping)


def _drop_values(node: Node, large: Sequence[int], sweeping: bool) -> None:
    """Replace the tensors at `large` in node's edges by their producers' records (which
    keep the output's array while a backward, `sweeping`, has yet to run the producer's vjps
    on it)."""
    kept = list(node.edges)
    for i in large:
        e = kept[i]
        parent = e._node
        data = e._data
        parent.shape, parent.dtype = data.shape, data.dtype
        if sweeping and parent.prim.saves_out:
            parent.out_data = data
        kept[i] = parent
    node.edges = tuple(kept)


def backward(roots: Sequence[Tensor], grads: Sequence[Any] | None = None,
             retain_graph: bool = False, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate d(roots)/d(leaf) into `.grad` of every leaf that requires grad (and of
    tensors that retain their grad). No .grad is written unless the whole sweep succeeds.

    With `inputs` (PyTorch's), only those tensors (leaves or computed ones) accumulate, and
    the tensors that retain their grad as always; an input the roots do not depend on keeps
    its .grad.

    Without retain_graph (or create_graph), each record frees its saved values once its vjps
    have run, as in PyTorch: the records a failed sweep has passed are freed too, unless
    detect_anomaly is on (then the graph is kept whole for inspection until success)."""
    from .tensor import Tensor

    _check_requires_grad(roots, "backward")
    chosen = None if inputs is None else _chosen_inputs(inputs)
    root_grads = _root_grads(roots, grads, "backward")
    targets: dict[int, Tensor] = {}
    nodes = _graph_nodes(roots, targets)
    if chosen is not None:
        targets = {key: t for key, t in targets.items() if t._node is not None} | chosen
    for t in targets.values():  # checked before the sweep frees anything
        if t._grad is not None and t._grad.shape != t.shape:
            raise TapeError(f"backward: {_describe(t)} has a .grad of shape {t._grad.shape} "
                            "from before its data changed shape; set its .grad to None first")
    pending: dict[int, Any] = {}
    done: dict[int, Any] = {}
    wanted = {key for key, t in targets.items() if t._node is not None}
    release = not (retain_graph or create_graph or _threads.state.anomaly)
    for _step in _sweep(roots, root_grads, nodes, create_graph, pending, done, wanted,
                        release=release):
        pass
    results: dict[int, Tensor] = {}
    for key, t in targets.items():
        g = pending.get(key) if t._node is None else done.get(key)
        if g is not None:
            results[key] = g
    given = _caller_storage(root_grads)
    if _hooks:
        _hook_leaves(targets, results, given, create_graph)
    if not (retain_graph or create_graph or release):  # else the sweep has released them
        _release(nodes)
    for key, g in results.items():
        t = targets[key]
        g = _handed_out(g, given, create_graph, Tensor._make)
        if t._grad is None:
            t._grad = g
        elif create_graph:
            t._grad = t._grad + g
        else:  # into the .grad there is, as PyTorch does: a reference to it sees the sum
            acc = t._grad._data
            if acc.flags.writeable and acc.dtype == g._data.dtype:
                np.add(acc, g._data, out=acc)
                _version_cell(t._grad)[0] += 1  # a record that saved the old .grad raises
            else:
                t._grad = Tensor._make(np.asarray(acc + g._data), False)


def _chosen_inputs(inputs: Any) -> dict[int, Tensor]:
    """backward's `inputs` (a Tensor or a non-empty iterable of them, each requiring grad)
    keyed as the sweep keys their gradients."""
    from .tensor import Tensor

    if isinstance(inputs, Tensor):
        chosen = [inputs]
    else:  # any iterable of tensors, as in PyTorch (a generator too)
        try:
            chosen = [] if isinstance(inputs, (str, bytes)) else list(inputs)
        except TypeError:
            chosen = []
    if not chosen:
        raise ValueError(f"backward: inputs must be a Tensor or a non-empty list of tensors, "
                         f"got {inputs!r:.80}")
    for k, t in enumerate(chosen):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: inputs[{k}] must be a Tensor, got {type(t).__name__}")
        if not t._requires_grad:
            raise ValueError(f"backward: inputs[{k}] does not require grad, so no gradient "
                             "can be accumulated into it")
    return {_key(t): t for t in chosen}


def _storage(a: np.ndarray) -> int:
    """Which memory an array uses: the id of the array that owns it (numpy points every
    view's .base at the owner)."""
    return id(a if a.base is None else a.base)


def _caller_storage(root_grads: Sequence[Tensor]) -> set[int]:
    """The storage of the gradients the caller passed in (a gradient may be one of them)."""
    return {_storage(g._data) for g in root_grads}


def _handed_out(g: Any, given: set[int], create_graph: bool,
                make: Callable[[np.ndarray, bool], Tensor]) -> Tensor:
    """A gradient as the Tensor that backward puts in a .grad (or tg.grad returns), with
    storage of its own, as in PyTorch: the sweep may give the same array (or views of one)
    to several inputs, pass the caller's gradient through unchanged, or make a read-only
    broadcast; editing one .grad in place must change nothing else. `given` collects the
    storage handed out so far; `make` is Tensor._make."""
    if create_graph:  # a Tensor of the graph: a recorded copy keeps it differentiable
        if _storage(g._data) in given or not g._data.flags.writeable:
            from .ops import clone

            g = clone(g)
        given.add(_storage(g._data))
        return g
    data = g if type(g) is np.ndarray else np.asarray(g)  # an array or a numpy scalar
    key = _storage(data)
    if key in given or not data.flags.writeable:
        data = data.copy()
        key = id(data)
    given.add(key)
    return make(data, False)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple; `.grad` is untouched.

    With create_graph=True the gradients are themselves recorded, so they can be
    differentiated again (Hessians, Hessian-vector products)."""
    from .tensor import Tensor

    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    for what, given in (("output", outs), ("input", ins)):
        for k, t in enumerate(given):
            if not isinstance(t, Tensor):
                raise TypeError(f"grad: {what} {k} must be a Tensor, got {type(t).__name__}")
    if isinstance(grad_outputs, Tensor) or (grad_outputs is not None and len(outs) == 1
                                             and not isinstance(grad_outputs, (list, tuple))):
        grad_outputs = [grad_outputs]
    for k, t in enumerate(ins):
        if not t._requires_grad:
            raise ValueError(f"grad: input {k} does not require grad")
    for k, t in enumerate(outs):
        if not t._requires_grad:
            raise ValueError(f"grad: output {k} does not require grad (it does not depend "
                             "on any input that requires grad)")
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _root_grads(outs, grad_outputs, "grad")
    leaves: dict[int, Tensor] = {}
    nodes = _graph_nodes(outs, leaves)
    if not allow_unused:  # checked before the sweep frees anything
        in_graph = set(nodes)
        for k, t in enumerate(ins):
            used = t._node in in_graph if t._node is not None else id(t) in leaves
            if not used:
                raise ValueError(f"grad: input {k} ({_describe(t)}) was not used to compute "
                                 "the outputs; pass allow_unused=True to get None for it")
    pending: dict[int, Any] = {}
    done: dict[int, Any] = {}
    wanted = {id(t._node) for t in ins if t._node is not None}
    release = not (retain_graph or create_graph or _threads.state.anomaly)
    for _step in _sweep(outs, root_grads, nodes, create_graph, pending, done, wanted,
                        release=release):
        pass
    if not (retain_graph or release):
        _release(nodes)
    wanted_inputs = {_key(t): t for t in ins}
    grads = {key: (pending if t._node is None else done).get(key)
             for key, t in wanted_inputs.items()}
    given = _caller_storage(root_grads)
    if _hooks:
        _hook_leaves(wanted_inputs, grads, given, create_graph)
    result: list[Tensor | None] = []
    for t in ins:
        g = grads[_key(t)]
        result.append(None if g is None else _handed_out(g, given, create_graph, Tensor._make))
    return tuple(result)


def backward_steps(loss: Tensor, grad_output: Any = None) -> Iterator[Step]:
    """Iterate over the reverse sweep one record at a time, for teaching and debugging.

    Yields a Step per record, in the order backward visits them: the record, the upstream
    gradient at its output, and the gradients it sends to its inputs. The graph is kept and
    no `.grad` is changed, so `loss.backward()` still works afterwards. The graph is checked
    when this is called (the loss must require grad, its saved values must be intact)."""
    _check_requires_grad([loss], "backward_steps")
    root_grads = _root_grads([loss], None if grad_output is None else [grad_output],
                             "backward_steps")
    nodes = _graph_nodes([loss])
    return _sweep([loss], root_grads, nodes, False, {}, {}, set(), steps=True)
