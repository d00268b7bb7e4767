"""Mult-adds and parameters: the papers' formulas, and a measurement that checks them.

Counting convention (the one the three papers' tables use):

- mult-adds (MACs) of every convolution and fully connected layer, the SE convs included:
  a k x k conv with C_in/g inputs per group and C_out outputs on an H x W output map costs
  ``k² · (C_in/g) · C_out · H · W``;
- not counted: BatchNorm, activations, pooling, the residual additions, SE's channel scaling;
- parameters: conv and FC weights and biases (``params``), BatchNorm's γ and β apart
  (``bn_params``), so totals can be compared with the papers (which leave BN out) and with
  ``sum(p.numel())`` (which counts it).

``analytic_layers`` computes these from an :class:`~mobilenets.models.Architecture` alone (pure
functions, no module is built). ``measured_macs`` runs the network under
``torch.utils.flop_counter.FlopCounterMode`` and halves its FLOPs (it counts 2 per mult-add).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .models import Architecture, BlockKind


class LayerType(enum.Enum):
    """Layer types of MobileNetV1's Table 2, plus the layers V2 and V3 add."""

    CONV = "Conv 3x3 (full)"
    DEPTHWISE = "Conv DW"
    POINTWISE = "Conv 1x1"
    SE = "SE 1x1"
    FC = "Fully connected"


@dataclass(frozen=True)
class LayerCost:
    """One conv or linear layer: where it sits in the module tree and what it costs."""

    path: str  # module name in the model, e.g. "features.3.conv.1"
    type: LayerType
    c_in: int
    c_out: int
    kernel: int
    stride: int
    groups: int
    size_in: int  # input height = width
    size_out: int
    macs: int
    params: int  # weights + biases
    bn_params: int  # γ and β of the BatchNorm that follows, if any


