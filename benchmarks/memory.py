"""W5 child process: peak resident memory of one forward+backward of W1's MLP.

    python benchmarks/memory.py IMPL [--quick]    (prints JSON: {"peak_bytes": ...})

Run by run.py in a fresh process per measurement, with MALLOC_MMAP_THRESHOLD_ fixed at
64 KiB so that every array above that size is mmap'ed and returned to the OS when freed
(otherwise glibc's dynamic threshold keeps freed blocks on its heap, and what counts depends
on history). The method is the same for numpy, tapegrad and PyTorch, whose CPU allocator
also goes through malloc: build the model and data, run one step as a warm-up (lazy
initialisation), then reset the kernel's high-water mark (`5 > /proc/self/clear_refs`), run
one more step and report VmHWM - VmRSS-before: the memory the step itself needed at its
peak (activations, saved values, gradients, temporaries), not the model or the input.
"""

from __future__ import annotations

import json
import sys

import threads  # noqa: F401  (pins BLAS/OpenMP threads before numpy or torch load)
from problems import Sizes


def _status_kib() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


def measure(impl: str, sizes: Sizes) -> int:
    """Peak bytes of one forward+backward above the resident memory before it."""
    module = __import__(f"impl_{impl}")
    step = module.w5(sizes)
    step()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status_kib()["VmRSS"]
    result = step()
    peak = _status_kib()["VmHWM"]
    del result
    return (peak - before) * 1024


def main() -> None:
    impl = sys.argv[1]
    sizes = Sizes.quick() if "--quick" in sys.argv[2:] else Sizes()
    print(json.dumps({"impl": impl, "peak_bytes": measure(impl, sizes)}))


if __name__ == "__main__":
    main()
