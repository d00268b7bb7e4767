"""The one place that reads environment variables: execution profile, device, data folder.

Nothing is decided at import time; each function reads the environment when called.

- ``MOBILENETS_PROFILE``: ``cpu`` (small subsets, short runs: the whole book builds in minutes on
  a 2-core laptop) or ``gpu`` (the full runs the published site shows). Default: ``gpu`` when a
  CUDA device is available, else ``cpu``.
- ``MOBILENETS_DEVICE``: a torch device string (``cpu``, ``cuda``, ``cuda:1``). Default: ``cuda``
  when available, else ``cpu``.
- ``MOBILENETS_DATA``: where datasets live. Default: ``~/.cache/mobilenets/data``.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch

PROFILE_VAR, DEVICE_VAR, DATA_VAR = "MOBILENETS_PROFILE", "MOBILENETS_DEVICE", "MOBILENETS_DATA"


@dataclass(frozen=True)
class Profile:
    """How much work the heavy cells do."""

    name: str
    latency_repeats: int  # timed runs per latency measurement (the median is reported)
    latency_warmup: int


PROFILES = {
    "cpu": Profile("cpu", latency_repeats=20, latency_warmup=3),
    "gpu": Profile("gpu", latency_repeats=100, latency_warmup=10),
}


def profile() -> Profile:
    name = os.environ.get(PROFILE_VAR) or ("gpu" if torch.cuda.is_available() else "cpu")
    if name not in PROFILES:
        raise ValueError(f"{PROFILE_VAR} must be one of {', '.join(PROFILES)}; got {name!r}")
    return PROFILES[name]


def device() -> torch.device:
    wanted = os.environ.get(DEVICE_VAR) or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(wanted)
    except RuntimeError as err:
        raise ValueError(f"{DEVICE_VAR} must be a torch device such as 'cpu' or 'cuda'; got {wanted!r}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{DEVICE_VAR}={wanted!r} but no CUDA device is available; unset it or use 'cpu'")
    return dev


def data_dir() -> Path:
    return Path(os.environ.get(DATA_VAR) or Path.home() / ".cache" / "mobilenets" / "data").expanduser()


def device_name(dev: torch.device) -> str:
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    cpuinfo = Path("/proc/cpuinfo")  # Linux: the CPU's marketing name; elsewhere the architecture
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def provenance(dev: torch.device | None = None) -> dict[str, str]:
    """What produced a page's numbers: profile, device, versions, threads."""
    import onnxruntime  # imported here: only provenance needs it

    dev = dev or device()
    return {
        "profile": profile().name,
        "device": f"{dev.type} ({device_name(dev)})",
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "threads": str(torch.get_num_threads()),
        "python": platform.python_version(),
    }


def provenance_line(dev: torch.device | None = None) -> str:
    return " · ".join(f"{k} {v}" for k, v in provenance(dev).items())
