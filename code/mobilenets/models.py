"""MobileNetV1, V2 and V3 built from the papers' architecture tables, kept as data.

Each table is a tuple of frozen rows in the paper's column order. ``architecture()`` applies the
width multiplier α to a table and returns an :class:`Architecture`: every channel count already
rounded. The model builders and the analytic cost model (:mod:`mobilenets.cost`) both read that one
object, so the book's formulas and its networks cannot drift apart.

The resolution multiplier ρ of the V1 paper is not a constructor argument: it is the input size
(224·ρ). All networks accept any input of at least 32x32 pixels (their output stride).
"""

from __future__ import annotations

import enum
import math
import numbers
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from .blocks import Act, Bneck, ConvNormAct, DepthwiseSeparable, LinearBottleneck, make_divisible

MIN_INPUT_SIZE = 32  # every network here downsamples by 32


# ---------------------------------------------------------------------------------------------
# The papers' tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DwsRow:
    """MobileNetV1 Table 1, one depthwise-separable pair: depthwise stride, pointwise #out."""

    stride: int
    out: int


# Howard et al. 2017, Table 1. The paper prints the last depthwise conv as "s2" on a 7x7 input;
# the reference implementation (TF-slim mobilenet_v1.py) uses stride 1 there, and so do we.
V1_STEM = 32
V1_TABLE: tuple[DwsRow, ...] = (
    DwsRow(1, 64),
    DwsRow(2, 128),
    DwsRow(1, 128),
    DwsRow(2, 256),
    DwsRow(1, 256),
    DwsRow(2, 512),
    *(DwsRow(1, 512),) * 5,
    DwsRow(2, 1024),
    DwsRow(1, 1024),
)


@dataclass(frozen=True)
class BottleneckRow:
    """MobileNetV2 Table 2, one line: expansion t, output channels c, repeats n, first stride s."""

    t: int
    c: int
    n: int
    s: int


# Sandler et al. 2018, Table 2 (stem conv2d 32, then these, then conv2d 1x1 1280).
V2_STEM = 32
V2_TABLE: tuple[BottleneckRow, ...] = (
    BottleneckRow(1, 16, 1, 1),
    BottleneckRow(6, 24, 2, 2),
    BottleneckRow(6, 32, 3, 2),
    BottleneckRow(6, 64, 4, 2),
    BottleneckRow(6, 96, 3, 1),
    BottleneckRow(6, 160, 3, 2),
    BottleneckRow(6, 320, 1, 1),
)
V2_LAST_CONV = 1280


@dataclass(frozen=True)
class BneckRow:
    """MobileNetV3 Tables 1 and 2, one "bneck" line: kernel, exp size, #out, SE, NL, s."""

    kernel: int
    exp: int
    out: int
    se: bool
    act: Act
    stride: int


RE, HS = Act.RELU, Act.HSWISH

# Howard et al. 2019, Table 1 (MobileNetV3-Large). Stem: conv2d 3x3, 16, HS, s2.
V3_STEM = 16
V3_LARGE_TABLE: tuple[BneckRow, ...] = (
    BneckRow(3, 16, 16, False, RE, 1),
    BneckRow(3, 64, 24, False, RE, 2),
    BneckRow(3, 72, 24, False, RE, 1),
    BneckRow(5, 72, 40, True, RE, 2),
    BneckRow(5, 120, 40, True, RE, 1),
    BneckRow(5, 120, 40, True, RE, 1),
    BneckRow(3, 240, 80, False, HS, 2),
    BneckRow(3, 200, 80, False, HS, 1),
    BneckRow(3, 184, 80, False, HS, 1),
    BneckRow(3, 184, 80, False, HS, 1),
    BneckRow(3, 480, 112, True, HS, 1),
    BneckRow(3, 672, 112, True, HS, 1),
    BneckRow(5, 672, 160, True, HS, 2),
    BneckRow(5, 960, 160, True, HS, 1),
    BneckRow(5, 960, 160, True, HS, 1),
)
V3_LARGE_HEAD = 1280  # conv2d 1x1, NBN, after the pool

