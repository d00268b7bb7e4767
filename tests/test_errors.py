"""Bad input gets a ValueError that names the parameter and what would be accepted."""

from __future__ import annotations

import math

import pytest
import torch

from mobilenets import export, models, settings


@pytest.mark.parametrize("builder", [models.mobilenet_v1, models.mobilenet_v2, models.mobilenet_v3_large,
                                     models.mobilenet_v3_small])  # fmt: skip
@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "1.0", True, None])
def test_width_mult_must_be_a_positive_number(builder, bad):
    with pytest.raises(ValueError, match=r"width_mult must be a positive number.*got"):
        builder(width_mult=bad)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_num_classes_must_be_a_whole_number_from_1(bad):
    with pytest.raises(ValueError, match=r"num_classes must be a whole number >= 1"):
        models.mobilenet_v2(num_classes=bad)


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown model 'mobilenet_v4'; choose one of mobilenet_v1, mobilenet_v2"):
        models.create("mobilenet_v4")


def test_unknown_width_rule_names_the_choices():
    with pytest.raises(ValueError, match=r"width_rule must be one of 'torchvision', 'paper'"):
        models.mobilenet_v3_small(width_mult=0.75, width_rule="tf")


def test_builders_are_keyword_only():
    with pytest.raises(TypeError):
        models.mobilenet_v1(0.5)  # type: ignore[misc]


@pytest.mark.parametrize(
    "shape,message",
    [
        ((1, 1, 224, 224), r"expected 3 input channels \(RGB\); got 1.*Grayscale\(num_output_channels=3\)"),
        ((1, 3, 28, 28), r"at least 32 pixels.*got 28x28.*Resize"),
        ((1, 3, 224, 16), r"at least 32 pixels.*got 224x16"),
        ((3, 224, 224), r"shaped \(N, 3, H, W\); got a tensor of shape \(3, 224, 224\)"),
    ],
)
def test_bad_inputs_say_how_to_fix_them(shape, message):
    with pytest.raises(ValueError, match=message):
        models.mobilenet_v3_small()(torch.zeros(shape))


@pytest.mark.parametrize("resolution", [16, 0, 64.0, True])
def test_export_resolution(tmp_path, resolution):
    with pytest.raises(ValueError, match="resolution must be a whole number of pixels >= 32"):
        export.export_onnx(models.mobilenet_v3_small(), tmp_path / "m.onnx", resolution=resolution)


def test_export_path_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"path must end in \.onnx"):
        export.export_onnx(models.mobilenet_v3_small(), tmp_path / "m.pt")


def test_profile_setting(monkeypatch):
    monkeypatch.setenv(settings.PROFILE_VAR, "fast")
    with pytest.raises(ValueError, match=r"MOBILENETS_PROFILE must be one of cpu, gpu; got 'fast'"):
        settings.profile()
    monkeypatch.setenv(settings.PROFILE_VAR, "gpu")
    assert settings.profile().name == "gpu"


def test_device_setting(monkeypatch):
    monkeypatch.setenv(settings.DEVICE_VAR, "tpu:7")
    with pytest.raises(ValueError, match="MOBILENETS_DEVICE must be a torch device"):
        settings.device()
    if not torch.cuda.is_available():
        monkeypatch.setenv(settings.DEVICE_VAR, "cuda")
        with pytest.raises(ValueError, match="no CUDA device is available"):
            settings.device()
