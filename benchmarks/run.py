"""tapegrad's benchmark suite: W1-W7 against the numpy floor, PyTorch and micrograd.

    python benchmarks/run.py [--workloads W1,W2] [--repeats N] [--json out.json] [--quick]

Prints a markdown table (median, min/max over repeats, ratio to the numpy floor and to
PyTorch). Threads are pinned to 1. PyTorch and micrograd are optional (the `bench` extra):
a comparator that is not installed is skipped, and the table says so. The workloads are
described in benchmarks/README.md; each implementation lives in impl_<name>.py and starts
from the same arrays (problems.py).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import threads  # noqa: E402,F401  (before numpy)
from harness import Result, Step, table, time_steps  # noqa: E402
from problems import Sizes  # noqa: E402

COMPARATORS = {"torch": "torch", "micrograd": "micrograd"}


@dataclass
class Workload:
    """One row group of the table: a title, a unit, and which implementations run it.

    `call(module, sizes)` builds an implementation's step; `scale` turns seconds per step
    into the unit."""

    key: str
    title: str
    unit: str
    scale: float
    impls: tuple[str, ...]
    call: Callable[[object, Sizes], Step]


def workloads(s: Sizes) -> list[Workload]:
    every = ("numpy", "tapegrad", "torch")
    out = [
        Workload("W1", "MLP step", "ms", 1e3, every, lambda m, s: m.w1(s)),
        Workload("W2", "chain, per op", "µs", 1e6 / s.chain, every + ("micrograd",),
                 lambda m, s: m.w2(s)),
        Workload("W3", "moons MLP step", "ms", 1e3, every + ("micrograd",),
                 lambda m, s: m.w3(s)),
        Workload("W4", "BN-MLP step", "ms", 1e3, every, lambda m, s: m.w4(s)),
        Workload("W5", "peak memory", "MiB", 1.0, every, lambda m, s: m.w5(s)),
    ]
    first, *longer = s.scalar_chain
    out.append(Workload("W6", f"{first:,}-op chain, per op", "µs", 1e6 / first,
                        every + ("micrograd",), lambda m, s: m.w6(s, first)))
    for n in longer:
        out.append(Workload("W6", f"{n:,}-op chain, per op", "µs", 1e6 / n,
                            ("numpy", "tapegrad"), lambda m, s, n=n: m.w6(s, n)))
    for t in s.loop_steps:
        out.append(Workload("W7", f"RNN unrolled {t:,} steps, per step", "µs", 1e6 / t, every,
                            lambda m, s, t=t: m.w7(s, t)))
    return out


def _available(impl: str) -> bool:
    name = COMPARATORS.get(impl)
    return name is None or importlib.util.find_spec(name) is not None


def _memory(impl: str, repeats: int, quick: bool) -> list[float]:
    """W5: one fresh process per measurement (see memory.py for the method)."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", PYTHONPATH=os.pathsep.join(
        p for p in (os.environ.get("PYTHONPATH"), str(HERE)) if p))
    values = []
    for _ in range(repeats):
        cmd = [sys.executable, str(HERE / "memory.py"), impl] + (["--quick"] if quick else [])
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        values.append(json.loads(out.stdout)["peak_bytes"] / 2**20)
    return values


def run(keys: set[str] | None, repeats: int, quick: bool, only: set[str] | None = None
        ) -> tuple[list[Result], list[str]]:
    """Run the workloads named in `keys` (all by default) with the implementations in
    `only` (all installed ones by default); return the results and notes for the table."""
    sizes = Sizes.quick() if quick else Sizes()
    results: list[Result] = []
    notes = [f"skipped {impl}: not installed (pip install -e '.[bench]')"
             for impl in COMPARATORS if not _available(impl)]
    for w in workloads(sizes):
        if keys and w.key not in keys:
            continue
        label = f"{w.key} {w.title}"
        impls = [i for i in w.impls if _available(i) and (only is None or i in only)]
        print(f"running {label}: {', '.join(impls)}", file=sys.stderr, flush=True)
        if w.unit == "MiB":
            for impl in impls:
                res = Result(label, impl, w.unit)
                try:
                    res.values = _memory(impl, min(repeats, 5), quick)
                except subprocess.CalledProcessError as e:
                    res.error = f"failed: {e.stderr.strip().splitlines()[-1][:60]}"
                results.append(res)
            continue
        makers = {i: (lambda i=i, w=w: w.call(importlib.import_module(f"impl_{i}"), sizes))
                  for i in impls}
        results += time_steps(label, w.unit, w.scale, makers, repeats,
                              min_time=0.002 if quick else 0.05, budget=2 if quick else 30)
    return results, notes


def machine() -> str:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for impl, dist in COMPARATORS.items():
        if _available(impl):
            versions.append(f"{impl} {importlib.metadata.version(dist)}")
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            + ", ".join(versions) + "; 1 thread")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", help="comma-separated, e.g. W1,W2 (default: all)")
    ap.add_argument("--repeats", type=int, default=7, help="timed rounds per implementation")
    ap.add_argument("--json", help="also write every measurement to this file")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    args = ap.parse_args(argv)
    keys = {k.strip().upper() for k in args.workloads.split(",")} if args.workloads else None
    results, notes = run(keys, max(1, args.repeats), args.quick)
    print(f"machine: {machine()}")
    print(f"repeats: {args.repeats}{' (quick sizes)' if args.quick else ''}")
    for note in notes:
        print(note)
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "repeats": args.repeats, "quick": args.quick,
                       "notes": notes, "results": [r.as_dict() for r in results]}, f, indent=1)
    failed = [r for r in results if r.error and r.impl == "tapegrad"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
