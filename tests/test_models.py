"""Our V2 and V3 are torchvision's networks: same module tree, same weights, same outputs."""

from __future__ import annotations

import pytest
import torch
import torchvision

from mobilenets import cost, models

TORCHVISION_TWINS = ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]


def randomise_(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights with BatchNorm statistics that fit them, like a trained network's.

    A fresh network's logits are ~1e-18 and its BN layers are the identity in eval mode, so a
    comparison of two fresh networks proves little. Here every weight is random (He-scaled, so the
    signal survives 50+ layers), and BN's statistics are then re-estimated on random images, so
    activations stay normalised and logits land in a trained network's range.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            scale = (2.0 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1
            p.copy_(torch.randn(p.shape, generator=g) * scale)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.add_(1.0)
    return models.recalibrate_batchnorm(model, torch.randn(16, 3, 96, 96, generator=g), batch_size=8)


@pytest.mark.parametrize("name", TORCHVISION_TWINS)
@pytest.mark.parametrize("width_mult", [1.0, 0.5])
def test_torchvision_state_dict_loads_strictly_and_outputs_match(name, width_mult):
    theirs = randomise_(getattr(torchvision.models, name)(width_mult=width_mult)).eval()
    ours = models.create(name, width_mult=width_mult).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)  # raises on any missing/unexpected key
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = theirs(x), ours(x)
    # The comparison means something only if the output depends on the input and is not tiny.
    assert expected.abs().max() > 0.1 and (expected[0] - expected[1]).abs().max() > 0.01
    assert (got - expected).abs().max().item() <= 1e-5


def test_a_different_architecture_does_not_load():
    # Guards the test above: strict loading really does reject a near miss.
    with pytest.raises(RuntimeError):
        models.create("mobilenet_v3_small").load_state_dict(torchvision.models.mobilenet_v3_large().state_dict())


@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_any_input_size_from_32_pixels(name):
    model = models.create(name, num_classes=10).eval()
    with torch.no_grad():
        for size in (32, 97, 160):
            assert model(torch.randn(1, 3, size, size)).shape == (1, 10)


def test_v1_last_depthwise_has_stride_1_and_feature_map_is_7x7():
    arch = models.architecture("mobilenet_v1")
    assert arch.blocks[-1].stride == 1
    assert cost.analytic_layers(arch, 224)[-2].size_out == 7  # last pointwise conv
    assert len(arch.blocks) == 13  # 13 depthwise/pointwise pairs: 28 layers with the stem and FC


def test_v2_residuals_only_where_shape_is_kept():
    model = models.mobilenet_v2()
    blocks = [m for m in model.features if hasattr(m, "use_res_connect")]
    assert len(blocks) == 17
    assert sum(b.use_res_connect for b in blocks) == 10  # n-1 per stage: 0+1+2+3+2+2+0


def test_v2_first_block_has_no_expand_conv():
    assert len(models.mobilenet_v2().features[1].conv) == 3  # depthwise, project conv, project BN


def test_v3_uses_stock_hardswish_and_se():
    model = models.mobilenet_v3_large()
    assert any(isinstance(m, torch.nn.Hardswish) for m in model.modules())
    assert sum(b.se_squeeze is not None for b in model.arch.blocks) == 8


def test_paper_and_torchvision_width_rules_differ_only_below_1():
    for name in ("mobilenet_v3_large", "mobilenet_v3_small"):
        assert models.architecture(name, width_rule="paper") == models.architecture(name, width_rule="torchvision")
        paper = models.architecture(name, width_mult=0.75, width_rule="paper")
        tv = models.architecture(name, width_mult=0.75, width_rule=models.WidthRule.TORCHVISION)
        assert paper.head == (1280 if name.endswith("large") else 1024)  # head kept at full width
        assert tv.head < paper.head
        assert [b.c_out for b in paper.blocks] == [b.c_out for b in tv.blocks]
        assert [b.c_exp for b in paper.blocks] != [b.c_exp for b in tv.blocks]


def test_recalibrate_batchnorm_normalises_activations():
    model = models.mobilenet_v1(num_classes=10)
    images = torch.randn(8, 3, 64, 64)
    models.recalibrate_batchnorm(model, images)
    assert not model.training
    bn = model.features[0][1]
    assert bn.momentum == 0.1  # restored
    with torch.no_grad():
        stem = model.features[0][0](images)
    assert torch.allclose(bn.running_mean, stem.mean((0, 2, 3)), atol=1e-5)
    with pytest.raises(ValueError, match="images must be a batch"):
        models.recalibrate_batchnorm(model, torch.randn(3, 64, 64))
