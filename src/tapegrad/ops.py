"""The primitives: a small closed set, each a numpy forward beside its vector-Jacobian products.

An entry reads::

    name = Primitive("name", forward, vjp_0, vjp_1, ...)

forward(*arrays, **params) -> ndarray
    numpy in, numpy out.
vjp_i(g, out, *inputs, **params) -> Tensor (or ndarray)
    the gradient for input i, written with primitives and with the operators and methods
    ndarray and Tensor share (`g * b`, `@`, `.T`, `.reshape(shape)`): g is the upstream
    gradient (out's shape), out and inputs are the record's values. With create_graph=True
    the engine passes Tensors, so the rule is itself recorded (higher-order gradients); a
    first-order backward passes the plain ndarrays, and every primitive a rule calls then
    computes its forward on arrays alone (no Tensor, no record): the same rule, at numpy's
    speed. Inputs a record did not keep (its vjps do not read them) come as None; those
    declared `shape_only` (the rules read only `.shape` and `.dtype`) come as the
    tape.InputMeta recorded with them. `None` in
    place of a rule marks an input that never gets a gradient (a condition).

The engine calls vjp_i only for inputs that require grad, sums its result back to input i's
shape (undoing broadcasting in one place), and casts it to input i's dtype. The values a
primitive saves for backward are exactly the arguments its vjps read; the engine checks that
none of them was changed in place before it uses them (only those read by the rules that
will run: in `x * 0.5` the value of x itself is not needed, as in PyTorch). Everything
outside this file is a composition of these entries.
"""

from __future__ import annotations

import dis
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .tape import (
    ShapeError,
    TapeError,
    TapegradIndexError,
    _check_finite,
    _threads,
    _user_site,
    _version_cell,
    column_sums,
    record,
)
from .tensor import Tensor, _as_array, _is_scalar

Vjp = Callable[..., Tensor]


def _reads(fn: Callable[..., Any] | None) -> set[str]:
    """Names of the arguments a vjp reads (these are the values its record must keep)."""
    if fn is None:
        return set()
    names: set[str] = set()
    for ins in dis.get_instructions(fn):
        if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")):
            arg = ins.argval
            names.update(arg if isinstance(arg, tuple) else (arg,))
    return names