def out_size(size: int, kernel: int, stride: int) -> int:
    """Output size of a conv with padding (k-1)//2: ⌊(size + 2·pad - k) / s⌋ + 1."""
    return (size + 2 * ((kernel - 1) // 2) - kernel) // stride + 1


def conv_macs(c_in: int, c_out: int, kernel: int, size_out: int, groups: int = 1) -> int:
    """D_K² · (M/g) · N · D_F²: the mult-adds of a k x k conv (V1 paper eq. 2 for g=1, eq. 4's first term for g=M)."""
    return kernel * kernel * (c_in // groups) * c_out * size_out * size_out


def conv_params(c_in: int, c_out: int, kernel: int, groups: int = 1, bias: bool = False) -> int:
    return kernel * kernel * (c_in // groups) * c_out + (c_out if bias else 0)


def standard_conv_macs(kernel, m, n, size):
    """D_K · D_K · M · N · D_F · D_F: a standard conv, M inputs, N outputs, D_F x D_F output map (V1 eq. 2)."""
    return kernel * kernel * m * n * size * size


def separable_conv_macs(kernel, m, n, size, alpha=1.0, rho=1.0):
    """αM · D_K² · (ρD_F)² + αM · αN · (ρD_F)²: depthwise plus pointwise at multipliers α, ρ (V1 eq. 6).

    Works on numbers and on numpy arrays alike.
    """
    return alpha * m * kernel**2 * (rho * size) ** 2 + alpha * m * alpha * n * (rho * size) ** 2


def reduction(alpha, rho, n, kernel=3):
    """r = αρ²/N + α²ρ²/D_K²: the cost of a depthwise-separable conv at α, ρ over a standard conv's.

    (``separable_conv_macs(k, M, N, D_F, α, ρ) / standard_conv_macs(k, M, N, D_F)``; M and D_F cancel.)
    """
    return alpha * rho**2 / n + alpha**2 * rho**2 / kernel**2


def _conv(path, c_in, c_out, kernel, stride, size, *, groups=1, bias=False, bn=True) -> LayerCost:
    if groups == c_in and c_in == c_out and groups > 1:
        kind = LayerType.DEPTHWISE
    elif kernel == 1:
        kind = LayerType.SE if bias else LayerType.POINTWISE
    else:
        kind = LayerType.CONV
    s_out = out_size(size, kernel, stride)
    return LayerCost(path, kind, c_in, c_out, kernel, stride, groups, size, s_out,
                     conv_macs(c_in, c_out, kernel, s_out, groups), conv_params(c_in, c_out, kernel, groups, bias),
                     2 * c_out if bn else 0)  # fmt: skip


def _fc(path: str, c_in: int, c_out: int) -> LayerCost:
    return LayerCost(path, LayerType.FC, c_in, c_out, 1, 1, 1, 1, 1, c_in * c_out, c_in * c_out + c_out, 0)


def analytic_layers(arch: Architecture, resolution: int = 224) -> list[LayerCost]:
    """Every conv and linear layer of ``arch`` at input size ``resolution``, in execution order."""
    layers = [_conv("features.0.0", 3, arch.stem, 3, 2, resolution)]
    size = layers[0].size_out
    for i, b in enumerate(arch.blocks, start=1):
        p = f"features.{i}"
        if b.kind is BlockKind.DEPTHWISE_SEPARABLE:
            block = [_conv(f"{p}.0.0", b.c_in, b.c_in, 3, b.stride, size, groups=b.c_in)]
            block.append(_conv(f"{p}.1.0", b.c_in, b.c_out, 1, 1, block[0].size_out))
        else:
            container = "conv" if b.kind is BlockKind.LINEAR_BOTTLENECK else "block"
            j, block = 0, []
            if b.c_exp != b.c_in:
                block.append(_conv(f"{p}.{container}.0.0", b.c_in, b.c_exp, 1, 1, size))
                j = 1
            dw = _conv(f"{p}.{container}.{j}.0", b.c_exp, b.c_exp, b.kernel, b.stride, size, groups=b.c_exp)
            block.append(dw)
            j += 1
            if b.se_squeeze is not None:
                block.append(_conv(f"{p}.{container}.{j}.fc1", b.c_exp, b.se_squeeze, 1, 1, 1, bias=True, bn=False))
                block.append(_conv(f"{p}.{container}.{j}.fc2", b.se_squeeze, b.c_exp, 1, 1, 1, bias=True, bn=False))
                j += 1
            # V2 keeps the projection as a bare conv + BN (torchvision's tree); V3 as a ConvNormAct.
            project = f"{p}.{container}.{j}" + ("" if b.kind is BlockKind.LINEAR_BOTTLENECK else ".0")
            block.append(_conv(project, b.c_exp, b.c_out, 1, 1, dw.size_out))
        layers += block
        size = block[-1].size_out
    if arch.last_conv is not None:
        layers.append(_conv(f"features.{len(arch.blocks) + 1}.0", arch.blocks[-1].c_out, arch.last_conv, 1, 1, size))
    if arch.head is not None:
        layers.append(_fc("classifier.0", arch.features_out, arch.head))
        layers.append(_fc("classifier.3", arch.head, arch.num_classes))
    else:
        layers.append(_fc("classifier.1", arch.features_out, arch.num_classes))
    return layers


@dataclass(frozen=True)
class Totals:
    macs: int
    params: int  # conv + FC weights and biases (the papers' convention)
    bn_params: int

    @property
    def all_params(self) -> int:
        """Everything ``sum(p.numel() for p in model.parameters())`` counts."""
        return self.params + self.bn_params


def totals(layers: list[LayerCost]) -> Totals:
    return Totals(sum(l.macs for l in layers), sum(l.params for l in layers), sum(l.bn_params for l in layers))


def share_by_type(layers: list[LayerCost], *, fc_bias: bool = False) -> dict[LayerType, tuple[float, float]]:
    """Percent of mult-adds and of parameters per layer type: MobileNetV1's Table 2.

    The paper's parameter shares match with the FC bias left out (``fc_bias=False``).
    """

    def params(l: LayerCost) -> int:
        return l.params - (l.c_out if l.type is LayerType.FC and not fc_bias else 0)

    macs_total, params_total = sum(l.macs for l in layers), sum(params(l) for l in layers)
    out = {}
    for t in LayerType:
        of_type = [l for l in layers if l.type is t]
        if of_type:
            out[t] = (100 * sum(l.macs for l in of_type) / macs_total, 100 * sum(params(l) for l in of_type) / params_total)
    return out


def layer_table(layers: list[LayerCost]):
    """The per-layer table a chapter shows: one row per conv or linear layer (a pandas DataFrame)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "layer": l.path,
            "type": l.type.value,
            "filter": f"{l.kernel}x{l.kernel}" + (" dw" if l.type is LayerType.DEPTHWISE else "") + f" s{l.stride}",
            "input": f"{l.size_in}x{l.size_in}x{l.c_in}",
            "output": f"{l.size_out}x{l.size_out}x{l.c_out}",
            "mult-adds (M)": round(l.macs / 1e6, 3),
            "params (k)": round(l.params / 1e3, 2),
        }
        for l in layers
    )


def _flop_counter(model: nn.Module, x: torch.Tensor) -> FlopCounterMode:
    """Run ``model`` once on ``x`` in eval mode under FlopCounterMode; the model's mode is restored."""
    mode = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), mode:
            model(x)
    finally:
        model.train(was_training)
    return mode


def measured_macs(model: nn.Module, resolution: int = 224) -> dict[str, int]:
    """Mult-adds per leaf module, measured by FlopCounterMode on one image (FLOPs / 2).

    Keys are module paths as in ``model.named_modules()``; modules that count nothing are left out.
    """
    leaves = {name for name, m in model.named_modules() if not list(m.children())}
    mode = _flop_counter(model, torch.zeros(1, 3, resolution, resolution))
    root = type(model).__name__ + "."
    counts = {}
    for name, ops in mode.get_flop_counts().items():
        path = name.removeprefix(root)
        if path in leaves and sum(ops.values()):
            counts[path] = sum(ops.values()) // 2
    return counts


def measured_total_macs(model: nn.Module, resolution: int = 224, channels: int = 3) -> int:
    """Mult-adds of a network or a single layer on one ``channels x resolution²`` input: FLOPs / 2."""
    return _flop_counter(model, torch.zeros(1, channels, resolution, resolution)).get_total_flops() // 2


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
