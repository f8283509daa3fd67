"""tg.save / tg.load: nested dicts of arrays and plain values in one .npz file.

Arrays go into the archive as entries; everything else (the nesting, numbers, strings,
lists) into a JSON entry. Nothing is ever pickled: loading uses allow_pickle=False and
rejects object arrays, so a file can carry data but never code."""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import zipfile
from typing import Any

import numpy as np

from .tensor import Tensor, device

_STRUCTURE = "__structure__"


def _flatten(obj: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    if isinstance(obj, Tensor):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "fiub":
            raise TypeError(f"save: {path or 'value'} has dtype {obj.dtype}; only numeric "
                            "arrays are saved")
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__array__": key}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)):
                raise TypeError(f"save: key {k!r} at {path or 'top'} must be a str or int")
        return {"__dict__": [[k, _flatten(v, arrays, f"{path}/{k}")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, arrays, f"{path}/{i}") for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot save {type(obj).__name__} at {path or 'top'}; save "
                    "tensors, arrays, numbers, strings, lists and dicts (state_dict())")


def _unflatten(obj: Any, arrays: Any, path: str) -> Any:
    if isinstance(obj, dict):
        if "__array__" in obj:
            return Tensor(arrays[obj["__array__"]])
        if "__tuple__" in obj:
            return tuple(_unflatten(v, arrays, path) for v in obj["__tuple__"])
        return {k: _unflatten(v, arrays, path) for k, v in obj["__dict__"]}
    if isinstance(obj, list):
        return [_unflatten(v, arrays, path) for v in obj]
    return obj


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write obj (a state dict, or any nesting of dicts/lists of tensors and plain values)
    to `path` atomically: a temporary file in the same folder, then a rename, so a crash
    midway leaves any previous file intact.

    As with np.save and torch.save, a symlink is written through (its target gets the new
    contents) and the file gets the mode of the file it replaces, or 0o666 less the umask."""
    arrays: dict[str, np.ndarray] = {}
    structure = _flatten(obj, arrays, "")
    arrays[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    path = os.fspath(path)
    target = os.path.realpath(path)
    tmp = os.path.join(os.path.dirname(target), f".tapegrad-{secrets.token_hex(8)}.tmp")
    try:
        st = os.stat(target)
        mode = stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else None
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise _about(e, path) from None
    try:  # created as 0o666 less the umask, like any new file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _about(e, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.chmod(tmp, mode)
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise _about(e, path) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _about(error: OSError, path: str) -> OSError:
    """The same kind of error, about the path the user gave rather than the temporary file."""
    return type(error)(error.errno, f"save: cannot write {path}: {error.strerror}")


def load(path: str | os.PathLike[str], map_location: Any = None, *,
         weights_only: bool | None = None) -> Any:
    """Read what `save` wrote. Refuses pickles and object arrays (ValueError), and reports a
    truncated or corrupt file as a ValueError naming it.

    torch.load's arguments, so its calls run unchanged: map_location None or the CPU ('cpu',
    tg.device('cpu'); tapegrad's only device, any other is a ValueError), weights_only True,
    False or None (load never unpickles: it reads only arrays and plain values either way)."""
    if map_location is not None:
        try:
            device(map_location)
        except (ValueError, TypeError):
            raise ValueError(f"load: map_location must be None or 'cpu' (tapegrad's only "
                             f"device), got {map_location!r}") from None
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be True, False or None, got {weights_only!r}")
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"load: {path} is not a tapegrad checkpoint (or is corrupt or "
                         f"truncated): {e}") from None
    if _STRUCTURE not in arrays:
        raise ValueError(f"load: {path} is an .npz without tapegrad's structure entry")
    try:
        structure = json.loads(arrays.pop(_STRUCTURE).tobytes().decode())
        return _unflatten(structure, arrays, "")
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"load: {path} has a corrupt structure entry: {e}") from None