class Primitive:
    """A primitive op: a numpy forward and one vjp per input (or one shared vjp taking `i`
    for n-ary ops such as concatenate). Calling it applies the forward and records a Node."""

    __slots__ = ("name", "forward", "vjps", "saved_inputs", "meta_inputs", "unsaved",
                 "cross", "no_values", "saves_out", "view", "variadic", "constant", "_label")

    def __init__(self, name: str, forward: Callable[..., np.ndarray], *vjps: Vjp | None,
                 view: bool = False, variadic: bool = False, shape_only: tuple[int, ...] = (),
                 label: Callable[[dict[str, Any]], str] | None = None, arity: int = 0
                 ) -> None:
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.view = view
        self.variadic = variadic
        self._label = label
        self.constant = not vjps  # a mask or comparison: its output never needs a gradient
        argnames: list[str] = []
        read: set[str] = set()
        for fn in vjps:
            if fn is not None:
                code = fn.__code__
                argnames = list(code.co_varnames[:code.co_argcount])
                read |= _reads(fn)
        self.saves_out = "out" in read
        # positional input names follow (g, out, ...); a variadic vjp reads only shapes
        inputs = [] if variadic else argnames[2:2 + len(vjps)]
        # inputs whose shape and dtype alone the rules read (`a.shape`): a record keeps those
        # two (tape.InputMeta) and hands them to the rules, not the input
        self.meta_inputs = shape_only
        # a variadic rule that reads its inputs' values (einsum) comes as one primitive per
        # number of inputs, `arity`: a record keeps and version-checks them all
        self.saved_inputs = tuple(range(arity)) if arity else tuple(
            k for k, n in enumerate(inputs) if n in read and k not in shape_only)
        # inputs a record need not keep (a variadic rule reads every input's shape)
        self.unsaved = tuple(k for k, n in enumerate(inputs) if k not in self.saved_inputs)
        # two saved inputs, each rule reading only the other (mul): when one input alone
        # needs a gradient, its own value is not read and may change in place before
        # backward, as in PyTorch (x in `x * 0.5`, w in `w * x` for a constant x)
        self.cross = self.saved_inputs == (0, 1) and len(vjps) == 2 and all(
            fn is not None and inputs[k] not in _reads(fn) for k, fn in enumerate(vjps))
        self.no_values = (None,) * len(vjps)  # the input values of a rule that reads none

    def vjp(self, i: int, g: Tensor, out: Tensor, inputs: tuple[Tensor, ...],
            params: dict[str, Any]) -> Tensor:
        if self.variadic:
            return self.vjps[0](g, out, *inputs, i=i, **params)  # type: ignore[misc]
        fn = self.vjps[i]
        if fn is None:
            raise TapeError(f"{self.name}: input {i} has no gradient")
        return fn(g, out, *inputs, **params) if params else fn(g, out, *inputs)

    def label(self, params: dict[str, Any]) -> str:
        if self._label is not None:
            return self._label(params)
        shown = [f"{k}={_fmt(v)}" for k, v in params.items() if v is not None and v is not False]
        return f"{self.name}({', '.join(shown)})" if shown else self.name

    def __call__(self, *args: Any, **params: Any) -> Tensor:
        # the hot path of the engine (every op, forward and in vjps): one numpy call, one
        # Tensor, and a Node only when an input requires grad
        st = _threads.state
        inputs = args
        for a in args:
            if not isinstance(a, Tensor):
                if st.arrays:  # inside a first-order sweep, a vjp computes on arrays
                    return self.forward(*args, **params) if params else self.forward(*args)
                try:
                    inputs = _tensors(args, self.name)
                except OverflowError as e:  # a number beyond a small integer dtype
                    raise ValueError(f"{self.name}: {e}; convert the tensor to a wider "
                                     "dtype first, e.g. t.astype('int64') or t.float()"
                                     ) from None
                break
        fwd = self.forward
        try:
            if len(inputs) == 1:
                data = fwd(inputs[0]._data, **params) if params else fwd(inputs[0]._data)
            elif len(inputs) == 2:
                a, b = inputs[0]._data, inputs[1]._data
                if a.dtype is not b.dtype:
                    a, b = _promoted(a, b)
                data = fwd(a, b, **params) if params else fwd(a, b)
            else:
                data = fwd(*[t._data for t in inputs], **params)
        except ShapeError as e:
            raise ShapeError(f"{self.name}: {e}") from None
        except TapeError:  # an input's values were freed (tape._resolve)
            raise
        except IndexError as e:
            index = _key_text(params)
            raise TapegradIndexError(f"{self.name}: index [{index}] is invalid for shape "
                                     f"{inputs[0].shape}: {e}") from None
        except TypeError as e:  # numpy refuses the dtypes (`-` of bools, ...)
            dtypes = " and ".join(str(t.dtype) for t in inputs)
            raise TypeError(f"{self.name}: not defined for {dtypes} inputs: {e}") from None
        except ValueError as e:
            shapes = " and ".join(str(t.shape) for t in inputs)
            dtypes = ", ".join(str(t.dtype) for t in inputs)
            raise ShapeError(f"{self.name}: invalid for shapes {shapes} ({dtypes}): {e}"
                             ) from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = _new(Tensor)  # Tensor._make inlined: one call less on every op
        out._data = data
        out._grad = None
        out._requires_grad = False
        out.name = None
        out._node = None
        out._version = None  # a version cell is made on first use
        out._retains_grad = False
        if st.grad_enabled and not self.constant:
            for t in inputs:
                if t._requires_grad:
                    out._requires_grad = True
                    out._node = node = record(self, inputs, out, params, st)
                    if st.tapes:
                        node.kept = True  # for display: backward does not let go of values
                        for tape in st.tapes:
                            tape.records.append(node)
                            out._retains_grad |= tape.retain_grads
                    break
        if st.anomaly:
            site = _user_site()
            _check_finite(data, f"'{self.name}' in forward at {site}")
            if out._node is not None:
                out._node.site = site
        if self.view and data.base is not None and np.may_share_memory(data, inputs[0]._data):
            out._version = _version_cell(inputs[0])  # a view changes when its base changes
        return out

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def _promoted(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The operands of a binary op, where PyTorch's promotion differs from numpy's: integers
    (or bools) meeting a floating array take its dtype, so float32 with int64 stays float32
    (numpy would compute in float64); and a 0-d operand of the same kind as a tensor with
    axes takes that tensor's dtype (float32 times a 0-d float64 stays float32)."""
    ka, kb = a.dtype.kind, b.dtype.kind
    if ka == "f" and kb in "iub":
        return a, b.astype(a.dtype)
    if kb == "f" and ka in "iub":
        return a.astype(b.dtype), b
    if ka == kb or ka in "iu" and kb in "iu":
        if a.ndim == 0 < b.ndim:
            return a.astype(b.dtype), b
        if b.ndim == 0 < a.ndim:
            return a, b.astype(a.dtype)
    return a, b


def _fmt(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 1:
        return _fmt(v[0])
    if isinstance(v, np.dtype):
        return str(v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _tensors(args: tuple[Any, ...], who: str) -> tuple[Tensor, ...]:
    """Inputs as Tensors; Python and numpy scalars take the dtype of the tensor inputs, so
    `x * 0.5` stays float32. `who` (the op) names what failed."""
    if len(args) == 2:  # the common case, `tensor op number` or `number op tensor`
        a, b = args
        if isinstance(a, Tensor) and type(b) in _PY_NUMBERS:
            return a, _scalar_like(b, a)
        if isinstance(b, Tensor) and type(a) in _PY_NUMBERS:
            return _scalar_like(a, b), b
    like = None  # the dtype numbers take: a float tensor's, else an integer one's
    for a in args:
        if isinstance(a, Tensor) and (like is None or like._data.dtype.kind != "f"
                                      and a._data.dtype.kind != "b"):
            like = a
    out = []
    for a in args:
        if isinstance(a, Tensor):
            out.append(a)
        elif like is not None and _is_scalar(a):
            out.append(_scalar_like(a, like))
        else:
            out.append(Tensor._make(_as_array(a, None, who), False))
    return tuple(out)


def _scalar_like(v: Any, like: Tensor) -> Tensor:
    """The constant Tensor of the Python or numpy scalar v, in like's dtype (float32 for a
    float and an integer tensor): made once per (value, type, dtype) and shared by every
    `x * 0.5` (the type keeps 1, 1.0 and True apart). A record then costs one object less,
    which Python's collector need not scan; records show each use as a copy of its own
    (`Node.inputs`). A zero is made per use: -0.0 == 0.0 as a key, but not as a factor."""
    dt = like._data.dtype
    key = (v, type(v), dt)
    c = _CONSTANTS.get(key)
    if c is not None:
        return c
    if dt.kind != "f" and isinstance(v, (float, np.floating)):
        dt = _FLOAT32
    elif dt.kind == "b" and not isinstance(v, (bool, np.bool_)):  # bool + 2 is 3, as in PyTorch
        dt = _INT64
    a = np.asarray(v, dt)  # OverflowError for a number beyond a small integer dtype
    a.flags.writeable = False
    c = _Constant._make(a, False)
    if v:
        if len(_CONSTANTS) >= _MAX_CONSTANTS:  # e.g. a loop over many values (or NaNs)
            _CONSTANTS.clear()
        _CONSTANTS[key] = c
    return c


class _Constant(Tensor):
    """A number in an expression, one Tensor shared by all its uses: it never requires grad
    and takes no name, and its read-only array cannot change in place."""

    __slots__ = ()
    _shared = True

    @property
    def requires_grad(self) -> bool:
        return False

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value:
            raise ValueError(f"the constant {self._data} of an expression is shared by every "
                             f"use of that number; make a tensor of your own, e.g. "
                             f"tg.tensor({self._data}, requires_grad=True)")

    @property  # type: ignore[override]
    def name(self) -> None:
        return None

    @name.setter
    def name(self, value: str | None) -> None:
        if value is not None:
            raise ValueError(f"the constant {self._data} of an expression is shared by every "
                             "use of that number and takes no name; name a tensor of your own")


_PY_NUMBERS = {int, float}
_FLOAT32, _INT64 = np.dtype(np.float32), np.dtype(np.int64)
_CONSTANTS: dict[tuple[Any, type, np.dtype], Tensor] = {}  # see _scalar_like
_MAX_CONSTANTS = 512
_FILL_ELEMENTS = 4096  # up to this size a broadcast is filled in: cheaper than a view
_new = object.__new__


# ====================================================================== helpers for rules
def _keep_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape of a reduction over `axis` with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if d in axis else n for d, n in enumerate(shape))


def _kept(g: Tensor, shape: tuple[int, ...], axis: tuple[int, ...] | None) -> Tensor:
    """A reduction's result (or its gradient) over an input of `shape`, with the reduced
    axes kept as size 1, so that it broadcasts against the input in elementwise ops."""
    kept = _keep_shape(shape, axis)
    return g if g.shape == kept else g.reshape(kept)


def _unreduce(g: Tensor, shape: tuple[int, ...], axis: tuple[int, ...] | None) -> Tensor:
    """Broadcast the gradient of a reduction of an input of `shape` back to that shape."""
    return broadcast_to(g if axis is None else _kept(g, shape, axis), shape=shape)


def sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum g down to `shape` (the inverse of broadcasting), as the engine does for every vjp."""
    shape = tuple(shape)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + d] != 1)
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return reshape(g, shape=shape) if g.shape != shape else g


# ====================================================================== elementwise
add = Primitive("add", np.add,
                lambda g, out, a, b: g,
                lambda g, out, a, b: g)
sub = Primitive("sub", np.subtract,
                lambda g, out, a, b: g,
                lambda g, out, a, b: -g)
mul = Primitive("mul", np.multiply,
                lambda g, out, a, b: g * b,
                lambda g, out, a, b: g * a)
def _divide(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """a / b; integers divide to float32, PyTorch's default float (numpy gives float64).
    `out` as for np.divide (in-place updates)."""
    q = np.divide(a, b, out=out)
    return q if out is not None or "f" in (a.dtype.kind, b.dtype.kind) else q.astype(_FLOAT32)


div = Primitive("div", _divide,
                lambda g, out, a, b: g / b,
                lambda g, out, a, b: (g * out) / -b)  # -g·(a/b)/b; -b is the small one
neg = Primitive("neg", np.negative,
                lambda g, out, a: -g)
def _pow_base_vjp(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """d/da a^b = b·a^(b−1), and 0 where b = 0 (a^0 = 1, also at a = 0 where b·a^(b−1) is
    0·inf: the entries where() drops may warn, so they are computed quietly)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * where(equal_mask(b, 0), 0, b * a ** (b - 1))


def _pow_exponent_vjp(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """d/db a^b = a^b·log a: NaN where a < 0 (a^b has no derivative in b there), and at
    a = 0 (where the product is 0·(−inf)) 0 for b ≥ 0 and −inf for b < 0, as in PyTorch."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = out * log(a)
        return g * where(greater(abs(a), 0), d, where(greater(0, b), d, 0))


# a ** b with a tensor exponent
pow = Primitive("pow", np.power, _pow_base_vjp, _pow_exponent_vjp)
# a ** p with a constant exponent p (d/da a^0 = 0 everywhere, as above)
pow_scalar = Primitive("pow", lambda a, exponent: np.power(a, exponent),
                       lambda g, out, a, exponent: (g * (a ** (exponent - 1) * exponent)
                                                    if exponent else g * 0))
square = Primitive("square", lambda a: np.square(a) if a.dtype.kind != "b"
                   else a.astype(_INT64),  # of bools: int64 (b² = b), as in PyTorch
                   lambda g, out, a: g * (a * 2))
exp = Primitive("exp", np.exp,
                lambda g, out, a: g * out)
log = Primitive("log", np.log,
                lambda g, out, a: g / a)
log1p = Primitive("log1p", np.log1p,
                  lambda g, out, a: g / (a + 1))
sqrt = Primitive("sqrt", np.sqrt,
                 lambda g, out, a: g / (out * 2))
sin = Primitive("sin", np.sin,
                lambda g, out, a: g * cos(a))
cos = Primitive("cos", np.cos,
                lambda g, out, a: -(g * sin(a)))
tanh = Primitive("tanh", np.tanh,
                 lambda g, out, a: g - g * (out * out))  # g·(1 - tanh²)
# the functions numpy computes to the last bit where a composition would round on the way
# (log(8)/log(2) is not 3 in float32, exp(x) - 1 loses x near 0): each its own primitive
log2 = Primitive("log2", np.log2,
                 lambda g, out, a: g / (a * math.log(2)))
log10 = Primitive("log10", np.log10,
                  lambda g, out, a: g / (a * math.log(10)))
expm1 = Primitive("expm1", np.expm1,
                  lambda g, out, a: g * (out + 1))
exp2 = Primitive("exp2", np.exp2,
                 lambda g, out, a: g * (out * math.log(2)))
tan = Primitive("tan", np.tan,
                lambda g, out, a: g * (out * out + 1))  # g·(1 + tan²)
asin = Primitive("asin", np.arcsin,
                 lambda g, out, a: g / sqrt(1 - a * a))
acos = Primitive("acos", np.arccos,
                 lambda g, out, a: -g / sqrt(1 - a * a))
atan = Primitive("atan", np.arctan,
                 lambda g, out, a: g / (a * a + 1))
sinh = Primitive("sinh", np.sinh,
                 lambda g, out, a: g * cosh(a))
cosh = Primitive("cosh", np.cosh,
                 lambda g, out, a: g * sinh(a))
asinh = Primitive("asinh", np.arcsinh,
                  lambda g, out, a: g / sqrt(a * a + 1))
atanh = Primitive("atanh", np.arctanh,
                  lambda g, out, a: g / (1 - a * a))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind != "f":  # of integers or bools: float32, as in PyTorch
        a = a.astype(_FLOAT32)
    elif a.dtype.itemsize < 4:  # float16: Horner's sums overflow its range, so in float32
        return _erf(a.astype(_FLOAT32)).astype(a.dtype)
    e = np.exp(-np.abs(a))  # never overflows
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


sigmoid = Primitive("sigmoid", _sigmoid,
                    lambda g, out, a: g * (out - out * out))  # g·σ(1 - σ)


# erf by W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
# for the error function", Math. Comp. 23, 1969; the netlib specfun CALERF coefficients):
# erf(x) = x·R1(x²) for |x| <= 0.46875, else 1 − exp(−x²)·R2(|x|) with the sign of x.
# R2 is Cody's erfc rational for 0.46875..4; beyond 4 it still gives erfc to 1e-11
# relative, far below the float64 spacing of erf near ±1, and |x| is capped at 6.5, where
# erf is ±1 in float64. Within 4 ulp (6.4e-16 relative) of math.erf over the float64 line.
_ERF_NUM = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
            3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_DEN = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
            2.84423683343917062e03)
_ERFC_NUM = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
             2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
             2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_DEN = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
             1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
             3.43936767414372164e03, 1.23033935480374942e03)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _rational(z: np.ndarray, num: tuple[float, ...], den: tuple[float, ...]) -> np.ndarray:
    """Cody's P(z)/Q(z) by Horner's rule: num's last entry leads P, Q is monic."""
    p, q = z * num[-1], z.copy()
    for a, b in zip(num[:-2], den[:-1]):
        p += a
        p *= z
        q += b
        q *= z
    p += num[-2]
    q += den[-1]
    return p / q


def _erf(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind != "f":  # of integers or bools: float32, as in PyTorch
        a = a.astype(_FLOAT32)
    elif a.dtype.itemsize < 4:  # float16: Horner's sums overflow its range, so in float32
        return _erf(a.astype(_FLOAT32)).astype(a.dtype)
    y = np.minimum(np.abs(a), 6.5)  # NaN stays NaN, ±inf gives ±1
    near = np.copysign(y, a)  # = a where it is used; never overflows in the square
    near *= _rational(near * near, _ERF_NUM, _ERF_DEN)
    t = np.trunc(y * 16) / 16  # exp(−y²) = exp(−t²)·exp(−(y − t)(y + t)), each exact enough
    far = _rational(y, _ERFC_NUM, _ERFC_DEN)
    far *= np.exp(-t * t) * np.exp((t - y) * (t + y))
    return np.where(y <= 0.46875, near, np.copysign(1 - far, a))


def _erf_vjp(g: Tensor, out: Tensor, a: Tensor) -> Tensor:
    """d/da erf(a) = 2/√π·exp(−a²); a² may overflow to inf, where exp gives the exact 0."""
    with np.errstate(over="ignore"):
        return g * (exp(-(a * a)) * _TWO_OVER_SQRT_PI)


erf = Primitive("erf", _erf, _erf_vjp)
# relu'(0) = 0, as in PyTorch; out > 0 exactly where a > 0. The backward rules of relu,
# clip and maximum/minimum pass g where the input is active and an exact 0 elsewhere, also
# where g is inf or NaN (PyTorch's threshold_backward and masked_fill: g · 0 would be NaN)
relu = Primitive("relu", lambda a: np.maximum(a, 0),
                 lambda g, out, a: relu_backward(g, out))
abs = Primitive("abs", np.abs,  # PyTorch's too: g · sgn(a), NaN at a = 0 for an inf g
                lambda g, out, a: g * sign(a))
clip = Primitive("clip", lambda a, lo, hi: np.clip(a, lo, hi),
                 lambda g, out, a, lo, hi: gate(g, inside(a, lo=lo, hi=hi)))
# ties send half the gradient to each side, as PyTorch does
maximum = Primitive("maximum", np.maximum,
                    lambda g, out, a, b: gate(g, ge_split(a, b)),
                    lambda g, out, a, b: gate(g, ge_split(b, a)))
minimum = Primitive("minimum", np.minimum,
                    lambda g, out, a, b: gate(g, ge_split(b, a)),
                    lambda g, out, a, b: gate(g, ge_split(a, b)))
def _where(c: np.ndarray, a: Any, b: Any) -> np.ndarray:
    """np.where, with PyTorch's promotion of the two value arrays (_promoted)."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.dtype is not b.dtype:
        a, b = _promoted(a, b)
    return np.where(c, a, b)


where = Primitive("where", _where,
                  None,
                  lambda g, out, c, a, b: where(c, g, 0),
                  lambda g, out, c, a, b: where(c, 0, g))
cast = Primitive("cast", lambda a, dtype: a.astype(dtype),
                 lambda g, out, a, dtype: cast(g, dtype=a.dtype), shape_only=(0,))


# constants: masks and comparisons, whose outputs never carry a gradient
greater = Primitive("greater", np.greater)  # a bool mask: g * mask keeps g's dtype


zeros_like = Primitive("zeros_like", np.zeros_like)


def _flat(g: Tensor, out: Tensor, *inputs: Tensor, **params: Any) -> Tensor:
    """The vjp of a piecewise-constant mask: 0 (wherever its derivative exists)."""
    return zeros_like(g)


_SAME_SIZE_INTS = {2: np.dtype(np.int16), 4: np.dtype(np.int32), 8: np.dtype(np.int64)}
_LARGE_MASK_BYTES = 256 * 1024


def _gated(g: np.ndarray, drop: np.ufunc, a: np.ndarray, b: Any) -> np.ndarray:
    """g, with an exact 0 where drop(a, b) holds (a of g's shape), also where g is inf or
    NaN there. In a float's bits: g AND all-ones where kept, which costs about what g · mask
    does (np.where runs ~6x slower here). A large mask (from 256 KiB, where numpy starts
    reusing temporaries) is compared straight into the integer array, with no bool array."""
    g = np.asarray(g)
    ints = _SAME_SIZE_INTS.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
    if ints is None:
        return np.where(drop(a, b), g.dtype.type(0), g)
    if g.nbytes < _LARGE_MASK_BYTES:
        bits = np.asarray(drop(a, b)).astype(ints)  # 1 where dropped, 0 where kept
    else:
        bits = drop(a, b, out=np.empty(g.shape, ints), casting="unsafe")
    bits -= 1  # 0 where dropped, all ones where kept
    np.bitwise_and(bits, g.view(ints), out=bits)
    return bits.view(g.dtype)


def _relu_backward(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """g, 0 where out <= 0: PyTorch's threshold_backward, which passes g at a NaN."""
    return _gated(g, np.less_equal, out, 0)


def _gate(g: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """g · mask, exactly 0 where the mask is 0. The product is that already unless an inf
    (or NaN) in g met a 0 there; only then, one NaN check later, are those zeroed."""
    with np.errstate(invalid="ignore"):  # inf · 0
        product = np.asarray(g * mask)
    if not product.size or not np.isnan(product.max()):
        return product
    return _gated(product, np.equal, mask, 0)


# relu's rule, g where out > 0 (PyTorch's threshold_backward), and the rule of clip and
# maximum/minimum, g · mask where the mask is not 0, else 0: both are linear in g, constant in
# the other input (a mask, or relu's output, whose changes move no gradient), so a gradient
# taken with create_graph=True depends on the input and differentiates again to zeros (as
# PyTorch's relu does) instead of raising "does not require grad"
relu_backward = Primitive("relu_backward", _relu_backward,
                          lambda gg, out, g, a: relu_backward(gg, a),
                          lambda gg, out, g, a: zeros_like(gg))
gate = Primitive("gate", _gate,
                 lambda gg, out, g, mask: gate(gg, mask),
                 lambda gg, out, g, mask: zeros_like(gg))
# the masks of the piecewise-linear rules (abs, clip, maximum/minimum) have derivative 0: a
# gradient taken with create_graph=True still depends on the input, so differentiating it
# again gives zeros (as PyTorch's abs does) instead of "does not require grad"
sign = Primitive("sign", lambda a: np.sign(a), _flat)
# rounding: piecewise constant, so gradient 0 (PyTorch's too, and its result requires grad)
floor = Primitive("floor", np.floor, _flat)
ceil = Primitive("ceil", np.ceil, _flat)
trunc = Primitive("trunc", np.trunc, _flat)


def _round(a: np.ndarray, decimals: int) -> np.ndarray:
    """rint(a·10^d)/10^d (a/10^−d, rint, ·10^−d for d < 0), as numpy and PyTorch; float16
    in float32, as PyTorch (in float16, 10^d and a·10^d overflow from d = 5, and 7000·10 is
    inf already). Where a·10^d overflows the result is inf or NaN, as PyTorch's, quietly."""
    with np.errstate(over="ignore", invalid="ignore"):
        if a.dtype.itemsize < 4:
            return np.round(a.astype(_FLOAT32), decimals).astype(a.dtype)
        return np.round(a, decimals)


round = Primitive("round", _round, _flat)
inside = Primitive("inside", lambda a, lo, hi: ((a >= lo if lo is not None else True)
                                                & (a <= hi if hi is not None else True)
                                                ).astype(a.dtype), _flat)


def _ge_split(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a's share of the gradient of maximum(a, b): 1 where a > b, ½ where a = b, 0 where
    a < b, and 1 where either is NaN (PyTorch's rule: g, halved at ties, masked where
    a < b). Of minimum(a, b): ge_split(b, a)."""
    dt = _float(a, b)
    share = np.asarray(np.less(a, b)).astype(dt)  # 0-d inputs give a numpy bool
    np.subtract(1, share, out=share)
    share -= np.equal(a, b) * dt.type(0.5)  # in dt: a float64 half would cost 10x here
    return share


ge_split = Primitive("ge_split", _ge_split, _flat, _flat)


def _float(*arrays: np.ndarray) -> np.dtype:
    dt = np.result_type(*arrays)
    return dt if dt.kind == "f" else np.dtype(np.float32)


# ====================================================================== reductions
# ndarray methods rather than np.sum/np.mean/...: the same kernels without the Python-level
# dispatch (several µs per call, which a small op pays in full)
def _sum(a: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    if axis == (0,):  # over the batch: tape.column_sums, BLAS's 1ᵀ·a for 2-D floats
        total = column_sums(a)
        return total.reshape((1,) + total.shape) if keepdims else total
    return a.sum(axis=axis, keepdims=keepdims)


sum = Primitive("sum", _sum,
                lambda g, out, a, axis, keepdims: _unreduce(g, a.shape, axis), shape_only=(0,))


def _count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    return math.prod(shape) if axis is None else math.prod([shape[d] for d in axis])


def _empty_reduction(a: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool,
                     fill: float) -> np.ndarray:
    """A reduction over no elements: `fill` in the reduced shape, in a's float dtype (float32
    for integers), without numpy's warnings about empty slices."""
    shape = np.sum(a, axis=axis, keepdims=keepdims).shape
    return np.full(shape, fill, dtype=a.dtype if a.dtype.kind == "f" else _FLOAT32)


def _mean(a: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    """The float sum divided by the count, in the array's dtype (np.mean's arithmetic minus
    ~5 µs of dispatch); float16 goes to np.mean (which sums it in float32), and integers
    are averaged in float64 and given as float32 (the float dtype of integer arithmetic, as
    for division). The mean of nothing is NaN, as in PyTorch (without np.mean's warnings)."""
    n = _count(a.shape, axis)
    if n == 0:
        return _empty_reduction(a, axis, keepdims, np.nan)
    if a.dtype.kind != "f":
        return np.mean(a, axis=axis, keepdims=keepdims, dtype=np.float64).astype(_FLOAT32)
    if a.dtype.itemsize < 4:
        return np.mean(a, axis=axis, keepdims=keepdims)
    return _sum(a, axis, keepdims) / n


mean = Primitive("mean", _mean,
                 lambda g, out, a, axis, keepdims:
                 _unreduce(g / _count(a.shape, axis), a.shape, axis), shape_only=(0,))


def _extreme_vjp(g: Tensor, out: Tensor, a: Tensor, axis: tuple[int, ...] | None,
                 keepdims: bool) -> Tensor:
    """max/min: the gradient goes to the positions that attain the extreme, split evenly
    among ties (as torch.amax does)."""
    hit = equal_mask(a, _kept(out, a.shape, axis))
    return _kept(g, a.shape, axis) * hit / sum(hit, axis=axis, keepdims=True)


equal_mask = Primitive("equal", lambda a, b: np.equal(a, b).astype(a.dtype))
max = Primitive("max", lambda a, axis, keepdims: a.max(axis=axis, keepdims=keepdims),
                _extreme_vjp)
min = Primitive("min", lambda a, axis, keepdims: a.min(axis=axis, keepdims=keepdims),
                _extreme_vjp)


def _prod(a: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    """Π over axis; integers and bools multiply in int64, as in PyTorch (numpy: uint64 for
    unsigned ones). The product of nothing is 1."""
    return a.prod(axis=axis, keepdims=keepdims,
                  dtype=_INT64 if a.dtype.kind in "iub" else None)


def _prod_vjp(g: Tensor, out: Tensor, a: Tensor, axis: tuple[int, ...] | None,
              keepdims: bool) -> Tensor:
    """d/da_k Π a = Π_{j≠k} a_j, without dividing by a zero: q_k = the product of the
    slice's nonzero entries other than a_k (p/a_k for p their product; p where a_k = 0).
    Where a_k is the slice's only zero, or the slice has none, that is q_k. Where another
    entry is 0, it is 0 (PyTorch's rule: one zero in a slice gets the product of the others,
    two or more zeros make it all 0; NaN if another entry is inf or NaN, as 0·inf), also
    where q_k overflows (the product of the others is 0 then, not 0·inf). That 0 is recorded
    as q_k·W_k (for create_graph=True), W_k = the sum of the other zeros when there is one
    (a_j, whose derivative is then q_k), else 0 (so are their products' first derivatives)."""
    zero = equal_mask(a, 0)  # constants: which entries are 0, how many others are
    others = sum(zero, axis=axis, keepdims=True) - zero
    safe = where(zero, 1, a)
    zeros = where(zero, a, 0)  # the zeros themselves, 0 in value, for their derivative
    bad = where(greater(math.inf, abs(a)), 0, 1)  # constants: entries inf or NaN
    with np.errstate(over="ignore", invalid="ignore"):  # a product past the range: inf
        q = prod(safe, axis=axis, keepdims=True) / safe
    w = where(equal_mask(others, 1), sum(zeros, axis=axis, keepdims=True) - zeros, 0)
    beside = where(greater(sum(bad, axis=axis, keepdims=True) - bad, 0), math.nan,
                   where(greater(math.inf, abs(q)), q, 0) * w)
    return _kept(g, a.shape, axis) * where(equal_mask(others, 0), q, beside)


prod = Primitive("prod", _prod, _prod_vjp)


def _logsumexp(a: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    if not a.size:  # the log of an empty sum: −inf, as in PyTorch
        return _empty_reduction(a, axis, keepdims, -np.inf)
    m = a.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


# d/da logsumexp(a) = softmax(a) = exp(a - logsumexp(a))
logsumexp = Primitive("logsumexp", _logsumexp,
                      lambda g, out, a, axis, keepdims:
                      _kept(g, a.shape, axis) * exp(a - _kept(out, a.shape, axis)))


# out_i = Σ_{j≤i} a_j along axis, so dL/da_j = Σ_{i≥j} g_i: g summed from the far end
cumsum = Primitive("cumsum", lambda a, axis: np.cumsum(a, axis),
                   lambda g, out, a, axis: flip(cumsum(flip(g, axes=(axis,)), axis=axis),
                                                axes=(axis,)))


# ====================================================================== shape
@functools.lru_cache(maxsize=256)
def _inverse(axes: tuple[int, ...]) -> tuple[int, ...]:
    """The permutation that undoes `axes` (made once per permutation)."""
    inverse = [0] * len(axes)
    for i, axis in enumerate(axes):
        inverse[axis] = i
    return tuple(inverse)


# the shape rules call the methods ndarray and Tensor share (reshape(shape), transpose(perm),
# .T, @): on arrays in a first-order sweep they cost no primitive call
reshape = Primitive("reshape", lambda a, shape: a.reshape(shape),
                    lambda g, out, a, shape: g.reshape(a.shape), view=True, shape_only=(0,))
transpose = Primitive("transpose", lambda a, axes: a.transpose(axes),
                      lambda g, out, a, axes: g.transpose(_inverse(axes)),
                      view=True)
# the order along `axes` reversed, copied as PyTorch's flip is (np.flip is a view): a
# permutation that is its own inverse, so its vjp flips g back
flip = Primitive("flip", lambda a, axes: np.flip(a, axes).copy(),
                 lambda g, out, a, axes: flip(g, axes=axes))


def _broadcast_to(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """np.broadcast_to(a, shape), a read-only view; for a C-contiguous `a` made directly
    with zero strides on the broadcast axes (np.broadcast_to's Python-level work costs ~4 µs,
    and every sum and mean vjp broadcasts). A result of at most 4,096 elements is filled in
    instead, cheaper than making the view, and read-only like it."""
    a = np.asarray(a)
    if math.prod(shape) <= _FILL_ELEMENTS and a.ndim <= len(shape):
        out = np.empty(shape, a.dtype)
        try:
            out[...] = a
        except ValueError:
            return np.broadcast_to(a, shape)  # not broadcastable: numpy says why
        out.setflags(write=False)
        return out
    lead = len(shape) - a.ndim
    if lead < 0 or not a.flags.c_contiguous:
        return np.broadcast_to(a, shape)
    strides = [0] * lead
    for n, m, stride in zip(a.shape, shape[lead:], a.strides):
        if n == m:
            strides.append(stride)
        elif n == 1:
            strides.append(0)
        else:
            return np.broadcast_to(a, shape)  # not broadcastable: numpy says why
    view = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
    view.setflags(write=False)
    return view


broadcast_to = Primitive("broadcast_to", _broadcast_to,
                         lambda g, out, a, shape: sum_to(g, a.shape), view=True,
                         shape_only=(0,))


def _index_text(index: Any) -> str:
    """An index tuple as written in Python: '0:2, ...'."""
    def one(k: Any) -> str:
        if isinstance(k, slice):
            return (f"{'' if k.start is None else k.start}:{'' if k.stop is None else k.stop}"
                    + ("" if k.step is None else f":{k.step}"))
        if k is Ellipsis:
            return "..."
        if k is None:
            return "None"
        if isinstance(k, np.ndarray):  # small index arrays by value, others by kind and shape
            if k.dtype != bool and k.size <= 6:
                return str(k.tolist())
            kind = "mask" if k.dtype == bool else f"{k.dtype.name} array"
            return f"{kind} {k.shape}"
        return str(k)

    index = index if isinstance(index, tuple) else (index,)
    return ", ".join(one(k) for k in index)


def _is_advanced(index: tuple[Any, ...]) -> bool:
    return any(isinstance(k, np.ndarray) for k in index)


def _key_text(params: dict[str, Any]) -> str:
    """getitem's key as written: '0, :, :' or, with a second key, '0, :, :][:, [0, 1]'."""
    then = params.get("then")
    return _index_text(params.get("index")) + ("" if then is None else f"][{_index_text(then)}")


def _getitem(a: np.ndarray, index: tuple[Any, ...], then: Any = None) -> np.ndarray:
    return a[index] if then is None else a[index][then]


def _scatter(g: np.ndarray, shape: tuple[int, ...], index: tuple[Any, ...],
             then: Any = None) -> np.ndarray:
    z = np.zeros(shape, dtype=g.dtype)
    if then is not None:
        np.add.at(z[index], then, g)  # z[index] is a view (index is basic): adds into z
    elif _is_advanced(index):
        np.add.at(z, index, g)  # repeated indices accumulate
    else:
        z[index] = g
    return z


# a[index], or a[index][then] (Tensor.__getitem__ splits a key that way to read it as PyTorch
# does: index holds the integers and slices, a view; then the index arrays)
getitem = Primitive("getitem", _getitem,
                    lambda g, out, a, index, then=None: scatter(g, shape=a.shape, index=index,
                                                                then=then),
                    view=True, shape_only=(0,), label=lambda p: f"getitem[{_key_text(p)}]")
# the adjoint of getitem: g placed (added, for repeated indices) into zeros of `shape`
scatter = Primitive("scatter", _scatter,
                    lambda g, out, s, shape, index, then=None: getitem(g, index=index, then=then))


def _concat_vjp(g: Tensor, out: Tensor, *inputs: Tensor, axis: int, i: int) -> Tensor:
    start = int(np.sum([t.shape[axis] for t in inputs[:i]], dtype=np.int64))
    index = (slice(None),) * axis + (slice(start, start + inputs[i].shape[axis]),)
    return getitem(g, index=index)


concatenate = Primitive("concatenate", lambda *arrays, axis: np.concatenate(arrays, axis),
                        _concat_vjp, variadic=True)


# ====================================================================== linear algebra
def _swap(t: Tensor) -> Tensor:
    nd = t.ndim
    return transpose(t, axes=(1, 0) if nd == 2 else tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _column_major(t: Tensor) -> bool:
    """A transposed view (W.T): its gradient is made in the same layout, so that W's own
    gradient comes out contiguous and updates to W run on contiguous arrays."""
    flags = (t._data if isinstance(t, Tensor) else t).flags
    return flags.f_contiguous and not flags.c_contiguous


def _matmul_vjp_a(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> Tensor:
    if a.ndim == 1 and b.ndim == 1:  # dot product: out is a scalar
        return mul(g, b)
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return mul(reshape(g, shape=g.shape + (1,)), b)
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return reshape(matmul(b, reshape(g, shape=g.shape + (1,))), shape=g.shape[:-1]
                       + (b.shape[-2],))
    if a.ndim == 2 and b.ndim == 2:
        return (b @ g.T).T if _column_major(a) else g @ b.T  # (B Gᵀ)ᵀ in a's layout; G Bᵀ
    return matmul(g, _swap(b))  # dL/dA = G Bᵀ


def _matmul_vjp_b(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> Tensor:
    if a.ndim == 1 and b.ndim == 1:
        return mul(g, a)
    if b.ndim == 1:
        gb = matmul(_swap(a), reshape(g, shape=g.shape + (1,)))
        return reshape(gb, shape=gb.shape[:-1])
    if a.ndim == 1:
        return mul(reshape(a, shape=(a.shape[0], 1)), reshape(g, shape=g.shape[:-1] + (1,)
                                                             + g.shape[-1:]))
    if a.ndim == 2 and b.ndim == 2:  # b = W.T, as in x @ W.T: (Gᵀ A)ᵀ, in b's layout
        return (g.T @ a).T if _column_major(b) else a.T @ g  # dL/dB = Aᵀ G
    return matmul(_swap(a), g)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError("matmul needs at least 1-D operands, got a 0-d tensor; use * for "
                         "scalars")
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        raise ShapeError(f"shapes {a.shape} and {b.shape} are not aligned "
                         f"({k_a} != {k_b})")
    return np.matmul(a, b)


matmul = Primitive("matmul", _matmul, _matmul_vjp_a, _matmul_vjp_b)


def _einsum_forward(*arrays: np.ndarray, spec: str) -> np.ndarray:
    # numpy's path optimizer pays off from two operands (BLAS for a contraction)
    return np.einsum(spec, *arrays, optimize=len(arrays) > 1)


@functools.lru_cache(maxsize=256)
def _einsum_grad_spec(spec: str, i: int, shape: tuple[int, ...]
                      ) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The einsum that gives operand i's gradient under `spec` (explicit, without '...'):
    'out,others,extras->term_i', and the extra operands as (kind, size). Operand i's letters
    are summed over in the forward where g and the other operands lack them, so g is
    broadcast along them ('ones', a vector of 1s); a letter repeated in term_i (a diagonal,
    'ii') is renamed, and δ (an 'eye') puts the gradient back on the diagonal."""
    ins, out = spec.split("->")
    terms = ins.split(",")
    others = terms[:i] + terms[i + 1:]
    given = out + "".join(others)
    free = iter(c for c in _LETTERS if c not in spec)
    target, extras, seen = "", [], set()
    for c, n in zip(terms[i], shape):
        if c in seen:  # a repeated letter: the gradient lies on its diagonal
            r = next(free)
            target += r
            extras.append((c + r, "eye", n))
        else:
            target += c
            seen.add(c)
            if c not in given:
                extras.append((c, "ones", n))
    sub = ",".join([out, *others, *(e[0] for e in extras)]) + "->" + target
    return sub, tuple((kind, n) for _, kind, n in extras)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_vjp(g: Tensor, out: Tensor, *operands: Tensor, spec: str, i: int) -> Tensor:
    """dL/dx_i = einsum of g with the other operands into x_i's subscripts (with 1s and δs
    for the letters only x_i has, see _einsum_grad_spec). Where a letter's axis has size 1
    in x_i and n elsewhere, the engine sums the gradient back to 1; where it has size n in
    x_i (0 included) and 1 in all the others, the gradient comes out with size 1 and is
    broadcast to n here (x_i's entries along it all met the same values)."""
    x = operands[i]
    sub, extras = _einsum_grad_spec(spec, i, x.shape)
    dt = x.dtype
    consts = [np.eye(n, dtype=dt) if kind == "eye" else np.ones(n, dt) for kind, n in extras]
    args = (g, *operands[:i], *operands[i + 1:], *consts)
    gx = einsum(len(args))(*args, spec=sub)
    if gx.shape != x.shape:
        gx = broadcast_to(gx, shape=tuple(n if m == 1 else m for m, n in zip(gx.shape,
                                                                             x.shape)))
    return gx


@functools.cache
def einsum(n: int) -> Primitive:
    """The einsum primitive of n operands: forward np.einsum(spec, *operands), one vjp for
    all operands (tg.einsum normalizes `spec` to explicit subscripts without '...')."""
    return Primitive("einsum", _einsum_forward, _einsum_vjp, variadic=True, arity=n)


clone = Primitive("clone", np.copy,
                  lambda g, out, a: g)
