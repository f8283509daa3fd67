"""Tensor: an ndarray, an optional gradient, and the record of the op that made it.

Operators and methods apply primitives from ops.py, which put records on the tape; the
composites among the methods (var, std, softmax, ...) are plain expressions of primitives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import random as _random
from . import tape as _tape
from .tape import ShapeError, TapeError, TapegradIndexError

_DTYPES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int64, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
}
float32, float64, float16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
int64, int32, bool_ = np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.bool_)


def as_dtype(dtype: Any, who: str = "Tensor") -> np.dtype | None:
    """A numpy dtype from a dtype, a name ('float32') or a numpy type; None stays None."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in _DTYPES:
        return np.dtype(_DTYPES[dtype])
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}: unknown dtype {dtype!r}; use e.g. tg.float32, 'float64', "
                        "'int64', 'bool'") from None
    if dt.kind not in "fiub" or dt.itemsize > 8:  # > 8: long double (float128)
        raise TypeError(f"{who}: dtype {dt} is not supported (float16/32/64, ints and bool "
                        "are)")
    return dt


_PY_SCALARS = {int, float, bool}


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (int, float, bool, np.number, np.bool_))


def _as_array(data: Any, dtype: np.dtype | None, who: str = "Tensor") -> np.ndarray:
    """Data as a fresh ndarray: Python floats become float32, ndarrays keep their dtype."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.array(data)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{who}: cannot make a tensor from {type(data).__name__}: {e}"
                             ) from None
        if dtype is None and arr.dtype == np.float64 and not isinstance(data, np.floating):
            dtype = float32
    if arr.dtype.kind not in "fiub" or arr.dtype.itemsize > 8:
        raise TypeError(f"{who}: cannot make a tensor of dtype {arr.dtype} "
                        f"(from {type(data).__name__}); give numbers")
    return np.array(arr, dtype=dtype, copy=True)


def _axes(axis: Any, ndim: int, who: str) -> tuple[int, ...] | None:
    """Normalize an `axis` argument (None, int or tuple; negatives allowed) to a sorted tuple."""
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    n = max(ndim, 1)  # a 0-d tensor takes axis 0 or -1, as in PyTorch
    for a in items:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{who}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -n <= a < n:
            raise ShapeError(f"{who}: axis {a} is out of range for a {ndim}-d tensor")
        out.append(int(a) % n)
    if len(set(out)) != len(out):
        raise ShapeError(f"{who}: repeated axis in {axis!r}")
    return tuple(sorted(out)) if ndim else None


def _axis(axis: Any, ndim: int, who: str) -> int | None:
    """One axis (an int, negatives allowed) as an index into the shape; None for 0-d."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{who}: axis must be an int, got {axis!r}")
    axes = _axes(axis, ndim, who)
    return None if axes is None else axes[0]


def _alias(who: str, name: str, value: Any, default: Any, torch_name: str, torch_value: Any
           ) -> Any:
    """The argument given under numpy's `name` or PyTorch's `torch_name` (None: not given).
    Both given (numpy's with a value other than its default) is a TypeError."""
    if torch_value is None:
        return value
    if value is not default and value != default:
        raise TypeError(f"{who}: got both {name}={value!r} and {torch_name}={torch_value!r}; "
                        f"{torch_name} is PyTorch's name for {name}, give one of them")
    return torch_value


def _dims(who: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None
          ) -> tuple[Any, bool]:
    """(axis, keepdims) from numpy's names or PyTorch's dim/keepdim (see _alias)."""
    return (_alias(who, "axis", axis, None, "dim", dim),
            _alias(who, "keepdims", keepdims, False, "keepdim", keepdim))


