"""Latency with provenance: our networks against torchvision's and against onnxruntime.

What is measured: the wall-clock time of one forward pass (``time.perf_counter``; on CUDA the
device is synchronised before each clock read) of a model in eval mode under
``torch.inference_mode()``, on one fixed random batch, after warm-up runs. We report the median
of at least :data:`MIN_RUNS` timed runs, with p10 and p90 as the spread.

Ours and torchvision's are timed *interleaved*, run by run, so that on a noisy shared machine both
see the same background load; their ratio of medians is the number the book quotes (for V2 and
V3 torchvision has the very same layers, so it should be close to 1). MobileNetV1 has no
torchvision counterpart. onnxruntime runs our exported model on the CPU (CPUExecutionProvider),
with as many intra-op threads as PyTorch.

On a machine shared with other busy processes, PyTorch's OpenMP threads spin-wait for each other
while the kernel gives their core to someone else: multi-threaded times then jump between a fast
and a many-times slower mode. ``OMP_WAIT_POLICY=PASSIVE`` (set before Python starts) or
``--threads 1`` avoids that; the provenance header says how many threads were used.

Command line: ``python -m mobilenets.bench --help``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torchvision

from . import settings
from .export import export_onnx, onnxruntime_session
from .models import MIN_INPUT_SIZE, MODEL_NAMES, create

MIN_RUNS = 20  # below this a median (and p10/p90 even more so) is mostly noise
TORCHVISION_HAS = ("mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")  # V1 is not in torchvision
OURS, TORCHVISION, ONNXRUNTIME = "ours eager", "torchvision eager", "ours onnxruntime"


@dataclass(frozen=True)
class Latency:
    """One latency measurement and the conditions it was taken under (times in milliseconds)."""

    model: str
    implementation: str  # OURS, TORCHVISION or ONNXRUNTIME
    batch: int
    resolution: int
    threads: int
    device: str
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int
    samples_ms: tuple[float, ...] = field(repr=False)

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float], **conditions) -> Latency:
        p10, p90 = np.percentile(samples_ms, [10, 90])
        return cls(median_ms=statistics.median(samples_ms), p10_ms=float(p10), p90_ms=float(p90),
                   runs=len(samples_ms), samples_ms=tuple(samples_ms), **conditions)  # fmt: skip


def _check_int(name: str, value: object, minimum: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}{why}; got {value!r}")
    return value


def _check_runs(runs: object, warmup: object) -> None:
    _check_int("runs", runs, MIN_RUNS, " (fewer timed runs make the median and its p10/p90 spread meaningless)")
    _check_int("warmup", warmup, 0)


@contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` PyTorch intra-op threads, then restore the previous number.

    One thread is how the papers time their networks ("single large core") and is immune to the
    spin-wait slowdowns of multi-threaded runs on a busy machine.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(_check_int("threads", n, 1))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def time_interleaved(
    fns: Mapping[str, Callable[[], object]], *, runs: int, warmup: int, device: torch.device | None = None
) -> dict[str, tuple[float, ...]]:
    """Milliseconds per call of each function, timed in rounds of one call each.

    The order within a round alternates (A B, B A, ...) so that neither function always runs
    right after the other. ``warmup`` untimed rounds come first. Runs under ``inference_mode``.
    """
    _check_runs(runs, warmup)
    sync = torch.cuda.synchronize if device is not None and device.type == "cuda" else (lambda: None)
    names = list(fns)
    samples: dict[str, list[float]] = {name: [] for name in names}
    with torch.inference_mode():
        for i in range(warmup + runs):
            for name in names if i % 2 == 0 else reversed(names):
                sync()
                start = time.perf_counter()
                fns[name]()
                sync()
                if i >= warmup:
                    samples[name].append((time.perf_counter() - start) * 1e3)
    return {name: tuple(s) for name, s in samples.items()}


def time_callable(
    fn: Callable[[], object], *, runs: int, warmup: int, device: torch.device | None = None
) -> tuple[float, ...]:
    """Milliseconds per call of ``fn``: ``warmup`` untimed calls, then ``runs`` timed ones."""
    return time_interleaved({"fn": fn}, runs=runs, warmup=warmup, device=device)["fn"]


def bench_model(
    name: str,
    *,
    batch: int = 1,
    resolution: int = 224,
    runs: int = MIN_RUNS,
    warmup: int = 3,
    threads: int | None = None,
    onnx: bool = True,
    device: torch.device | None = None,
    seed: int = 0,
) -> list[Latency]:
    """Latency of ``name``: ours and torchvision's eager (interleaved), then ours in onnxruntime.

    Both eager models carry the same weights (torchvision's random initialisation, loaded into ours
    with ``strict=True``), so they compute the same numbers. onnxruntime is timed on its own, after
    the eager pair: its spinning worker threads would otherwise take cores from PyTorch's.
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"model must be one of {', '.join(MODEL_NAMES)}; got {name!r}")
    _check_int("batch", batch, 1)
    _check_int("resolution", resolution, MIN_INPUT_SIZE, " pixels (the networks' output stride)")
    _check_runs(runs, warmup)
    threads = _check_int("threads", torch.get_num_threads() if threads is None else threads, 1)
    device = device or settings.device()

    x = torch.randn(batch, 3, resolution, resolution, generator=torch.Generator().manual_seed(seed))
    x_dev = x.to(device)
    ours = create(name).eval()
    models = {OURS: ours}
    if name in TORCHVISION_HAS:
        theirs = torchvision.models.get_model(name, weights=None).eval()
        ours.load_state_dict(theirs.state_dict(), strict=True)
        models[TORCHVISION] = theirs
    conditions = dict(model=name, batch=batch, resolution=resolution, threads=threads)

    with torch_threads(threads):
        fns = {impl: partial(m.to(device), x_dev) for impl, m in models.items()}
        samples = time_interleaved(fns, runs=runs, warmup=warmup, device=device)
        results = [Latency.from_samples(s, implementation=impl, device=str(device), **conditions)
                   for impl, s in samples.items()]  # fmt: skip
        if onnx:
            with tempfile.TemporaryDirectory(prefix="mobilenets-bench-") as tmp:
                path = export_onnx(ours.cpu(), Path(tmp) / f"{name}.onnx", resolution=resolution)
                session = onnxruntime_session(path, threads=threads)
                feed = {"images": x.numpy()}
                s = time_callable(lambda: session.run(None, feed), runs=runs, warmup=warmup)
                results.append(Latency.from_samples(s, implementation=ONNXRUNTIME, device="cpu", **conditions))
    return results


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def ratio(results: Sequence[Latency], numerator: str, denominator: str) -> float | None:
    """Ratio of medians of two implementations of one model; None if one is missing."""
    by_impl = {r.implementation: r for r in results}
    if numerator not in by_impl or denominator not in by_impl:
        return None
    return by_impl[numerator].median_ms / by_impl[denominator].median_ms


