"""mobilenets.bench: the timer, its argument checks, and the command line end to end.

Everything runs at 64x64 on one or two models so the file takes seconds. The library's rule of at
least 20 timed runs is kept here too: tests use the real minimum, not a test-only shortcut.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from mobilenets import bench

SMALL = "mobilenet_v3_small"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mobilenets.bench", *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_timer_calls_warmup_then_runs_and_reports_a_median_inside_its_samples():
    calls = []
    samples = bench.time_callable(lambda: calls.append(torch.ones(64).sum()), runs=25, warmup=4)
    assert len(calls) == 4 + 25 and len(samples) == 25
    latency = bench.Latency.from_samples(samples, model="m", implementation="fn", batch=1, resolution=64,
                                         threads=1, device="cpu")  # fmt: skip
    assert latency.runs == 25
    assert min(samples) <= latency.p10_ms <= latency.median_ms <= latency.p90_ms <= max(samples)
    assert all(s > 0 for s in samples)


def test_interleaved_timer_alternates_the_order_within_rounds():
    order = []
    bench.time_interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, runs=20, warmup=0)
    assert order[:4] == ["a", "b", "b", "a"] and order.count("a") == order.count("b") == 20


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"runs": 19}, "runs"),
        ({"warmup": -1}, "warmup"),
        ({"batch": 0}, "batch"),
        ({"resolution": 16}, "resolution"),
        ({"threads": 0}, "threads"),
        ({"name": "mobilenet_v4"}, "model"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_the_parameter(kwargs, parameter):
    kwargs = {"name": SMALL, "resolution": 64, **kwargs}
    with pytest.raises(ValueError, match=parameter):
        bench.bench_model(**kwargs)


def test_timer_rejects_too_few_runs_and_says_why():
    with pytest.raises(ValueError, match="runs must be a whole number >= 20.*meaningless"):
        bench.time_callable(lambda: None, runs=5, warmup=0)


def test_ours_and_torchvision_have_comparable_latency():
    # A sanity band only: CI runners are shared and noisy, and 64x64 inputs are dominated by
    # per-layer overhead. The book's ±10% claim is measured with the real defaults (224x224,
    # all four models) by `python -m mobilenets.bench` and reported, not asserted here.
    # One thread: on a busy 2-core runner two OpenMP threads spin-wait for each other and the
    # medians jump between a fast and a slow mode (ratios from 0.8 to 1.6 seen); one thread does not.
    results = bench.bench_model(SMALL, resolution=64, runs=20, warmup=3, threads=1, onnx=False,
                                device=torch.device("cpu"))  # fmt: skip
    assert [r.implementation for r in results] == [bench.OURS, bench.TORCHVISION]
    assert 0.5 <= bench.ratio(results, bench.OURS, bench.TORCHVISION) <= 2.0


def test_mobilenet_v1_has_no_torchvision_counterpart():
    results = bench.bench_model("mobilenet_v1", resolution=64, runs=20, warmup=1, onnx=False)
    assert [r.implementation for r in results] == [bench.OURS]
    assert bench.ratio(results, bench.OURS, bench.TORCHVISION) is None
    row = bench.format_table(results).splitlines()[-1].split()
    assert row[0] == "mobilenet_v1" and "n/a" in row


def test_cli_prints_the_provenance_header_and_one_row_per_model():
    proc = run_cli("--models", SMALL, "--resolution", "64", "--runs", "20", "--no-onnx")
    assert proc.returncode == 0, proc.stderr
    for key in ("device:", "torch:", "onnxruntime:", "threads:", "batch: 1", "input: 1x3x64x64", "warm-up:",
                "runs: 20"):  # fmt: skip
        assert key in proc.stdout
    header = next(l for l in proc.stdout.splitlines() if l.startswith("model"))
    assert "ours/torchvision" in header and "eager/onnxruntime" in header
    row = next(l for l in proc.stdout.splitlines() if l.startswith(SMALL)).split()
    assert float(row[1]) > 0 and float(row[-3]) > 0  # ours ms, ours/torchvision
    assert row[-2:] == ["-", "n/a"]  # onnxruntime skipped


def test_cli_json_parses_and_includes_onnxruntime():
    proc = run_cli("--models", SMALL, "--resolution", "64", "--runs", "20", "--warmup", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["provenance"]["runs"] == "20"
    measured = {m["implementation"]: m for m in report["measurements"]}
    assert set(measured) == {bench.OURS, bench.TORCHVISION, bench.ONNXRUNTIME}
    assert all(m["runs"] == len(m["samples_ms"]) == 20 and m["median_ms"] > 0 for m in measured.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "resnet50"], "--models: invalid choice"),
        (["--runs", "10"], "--runs: must be >= 20: fewer timed runs make the median meaningless"),
        (["--batch", "0"], "--batch: must be >= 1"),
        (["--resolution", "31"], "--resolution: must be >= 32"),
    ],
)
def test_cli_rejects_bad_arguments_with_a_clear_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:  # argparse's error: usage, message, exit status 2
        bench.parse_args(args)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
