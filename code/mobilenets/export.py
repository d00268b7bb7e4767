"""ONNX export, checked twice: ``onnx.checker`` on the file, onnxruntime against PyTorch.

The book uses torch's dynamo-based exporter (``torch.onnx.export(..., dynamo=True)``, the default
since torch 2.9; it needs onnxscript) at opset 18. HardSwish and HardSigmoid exist from opset 14.
Weights are stored inside the .onnx file (these models are far below protobuf's 2 GB limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

OPSET = 18


@dataclass(frozen=True)
class ExportReport:
    path: Path
    opset: int
    size_bytes: int
    max_abs_diff: float  # onnxruntime vs PyTorch on the same random batch
    max_abs_logit: float  # the scale that difference is relative to


def export_onnx(model: nn.Module, path: str | Path, *, resolution: int = 224, batch: int = 1) -> Path:
    """Export ``model`` (in eval mode) to ``path`` with a dynamic batch dimension, and check the file."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 32:
        raise ValueError(f"resolution must be a whole number of pixels >= 32; got {resolution!r}")
    path = Path(path)
    if path.suffix != ".onnx":
        raise ValueError(f"path must end in .onnx; got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    example = torch.randn(batch, 3, resolution, resolution)
    program = torch.onnx.export(
        model,
        (example,),
        dynamo=True,
        opset_version=OPSET,
        input_names=["images"],
        output_names=["logits"],
        dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1, max=1024)}},
        external_data=False,
        verbose=False,
    )
    program.save(path, external_data=False)
    onnx.checker.check_model(str(path), full_check=True)
    return path


def onnxruntime_session(path: str | Path, *, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def parity(
    model: nn.Module, path: str | Path, *, resolution: int = 224, batch: int = 2, seed: int = 0
) -> tuple[float, float]:
    """Max |onnxruntime - PyTorch| over the logits of one random batch, and max |PyTorch logit|."""
    x = torch.randn(batch, 3, resolution, resolution, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        expected = model.eval()(x).numpy()
    (got,) = onnxruntime_session(path).run(None, {"images": x.numpy()})
    return float(np.abs(got - expected).max()), float(np.abs(expected).max())


def export_and_check(model: nn.Module, path: str | Path, *, resolution: int = 224) -> ExportReport:
    """Export, run ``onnx.checker``, and compare onnxruntime with PyTorch."""
    path = export_onnx(model, path, resolution=resolution)
    return ExportReport(path, OPSET, path.stat().st_size, *parity(model, path, resolution=resolution))
