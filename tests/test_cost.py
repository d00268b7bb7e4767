"""The analytic cost model equals a measurement, layer by layer, for every network."""

from __future__ import annotations

import pytest
import torch

from mobilenets import cost, models
from mobilenets.blocks import DepthwiseSeparable

CASES = [
    ("mobilenet_v1", 1.0, 224, "torchvision"),
    ("mobilenet_v1", 0.5, 160, "torchvision"),
    ("mobilenet_v2", 1.0, 224, "torchvision"),
    ("mobilenet_v2", 1.4, 192, "torchvision"),
    ("mobilenet_v3_large", 1.0, 224, "torchvision"),
    ("mobilenet_v3_large", 0.75, 224, "paper"),
    ("mobilenet_v3_small", 0.75, 128, "torchvision"),
    ("mobilenet_v3_small", 1.0, 97, "paper"),  # an odd size: the rounding of strided convs matters
]


@pytest.mark.parametrize("name,width_mult,resolution,rule", CASES)
def test_analytic_equals_flop_counter_per_layer(name, width_mult, resolution, rule):
    arch = models.architecture(name, width_mult=width_mult, width_rule=rule)
    analytic = {l.path: l.macs for l in cost.analytic_layers(arch, resolution)}
    measured = cost.measured_macs(models.MobileNet(arch), resolution)
    assert analytic == measured


@pytest.mark.parametrize("name,width_mult,resolution,rule", CASES)
def test_analytic_parameters_equal_the_module(name, width_mult, resolution, rule):
    arch = models.architecture(name, width_mult=width_mult, width_rule=rule)
    model = models.MobileNet(arch)
    layers = cost.analytic_layers(arch, resolution)
    assert cost.totals(layers).all_params == cost.parameter_count(model)
    modules = dict(model.named_modules())
    for layer in layers:  # each row names a real module with exactly that many weights + biases
        assert sum(p.numel() for p in modules[layer.path].parameters()) == layer.params


def test_totals_match_the_whole_network_count():
    model = models.mobilenet_v1()
    layers = cost.analytic_layers(model.arch, 224)
    assert cost.totals(layers).macs == cost.measured_total_macs(model) == 568_740_352


def test_separable_formula_matches_a_real_layer():
    k, m, n, f = 3, 64, 128, 28
    measured = cost.measured_total_macs(DepthwiseSeparable(m, n, stride=1), resolution=f, channels=m)
    assert measured == cost.separable_conv_macs(k, m, n, f)
    standard = torch.nn.Conv2d(m, n, k, padding=1, bias=False)
    assert cost.measured_total_macs(standard, resolution=f, channels=m) == cost.standard_conv_macs(k, m, n, f)


def test_layer_table_has_one_row_per_layer():
    layers = cost.analytic_layers(models.architecture("mobilenet_v1"), 224)
    table = cost.layer_table(layers)
    assert len(table) == len(layers) == 28
    assert table["mult-adds (M)"].sum() == pytest.approx(568.74, abs=0.01)


def test_measured_macs_leaves_model_mode_unchanged():
    model = models.mobilenet_v3_small().train()
    cost.measured_macs(model, 64)
    cost.measured_total_macs(model, 64)
    assert model.training