def _cell(results: Sequence[Latency], impl: str) -> str:
    r = next((r for r in results if r.implementation == impl), None)
    if r is None:
        return "n/a" if impl == TORCHVISION else "-"
    return f"{r.median_ms:.2f} ({r.p10_ms:.1f}-{r.p90_ms:.1f})"


def _quotient(results: Sequence[Latency], numerator: str, denominator: str) -> str:
    q = ratio(results, numerator, denominator)
    return "n/a" if q is None else f"{q:.3f}"


def format_table(results: Sequence[Latency]) -> str:
    """One row per model; times are "median (p10-p90)" in ms; n/a: no torchvision counterpart."""
    header = ("model", f"{OURS} ms", f"{TORCHVISION} ms", "ours/torchvision", f"{ONNXRUNTIME} ms", "eager/onnxruntime")
    rows = [header]
    for name in dict.fromkeys(r.model for r in results):
        mine = [r for r in results if r.model == name]
        rows.append((name, _cell(mine, OURS), _cell(mine, TORCHVISION), _quotient(mine, OURS, TORCHVISION),
                     _cell(mine, ONNXRUNTIME), _quotient(mine, OURS, ONNXRUNTIME)))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    prof = settings.profile()
    parser = argparse.ArgumentParser(
        prog="python -m mobilenets.bench",
        description="Latency of our MobileNets vs torchvision's (interleaved) and vs onnxruntime.",
    )
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES), metavar="MODEL",
                        help=f"any of {', '.join(MODEL_NAMES)} (default: all)")  # fmt: skip
    parser.add_argument("--batch", type=int, default=1, help="images per forward pass, >= 1 (default 1)")
    parser.add_argument("--resolution", type=int, default=224,
                        help=f"input height = width in pixels, >= {MIN_INPUT_SIZE} (default 224)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=max(MIN_RUNS, prof.latency_repeats),
                        help=f"timed runs per implementation, >= {MIN_RUNS} (default from the profile)")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=prof.latency_warmup, help="untimed runs first, >= 0")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="PyTorch threads and onnxruntime intra-op threads, >= 1")  # fmt: skip
    parser.add_argument("--no-onnx", action="store_true", help="skip the onnxruntime export and timing")
    parser.add_argument("--json", action="store_true", help="print provenance and measurements as JSON")
    args = parser.parse_args(argv)
    checks = [("--batch", args.batch, 1, ""), ("--resolution", args.resolution, MIN_INPUT_SIZE, ""),
              ("--runs", args.runs, MIN_RUNS, ": fewer timed runs make the median meaningless"),
              ("--warmup", args.warmup, 0, ""), ("--threads", args.threads, 1, "")]  # fmt: skip
    for flag, value, minimum, why in checks:
        if value < minimum:
            parser.error(f"argument {flag}: must be >= {minimum}{why}; got {value}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    device = settings.device()
    torch.set_num_threads(args.threads)
    provenance = {**settings.provenance(device), "batch": str(args.batch),
                  "input": f"{args.batch}x3x{args.resolution}x{args.resolution}",
                  "warm-up": str(args.warmup), "runs": str(args.runs)}  # fmt: skip
    results = [
        latency
        for name in args.models
        for latency in bench_model(name, batch=args.batch, resolution=args.resolution, runs=args.runs,
                                   warmup=args.warmup, threads=args.threads, onnx=not args.no_onnx, device=device)
    ]  # fmt: skip
    if args.json:
        print(json.dumps({"provenance": provenance, "measurements": [asdict(r) for r in results]}, indent=1))
        return
    print("\n".join(f"{k}: {v}" for k, v in provenance.items()))
    print("times: median (p10-p90) ms; ours and torchvision timed interleaved; n/a: no torchvision model\n")
    print(format_table(results))


if __name__ == "__main__":
    main()
