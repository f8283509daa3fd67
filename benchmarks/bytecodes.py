"""Python bytecodes tapegrad executes per op, by function: a count that does not drift.

    python benchmarks/bytecodes.py [--ops N] [--top K]

Times on a shared machine wander by 10-30% from one run to the next, more than most single
changes to the engine move them. The number of bytecode instructions the interpreter runs is
exact and repeatable. This runs W2's chain (N ops on a (4,) tensor, sum, backward) once to
warm up and once under a tracer that counts every instruction (`sys.settrace` with
`f_trace_opcodes`), and prints instructions per op for tapegrad's functions (the engine) and
for the rest (the chain's own loop). numpy's C work is not counted, and instructions differ
in cost, so the count measures the Python bookkeeping per op, not time.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import threads  # noqa: E402,F401  (before numpy)

# isort: split
import impl_tapegrad  # noqa: E402
from problems import Sizes  # noqa: E402

import tapegrad  # noqa: E402

PACKAGE = Path(tapegrad.__file__).parent


def count(ops: int) -> Counter[tuple[str, str]]:
    """Instructions run by one W2 step of `ops` ops, per (source file, function)."""
    step = impl_tapegrad.w2(Sizes(chain=ops))
    step()  # warm-up: imports and caches are not counted
    counts: Counter[tuple[str, str]] = Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            counts[(code.co_filename, code.co_qualname)] += 1
        return tracer

    previous = sys.gettrace()  # e.g. a coverage tool's, put back afterwards
    sys.settrace(tracer)
    try:
        step()
    finally:
        sys.settrace(previous)
    return counts


def main(argv: list[str] | None = None) -> Counter[tuple[str, str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000, help="length of the chain")
    parser.add_argument("--top", type=int, default=12, help="functions to list")
    args = parser.parse_args(argv)
    counts = count(args.ops)
    total = sum(counts.values())
    engine = sum(n for (file, _), n in counts.items() if Path(file).is_relative_to(PACKAGE))
    print(f"W2 chain of {args.ops} ops: {total / args.ops:.1f} bytecodes per op, "
          f"{engine / args.ops:.1f} of them in tapegrad")
    for (file, function), n in counts.most_common(args.top):
        print(f"{n / args.ops:8.1f}  {Path(file).name}:{function}")
    return counts


if __name__ == "__main__":
    main()