# Howard et al. 2019, Table 2 (MobileNetV3-Small). The paper marks SE on the last 1x1 conv (576);
# neither the TF reference nor torchvision has it there, and the published 2.5M parameters need
# it absent, so we follow the implementations.
V3_SMALL_TABLE: tuple[BneckRow, ...] = (
    BneckRow(3, 16, 16, True, RE, 2),
    BneckRow(3, 72, 24, False, RE, 2),
    BneckRow(3, 88, 24, False, RE, 1),
    BneckRow(5, 96, 40, True, HS, 2),
    BneckRow(5, 240, 40, True, HS, 1),
    BneckRow(5, 240, 40, True, HS, 1),
    BneckRow(5, 120, 48, True, HS, 1),
    BneckRow(5, 144, 48, True, HS, 1),
    BneckRow(5, 288, 96, True, HS, 2),
    BneckRow(5, 576, 96, True, HS, 1),
    BneckRow(5, 576, 96, True, HS, 1),
)
V3_SMALL_HEAD = 1024
V3_LAST_CONV_FACTOR = 6  # last conv2d 1x1: 6 x the last bneck's #out (960 = 6*160, 576 = 6*96)


# ---------------------------------------------------------------------------------------------
# Architectures: tables with the width multiplier applied
# ---------------------------------------------------------------------------------------------


class BlockKind(enum.Enum):
    DEPTHWISE_SEPARABLE = "depthwise-separable"  # V1
    LINEAR_BOTTLENECK = "linear bottleneck"  # V2
    BNECK = "bneck"  # V3


class WidthRule(enum.Enum):
    """How MobileNetV3 applies α < 1 to the expansion and head layers.

    TORCHVISION: every channel count, expansions and the 1280/1024 head included, is α x the
    table's (torchvision's ``width_mult``).
    PAPER: the TensorFlow reference that produced the paper's Table 3 (155M/44M mult-adds at
    0.75): an expansion is the block's *scaled* input times the table's expansion factor, and the
    head keeps its full width when α < 1.
    """

    TORCHVISION = "torchvision"
    PAPER = "paper"


@dataclass(frozen=True)
class Block:
    """One block with channel counts already scaled by α (``c_exp`` is c_in for V1's blocks)."""

    kind: BlockKind
    c_in: int
    c_exp: int
    c_out: int
    kernel: int
    stride: int
    act: Act
    se_squeeze: int | None = None


@dataclass(frozen=True)
class Architecture:
    """A MobileNet, resolved to concrete channel counts: what both the model and the cost use."""

    name: str
    width_mult: float
    num_classes: int
    stem: int
    stem_act: Act
    blocks: tuple[Block, ...]
    last_conv: int | None  # 1x1 conv before the pool (V2, V3)
    last_act: Act | None
    head: int | None  # V3's 1x1 "NBN" layer after the pool, a Linear in torchvision
    dropout: float
    bn_eps: float = 1e-5
    bn_momentum: float = 0.1

    @property
    def features_out(self) -> int:
        return self.last_conv or self.blocks[-1].c_out

    @property
    def classifier_in(self) -> int:
        return self.head or self.features_out


MODEL_NAMES = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")


def _check_width(width_mult: object) -> float:
    if (
        isinstance(width_mult, bool)
        or not isinstance(width_mult, numbers.Real)
        or not math.isfinite(width_mult)
        or width_mult <= 0
    ):
        raise ValueError(
            f"width_mult must be a positive number, such as 1.0, 0.75, 0.5 or 0.35; got {width_mult!r}"
        )
    return float(width_mult)


def _check_classes(num_classes: object) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"num_classes must be a whole number >= 1; got {num_classes!r}")
    return int(num_classes)


def _check_rule(width_rule: object) -> WidthRule:
    try:
        return WidthRule(width_rule.value if isinstance(width_rule, WidthRule) else width_rule)
    except ValueError:
        allowed = ", ".join(repr(r.value) for r in WidthRule)
        raise ValueError(f"width_rule must be one of {allowed}; got {width_rule!r}") from None


def _v1(alpha: float, num_classes: int) -> Architecture:
    stem = make_divisible(V1_STEM * alpha)
    blocks, c_in = [], stem
    for row in V1_TABLE:
        c_out = make_divisible(row.out * alpha)
        blocks.append(Block(BlockKind.DEPTHWISE_SEPARABLE, c_in, c_in, c_out, 3, row.stride, Act.RELU))
        c_in = c_out
    # TF-slim's reference keeps 99.9% of activations before the FC (dropout 0.001).
    return Architecture("mobilenet_v1", alpha, num_classes, stem, Act.RELU, tuple(blocks), None, None, None, 0.001)


