"""Timing and reporting: interleaved repeats, medians, and the results table."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from problems import Step


@dataclass
class Result:
    """Measurements of one implementation on one workload, in the workload's unit."""

    workload: str
    impl: str
    unit: str
    values: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else math.nan

    def as_dict(self) -> dict[str, object]:
        return {"workload": self.workload, "impl": self.impl, "unit": self.unit,
                "median": self.median, "min": min(self.values, default=math.nan),
                "max": max(self.values, default=math.nan), "values": self.values,
                "error": self.error}


def _describe(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text[:60]}" if text else type(e).__name__


def time_steps(workload: str, unit: str, scale: float, makers: dict[str, Callable[[], Step]],
               repeats: int, min_time: float = 0.05, budget: float = 30.0) -> list[Result]:
    """Time each implementation's step, interleaving them repeat by repeat.

    Each step is built, run once as a warm-up (and to size the repeat), then timed in
    `repeats` rounds; in each round every implementation runs `number` calls back to back
    (enough to fill `min_time`), in a rotating order so drift on a shared machine hits all
    of them alike. One value is seconds per call times `scale`. An implementation whose
    rounds would exceed `budget` seconds gets fewer rounds (but at least 3, or 1 in quick
    runs with repeats=1). An exception (e.g. micrograd's RecursionError) is reported.

    Time is the process's CPU time (`time.process_time`): with one thread it is the wall
    time on an idle machine, and on a shared one it leaves out the time the scheduler gave
    to other processes (cache and memory-bandwidth contention still show as spread). The
    objects that exist before the timed rounds (the libraries, models and data) are frozen
    out of Python's collections (`gc.freeze`)."""
    results = {name: Result(workload, name, unit) for name in makers}
    steps: dict[str, Step] = {}
    number: dict[str, int] = {}
    rounds: dict[str, int] = {}
    for name, make in makers.items():
        try:
            step = make()
            t0 = time.process_time()
            step()
            first = time.process_time() - t0
            if first < min_time:  # a second warm-up call, now that caches are hot
                t0 = time.process_time()
                step()
                first = time.process_time() - t0
        except (Exception, RecursionError) as e:
            results[name].error = _describe(e)
            continue
        steps[name] = step
        number[name] = max(1, math.ceil(min_time / max(first, 1e-9)))
        rounds[name] = max(min(repeats, 3), min(repeats, int(budget / max(first, 1e-9))))
    names = list(steps)
    # the process has imported every implementation (torch alone makes ~140,000 objects
    # Python's collector tracks); frozen, they are not rescanned by the collections the
    # timed steps trigger, so each implementation pays for the garbage it makes itself
    gc.collect()
    gc.freeze()
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)] if names else []
        for name in order:
            if r >= rounds[name] or results[name].error:
                continue
            step, n = steps[name], number[name]
            gc.collect()
            try:
                t0 = time.process_time()
                for _ in range(n):
                    step()
                elapsed = time.process_time() - t0
            except (Exception, RecursionError) as e:
                results[name].error = _describe(e)
                continue
            results[name].values.append(elapsed / n * scale)
    gc.unfreeze()
    return list(results.values())


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x >= 0.01 else f"{x:.2g}"


def _ratio(res: Result, other: Result | None) -> str:
    if other is None or not other.values or other is res or not other.median:
        return "-"
    return f"{res.median / other.median:.2f}×"


def table(results: list[Result], floor: str = "numpy", reference: str = "torch") -> str:
    """A markdown table: workload, implementation, median, min/max, ratios."""
    by_workload: dict[str, dict[str, Result]] = {}
    for res in results:
        by_workload.setdefault(res.workload, {})[res.impl] = res
    lines = ["| workload | implementation | median | min / max | × numpy floor | × PyTorch |",
             "|---|---|---:|---:|---:|---:|"]
    for workload, impls in by_workload.items():
        base = impls.get(floor)
        ref = impls.get(reference)
        for name, res in impls.items():
            if res.error or not res.values:
                why = res.error or "not run"
                lines.append(f"| {workload} | {name} | {why} | | | |")
                continue
            spread = f"{_fmt(min(res.values))} / {_fmt(max(res.values))}"
            lines.append(f"| {workload} | {name} | {_fmt(res.median)} {res.unit} | {spread} | "
                         f"{_ratio(res, base)} | {_ratio(res, ref)} |")
    return "\n".join(lines)
