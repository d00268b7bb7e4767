"""ONNX export: a file onnx.checker accepts, and onnxruntime agrees with PyTorch."""

from __future__ import annotations

import onnx
import pytest

from mobilenets import export, models

from .test_models import randomise_


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_export_checks_and_matches_pytorch(name, tmp_path):
    model = randomise_(models.create(name, num_classes=10)).eval()
    report = export.export_and_check(model, tmp_path / f"{name}.onnx", resolution=96)
    onnx.checker.check_model(str(report.path), full_check=True)
    assert onnx.load(str(report.path)).opset_import[0].version == export.OPSET >= 14
    assert report.max_abs_logit > 0.1  # a randomised, BN-calibrated network: not a comparison of zeros
    assert report.max_abs_diff <= 1e-4


def test_exported_graph_takes_any_batch(tmp_path):
    import numpy as np

    path = export.export_onnx(models.mobilenet_v3_small(num_classes=5), tmp_path / "m.onnx", resolution=64)
    session = export.onnxruntime_session(path)
    for batch in (1, 3):
        (logits,) = session.run(None, {"images": np.zeros((batch, 3, 64, 64), dtype=np.float32)})
        assert logits.shape == (batch, 5)


def test_v3_hardswish_is_a_native_onnx_op(tmp_path):
    path = export.export_onnx(models.mobilenet_v3_small(), tmp_path / "m.onnx", resolution=64)
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert "HardSwish" in ops and "HardSigmoid" in ops