def _v2(alpha: float, num_classes: int) -> Architecture:
    stem = make_divisible(V2_STEM * alpha)
    blocks, c_in = [], stem
    for row in V2_TABLE:
        c_out = make_divisible(row.c * alpha)
        for i in range(row.n):
            stride = row.s if i == 0 else 1
            blocks.append(
                Block(BlockKind.LINEAR_BOTTLENECK, c_in, int(round(c_in * row.t)), c_out, 3, stride, Act.RELU6)
            )
            c_in = c_out
    # The last conv is never thinner than 1280 (Sandler et al. 2018, §6.1).
    last = make_divisible(V2_LAST_CONV * max(1.0, alpha))
    return Architecture("mobilenet_v2", alpha, num_classes, stem, Act.RELU6, tuple(blocks), last, Act.RELU6, None, 0.2)


def _v3(name: str, table: tuple[BneckRow, ...], head: int, alpha: float, num_classes: int, rule: WidthRule):
    stem = make_divisible(V3_STEM * alpha)
    blocks, c_in, table_in = [], stem, V3_STEM
    for row in table:
        c_out = make_divisible(row.out * alpha)
        if rule is WidthRule.TORCHVISION:
            c_exp = make_divisible(row.exp * alpha)
        else:  # PAPER: the table's expansion factor (exp / in) times the scaled input
            c_exp = c_in if row.exp == table_in else make_divisible(c_in * row.exp / table_in)
        squeeze = make_divisible(c_exp // 4) if row.se else None
        blocks.append(Block(BlockKind.BNECK, c_in, c_exp, c_out, row.kernel, row.stride, row.act, squeeze))
        c_in, table_in = c_out, row.out
    last = V3_LAST_CONV_FACTOR * c_in
    keep_head = rule is WidthRule.PAPER and alpha < 1
    head_c = head if keep_head else make_divisible(head * alpha)
    return Architecture(name, alpha, num_classes, stem, Act.HSWISH, tuple(blocks), last, Act.HSWISH, head_c, 0.2,
                        bn_eps=1e-3, bn_momentum=0.01)  # fmt: skip


def architecture(
    name: str, *, width_mult: float = 1.0, num_classes: int = 1000, width_rule: WidthRule | str = "torchvision"
) -> Architecture:
    """Resolve one of :data:`MODEL_NAMES` at width multiplier α = ``width_mult``.

    ``width_rule`` matters only for MobileNetV3 with α != 1 (see :class:`WidthRule`).
    """
    alpha, classes, rule = _check_width(width_mult), _check_classes(num_classes), _check_rule(width_rule)
    if name == "mobilenet_v1":
        return _v1(alpha, classes)
    if name == "mobilenet_v2":
        return _v2(alpha, classes)
    if name == "mobilenet_v3_large":
        return _v3(name, V3_LARGE_TABLE, V3_LARGE_HEAD, alpha, classes, rule)
    if name == "mobilenet_v3_small":
        return _v3(name, V3_SMALL_TABLE, V3_SMALL_HEAD, alpha, classes, rule)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


# ---------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------


def check_input(x: torch.Tensor) -> None:
    """Raise a ValueError that says how to fix an input the networks cannot take."""
    if x.dim() != 4:
        raise ValueError(f"expected a batch of images shaped (N, 3, H, W); got a tensor of shape {tuple(x.shape)}")
    if x.shape[1] != 3:
        raise ValueError(
            f"expected 3 input channels (RGB); got {x.shape[1]}. For greyscale images use "
            "torchvision.transforms.Grayscale(num_output_channels=3)"
        )
    if min(x.shape[-2:]) < MIN_INPUT_SIZE:
        raise ValueError(
            f"input height and width must be at least {MIN_INPUT_SIZE} pixels (the networks' output stride); "
            f"got {x.shape[-2]}x{x.shape[-1]}. Resize the images, e.g. torchvision.transforms.Resize({MIN_INPUT_SIZE})"
        )


class MobileNet(nn.Module):
    """A MobileNet of any version, built from an :class:`Architecture`.

    ``features`` (stem, blocks, last conv) -> ``avgpool`` -> ``classifier``: torchvision's names.
    """

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        norm = partial(nn.BatchNorm2d, eps=arch.bn_eps, momentum=arch.bn_momentum)
        layers: list[nn.Module] = [ConvNormAct(3, arch.stem, 3, 2, act=arch.stem_act, norm=norm)]
        for b in arch.blocks:
            if b.kind is BlockKind.DEPTHWISE_SEPARABLE:
                layers.append(DepthwiseSeparable(b.c_in, b.c_out, b.stride, act=b.act))
            elif b.kind is BlockKind.LINEAR_BOTTLENECK:
                layers.append(LinearBottleneck(b.c_in, b.c_exp, b.c_out, stride=b.stride))
            else:
                layers.append(Bneck(b.c_in, b.c_exp, b.c_out, kernel=b.kernel, stride=b.stride, act=b.act,
                                    se_squeeze=b.se_squeeze, norm=norm))  # fmt: skip
        if arch.last_conv is not None:
            layers.append(ConvNormAct(arch.blocks[-1].c_out, arch.last_conv, 1, act=arch.last_act, norm=norm))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        head: list[nn.Module] = []
        if arch.head is not None:  # V3: Linear + h-swish after the pool (Howard et al. 2019, §5.3)
            head = [nn.Linear(arch.features_out, arch.head), nn.Hardswish(inplace=True)]
        self.classifier = nn.Sequential(
            *head, nn.Dropout(arch.dropout), nn.Linear(arch.classifier_in, arch.num_classes)
        )
        self._init_weights()

    def _init_weights(self) -> None:
        # torchvision's initialisation for all its MobileNets.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, images: torch.Tensor, *, batch_size: int = 32) -> nn.Module:
    """Re-estimate every BatchNorm's running mean and variance on ``images``; returns the model in eval mode.

    The statistics become plain averages over the batches (momentum None), as after training. Used
    when weights change without training (an untrained network, a pruned one in NetAdapt), so that
    activations keep the scale BatchNorm expects.
    """
    batch_norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not batch_norms:
        raise ValueError("model has no BatchNorm layers to recalibrate")
    if images.dim() != 4 or len(images) < 2:
        raise ValueError(f"images must be a batch (N >= 2, C, H, W); got shape {tuple(images.shape)}")
    momenta = [m.momentum for m in batch_norms]
    for m in batch_norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    for chunk in images.split(batch_size):
        model(chunk)
    for m, momentum in zip(batch_norms, momenta):
        m.momentum = momentum
    return model.eval()


def create(name: str, *, width_mult: float = 1.0, num_classes: int = 1000, width_rule: WidthRule | str = "torchvision"):
    """Build any of :data:`MODEL_NAMES` by name (what the CLI and the benchmarks use)."""
    return MobileNet(architecture(name, width_mult=width_mult, num_classes=num_classes, width_rule=width_rule))


def mobilenet_v1(*, width_mult: float = 1.0, num_classes: int = 1000) -> MobileNet:
    """MobileNetV1 (Howard et al. 2017): Table 1 with width multiplier α = ``width_mult``."""
    return MobileNet(architecture("mobilenet_v1", width_mult=width_mult, num_classes=num_classes))


def mobilenet_v2(*, width_mult: float = 1.0, num_classes: int = 1000) -> MobileNet:
    """MobileNetV2 (Sandler et al. 2018): Table 2 with width multiplier ``width_mult``."""
    return MobileNet(architecture("mobilenet_v2", width_mult=width_mult, num_classes=num_classes))


def mobilenet_v3_large(
    *, width_mult: float = 1.0, num_classes: int = 1000, width_rule: WidthRule | str = "torchvision"
) -> MobileNet:
    """MobileNetV3-Large (Howard et al. 2019): Table 1; ``width_rule`` chooses how α < 1 applies."""
    return MobileNet(architecture("mobilenet_v3_large", width_mult=width_mult, num_classes=num_classes,
                                  width_rule=width_rule))  # fmt: skip


def mobilenet_v3_small(
    *, width_mult: float = 1.0, num_classes: int = 1000, width_rule: WidthRule | str = "torchvision"
) -> MobileNet:
    """MobileNetV3-Small (Howard et al. 2019): Table 2; ``width_rule`` chooses how α < 1 applies."""
    return MobileNet(architecture("mobilenet_v3_small", width_mult=width_mult, num_classes=num_classes,
                                  width_rule=width_rule))  # fmt: skip
