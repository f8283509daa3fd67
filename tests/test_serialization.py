import os
import pickle
import stat

import numpy as np
import pytest

import tapegrad as tg


def test_round_trip_nested(tmp_path):
    obj = {"w": tg.tensor(np.arange(6.0).reshape(2, 3)), "b": np.array([1, 2], np.int64),
           "meta": {"step": 3, "lr": 0.1, "betas": (0.9, 0.999), "name": "adam", "none": None},
           "list": [tg.tensor([1.0]), 2]}
    path = tmp_path / "ckpt.npz"
    tg.save(obj, path)
    back = tg.load(path)
    np.testing.assert_array_equal(back["w"].numpy(), obj["w"].numpy())
    assert back["w"].dtype == np.float64 and back["b"].dtype == np.int64
    assert back["meta"] == obj["meta"] and back["list"][1] == 2


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.tensor([1.0, 2.0])}, path)

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="simulated"):
        tg.save({"w": tg.tensor([9.0, 9.0])}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["w"].numpy(), [1.0, 2.0])
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]  # no temporary left behind


class _Payload:
    def __reduce__(self):
        return (open, (os.environ["TG_MARKER"], "w"))


def test_load_never_unpickles(tmp_path, monkeypatch):
    marker = tmp_path / "executed"
    monkeypatch.setenv("TG_MARKER", str(marker))
    pickled = tmp_path / "evil.npz"
    pickled.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(ValueError, match="evil.npz"):
        tg.load(pickled)
    objarr = tmp_path / "objects.npz"
    np.savez(objarr, x=np.array([_Payload()], dtype=object))
    with pytest.raises(ValueError, match="objects.npz"):
        tg.load(objarr)
    assert not marker.exists()


def test_corrupt_and_truncated_files(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.randn(100)}, path)
    data = path.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="trunc.npz"):
        tg.load(tmp_path / "trunc.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="junk.npz"):
        tg.load(tmp_path / "junk.npz")
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        tg.load(plain)


def test_save_refuses_objects(tmp_path):
    with pytest.raises(TypeError, match="cannot save"):
        tg.save({"f": lambda: 0}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_save_respects_the_umask_and_an_existing_files_mode(tmp_path):
    """As np.save: a new file gets 0o666 less the umask, a replaced file keeps its mode."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "ckpt.npz"
        tg.save({"w": tg.tensor([1.0])}, path)
        np.save(tmp_path / "reference.npy", np.ones(1))
        assert stat.S_IMODE(path.stat().st_mode) == 0o644 == stat.S_IMODE(
            (tmp_path / "reference.npy").stat().st_mode)
        os.umask(0o077)
        tg.save({"w": tg.tensor([1.0])}, tmp_path / "private.npz")
        assert stat.S_IMODE((tmp_path / "private.npz").stat().st_mode) == 0o600
        path.chmod(0o664)
        tg.save({"w": tg.tensor([2.0])}, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
        assert tg.load(path)["w"].item() == 2.0
    finally:
        os.umask(old)


def test_save_writes_through_a_symlink(tmp_path):
    run = tmp_path / "runs" / "run3.npz"
    run.parent.mkdir()
    tg.save({"epoch": 1}, run)
    latest = tmp_path / "latest.npz"
    latest.symlink_to(run)
    tg.save({"epoch": 2}, latest)
    assert latest.is_symlink() and tg.load(run) == {"epoch": 2}
    dangling = tmp_path / "next.npz"
    dangling.symlink_to(tmp_path / "runs" / "run4.npz")
    tg.save({"epoch": 3}, dangling)
    assert dangling.is_symlink() and tg.load(tmp_path / "runs" / "run4.npz") == {"epoch": 3}
    assert sorted(os.listdir(run.parent)) == ["run3.npz", "run4.npz"]


def test_save_errors_name_the_given_path(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "ckpt.npz"
    with pytest.raises(FileNotFoundError, match=f"save: cannot write {missing}: No such") as e:
        tg.save({"a": 1}, missing)
    assert ".tmp" not in str(e.value)
    with pytest.raises(IsADirectoryError, match=f"save: cannot write {tmp_path}: Is a dir"):
        tg.save({"a": 1}, tmp_path)
    assert os.listdir(tmp_path) == []


def test_load_takes_torch_load_s_arguments(tmp_path):
    # torch.load(path, map_location="cpu", weights_only=True) runs unchanged
    w = np.arange(6.0).reshape(2, 3)
    tg.save({"w": tg.tensor(w), "epoch": 3}, tmp_path / "c.pt")
    for kwargs in ({"map_location": "cpu"}, {"map_location": tg.device("cpu")},
                   {"weights_only": True}, {"weights_only": False},
                   {"map_location": "cpu:0", "weights_only": True}):
        back = tg.load(tmp_path / "c.pt", **kwargs)
        np.testing.assert_array_equal(back["w"].numpy(), w)
        assert back["epoch"] == 3
    np.testing.assert_array_equal(tg.load(tmp_path / "c.pt", "cpu")["w"].numpy(), w)
    for bad in ("cuda", "cuda:0", {"cuda:0": "cpu"}, lambda s, loc: s):
        with pytest.raises(ValueError, match="load: map_location must be None or 'cpu'"):
            tg.load(tmp_path / "c.pt", map_location=bad)
    with pytest.raises(TypeError, match="load: weights_only must be True, False or None"):
        tg.load(tmp_path / "c.pt", weights_only="yes")