def _ddof(who: str, ddof: int, unbiased: bool | None, correction: int | None) -> int:
    """numpy's ddof from PyTorch's unbiased= (True: 1, False: 0) or correction= (= ddof);
    at most one of the three may be given."""
    given = [f"{k}={v!r}" for k, v in (("ddof", ddof or None), ("unbiased", unbiased),
                                       ("correction", correction)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{who}: got {' and '.join(given)}; give one of ddof, unbiased and "
                        "correction (unbiased=True is ddof=1, correction=c is ddof=c)")
    return int(bool(unbiased)) if unbiased is not None else correction or ddof


def _root(v: Tensor, p: float) -> Tensor:
    """v^(1/p) (v ≥ 0) with gradient 0 where v = 0, as PyTorch's norm and std have (the root's
    own is 1/0 there): the root is taken of v with its zeros replaced by 1, then those set
    back to 0."""
    zero = v == 0
    safe = ops.where(zero, 1, v)
    return ops.where(zero, 0, safe.sqrt() if p == 2 else safe ** (1 / p))


def _check_bounds(lo: Any, hi: Any, who: str) -> None:
    """The bounds of a clip: numbers or None, at least one given."""
    for name, b in (("lower", lo), ("upper", hi)):
        if b is not None and not _is_scalar(b):
            raise TypeError(f"{who}: the {name} bound must be a number or None, got "
                            f"{type(b).__name__}")
    if lo is None and hi is None:
        raise ValueError(f"{who}: give a lower bound, an upper bound or both")


def _shape_arg(shape: tuple[Any, ...], who: str) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{who}: shape must be ints, got {shape!r}")
    return tuple(int(n) for n in shape)


def _sizes(shape: tuple[Any, ...], who: str) -> tuple[int, ...]:
    """The shape of a new tensor: f(2, 3) or f((2, 3)), no size below 0."""
    shape = _shape_arg(shape, who)
    if any(n < 0 for n in shape):
        raise ShapeError(f"{who}: sizes cannot be negative, got {shape}")
    return shape


def _data_error(e: Exception, what: str) -> Exception:
    """numpy's error from a write through `t.data` as tapegrad's, saying which write
    (`what`) failed."""
    kind = (TapegradIndexError if isinstance(e, IndexError) else
            TypeError if isinstance(e, TypeError) else ValueError)
    return kind(f"Tensor.data{what}: {e}")


def _writes(name: str) -> Any:
    """An ndarray method that writes into the array (sort, put, ...), bumping the version
    once it succeeded."""
    def method(self: _LiveArray, *args: Any, **kwargs: Any) -> Any:
        try:
            result = getattr(np.asarray(self), name)(*args, **kwargs)
        except (IndexError, TypeError, ValueError) as e:
            raise _data_error(e, f".{name}") from None
        self._bump()
        return result

    method.__name__ = name
    return method


def _in_place(name: str) -> Any:
    """An in-place operator of the live array that takes a Tensor operand as its values:
    micrograd's update `p.data += -lr * p.grad`, and PyTorch's `p.data -= lr * p.grad` (numpy
    alone refuses a Tensor there)."""
    operator = getattr(np.ndarray, name)

    def method(self: _LiveArray, other: Any) -> Any:
        operator(self, other._data if isinstance(other, Tensor) else other)
        return self  # still live: a second `a += 1` on `a = t.data` bumps the version too

    method.__name__ = name
    return method


def _of_floats(name: str, doc: str) -> Callable[[Tensor], Tensor]:
    """The Tensor method applying the primitive ops.<name>, to integers and bools in float32
    (as PyTorch computes them)."""
    def method(self: Tensor) -> Tensor:
        return getattr(ops, name)(self if self._data.dtype.kind == "f" else self.float())

    method.__name__, method.__qualname__, method.__doc__ = name, f"Tensor.{name}", doc
    return method


class _LiveArray(np.ndarray):
    """A view of a tensor's storage, returned by `t.data`: writing into it (`t.data[...] = v`,
    `t.data *= 2`, `np.copyto(t.data, v)`, `t.data.sort()`, ...) changes the tensor and bumps
    its version once the write succeeded, so a backward that saved the old values raises
    instead of returning a wrong gradient, and a failed write changes nothing. (Writes that
    bypass ndarray's Python-level hooks go unseen: `t.data.flat[i] = v`,
    `rng.shuffle(t.data)`.) The in-place operators take a Tensor as its values, and
    copy_/zero_/fill_ are PyTorch's, so the updates micrograd and PyTorch code write by
    hand (`p.data -= lr * p.grad`, `p.data.zero_()`) work as written."""

    _version: list[int] | None

    def __array_finalize__(self, obj: Any) -> None:
        if isinstance(obj, _FreedArray):  # `t.data` of a freed stand-in
            raise TapeError(obj.freed_message)
        # views of a live array stay live; copies (which own their memory) do not
        self._version = getattr(obj, "_version", None) if self.base is not None else None

    def _bump(self) -> None:
        if self._version is not None:
            self._version[0] += 1

    def __setitem__(self, key: Any, value: Any) -> None:
        try:
            np.asarray(self).__setitem__(key, np.asarray(value))
        except (IndexError, TypeError, ValueError) as e:
            raise _data_error(e, f"[...] = v (shape {self.shape})") from None
        self._bump()

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        inputs = tuple(np.asarray(x) if isinstance(x, _LiveArray) else x for x in inputs)
        out = kwargs.get("out")
        if not out:
            return getattr(ufunc, method)(*inputs, **kwargs)
        kwargs["out"] = tuple(np.asarray(o) if isinstance(o, _LiveArray) else o for o in out)
        try:
            result = getattr(ufunc, method)(*inputs, **kwargs)
        except (TypeError, ValueError) as e:  # casting (int data += 0.5), broadcasting
            raise _data_error(e, f": in-place {ufunc.__name__}") from None
        _bump_live(out)
        return result

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        result = super().__array_function__(func, types, args, kwargs)
        name = _WRITES_FIRST.get(func)
        if name is not None:  # np.copyto(t.data, v), ...
            _bump_live((args[0] if args else kwargs.get(name),))
        out = kwargs.get("out")
        if out is not None:  # np.dot(a, b, out=t.data), ...
            _bump_live(out if isinstance(out, tuple) else (out,))
        return result

    fill, sort, partition, put, setfield = map(_writes, ("fill", "sort", "partition", "put",
                                                         "setfield"))
    __iadd__, __isub__, __imul__, __itruediv__, __ifloordiv__, __imod__, __ipow__ = map(
        _in_place, ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
                    "__imod__", "__ipow__"))

    def copy_(self, src: Any) -> _LiveArray:
        """PyTorch's `p.data.copy_(src)`: src's values (a Tensor, an array or a number,
        broadcast to this shape) written in place."""
        self[...] = src._data if isinstance(src, Tensor) else src
        return self

    def zero_(self) -> _LiveArray:
        """PyTorch's `p.data.zero_()`: zeros written in place."""
        self[...] = 0
        return self

    def fill_(self, value: Any) -> _LiveArray:
        """PyTorch's `p.data.fill_(v)`: the number (or 0-d tensor) v written everywhere in
        place, by the rules of Tensor.fill_."""
        self[...] = _one_fill_value(value, self.dtype, "Tensor.data.fill_")
        return self

    def byteswap(self, inplace: bool = False) -> np.ndarray:
        swapped = np.asarray(self).byteswap(inplace)
        if inplace:
            self._bump()
        return swapped

    def resize(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError(f"Tensor.data.resize: a tensor's storage cannot be resized in place "
                         f"(shape {self.shape}); assign t.data = np.resize(t.data, shape), or "
                         "make a new tensor")

    def __repr__(self) -> str:
        return repr(np.asarray(self))

    def __str__(self) -> str:
        return str(np.asarray(self))


# the numpy functions that write into their first argument (np.put writes through the put
# method, np.put_along_axis through __setitem__): name of that argument
_WRITES_FIRST = {np.copyto: "dst", np.place: "arr", np.putmask: "a", np.fill_diagonal: "a"}


def _bump_live(arrays: Any) -> None:
    for a in arrays:
        if isinstance(a, _LiveArray):
            a._bump()


class _FreedArray(np.ndarray):
    """The array of a freed value's stand-in (see tape._resolve): a zero-stride view that has
    the shape and dtype of values nobody kept. Reading it or computing with it raises a
    TapeError (`freed_message`: what was freed and how to keep it) instead of showing zeros."""

    freed_message: str

    def _raise(self, *args: Any, **kwargs: Any) -> Any:
        raise TapeError(self.freed_message)

    __array_ufunc__ = __array_function__ = __getitem__ = item = tolist = _raise

    def __array_finalize__(self, obj: Any) -> None:
        if isinstance(obj, _FreedArray):  # a view or copy of it (reshape, astype, ...)
            raise TapeError(obj.freed_message)


def freed_array(shape: tuple[int, ...], dtype: np.dtype, message: str) -> np.ndarray:
    """A stand-in array of `shape` and `dtype` whose values were freed (no memory)."""
    arr = np.broadcast_to(np.zeros((), dtype), shape).view(_FreedArray)
    arr.freed_message = message
    return arr


class _Size(int):
    """t.size: numpy's element count, an int; called, PyTorch's t.size(): the shape, and
    t.size(d) its length along axis d (as torch.Size, a tuple)."""

    def __new__(cls, n: int, shape: tuple[int, ...]) -> _Size:
        self = super().__new__(cls, n)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self.shape[_axis(dim, len(self.shape), "size")]


class device:
    """PyTorch's torch.device, for the one device tapegrad computes on: device('cpu') (also
    'cpu:0', or type='cpu', index=0). Any other device is a ValueError."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        spec = str(type) if isinstance(type, device) else type
        if isinstance(spec, str) and index is None and spec.startswith("cpu:"):
            spec, _, number = spec.partition(":")
            index = int(number) if number.isdigit() else -1
        if spec != "cpu" or index not in (None, 0):
            raise ValueError(f"device: tapegrad computes on the CPU with numpy, so the only "
                             f"device is 'cpu'; got {type!r}" + (f", index {index!r}"
                                                                 if index is not None else ""))
        self.type = "cpu"
        self.index = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r}" + ("" if self.index is None else
                                               f", index={self.index}") + ")"


_CPU = device("cpu")


def _names_device(a: Any) -> bool:
    """Whether a names a device: a device, or a string that is not a dtype's name ('cpu');
    a device other than the CPU raises."""
    if isinstance(a, str) and a not in _DTYPES:
        a = device(a)
    return isinstance(a, device)


# t.type(): PyTorch's names of the tensor types, by dtype
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_TYPE_DTYPES = {v: k for k, v in _TYPE_NAMES.items()}  # t.type('tapegrad.DoubleTensor')


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    Tensor(data, requires_grad=False, dtype=None, name=None)
        data: array-like; Python floats become float32, ndarrays keep their dtype.
        requires_grad: gradients flow to this tensor (floating dtypes only).
        name: shown by viz and in error messages.
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "name", "_node", "_version",
                 "_retains_grad", "__weakref__")
    _shared = False  # one Tensor for every use of a number in expressions (ops._Constant)
    __array_ufunc__ = None  # `ndarray op tensor` defers to the tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        self._data = _as_array(data, as_dtype(dtype))
        self._grad: Tensor | None = None
        self._node: _tape.Node | None = None
        self._version = [0]
        self._retains_grad = False
        self._requires_grad = False
        self.name = name
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool) -> Tensor:
        """Wrap an ndarray without copying or checking (the engine's fast path)."""
        t = object.__new__(cls)
        t._data = data
        t._grad = None
        t._requires_grad = requires_grad
        t.name = None
        t._node = None
        t._version = None  # made on first use (tape._version_cell)
        t._retains_grad = False
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def data(self) -> np.ndarray:
        """The live ndarray; writing into it changes the tensor and bumps its version."""
        view = self._data.view(_LiveArray)
        view._version = _tape._version_cell(self)
        return view

    @data.setter
    def data(self, value: Any) -> None:
        """Arrays are used as they are (shared memory); numbers and lists become arrays as
        Tensor(...) makes them (Python floats float32)."""
        if isinstance(value, Tensor):
            arr = value._data
        elif isinstance(value, np.ndarray):
            arr = np.asarray(value)  # a plain ndarray: `t.data = u.data` drops the live view
            if arr.dtype.kind not in "fiub" or arr.dtype.itemsize > 8:
                raise TypeError(f"Tensor.data: cannot hold dtype {arr.dtype}")
        else:
            arr = _as_array(value, None, "Tensor.data")
        if self._requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor.data: a tensor that requires grad holds floating-point "
                            f"data only, got {arr.dtype}; convert it first, e.g. "
                            "np.asarray(v, np.float32)")
        self._data = arr
        _tape._version_cell(self)[0] += 1

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None:
            raise ValueError("requires_grad can only be changed on leaf tensors (this one was "
                             f"made by '{self._node.op}'); use detach() for a new leaf")
        if value and self._data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, this one is "
                            f"{self._data.dtype}; convert it first, e.g. t.float()")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        """Set requires_grad and return the tensor; on a computed tensor (which requires grad)
        requires_grad_(True) is a no-op, as in PyTorch."""
        if not (value and self._node is not None):
            self.requires_grad = value
        return self

    @property
    def record(self) -> _tape.Node | None:
        """The tape record of the op that made this tensor (None for leaves)."""
        return self._node

    grad_fn = record  # PyTorch's name: None for a leaf, else what backward runs through

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` after backward."""
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """Whether backward fills this computed tensor's .grad (after retain_grad(), or made
        inside a Tape that retains grads); False for a leaf, as in PyTorch."""
        return self._retains_grad and self._node is not None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        """The number of elements (numpy's attribute, an int; also t.numel()). Called, it is
        PyTorch's t.size(): the shape, and t.size(d) the length along axis d."""
        return _Size(self._data.size, self._data.shape)

    def numel(self) -> int:
        """The number of elements (PyTorch's name for t.size)."""
        return self._data.size

    def dim(self) -> int:
        """The number of axes (PyTorch's name for t.ndim)."""
        return self._data.ndim

    nelement, ndimension = numel, dim  # PyTorch's other names for them

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    @property
    def device(self) -> device:
        """Always device('cpu')."""
        return _CPU

    @property
    def T(self) -> Tensor:
        """All axes reversed (the matrix transpose for 2-D)."""
        nd = self._data.ndim
        return ops.transpose(self, axes=tuple(range(nd - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared memory, like `data`)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """np.asarray(t) shares the tensor's memory; np.array(t) (copy=True) does not."""
        if type(self._data) is _FreedArray:
            self._data._raise()
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, "
                             f"this one has shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is "
                             "ambiguous; use (t > 0).all() or .any()")
        return bool(self._data.item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (f"{loss:.4f}"), as in PyTorch; with no spec,
        any tensor formats as its repr."""
        if self.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(f"format: a spec ({spec!r}) applies to 0-d tensors only, this one "
                            f"has shape {self.shape}; format t.item() or t.tolist() instead")
        return repr(self)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def detach(self) -> Tensor:
        """The same data (shared memory) as a new leaf that does not require grad."""
        t = Tensor._make(self._data, False)
        t._version = _tape._version_cell(self)
        t.name = self.name
        return t

    def clone(self) -> Tensor:
        """A copy, recorded: gradients flow back through it."""
        return ops.clone(self)

    def astype(self, dtype: Any) -> Tensor:
        dt = as_dtype(dtype, "astype")
        if dt == self.dtype:
            return self
        if dt.kind != "f":  # integers and bools carry no gradient (PyTorch: requires_grad off)
            return Tensor._make(self._data.astype(dt), False)
        return ops.cast(self, dtype=dt)

    def float(self) -> Tensor:
        return self.astype(float32)

    def double(self) -> Tensor:
        return self.astype(float64)

    def half(self) -> Tensor:
        return self.astype(float16)

    def long(self) -> Tensor:
        return self.astype(int64)

    def int(self) -> Tensor:
        return self.astype(int32)

    def bool(self) -> Tensor:
        return self.astype(bool_)

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Tensor:
        """PyTorch's t.to(dtype), t.to(device), t.to(device, dtype) and t.to(other) (other's
        dtype): astype(dtype), so the tensor itself when nothing changes. A string is a
        device unless it names a dtype ('float64'); the only device is 'cpu'."""
        if device is not None and not _names_device(device):
            raise TypeError(f"to: device must be a device or 'cpu', got {device!r}")
        for a in args:
            a = a.dtype if isinstance(a, Tensor) else a
            is_device = _names_device(a)
            if (device if is_device else dtype) is not None:
                raise TypeError(f"to: the {'device' if is_device else 'dtype'} is given twice "
                                f"in {args!r} (dtype={dtype!r}, device={device!r})")
            device, dtype = (a, dtype) if is_device else (device, a)
        return self if dtype is None else self.astype(as_dtype(dtype, "to"))

    def cpu(self) -> Tensor:
        """The tensor itself: it is on the CPU."""
        return self

    def contiguous(self) -> Tensor:
        """The tensor itself when its data are C-contiguous, else a C-ordered copy (recorded:
        a flatten and a reshape, so gradients flow through it)."""
        if self._data.flags.c_contiguous:
            return self
        return self.reshape(-1).reshape(self.shape)

    def type(self, dtype: Any = None) -> str | Tensor:
        """With no argument, the tensor type's name as PyTorch writes it, under tapegrad's
        name ('tapegrad.FloatTensor' for float32); with a dtype, astype(dtype), a type's
        name included ('tapegrad.DoubleTensor', or PyTorch's 'torch.DoubleTensor')."""
        if dtype is not None:
            if isinstance(dtype, str) and dtype.startswith(("tapegrad.", "torch.")):
                dtype = _TYPE_DTYPES.get(dtype.partition(".")[2], dtype)
            return self.astype(dtype)
        return "tapegrad." + _TYPE_NAMES.get(self.dtype.name, f"Tensor[{self.dtype}]")

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """zeros(*size) of this tensor's dtype (unless dtype is given), as in PyTorch."""
        return zeros(*size, dtype=self.dtype if dtype is None else dtype,
                     requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """ones(*size) of this tensor's dtype (unless dtype is given), as in PyTorch."""
        return ones(*size, dtype=self.dtype if dtype is None else dtype,
                    requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: float, dtype: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """full(size, fill_value) of this tensor's dtype (unless dtype is given)."""
        return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                    requires_grad=requires_grad)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new leaf holding a copy of data, in this tensor's dtype (unless dtype is given),
        as in PyTorch."""
        return Tensor(np.array(data._data if isinstance(data, Tensor) else data),
                      dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)

    def __repr__(self) -> str:
        body = ("<freed>, shape=" + str(self.shape) if _tape.is_freed(self) else
                np.array2string(self._data, separator=", ", precision=4, prefix="tensor(",
                                threshold=100))
        extra = []
        if self.dtype not in (float32, int64, bool_):
            extra.append(f"dtype={self.dtype}")
        if self.name:
            extra.append(f"name={self.name!r}")
        if self._node is not None:
            extra.append(f"op={self._node.label()}")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extra)})"

    # ------------------------------------------------------------------ gradients
    def backward(self, grad: Any = None, retain_graph: bool = False,
                 create_graph: bool = False, *, gradient: Any = None,
                 inputs: Tensor | Sequence[Tensor] | None = None) -> None:
        """Accumulate the gradient of this tensor into `.grad` of every leaf it depends on
        (with PyTorch's `inputs`: of those tensors only). `grad` (PyTorch's keyword:
        gradient) is required unless the tensor has one element (dL/dself, same shape)."""
        if gradient is not None:
            if grad is not None:
                raise TypeError("backward: got both grad and gradient; gradient is PyTorch's "
                                "name for grad, give one of them")
            grad = gradient
        _tape.backward([self], None if grad is None else [grad], retain_graph=retain_graph,
                       create_graph=create_graph, inputs=inputs)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> _tape.RemovableHandle:
        """Call hook(grad) with the gradient with respect to this tensor each time backward
        (or tg.grad) computes it, as PyTorch's: grad is a Tensor of this tensor's shape (read
        only; recorded under create_graph=True), and a Tensor the hook returns (same shape
        and dtype) replaces it. For a leaf the hooks run on its complete gradient before it
        is accumulated into .grad; for a computed tensor on its complete gradient before it
        flows on to the op that made it (and before retain_grad keeps it). Several hooks run
        in the order they were registered. Returns a handle whose remove() unregisters it.
        The tensor must require grad."""
        return _tape.register_hook(self, hook)

    def zero_grad(self) -> None:
        self._grad = None

    @property
    def grad(self) -> Tensor | None:
        """The gradient backward accumulated here (None until then): a tensor of this
        tensor's shape and dtype."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assign a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise ShapeError(f"grad: assigned grad has shape {value.shape} but the tensor "
                                 f"has shape {self.shape}")
            if value.dtype != self.dtype:
                raise TypeError(f"grad: assigned grad is {value.dtype} but the tensor is "
                                f"{self.dtype}")
        self._grad = value

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, (np.number, np.bool_)):  # as a Python number, which numpy
            exponent = exponent.item()                    # casts to x's dtype
        if type(exponent) in _PY_SCALARS:
            if type(exponent) is float and self._data.dtype.kind != "f":  # int ** 0.5: float32
                return ops.pow_scalar(self.float(), exponent=exponent)
            return ops.pow_scalar(self, exponent=exponent)
        return ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.pow(base, self)

    # in-place arithmetic, as in PyTorch: `with tg.no_grad(): p -= lr * p.grad` changes p
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(other, ops.add, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(other, ops.sub, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(other, ops.mul, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(other, ops.div, "/=")

    def _in_place(self, other: Any, op: ops.Primitive, sym: str, method: bool = False
                  ) -> Tensor:
        """self ← self (op) other in self's storage, shape and dtype; bumps the version, so a
        backward that saved the old values raises. Nothing changes if it fails.

        While recording, a computed tensor (`loss += penalty`), and a tensor updated with a
        value that requires grad (`acc += w * 3`), get the recorded op instead: a new tensor
        of self's shape and dtype bound to the name, the value PyTorch's recorded in-place op
        gives. A method (`method`: t.add_(x)) cannot bind a new tensor to the caller's name,
        so there it is refused (see _recorded). A leaf that requires grad is refused."""
        if self._recorded(other, sym, method):
            return self._recorded_in_place(op(self, other), sym)
        value = other._data if isinstance(other, Tensor) else other
        return self._write(op.forward, (value,), sym)

    def _recorded(self, other: Any, sym: str, method: bool) -> bool:
        """Whether the in-place update `sym` of self with other must be recorded; raises where
        it cannot be (a leaf that requires grad, a view, or any `method`)."""
        if not ((self._requires_grad or isinstance(other, Tensor) and other._requires_grad)
                and _tape.is_grad_enabled()):
            return False
        if self._requires_grad and self._node is None:
            raise TapeError(f"{sym}: an in-place change of a leaf that requires grad would "
                            "hide it from the tape; update parameters under `with "
                            "tg.no_grad():`, or compute a new tensor (t = t + x, not t += x)")
        if method:
            raise TapeError(
                f"{sym}: this tensor (shape {self.shape}) or the value requires grad, so the "
                "change would be recorded, and tapegrad records an in-place change as a new "
                "tensor, which a method cannot give back under your tensor's name; compute a "
                "new tensor instead (t = t + x for t.add_(x), t = t.clamp(lo) for "
                "t.clamp_(lo)), or change the values under `with tg.no_grad():`")
        if not self._requires_grad and self._data.base is not None:
            raise TapeError(
                f"{sym}: the value requires grad but this tensor (shape {self.shape}), a "
                "view of another array's storage (from indexing, reshape, transpose, "
                "expand), does not; the update would be recorded as a new tensor and the "
                "viewed storage left unchanged. Make it a tensor of its own first "
                "(t = t.clone()), build the result from the pieces (tg.concatenate, "
                "tg.where), or update with value.detach() if no gradient should flow")
        return True

    def _write(self, update: Any, args: tuple[Any, ...], sym: str) -> Tensor:
        """update(array, *args, out=array): the update written into self's array, with
        numpy's errors as tapegrad's; then bump the version."""
        a = self._data
        try:
            update(a, *args, out=a)
        except TypeError as e:  # numpy's casting errors: int tensor -= float
            values = [v for v in args if v is not None]
            raise TypeError(f"{sym}: cannot update a {self.dtype} tensor in place with "
                            f"{np.result_type(*values).name} values: {e}") from None
        except ValueError as e:
            if not self._data.flags.writeable:
                raise ValueError(f"{sym}: this tensor's values are read-only (a constant, or a "
                                 "broadcast view); change a copy: t = t.clone()") from None
            shape = np.broadcast_shapes(*(np.shape(v) for v in args if v is not None))
            raise ShapeError(f"{sym}: the right-hand side of shape {shape} does not "
                             f"broadcast to the tensor's shape {self.shape}: {e}") from None
        _tape._version_cell(self)[0] += 1
        return self

    # in-place methods, by the rules of the operators above (which record where these refuse)
    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self ← self + alpha·other in place (PyTorch's add_)."""
        return self._in_place(_scaled(other, alpha, "add_"), ops.add, "add_", True)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self ← self − alpha·other in place (PyTorch's sub_)."""
        return self._in_place(_scaled(other, alpha, "sub_"), ops.sub, "sub_", True)

    def mul_(self, other: Any) -> Tensor:
        """self ← self · other in place."""
        return self._in_place(other, ops.mul, "mul_", True)

    def div_(self, other: Any) -> Tensor:
        """self ← self / other in place (an integer tensor cannot hold the quotient)."""
        return self._in_place(other, ops.div, "div_", True)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """self ← clamp(self, min, max) in place, by the rules of add_."""
        _check_bounds(min, max, "clamp_")
        self._recorded(None, "clamp_", True)
        return self._write(np.clip, (min, max), "clamp_")

    def fill_(self, value: Any) -> Tensor:
        """Every element set to the number (or 0-d tensor) value, by the rules of copy_."""
        _one_fill_value(value, self.dtype, "fill_")
        return self.copy_(value)

    def zero_(self) -> Tensor:
        """Every element set to 0, by the rules of copy_."""
        return self.fill_(0)

    def _recorded_in_place(self, out: Tensor, sym: str) -> Tensor:
        """The recorded result of `self (op)= x`, held to self's shape and dtype as an
        in-place change is."""
        if out.shape != self.shape:
            raise ShapeError(f"{sym}: the result has shape {out.shape}, but an in-place change "
                             f"keeps the tensor's shape {self.shape}")
        if out.dtype == self.dtype:
            return out
        if self.dtype.kind != "f":
            raise TypeError(f"{sym}: cannot update a {self.dtype} tensor in place with "
                            f"{out.dtype} values that require grad")
        return out.astype(self.dtype)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    # comparisons give tensors without grad; hashing stays by identity
    def _compare(self, other: Any, fn: Any) -> Tensor:
        other = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._make(np.asarray(fn(self._data, other)), False)
        except ValueError as e:
            raise ShapeError(f"{fn.__name__}: {e}") from None

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    __hash__ = object.__hash__
    # PyTorch's names of the comparisons
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def all(self) -> bool:
        return bool(self._data.all())

    def any(self) -> bool:
        return bool(self._data.any())

    def isnan(self) -> Tensor:
        """Where the values are NaN, a bool tensor (no gradient)."""
        return Tensor._make(np.isnan(self._data), False)

    def isinf(self) -> Tensor:
        """Where the values are +inf or -inf, a bool tensor (no gradient)."""
        return Tensor._make(np.isinf(self._data), False)

    def isfinite(self) -> Tensor:
        """Where the values are neither NaN nor ±inf, a bool tensor (no gradient)."""
        return Tensor._make(np.isfinite(self._data), False)

    def logical_and(self, other: Any) -> Tensor:
        """x ≠ 0 and y ≠ 0, elementwise, broadcast: a bool tensor (no gradient)."""
        return self._logical(np.logical_and, other)

    def logical_or(self, other: Any) -> Tensor:
        """x ≠ 0 or y ≠ 0, elementwise, broadcast: a bool tensor (no gradient)."""
        return self._logical(np.logical_or, other)

    def logical_xor(self, other: Any) -> Tensor:
        """Exactly one of x ≠ 0 and y ≠ 0, elementwise, broadcast: a bool tensor (no
        gradient)."""
        return self._logical(np.logical_xor, other)

    def logical_not(self) -> Tensor:
        """x = 0, elementwise: a bool tensor (no gradient)."""
        return Tensor._make(np.logical_not(self._data), False)

    def _logical(self, fn: Any, other: Any) -> Tensor:
        b = other._data if isinstance(other, Tensor) else _as_array(other, None, fn.__name__)
        try:
            np.broadcast_shapes(self.shape, b.shape)
        except ValueError:
            raise ShapeError(f"{fn.__name__}: shapes {self.shape} and {b.shape} do not "
                             "broadcast") from None
        return Tensor._make(np.asarray(fn(self._data, b)), False)

    # ------------------------------------------------------------------ elementwise
    # float functions of integers (or bools) compute in float32, as in PyTorch (numpy: float64)
    def exp(self) -> Tensor:
        return ops.exp(self if self._data.dtype.kind == "f" else self.float())

    def log(self) -> Tensor:
        return ops.log(self if self._data.dtype.kind == "f" else self.float())

    def log1p(self) -> Tensor:
        return ops.log1p(self if self._data.dtype.kind == "f" else self.float())

    def sqrt(self) -> Tensor:
        return ops.sqrt(self if self._data.dtype.kind == "f" else self.float())

    def square(self) -> Tensor:
        return ops.square(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self if self._data.dtype.kind == "f" else self.float())

    def sin(self) -> Tensor:
        return ops.sin(self if self._data.dtype.kind == "f" else self.float())

    def cos(self) -> Tensor:
        return ops.cos(self if self._data.dtype.kind == "f" else self.float())

    # the elementwise functions below take integers and bools in float32, as in PyTorch
    log2 = _of_floats("log2", "log₂ x; the gradient is 1/(x·ln 2).")
    log10 = _of_floats("log10", "log₁₀ x; the gradient is 1/(x·ln 10).")
    expm1 = _of_floats("expm1",
                       "eˣ − 1, exact near 0 (where exp(x) − 1 cancels); the gradient is eˣ.")
    exp2 = _of_floats("exp2", "2ˣ; the gradient is 2ˣ·ln 2.")
    tan = _of_floats("tan", "tan x; the gradient is 1 + tan² x.")
    asin = _of_floats("asin", "arcsin x (NaN outside [−1, 1]); the gradient is 1/√(1 − x²).")
    acos = _of_floats("acos", "arccos x (NaN outside [−1, 1]); the gradient is −1/√(1 − x²).")
    atan = _of_floats("atan", "arctan x; the gradient is 1/(1 + x²).")
    sinh = _of_floats("sinh", "sinh x; the gradient is cosh x.")
    cosh = _of_floats("cosh", "cosh x; the gradient is sinh x.")
    asinh = _of_floats("asinh", "arsinh x = log(x + √(x² + 1)); the gradient is 1/√(x² + 1).")
    atanh = _of_floats("atanh",
                       "artanh x (NaN outside [−1, 1], ±inf at ±1); the gradient is 1/(1 − x²).")

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)  # the primitive computes integers in float32

    def relu(self) -> Tensor:
        return ops.relu(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Values limited to [lo, hi]; the gradient is 1 inside (bounds included), 0 outside."""
        return self._clip(lo, hi, "clip")

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """PyTorch's name for clip(lo=min, hi=max)."""
        return self._clip(min, max, "clamp")

    def _clip(self, lo: float | None, hi: float | None, who: str) -> Tensor:
        _check_bounds(lo, hi, who)
        x = self
        if self._data.dtype.kind != "f" and (isinstance(lo, float) or isinstance(hi, float)):
            x = self.float()  # integers clipped to a float bound: float32, as in PyTorch
        return ops.clip(x, lo=lo, hi=hi)

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent."""
        return self ** exponent

    def neg(self) -> Tensor:
        """−self."""
        return ops.neg(self)

    def clamp_min(self, min: float) -> Tensor:
        """clamp(min=min)."""
        return self._clip(min, None, "clamp_min")

    def clamp_max(self, max: float) -> Tensor:
        """clamp(max=max)."""
        return self._clip(None, max, "clamp_max")

    def reciprocal(self) -> Tensor:
        """1 / self (of integers: float32, as in PyTorch)."""
        return 1 / self

    def rsqrt(self) -> Tensor:
        """1 / √self."""
        return 1 / self.sqrt()

    def sign(self) -> Tensor:
        """−1, 0 or 1 by the sign of each element (of bools: the bools); gradient 0."""
        return self if self._data.dtype.kind == "b" else ops.sign(self)

    def floor(self) -> Tensor:
        """⌊x⌋, the largest integer ≤ x (integers: a copy); gradient 0."""
        return self._rounded(ops.floor, "floor")

    def ceil(self) -> Tensor:
        """⌈x⌉, the smallest integer ≥ x (integers: a copy); gradient 0."""
        return self._rounded(ops.ceil, "ceil")

    def trunc(self) -> Tensor:
        """x rounded toward 0 (integers: a copy); gradient 0."""
        return self._rounded(ops.trunc, "trunc")

    def round(self, decimals: int = 0) -> Tensor:
        """x rounded to the nearest multiple of 10^−decimals, halves to even (2.5 → 2,
        0.125 → 0.12 with decimals=2, as PyTorch and numpy); integers: a copy (decimals 0
        only); gradient 0."""
        decimals = _int(decimals, "round", "decimals")
        if decimals and self._data.dtype.kind != "f":
            raise TypeError(f"round: decimals={decimals} needs a floating tensor, got "
                            f"{self.dtype}")
        return self._rounded(ops.round, "round", decimals=decimals)

    def frac(self) -> Tensor:
        """x − trunc(x), the fractional part with x's sign (floating tensors only); the
        gradient is 1."""
        if self._data.dtype.kind != "f":
            raise TypeError(f"frac: needs a floating tensor, got {self.dtype}")
        return self - self.trunc()

    def _rounded(self, op: ops.Primitive, who: str, **params: Any) -> Tensor:
        kind = self._data.dtype.kind
        if kind == "b":
            raise TypeError(f"{who}: not defined for bool tensors (as in PyTorch)")
        return op(self, **params) if kind == "f" else ops.clone(self)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """where(mask, value, self): value (a number, or a 0-d tensor, which gets the summed
        gradient of the filled entries) where the boolean mask is true. mask broadcasts with
        self; the result has self's dtype."""
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be boolean, got {m.dtype}")
        try:
            np.broadcast_shapes(m.shape, self.shape)
        except ValueError:
            raise ShapeError(f"masked_fill: mask shape {m.shape} does not broadcast with the "
                             f"tensor's shape {self.shape}") from None
        if isinstance(value, Tensor):
            if value.ndim:
                raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                                 f"shape {value.shape}")
        elif not _is_scalar(value):
            raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                            f"{type(value).__name__}")
        _fill_value(value, self.dtype, "masked_fill")
        if isinstance(value, Tensor):
            value = value.astype(self.dtype)
        elif self.dtype.kind != "f":
            value = self._data.dtype.type(value)  # an integer tensor keeps its dtype
        return ops.where(Tensor._make(m, False), value, self)

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """exp(x) / Σ exp(x) along axis (dim: PyTorch's name for it); see F.softmax."""
        return functional.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x − logsumexp(x) along axis (dim: PyTorch's name for it); see F.log_softmax."""
        return functional.log_softmax(self, axis, dim=dim)

    # ------------------------------------------------------------------ reductions
    # each takes numpy's axis=/keepdims= or PyTorch's dim=/keepdim= (see _dims)
    def sum(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Σ over axis (an int or a tuple; all axes by default)."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _dims("sum", axis, keepdims, dim, keepdim)
        return ops.sum(self, axis=_axes(axis, self.ndim, "sum"), keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Σ/n over axis (an int or a tuple; all axes by default)."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _dims("mean", axis, keepdims, dim, keepdim)
        return ops.mean(self, axis=_axes(axis, self.ndim, "mean"), keepdims=keepdims)

    def prod(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Π over dim (an int or a tuple; all axes by default); integers and bools multiply
        in int64, and the product of no values is 1. The gradient at x_k is Π_{j≠k} x_j, also
        where the slice holds zeros (with one zero, that entry gets the product of the
        others and the rest 0; with two or more, all 0), as in PyTorch."""
        return ops.prod(self, axis=_axes(dim, self.ndim, "prod"), keepdims=keepdim)

    def max(self, axis: Any = None, keepdims: bool = False, *, dim: int | None = None,
            keepdim: bool | None = None) -> Tensor | ValuesIndices:
        """The largest values over axis (an int or a tuple; all axes by default), as numpy's
        max: ties share the gradient equally.

        With PyTorch's dim= (one int), PyTorch's result instead: the named tuple (values,
        indices), indices the argmax along dim, values = self.gather(dim, indices), so the
        gradient goes to that one index, as in PyTorch."""
        if dim is not None:
            return self._values_indices(axis, keepdims, dim, keepdim, np.argmax, "max")
        return self._extreme(ops.max, axis, keepdims, keepdim, "max")

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: int | None = None,
            keepdim: bool | None = None) -> Tensor | ValuesIndices:
        """The smallest values over axis; with dim=, (values, indices) (see max)."""
        if dim is not None:
            return self._values_indices(axis, keepdims, dim, keepdim, np.argmin, "min")
        return self._extreme(ops.min, axis, keepdims, keepdim, "min")

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The largest values over dim (an int or a tuple; all axes by default), with no
        indices: ties share the gradient equally, as in PyTorch's amax."""
        return self._extreme(ops.max, dim, keepdim, None, "amax")

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The smallest values over dim (see amax)."""
        return self._extreme(ops.min, dim, keepdim, None, "amin")

    def _extreme(self, op: ops.Primitive, axis: Any, keepdims: bool, keepdim: bool | None,
                 who: str) -> Tensor:
        """max/min over `axis` (None: all; see _nonempty)."""
        if keepdim is not None:
            keepdims = _alias(who, "keepdims", keepdims, False, "keepdim", keepdim)
        axes = _axes(axis, self.ndim, who)
        self._nonempty(axes, who)
        return op(self, axis=axes, keepdims=keepdims)

    def _nonempty(self, axes: tuple[int, ...] | None, who: str) -> None:
        """max/min over `axes` (None: all) must not reduce a zero-size axis; over the other
        axes of an empty tensor the result is well-defined (and empty)."""
        if self._data.size == 0 and (axes is None or any(self.shape[a] == 0 for a in axes)):
            raise ShapeError(f"{who}: the tensor is empty along the reduced axes (shape "
                             f"{self.shape}, axis {axes}); there is no {who} of no values")

    def _values_indices(self, axis: Any, keepdims: bool, dim: int, keepdim: bool | None,
                        arg: Any, who: str) -> ValuesIndices:
        """PyTorch's max/min(dim=, keepdim=): (values, indices) along one axis."""
        dim, keep = _dims(who, axis, keepdims, dim, keepdim)
        ax = _axis(dim, self.ndim, who)
        if ax is None:  # a 0-d tensor: its value, at index 0, as in PyTorch
            return self.reshape(1)._values_indices(None, False, 0, None, arg, who)
        self._nonempty((ax,), who)
        indices = self._arg(arg, ax, True, who)
        values = self.gather(ax, indices)
        if not keep:
            values, indices = values.squeeze(ax), indices.squeeze(ax)
        return ValuesIndices(values, indices)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, *,
            dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
            correction: int | None = None) -> Tensor:
        """mean((x − mean(x))²)·n/(n − ddof) over axis: the population variance (ddof=0)
        unless ddof is given. PyTorch's unbiased=True is ddof=1, correction=c is ddof=c
        (PyTorch defaults to unbiased; tapegrad keeps numpy's ddof=0)."""
        return self._var(axis, keepdims, ddof, dim, keepdim, unbiased, correction, "var")

    def _var(self, axis: Any, keepdims: bool, ddof: int, dim: Any, keepdim: bool | None,
             unbiased: bool | None, correction: int | None, who: str) -> Tensor:
        if dim is not None or keepdim is not None:
            axis, keepdims = _dims(who, axis, keepdims, dim, keepdim)
        if unbiased is not None or correction is not None:
            ddof = _ddof(who, ddof, unbiased, correction)
        axes = _axes(axis, self.ndim, who)
        n = self._data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        if n - ddof <= 0:
            raise ValueError(f"{who}: {n} values are too few for ddof={ddof}")
        centered = self - self.mean(axis=axes, keepdims=True)
        v = centered.square().mean(axis=axes, keepdims=keepdims)
        return v * (n / (n - ddof)) if ddof else v

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, *,
            dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
            correction: int | None = None) -> Tensor:
        """sqrt(var) (the arguments as for var). Its gradient is 0 where the std is 0, as in
        PyTorch (sqrt's own is 1/0 there; see _root)."""
        return _root(self._var(axis, keepdims, ddof, dim, keepdim, unbiased, correction,
                               "std"), 2)

    def var_mean(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, *,
                 dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
                 correction: int | None = None) -> tuple[Tensor, Tensor]:
        """(var, mean), the arguments as for var: ddof=0 unless ddof, unbiased or
        correction is given, as tapegrad's var (PyTorch's var_mean defaults to correction=1;
        pass correction=1 for its values)."""
        v = self._var(axis, keepdims, ddof, dim, keepdim, unbiased, correction, "var_mean")
        return v, self._mean_like(axis, keepdims, dim, keepdim, "var_mean")

    def std_mean(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, *,
                 dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
                 correction: int | None = None) -> tuple[Tensor, Tensor]:
        """(std, mean), the arguments as for var_mean (ddof=0 by default; PyTorch's
        correction=1 on request)."""
        v = self._var(axis, keepdims, ddof, dim, keepdim, unbiased, correction, "std_mean")
        return _root(v, 2), self._mean_like(axis, keepdims, dim, keepdim, "std_mean")

    def _mean_like(self, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None,
                   who: str) -> Tensor:
        if dim is not None or keepdim is not None:
            axis, keepdims = _dims(who, axis, keepdims, dim, keepdim)
        return ops.mean(self, axis=_axes(axis, self.ndim, who), keepdims=keepdims)

    def norm(self, p: float | str = 2, axis: Any = None, keepdims: bool = False, *,
             dim: Any = None, keepdim: bool | None = None) -> Tensor:
        """The vector p-norm over axis (all elements by default): (Σ|x|^p)^(1/p) for p ≥ 1,
        p = 2 (or 'fro') √Σx², p = 1 Σ|x|, p = inf max|x|. The gradient is 0 where the norm
        is 0, as in PyTorch (see _root)."""
        axis, keepdims = _dims("norm", axis, keepdims, dim, keepdim)
        p = 2 if p == "fro" else p
        if not _is_scalar(p) or isinstance(p, (bool, np.bool_)) or not p >= 1:
            raise ValueError(f"norm: p must be a number >= 1, inf or 'fro', got {p!r}")
        axis = _axes(axis, self.ndim, "norm")  # errors named here, not by the sum inside
        if p == math.inf:
            self._nonempty(axis, "norm")  # the max of no values (PyTorch refuses it too)
        x = self if self._data.dtype.kind == "f" else self.float()
        if p == math.inf:
            return x.abs().max(axis, keepdims)
        if p == 1:
            return x.abs().sum(axis, keepdims)
        return _root((x.square() if p == 2 else x.abs() ** p).sum(axis, keepdims), p)

    def logsumexp(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
                  keepdim: bool | None = None) -> Tensor:
        """log Σ exp(x) over axis, computed stably (the max is subtracted first)."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _dims("logsumexp", axis, keepdims, dim, keepdim)
        x = self if self._data.dtype.kind == "f" else self.float()  # of integers: float32
        return ops.logsumexp(x, axis=_axes(axis, self.ndim, "logsumexp"), keepdims=keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False, *,
               dim: int | None = None, keepdim: bool | None = None) -> Tensor:
        """The int64 index of the largest value along axis (of the flattened tensor when
        axis is None); the first one on ties."""
        axis, keepdims = _dims("argmax", axis, keepdims, dim, keepdim)
        return self._arg(np.argmax, axis, keepdims, "argmax")

    def argmin(self, axis: int | None = None, keepdims: bool = False, *,
               dim: int | None = None, keepdim: bool | None = None) -> Tensor:
        """The int64 index of the smallest value along axis (see argmax)."""
        axis, keepdims = _dims("argmin", axis, keepdims, dim, keepdim)
        return self._arg(np.argmin, axis, keepdims, "argmin")

    def _arg(self, fn: Any, axis: Any, keepdims: bool, who: str) -> Tensor:
        ax = None if axis is None else _axis(axis, self.ndim, who)
        try:
            return Tensor._make(np.asarray(fn(self._data, axis=ax, keepdims=keepdims)), False)
        except ValueError as e:  # an empty tensor
            raise ShapeError(f"{who}: {e} (shape {self.shape}, axis {axis})") from None

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        shape = _shape_arg(shape, "reshape")
        known = math.prod([n for n in shape if n != -1])
        size = self._data.size
        if shape.count(-1) == 1 and known and size % known == 0:
            shape = tuple(size // known if n == -1 else n for n in shape)
        if math.prod(shape) != size or any(n < 0 for n in shape):
            raise ShapeError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({size} elements) into {shape}")
        return ops.reshape(self, shape=shape)  # a new view even of the same shape, as in PyTorch

    view = reshape

    def flatten(self, start_axis: int = 0, end_axis: int = -1, *, start_dim: int | None = None,
                end_dim: int | None = None) -> Tensor:
        """Axes start_axis..end_axis merged into one (all of them by default); start_dim and
        end_dim are PyTorch's names for them."""
        start_axis = _alias("flatten", "start_axis", start_axis, 0, "start_dim", start_dim)
        end_axis = _alias("flatten", "end_axis", end_axis, -1, "end_dim", end_dim)
        if self.ndim == 0:
            return self.reshape(1)
        (s,), (e,) = (_axes(a, self.ndim, "flatten") for a in (start_axis, end_axis))
        if s > e:
            raise ShapeError(f"flatten: start_axis {start_axis} comes after end_axis "
                             f"{end_axis} for a {self.ndim}-d tensor")
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def squeeze(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """The axes of size 1 among axis (all of them by default) removed; dim: PyTorch's
        name for axis."""
        axis = _alias("squeeze", "axis", axis, None, "dim", dim)
        axes = _axes(axis, self.ndim, "squeeze")
        if axes is None:
            axes = tuple(d for d, n in enumerate(self.shape) if n == 1)
        for d in axes:
            if self.shape[d] != 1:
                raise ShapeError(f"squeeze: axis {d} has size {self.shape[d]}, not 1")
        return self.reshape(tuple(n for d, n in enumerate(self.shape) if d not in axes))

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """A new axis of size 1 at position axis (dim: PyTorch's name for it)."""
        axis = _alias("unsqueeze", "axis", axis, None, "dim", dim)
        if axis is None:
            raise TypeError("unsqueeze: give the position of the new axis (axis or dim)")
        nd = self.ndim + 1
        if not -nd <= axis < nd:
            raise ShapeError(f"unsqueeze: axis {axis} is out of range for {nd}-d output")
        axis %= nd
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def transpose(self, *axes: Any) -> Tensor:
        """t.transpose() reverses the axes; t.transpose(a, b) swaps two axes (as in PyTorch);
        t.transpose((2, 0, 1)) permutes them (as in numpy)."""
        nd = self.ndim
        if not axes:
            perm = tuple(reversed(range(nd)))
        elif len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            a, b = (_axes(ax, nd, "transpose")[0] for ax in axes)  # type: ignore[index]
            p = list(range(nd))
            p[a], p[b] = p[b], p[a]
            perm = tuple(p)
        else:
            return self.permute(*axes)
        return ops.transpose(self, axes=perm)

    def permute(self, *axes: Any) -> Tensor:
        perm = _shape_arg(axes, "permute")
        if (any(not -self.ndim <= p < self.ndim for p in perm)
                or sorted(p % self.ndim for p in perm) != list(range(self.ndim))):
            raise ShapeError(f"permute: {perm} is not a permutation of the {self.ndim} axes "
                             f"of a tensor of shape {self.shape}")
        return ops.transpose(self, axes=tuple(p % self.ndim for p in perm))

    def broadcast_to(self, *shape: Any) -> Tensor:
        """The tensor repeated along new leading axes and axes of size 1 (a view); -1 keeps
        an existing axis's size, as in PyTorch's expand."""
        shape = _shape_arg(shape, "broadcast_to")
        if -1 in shape:
            lead = len(shape) - self.ndim
            if lead < 0 or -1 in shape[:lead]:
                raise ShapeError(f"broadcast_to: -1 (keep the size) in {shape} is only allowed "
                                 f"for the existing axes of a tensor of shape {self.shape}, "
                                 "not for new leading ones")
            shape = shape[:lead] + tuple(n if n != -1 else m
                                         for n, m in zip(shape[lead:], self.shape))
        return ops.broadcast_to(self, shape=shape)

    expand = broadcast_to

    def t(self) -> Tensor:
        """The 2-D transpose; a 0-d or 1-D tensor as it is (a new view), as in PyTorch."""
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with at most 2 axes, got shape {self.shape}; "
                             "use transpose(a, b) or mT")
        return self.transpose()

    def mm(self, other: Tensor) -> Tensor:
        """The matrix product of two 2-D tensors, (n, k) @ (k, m) -> (n, m)."""
        b = other if isinstance(other, Tensor) else Tensor(other)
        if self.ndim != 2 or b.ndim != 2 or self.shape[1] != b.shape[0]:
            raise ShapeError(f"mm: needs matrices (n, k) and (k, m), got shapes {self.shape} "
                             f"and {b.shape}")
        return ops.matmul(self, b)

    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-D tensors of one length, Σ_i self_i·other_i."""
        b = other if isinstance(other, Tensor) else Tensor(other)
        if self.ndim != 1 or b.ndim != 1 or self.shape != b.shape:
            raise ShapeError(f"dot: needs two 1-D tensors of one length, got shapes "
                             f"{self.shape} and {b.shape}")
        return ops.matmul(self, b)

    def bmm(self, other: Tensor) -> Tensor:
        """The batched matrix product of two 3-D tensors, (b, n, k) @ (b, k, m) -> (b, n, m)."""
        b = other if isinstance(other, Tensor) else Tensor(other)
        if (self.ndim != 3 or b.ndim != 3 or self.shape[0] != b.shape[0]
                or self.shape[2] != b.shape[1]):
            raise ShapeError(f"bmm: needs batches of matrices (b, n, k) and (b, k, m), got "
                             f"shapes {self.shape} and {b.shape}")
        return ops.matmul(self, b)

    def isclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                equal_nan: bool = False) -> Tensor:
        """|self − other| ≤ atol + rtol·|other| elementwise, a bool tensor (no gradient)."""
        b = _other(other, "isclose")
        try:
            return Tensor._make(np.isclose(self._data, b._data, rtol, atol, equal_nan), False)
        except ValueError:
            raise ShapeError(f"isclose: shapes {self.shape} and {b.shape} do not broadcast"
                             ) from None

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                 equal_nan: bool = False) -> bool:
        """Whether self is close to other everywhere (see tg.allclose)."""
        return allclose(self, _other(other, "allclose"), rtol, atol, equal_nan)

    def matmul(self, other: Any) -> Tensor:
        """self @ other (see tg.matmul)."""
        return ops.matmul(self, other)

    def _along(self, ax: int, key: Any) -> Tensor:
        """self indexed with key (a slice or an integer) along axis ax."""
        return self[(slice(None),) * ax + (key,)]

    def _axis_of(self, dim: Any, who: str) -> int:
        """One axis of a tensor with axes (a 0-d tensor has none to split or gather along)."""
        if self.ndim == 0:
            raise ShapeError(f"{who}: a 0-d tensor has no axis {dim!r}")
        return _axis(dim, self.ndim, who)  # type: ignore[return-value]

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0
              ) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along dim: of split_size elements each (the last
        smaller if need be), or of the given sizes, which must add up to the axis's size."""
        ax = self._axis_of(dim, "split")
        n = self.shape[ax]
        size = split_size_or_sections
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            if size <= 0:
                raise ValueError(f"split: split_size must be positive, got {size}")
            sizes = [int(size)] * (n // size) + ([n % size] if n % size or not n else [])
        else:
            sizes = list(_shape_arg((size,), "split"))
            if sum(sizes) != n or any(k < 0 for k in sizes):
                raise ValueError(f"split: sizes {sizes} do not add up to {n}, the size of axis "
                                 f"{ax} of shape {self.shape}")
        return self._pieces(ax, sizes)

    def _pieces(self, ax: int, sizes: Sequence[int]) -> tuple[Tensor, ...]:
        ends = np.cumsum(sizes).tolist()
        return tuple(self._along(ax, slice(e - k, e)) for k, e in zip(sizes, ends))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most `chunks` views along dim, each of ⌈n/chunks⌉ elements but the last (as in
        PyTorch, fewer when the pieces run out: 5 in 4 chunks are 2, 2, 1)."""
        ax = self._axis_of(dim, "chunk")
        if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        n = self.shape[ax]
        return self.split(-(-n // chunks), ax) if n else self._pieces(ax, [0] * chunks)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along dim, each without that axis: x.unbind(0) is (x[0], x[1], ...)."""
        ax = self._axis_of(dim, "unbind")
        return tuple(self._along(ax, i) for i in range(self.shape[ax]))

    def repeat(self, *sizes: Any) -> Tensor:
        """The tensor tiled sizes[i] times along axis i (PyTorch's repeat, numpy's tile); more
        sizes than axes add leading axes. A reshape to (1, n0, 1, n1, ...), a broadcast to
        (r0, n0, r1, n1, ...) and a reshape to (r0·n0, r1·n1, ...); the gradient sums the
        copies."""
        reps = _shape_arg(sizes, "repeat")
        if len(reps) < self.ndim or any(r < 0 for r in reps):
            raise ShapeError(f"repeat: needs one size >= 0 per axis (or more), got {reps} for "
                             f"shape {self.shape}")
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        x = self.reshape(tuple(v for n in shape for v in (1, n)))
        x = x.broadcast_to(tuple(v for r, n in zip(reps, shape) for v in (r, n)))
        return x.reshape(tuple(r * n for r, n in zip(reps, shape)))

    def gather(self, dim: int, index: Any) -> Tensor:
        """out[i][j][k] = self[index[i][j][k]][j][k] for dim 0 (the index replaces the
        position along dim), PyTorch's gather: index is an integer array of self's number of
        axes, no larger than self outside dim, with values in [0, self.shape[dim]); out has
        index's shape. A getitem with index arrays: the gradient adds into the gathered
        positions. A 0-d tensor is read as one of shape (1,), with a 0-d or 1-D index."""
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be integers, got {idx.dtype}")
        if self.ndim == 0 and idx.ndim <= 1:  # dim 0 or -1, as in PyTorch
            _axis(dim, 0, "gather")
            return self.reshape(1).gather(0, idx.reshape(-1)).reshape(idx.shape)
        ax = self._axis_of(dim, "gather")
        if idx.ndim != self.ndim or any(m > n for d, (m, n) in enumerate(
                zip(idx.shape, self.shape)) if d != ax):
            raise ShapeError(f"gather: index of shape {idx.shape} does not fit a tensor of "
                             f"shape {self.shape} along axis {ax} (same number of axes, no "
                             "larger on the other axes)")
        _check_in_range(idx, self.shape[ax], "gather", f"axis {ax} of size {self.shape[ax]}")
        key = np.ix_(*(np.arange(m) for m in idx.shape))
        return ops.getitem(self, index=key[:ax] + (idx,) + key[ax + 1:])

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries at the positions `index` (1-D integers, repeats allowed) along dim,
        in that order; the gradient adds into the positions selected."""
        ax = self._axis_of(dim, "index_select")
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"index_select: index must be integers, got {idx.dtype}")
        if idx.ndim > 1:
            raise ShapeError(f"index_select: index must be 0-d or 1-D, got shape {idx.shape}")
        idx = idx.reshape(-1)
        n = self.shape[ax]
        if idx.size and not (idx.min() >= -n and idx.max() < n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise TapegradIndexError(f"index_select: index {bad} is out of range for axis "
                                     f"{ax} of size {n}")
        return ops.getitem(self, index=(slice(None),) * ax + (idx,))

    def where(self, condition: Any, other: Any) -> Tensor:
        """tg.where(condition, self, other): self where the boolean condition holds, else
        other (broadcast); the gradient flows to the side chosen."""
        c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
        if c.dtype != np.bool_:
            raise TypeError(f"where: condition must be boolean, got {c.dtype}")
        return ops.where(Tensor._make(c, False), self, other)

    def masked_select(self, mask: Any) -> Tensor:
        """The entries where the boolean mask (broadcast with self) is true, as a 1-D tensor
        in row-major order; the gradient goes back to those entries (summed over a broadcast
        self)."""
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_select: mask must be boolean, got {m.dtype}")
        try:
            shape = np.broadcast_shapes(self.shape, m.shape)
        except ValueError:
            raise ShapeError(f"masked_select: mask shape {m.shape} does not broadcast with "
                             f"the tensor's shape {self.shape}") from None
        x = self if self.shape == shape else self.broadcast_to(shape)
        return x[np.broadcast_to(m, shape)]

    def scatter_add(self, dim: int, index: Any, src: Tensor) -> Tensor:
        """A copy of self with src[i][j][k] added at [index[i][j][k]][j][k] for dim 0 (the
        index replaces the position along dim), repeated positions adding up: PyTorch's
        out-of-place scatter_add. index is an integer array of self's number of axes, no
        larger than src anywhere nor than self outside dim; src of self's dtype (only its
        part of index's shape is read). The gradient is g for self and g.gather(dim, index)
        for src."""
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
        if idx.dtype.kind not in "iu":
            raise TypeError(f"scatter_add: index must be integers, got {idx.dtype}")
        if src.dtype != self.dtype:
            raise TypeError(f"scatter_add: src must have the tensor's dtype {self.dtype}, got "
                            f"{src.dtype}")
        ax = self._axis_of(dim, "scatter_add")
        if idx.ndim != self.ndim or src.ndim != self.ndim or any(
                m > k or (d != ax and m > n)
                for d, (m, n, k) in enumerate(zip(idx.shape, self.shape, src.shape))):
            raise ShapeError(f"scatter_add: index of shape {idx.shape} does not fit a tensor "
                             f"of shape {self.shape} along axis {ax} with src of shape "
                             f"{src.shape} (same number of axes; no larger than src, nor "
                             "than the tensor outside dim)")
        _check_in_range(idx, self.shape[ax], "scatter_add",
                        f"axis {ax} of size {self.shape[ax]}")
        part = src if src.shape == idx.shape else src[tuple(slice(0, m) for m in idx.shape)]
        key = np.ix_(*(np.arange(m) for m in idx.shape))
        added = ops.scatter(part, shape=self.shape, index=key[:ax] + (idx,) + key[ax + 1:])
        return self + added

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Any = None) -> Tensor:
        """int64 indices of categories drawn with probabilities proportional to the weights
        (self: 1-D, or 2-D with one distribution per row), num_samples per row, from
        tapegrad's generator. With replacement, each draw is independent (inverse CDF);
        without, every category is drawn at most once: the num_samples largest w_i/E_i for
        E_i exponential draws (the order of successive draws, as PyTorch's sampler), so
        zero weights come only after the others are used up. generator: a tg.Generator (or
        a numpy Generator) to draw from instead."""
        w = self._data
        gen = _random.resolve(generator, "multinomial")
        if w.dtype.kind != "f":
            raise TypeError(f"multinomial: the weights must be floating, got {self.dtype}")
        if w.ndim not in (1, 2):
            raise ShapeError(f"multinomial: the weights must be 1-D or 2-D, got shape "
                             f"{self.shape}")
        n = _int(num_samples, "multinomial", "num_samples")
        categories = w.shape[-1]
        if n <= 0:
            raise ValueError(f"multinomial: num_samples must be positive, got {n}")
        if not replacement and n > categories:
            raise ValueError(f"multinomial: cannot draw {n} samples from {categories} "
                             "categories without replacement")
        rows = w.reshape(w.shape[0] if w.ndim == 2 else 1, categories)
        if not (np.isfinite(rows).all() and (rows >= 0).all()):
            raise ValueError("multinomial: the weights must be finite and >= 0")
        total = rows.sum(axis=1, dtype=np.float64)
        if not (total > 0).all():
            raise ValueError(f"multinomial: row {int(np.argmin(total > 0))} of the weights "
                             "sums to 0 (no category to draw)")
        if replacement:
            cdf = np.cumsum(rows, axis=1, dtype=np.float64)
            u = gen.random((rows.shape[0], n)) * total[:, None]
            last = categories - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)  # last w_i > 0
            drawn = np.array([np.minimum(np.searchsorted(c, v, side="right"), k)
                              for c, v, k in zip(cdf, u, last)]).reshape(u.shape)
        else:
            with np.errstate(divide="ignore"):
                keys = rows / gen.standard_exponential(rows.shape)
            drawn = np.argsort(-keys, axis=1, kind="stable")[:, :n]
        return Tensor._make(drawn.reshape(w.shape[:-1] + (n,)).astype(int64), False)

    def bernoulli(self, *, generator: Any = None) -> Tensor:
        """1 with probability p (self's values, in [0, 1]) and 0 otherwise, in self's floating
        dtype, from tapegrad's generator: u < p for u uniform in [0, 1). A draw: no gradient
        flows to p (PyTorch's is 0). generator: a tg.Generator to draw from instead."""
        p = self._data
        gen = _random.resolve(generator, "bernoulli")
        if p.dtype.kind != "f":
            raise TypeError(f"bernoulli: p must be floating, got {self.dtype}")
        if not ((p >= 0) & (p <= 1)).all():
            raise ValueError("bernoulli: p must be in [0, 1]")
        return Tensor._make((gen.random(p.shape) < p).astype(p.dtype), False)

    def view_as(self, other: Tensor) -> Tensor:
        """self.reshape(other.shape)."""
        return self.reshape(_other(other, "view_as").shape)

    reshape_as = view_as

    def expand_as(self, other: Tensor) -> Tensor:
        """self.broadcast_to(other.shape)."""
        return self.broadcast_to(_other(other, "expand_as").shape)

    def type_as(self, other: Tensor) -> Tensor:
        """self.astype(other.dtype)."""
        return self.astype(_other(other, "type_as").dtype)

    def flip(self, *dims: Any) -> Tensor:
        """The order of the elements reversed along each of dims (an int, several, or a
        tuple), copied; the gradient is flipped back."""
        if not dims:
            raise TypeError("flip: give the dims to reverse, e.g. t.flip(0) or t.flip((0, 1))")
        axes = _axes(dims[0] if len(dims) == 1 else dims, self.ndim, "flip")
        return ops.flip(self, axes=axes or ())

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
             ) -> Tensor:
        """Elements shifted by shifts[k] positions along dims[k], those pushed off the end
        coming back at the start (of the flattened tensor, then reshaped, when dims is None):
        out[(i + s) mod n] = self[i]. A concatenation of two slices per axis."""
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        ss = list(shifts) if isinstance(shifts, (tuple, list)) else [shifts]
        ds = list(dims) if isinstance(dims, (tuple, list)) else [dims]
        if len(ss) != len(ds) or not all(isinstance(s, (int, np.integer)) for s in ss):
            raise TypeError(f"roll: needs one integer shift per dim, got shifts={shifts!r}, "
                            f"dims={dims!r}")
        out = self
        for s, d in zip(ss, ds):
            ax = self._axis_of(d, "roll")
            n = self.shape[ax]
            k = int(s) % n if n else 0
            if k:
                out = concatenate([out._along(ax, slice(n - k, n)),
                                   out._along(ax, slice(0, n - k))], axis=ax)
        return out

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False
                ) -> Tensor:
        """The int64 indices that sort the values along dim (ascending unless descending; NaN
        counts as the largest), stably: equal values keep their order (PyTorch's stable=True,
        accepted; every sort here is stable)."""
        ax = _axis(dim, self.ndim, "argsort")
        a = self._data
        if ax is None:  # a 0-d tensor: it is sorted, at index 0
            return Tensor._make(np.zeros((), int64), False)
        if not descending:
            return Tensor._make(np.argsort(a, axis=ax, kind="stable"), False)
        # sorted ascending from the far end, then read backwards: descending, ties in order
        up = np.argsort(np.flip(a, ax), axis=ax, kind="stable")
        return Tensor._make(np.flip(a.shape[ax] - 1 - up, ax).copy(), False)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False
             ) -> ValuesIndices:
        """(values, indices) along dim, stably (see argsort), values = self.gather(dim,
        indices): the gradient goes back to the positions each value came from."""
        if self.ndim == 0:
            return ValuesIndices(self.reshape(()), self.argsort(dim))
        indices = self.argsort(dim, descending)
        return ValuesIndices(self.gather(dim, indices), indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
             ) -> ValuesIndices:
        """(values, indices) of the k largest values along dim (smallest with largest=False),
        in sorted order (also with sorted=False, which leaves the order open), values =
        self.gather(dim, indices). A 0-d tensor is its own top value (k 0 or 1, as in
        PyTorch)."""
        if self.ndim == 0:
            _axis(dim, 0, "topk")
        ax = self._axis_of(dim, "topk") if self.ndim else None
        n = self.shape[ax] if self.ndim else 1
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= n:
            raise ValueError(f"topk: k must be an int in [0, {n}] (the size of dim {dim} of "
                             f"shape {self.shape}), got {k!r}")
        if ax is None:
            return ValuesIndices(self.reshape(()), Tensor._make(np.zeros((), int64), False))
        indices = self.argsort(ax, largest)._along(ax, slice(0, k))
        return ValuesIndices(self.gather(ax, indices), indices)  # only the k values gathered

    def cumsum(self, dim: int) -> Tensor:
        """out_i = Σ_{j≤i} self_j along dim (integers and bools sum in int64)."""
        if self.ndim == 0:  # dim 0 or -1, as in PyTorch
            _axis(dim, 0, "cumsum")
            return self.reshape(1).cumsum(0).reshape(())
        return ops.cumsum(self, axis=self._axis_of(dim, "cumsum"))

    def outer(self, other: Any) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = self[i]·other[j]."""
        b = other if isinstance(other, Tensor) else Tensor(other)
        if self.ndim != 1 or b.ndim != 1:
            raise ShapeError(f"outer: needs two 1-D tensors, got shapes {self.shape} and "
                             f"{b.shape}")
        return self.reshape(-1, 1) * b.reshape(1, -1)

    def diag(self, diagonal: int = 0) -> Tensor:
        """Of a 2-D tensor, its diagonal `diagonal` (0 the main one, > 0 above, < 0 below) as
        a 1-D tensor; of a 1-D tensor of n values, the (n + |diagonal|)-square matrix with
        them on that diagonal and 0 elsewhere. A getitem, or its adjoint scatter, with the
        diagonal's (row, column) index arrays."""
        k = _int(diagonal, "diag", "diagonal")
        if self.ndim == 1:
            n = self.shape[0] + abs(k)
            i = np.arange(self.shape[0])
            index = (i + max(-k, 0), i + max(k, 0))
            return ops.scatter(self, shape=(n, n), index=index)
        if self.ndim != 2:
            raise ShapeError(f"diag: needs a 1-D or 2-D tensor, got shape {self.shape}")
        rows, cols = self.shape
        i = np.arange(max(min(rows + min(k, 0), cols - max(k, 0)), 0))
        return ops.getitem(self, index=(i + max(-k, 0), i + max(k, 0)))

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a 2-D tensor."""
        if self.ndim != 2:
            raise ShapeError(f"trace: needs a 2-D tensor, got shape {self.shape}")
        return self.diag().sum()

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (on and below diagonal `diagonal`), zeros
        above: a where with a constant mask."""
        return self._triangle(np.tril, diagonal, "tril")

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (on and above diagonal `diagonal`), zeros
        below."""
        return self._triangle(np.triu, diagonal, "triu")

    def _triangle(self, part: Any, diagonal: int, who: str) -> Tensor:
        k = _int(diagonal, who, "diagonal")
        if self.ndim < 2:
            raise ShapeError(f"{who}: needs at least 2 axes, got shape {self.shape}")
        mask = part(np.ones(self.shape[-2:], bool), k)
        # the zero in self's dtype: a Python 0 would promote a bool tensor to int64
        return ops.where(Tensor._make(mask, False), self, self._data.dtype.type(0))

    def detach_(self) -> Tensor:
        """PyTorch's in-place detach, for a leaf: it stops requiring grad. A computed tensor
        is refused: the records that used it would lose their way to its inputs, which
        PyTorch's keep; use t = t.detach()."""
        if self._node is not None:
            raise TapeError(f"detach_: this tensor was made by '{self._node.op}', and "
                            "tapegrad cannot detach a computed tensor in place; use "
                            "t = t.detach()")
        self._requires_grad = False
        return self

    def data_ptr(self) -> int:
        """The address of the first element (equal for tensors sharing that memory)."""
        return self._data.__array_interface__["data"][0]

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing as in PyTorch, which is numpy's indexing except where noted:

        ==========================  ===========================  ============================
        key (x of shape (2, 3, 2))  numpy                        tapegrad, as PyTorch
        ==========================  ===========================  ============================
        x[0, :, [0, 1]]             ints are array indices: the  ints apply first (a select),
        (also np.int64, 0-d array   array axes go first when a   then the arrays: (3, 2)
        or 0-d tensor; bool masks)  slice parts them: (2, 3)
        x[:, [0, 1], ..., [0, 1]]   a `...` for no axes parts    it does not: in place
        with `...` for no axes      the arrays: their axes first
        x[::-1], x[::0]             reversed / ValueError        ValueError: steps must be > 0
        x[[[0, 1], [1, 0]]]         one index array              TypeError: ambiguous (PyTorch
        (a list of sequences)                                    reads a tuple, deprecated)
        ==========================  ===========================  ============================

        Out-of-range indices raise an IndexError (also a ValueError) naming the op, the index
        and the shape."""
        key, mixed = _index(index, self.ndim, "getitem")
        if not mixed:
            return ops.getitem(self, index=key)
        first, then = _split(key)
        try:
            return ops.getitem(self, index=first, then=then)
        except TapegradIndexError as e:
            raise TapegradIndexError(f"{e} (in [{ops._index_text(key)}] on shape {self.shape} "
                                     "the integers apply first, as in PyTorch)") from None

    def copy_(self, src: Any) -> Tensor:
        """Overwrite this tensor's values in place with src (broadcast to its shape), as
        optimizers and initializers do; bumps the version so a stale backward is caught."""
        if (isinstance(src, Tensor) and src._requires_grad and not self._requires_grad
                and _tape.is_grad_enabled()):
            raise TapeError("copy_: src requires grad, and tapegrad does not record a copy "
                            "into an existing tensor, so its gradient would be lost; use "
                            "t = src.clone() to keep the gradient, or t.copy_(src.detach())")
        self[...] = src
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        if ((self._requires_grad or isinstance(value, Tensor) and value._requires_grad)
                and _tape.is_grad_enabled()):
            if self._requires_grad:
                raise TapeError("in-place assignment to a tensor that requires grad would hide "
                                "it from the tape; use `with tg.no_grad():` or t.data[...] = v")
            # recording it would turn this tensor into the output of a record, in place
            raise TapeError(
                f"setitem: the value requires grad but this tensor (shape {self.shape}) does "
                "not; tapegrad does not record an assignment into a tensor, so the value's "
                "gradient would be lost. Build a new tensor from the pieces instead (e.g. "
                "t = tg.concatenate([value, t[2:]]) for t[:2] = value, or tg.where(mask, "
                "value, t)); or assign value.detach() if no gradient should flow")
        value = value._data if isinstance(value, Tensor) else value
        key, mixed = _index(index, self.ndim, "setitem")
        try:
            if mixed:  # as in getitem: the integers first (a view), then the arrays
                first, then = _split(key)
                self._data[first][then] = value
            else:
                self._data[key] = value
        except IndexError as e:
            raise TapegradIndexError(f"setitem: {e} (shape {self.shape})") from None
        except ValueError as e:
            raise ShapeError(f"setitem: {e}") from None
        _tape._version_cell(self)[0] += 1


def _one_fill_value(value: Any, dtype: np.dtype, who: str) -> Any:
    """fill_'s value: a number, or a 0-d tensor or array, that fits dtype (_fill_value); its
    plain value."""
    v = value._data if isinstance(value, Tensor) else value
    if not (_is_scalar(v) or isinstance(v, np.ndarray) and v.ndim == 0):
        raise TypeError(f"{who}: value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}" + (f" of shape {np.shape(v)}"
                                                     if isinstance(v, np.ndarray) else ""))
    _fill_value(v, dtype, who)
    return v


def _fill_value(value: Any, dtype: np.dtype, who: str) -> None:
    """A number (or 0-d tensor) to be stored in an integer or bool tensor must fit it: NaN,
    ±inf and integers beyond the dtype's range have no value there (a cast gives garbage)."""
    if dtype.kind not in "iu":
        return
    v = value.item() if isinstance(value, Tensor) else value
    info = np.iinfo(dtype)
    if not (math.isfinite(v) and info.min <= v <= info.max):
        raise ValueError(f"{who}: {v} does not fit a {dtype.name} tensor (range {info.min} "
                         f".. {info.max})")


def _scaled(other: Any, alpha: Any, who: str) -> Any:
    """alpha·other for add_/sub_: a list or tuple of numbers is an array (its `* alpha`
    would repeat it), as the in-place operators read it."""
    if alpha == 1:
        return other
    if not _is_scalar(alpha):
        raise TypeError(f"{who}: alpha must be a number, got {type(alpha).__name__}")
    if isinstance(other, Tensor):
        return other * alpha
    value = np.asarray(other)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{who}: other must be a Tensor, a number or numbers, got "
                        f"{type(other).__name__} of dtype {value.dtype}")
    return value * alpha


def _check_in_range(idx: np.ndarray, n: int, who: str, where: str) -> None:
    """Raise a TapegradIndexError naming the first index of idx outside [0, n)."""
    if idx.size and not (idx.min() >= 0 and idx.max() < n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise TapegradIndexError(f"{who}: index {bad} is out of range for {where}")


def _other(other: Any, who: str) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{who}: expects a Tensor, got {type(other).__name__}")
    return other


def _index(index: Any, ndim: int, op: str) -> tuple[tuple[Any, ...], bool]:
    """An index as a tuple for numpy (tensors and lists turned into ndarrays, a `...` written
    out as slices when index arrays are present), and whether it mixes integers with index
    arrays, which PyTorch and numpy order differently (see _split)."""
    if isinstance(index, list) and any(
            isinstance(k, (list, tuple, slice, np.ndarray, Tensor)) or k is None or k is Ellipsis
            for k in index):
        raise TypeError(f"{op}: a list of sequences or slices as the index is ambiguous: numpy "
                        "reads one index array, PyTorch (deprecated) a tuple of indices; write "
                        "t[tuple(seq)] or t[np.array(seq)]")
    items = index if isinstance(index, tuple) else (index,)
    out = []
    ints = arrays = ellipsis = False
    for k in items:  # the common kinds first, by exact type: this runs on every index
        kind = type(k)
        if kind is int:
            ints = True
        elif kind is slice:
            if k.step is not None and k.step <= 0:
                raise ValueError(f"{op}: slice steps must be positive, as in PyTorch; got "
                                 f"{ops._index_text(k)} (reverse with an index array: "
                                 "t[np.arange(n - 1, -1, -1)])")
        elif k is not None:
            if kind is not np.ndarray:
                if isinstance(k, Tensor):
                    k = k._data
                elif kind is list:
                    k = np.asarray(k)
            if isinstance(k, np.ndarray):
                dtype = k.dtype.kind
                if dtype not in "iub":
                    raise TypeError(f"{op}: index arrays must be integers or booleans, "
                                    f"got {k.dtype}")
                if k.ndim or dtype == "b":
                    arrays = True
                else:
                    ints = True
            elif k is Ellipsis:
                ellipsis = True
            elif isinstance(k, (bool, np.bool_)):  # a 0-d mask: an index array to both
                arrays = True
            elif isinstance(k, np.integer):
                ints = True
        out.append(k)
    key = tuple(out)
    if arrays and ellipsis:
        key = _expand_ellipsis(key, ndim, op)
    return key, ints and arrays


def _is_array(k: Any) -> bool:
    """An index array or a 0-d mask (True); a 0-d integer array is an integer."""
    if isinstance(k, np.ndarray):
        return k.ndim > 0 or k.dtype.kind == "b"
    return isinstance(k, (bool, np.bool_))


def _consumed(k: Any) -> int:
    """How many axes of the indexed array an index item consumes."""
    if k is None or k is Ellipsis or isinstance(k, (bool, np.bool_)):
        return 0
    return k.ndim if isinstance(k, np.ndarray) and k.dtype.kind == "b" else 1


def _expand_ellipsis(key: tuple[Any, ...], ndim: int, op: str) -> tuple[Any, ...]:
    """The key with its `...` replaced by the full slices it stands for. A `...` standing
    for no axes parts the index arrays around it in numpy (their axes then go first), not in
    PyTorch; written out, it is gone."""
    if sum(k is Ellipsis for k in key) > 1:
        raise TapegradIndexError(f"{op}: an index can only have a single ellipsis ('...'), "
                                 f"got [{ops._index_text(key)}]")
    fill = (slice(None),) * (ndim - sum(_consumed(k) for k in key))
    return tuple(x for k in key for x in (fill if k is Ellipsis else (k,)))


def _split(key: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """PyTorch's reading of a key that mixes integers with index arrays, as two numpy keys:
    `first` applies the integers, slices and new axes (a view: getitem's vjp and setitem
    write through it), `then` the index arrays to what remains. numpy counts the integers
    among the index arrays instead, so that x[0, :, [0, 1]] puts the array's axis first;
    PyTorch keeps it in place."""
    first: list[Any] = []
    then: list[Any] = []
    for k in key:
        if _is_array(k):
            first += [slice(None)] * _consumed(k)
            then.append(k)
        elif k is None or isinstance(k, slice):
            first.append(k)
            then.append(slice(None))  # the axis the slice or new axis left
        else:  # an integer; a 0-d array would make `first` an array index, not a view
            first.append(int(k))
    if all(type(k) is int for k in first):  # ints for every axis (and 0-d masks): a[0, 1]
        first.append(Ellipsis)  # is a scalar, a[0, 1, ...] the 0-d view the masks index
    return tuple(first), tuple(then)


# ---------------------------------------------------------------------- factories
def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None) -> Tensor:
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _factory(data: np.ndarray, requires_grad: bool, name: str | None = None) -> Tensor:
    t = Tensor._make(data, False)
    t.name = name
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(_sizes(shape, "zeros"), as_dtype(dtype, "zeros") or float32),
                    requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(_sizes(shape, "ones"), as_dtype(dtype, "ones") or float32),
                    requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` (an int or a tuple) filled with the number fill_value, float32
    unless dtype is given; a value the dtype cannot hold is an error, as in PyTorch."""
    shape = _sizes((shape,), "full")
    dt = as_dtype(dtype, "full") or float32
    if not _is_scalar(fill_value):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    overflow = f"full: fill_value {fill_value!r:.40} does not fit in {dt}"
    if dt.kind in "iu" and not np.iinfo(dt).min <= fill_value <= np.iinfo(dt).max:
        raise ValueError(overflow)  # NaN and inf included
    try:
        with np.errstate(over="raise"):  # a float beyond the range of a float dtype
            data = np.full(shape, fill_value, dt)
    except (OverflowError, FloatingPointError):
        raise ValueError(overflow) from None
    return _factory(data, requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(t.shape, as_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(t.shape, as_dtype(dtype) or t.dtype), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... below stop (arange(n): 0 .. n-1); float32 if any is a float."""
    if stop is None:
        start, stop = 0, start
    if not all(_is_scalar(v) for v in (start, stop, step)):
        raise TypeError(f"arange: start, stop and step must be numbers, got start={start!r}, "
                        f"stop={stop!r}, step={step!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    dt = as_dtype(dtype, "arange")
    try:
        data = np.arange(start, stop, step)
    except ValueError as e:  # NaN or inf bounds, too many values
        raise ValueError(f"arange({start!r}, {stop!r}, {step!r}): {e}") from None
    return _factory(data.astype(dt or (float32 if data.dtype.kind == "f" else int64)),
                    requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape = _sizes((n,) if m is None else (n, m), "eye")
    return _factory(np.eye(*shape, dtype=as_dtype(dtype, "eye") or float32), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's uninitialized tensor; here zeros (as cheap, and repeatable)."""
    return _factory(np.zeros(_sizes(shape, "empty"), as_dtype(dtype, "empty") or float32),
                    requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """full(t.shape, fill_value) in t's dtype unless dtype is given."""
    return full(t.shape, fill_value, dtype=t.dtype if dtype is None else dtype,
                requires_grad=requires_grad)


def get_default_dtype() -> np.dtype:
    """The dtype of tensors made from Python floats and of the factories: float32."""
    return float32


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def _float_dtype(dtype: Any, who: str, default: np.dtype = float32) -> np.dtype:
    """The floating dtype a random float factory fills (default unless dtype is given)."""
    dt = as_dtype(dtype, who) or default
    if dt.kind != "f":
        raise TypeError(f"{who}: draws floating-point numbers, not {dt}; pass a floating "
                        "dtype, e.g. dtype=tg.float32")
    return dt


def rand(*shape: Any, generator: Any = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), from tapegrad's generator (see tg.manual_seed) or generator (a
    tg.Generator)."""
    dt = _float_dtype(dtype, "rand")
    size, gen = _sizes(shape, "rand"), _random.resolve(generator, "rand")
    return _factory(gen.random(size).astype(dt),
                    requires_grad)


def randn(*shape: Any, generator: Any = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal, from tapegrad's generator (see tg.manual_seed) or generator (a
    tg.Generator)."""
    dt = _float_dtype(dtype, "randn")
    size, gen = _sizes(shape, "randn"), _random.resolve(generator, "randn")
    return _factory(gen.standard_normal(size).astype(dt),
                    requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """rand(t.shape) in t's dtype unless dtype is given (a floating one)."""
    return rand(t.shape, dtype=_float_dtype(dtype, "rand_like", t.dtype),
                requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """randn(t.shape) in t's dtype unless dtype is given (a floating one)."""
    return randn(t.shape, dtype=_float_dtype(dtype, "randn_like", t.dtype),
                 requires_grad=requires_grad)


def _index_dtype(dtype: Any, requires_grad: bool, who: str) -> np.dtype:
    """The dtype of a factory of indices: int64 unless dtype is given; checked before it
    draws (an integer tensor cannot require grad)."""
    dt = as_dtype(dtype, who) or int64
    if requires_grad and dt.kind != "f":
        raise TypeError(f"{who}: only floating-point tensors can require grad, this one is "
                        f"{dt}")
    return dt


def _int(v: Any, who: str, what: str) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{who}: {what} must be an int, got {v!r}")
    return int(v)


def randint(low: int, high: int | None = None, size: Any = None, *, generator: Any = None,
            dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high) of shape size, int64 unless dtype is given:
    randint(low, high, size), or randint(high, size) from 0, as in PyTorch; drawn from
    tapegrad's generator or generator (a tg.Generator)."""
    if size is None:
        if high is None:
            raise TypeError("randint: give a size, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    low, high = _int(low, "randint", "low"), _int(high, "randint", "high")
    if low >= high:
        raise ValueError(f"randint: low must be below high, got low={low}, high={high}")
    shape = _sizes((size,), "randint")
    dt = _index_dtype(dtype, requires_grad, "randint")
    _fits(low, high - 1, dt, "randint")
    gen = _random.resolve(generator, "randint")
    return _factory(gen.integers(low, high, shape).astype(dt), requires_grad)


def _fits(low: int, high: int, dt: np.dtype, who: str) -> None:
    """Values low..high must be representable in dt (an integer or bool dtype): a cast would
    wrap them around (randint(0, 300, dtype=int8), randint(0, 5, dtype=bool)) silently."""
    if np.dtype(dt).kind not in "biu":
        return
    info = (0, 1) if np.dtype(dt) == np.bool_ else (np.iinfo(dt).min, np.iinfo(dt).max)
    if low <= high and not info[0] <= low <= high <= info[1]:  # randperm(0): no values
        raise ValueError(f"{who}: values {low} .. {high} do not fit dtype {np.dtype(dt).name} "
                         f"(range {info[0]} .. {info[1]})")


def randperm(n: int, *, generator: Any = None, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1, int64 unless dtype is given, from tapegrad's
    generator or generator (a tg.Generator)."""
    n = _int(n, "randperm", "n")
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}")
    dt = _index_dtype(dtype, requires_grad, "randperm")
    if dt == np.bool_:
        raise TypeError("randperm: a permutation of 0 .. n-1 cannot be bool; use an integer "
                        "dtype")
    _fits(0, n - 1, dt, "randperm")
    gen = _random.resolve(generator, "randperm")
    return _factory(gen.permutation(n).astype(dt), requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal draws with the given means and standard deviations (numbers, or tensors that
    broadcast; their values only, no gradient flows to them), of shape size (default: the
    broadcast shape of mean and std). float32 unless dtype is given or a tensor mean or std
    is floating (its dtype). generator: a tg.Generator to draw from instead of tapegrad's."""
    loc, scale = (v._data if isinstance(v, Tensor) else _as_array(v, None, "normal")
                  for v in (mean, std))
    floats = [v.dtype for v in (mean, std)
              if isinstance(v, (Tensor, np.ndarray)) and v.dtype.kind == "f"]
    dt = _float_dtype(dtype, "normal", np.result_type(*floats) if floats else float32)
    if (scale < 0).any() or np.isnan(scale).any():
        raise ValueError(f"normal: std must be >= 0, got {scale.tolist()!r:.60}")
    shape = None if size is None else _sizes((size,), "normal")
    gen = _random.resolve(generator, "normal")
    try:
        data = gen.normal(loc, scale, shape)
    except ValueError:
        raise ShapeError(f"normal: mean of shape {loc.shape} and std of shape {scale.shape} "
                         f"do not broadcast to {'each other' if size is None else shape}"
                         ) from None
    return _factory(data.astype(dt), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """steps values evenly spaced from start to end (both included), float32 by default."""
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be an int >= 0, got {steps!r}")
    if not (_is_scalar(start) and _is_scalar(end)):
        raise TypeError(f"linspace: start and end must be numbers, got {start!r}, {end!r}")
    dt = as_dtype(dtype, "linspace") or float32
    return _factory(np.linspace(start, end, int(steps)).astype(dt), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing array's memory and dtype, as PyTorch's from_numpy: writes through
    either show in the other (a write through the array is not seen by version checks)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    arr = np.asarray(array)  # a plain ndarray view of a subclass (t.data, np.matrix)
    if arr.dtype.kind not in "fiub" or arr.dtype.itemsize > 8:
        raise TypeError(f"from_numpy: dtype {arr.dtype} is not supported (float16/32/64, ints "
                        "and bool are)")
    return Tensor._make(arr, False)


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """|a − b| ≤ atol + rtol·|b| everywhere (a and b broadcast), as numpy's and PyTorch's."""
    try:
        return bool(np.allclose(np.asarray(a), np.asarray(b), rtol, atol, equal_nan))
    except ValueError:
        raise ShapeError(f"allclose: shapes {np.shape(a)} and {np.shape(b)} do not "
                         "broadcast") from None


class ValuesIndices(NamedTuple):
    """What max and min give with PyTorch's dim= (torch.return_types.max), and sort and
    topk."""

    values: Tensor
    indices: Tensor


def _tensor_list(tensors: Sequence[Any], who: str) -> list[Tensor]:
    """The tensors to join; integers (and bools) among floats take the floats' dtype, as in
    PyTorch (numpy would join float32 and int64 in float64)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{who}: expected a non-empty list or tuple of tensors")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    floats = [t.dtype for t in ts if t.dtype.kind == "f"]
    if floats and len(floats) < len(ts):
        joined = np.result_type(*floats)
        ts = [t if t.dtype.kind == "f" else t.astype(joined) for t in ts]
    return ts


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (dim: PyTorch's name for it)."""
    axis = _alias("concatenate", "axis", axis, 0, "dim", dim)
    ts = _tensor_list(tensors, "concatenate")
    nd = ts[0].ndim
    if nd == 0:
        raise ShapeError("concatenate: 0-d tensors cannot be joined; use stack")
    ax = _axis(axis, nd, "concatenate")
    for k, t in enumerate(ts):
        if t.ndim != nd or t.shape[:ax] + t.shape[ax + 1:] != ts[0].shape[:ax] + ts[0].shape[
                ax + 1:]:
            raise ShapeError(f"concatenate: tensor {k} has shape {t.shape}, which does not "
                             f"match {ts[0].shape} outside axis {ax}")
    return ops.concatenate(*ts, axis=ax)


cat = concatenate  # PyTorch's name


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new axis (dim: PyTorch's name for it)."""
    axis = _alias("stack", "axis", axis, 0, "dim", dim)
    ts = _tensor_list(tensors, "stack")
    for k, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(f"stack: tensor {k} has shape {t.shape}, tensor 0 has "
                             f"{ts[0].shape}; stack needs equal shapes")
    ax = _axis(axis, ts[0].ndim + 1, "stack")
    return concatenate([t.unsqueeze(ax) for t in ts], axis=ax)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation, as numpy's and PyTorch's: einsum('ij,jk->ik', a, b) is a @ b,
    'ii->i' a diagonal, 'ii' a trace, 'bij,bjk->bik' a batched product, '...ij->...ji' a
    transpose of the last two axes. Letters name axes (one size each, or 1: broadcast);
    letters in the output (after '->'; without it, those that occur once, in alphabetical
    order, after the '...' axes) are kept, the others summed over. One record; the
    gradient of each operand is an einsum of the upstream gradient with the others.
    The operands may also come as one list, as PyTorch allows."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {type(subscripts).__name__}")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in operands]
    spec = _einsum_spec(subscripts, [t.shape for t in ts])
    return ops.einsum(len(ts))(*ts, spec=spec)


def _einsum_spec(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """subscripts as explicit numpy subscripts without '...' ('ij,jk->ik'): each '...'
    written out as letters not used elsewhere (right-aligned across operands, as
    broadcasting aligns axes), the implicit output made explicit."""
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    described = f"einsum('{subscripts}') of shapes {', '.join(map(str, shapes))}"
    stray = set(s.replace("...", "").replace("->", "")) - set(ops._LETTERS) - {","}
    if stray or "." in s.replace("...", "") or "->" in out:
        raise ValueError(f"{described}: subscripts are letters, ',', '->' and '...'")
    if len(terms) != len(shapes):
        raise ValueError(f"{described}: {len(terms)} operand subscripts for {len(shapes)} "
                         "tensors")
    spans = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        span = len(shape) - named if "..." in term else 0
        if span < 0 or named + span != len(shape) or term.count("...") > 1:
            raise ShapeError(f"{described}: subscripts '{term}' do not fit shape {shape}")
        spans.append(span)
    ellipsis = "".join([c for c in ops._LETTERS if c not in s][:max(spans)])
    terms = [t.replace("...", ellipsis[len(ellipsis) - n:]) for t, n in zip(terms, spans)]
    for term, shape in zip(terms, shapes):  # numpy reads 'ii->i' of (0, 1) as garbage
        sizes: dict[str, int] = {}
        for c, n in zip(term, shape):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: subscript '{c}' is repeated in '{term}' with "
                                 f"sizes {sizes[c]} and {n} ({described})")
    if not arrow:
        out = "..." + "".join(sorted(c for c in set(ins) if c.isalpha() and ins.count(c) == 1))
    return ",".join(terms) + "->" + out.replace("...", ellipsis)


from . import functional, ops  # noqa: E402  (the methods above call into these)
