"""The one block library that MobileNetV1, V2 and V3 share.

Module names follow torchvision's (``Conv2dNormActivation`` is a ``Sequential`` of conv, norm,
activation; ``SqueezeExcitation`` has ``fc1``/``fc2``), so torchvision's ``state_dict`` loads into
our V2 and V3 with ``strict=True``. That is the strongest test that they are the real networks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import torch
from torch import nn


class Act(enum.Enum):
    """The non-linearities of the three papers (V3 Table 1 column "NL": RE, HS)."""

    RELU = "RE"
    RELU6 = "RE6"
    HSWISH = "HS"

    def module(self) -> nn.Module:
        # Stock layers: nn.Hardswish exports to ONNX HardSwish (opset >= 14).
        return {Act.RELU: nn.ReLU, Act.RELU6: nn.ReLU6, Act.HSWISH: nn.Hardswish}[self](inplace=True)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor``, never down by more than 10%.

    This is the TensorFlow rule used by every released MobileNet (and torchvision's
    ``_make_divisible``); the width multiplier α of all three papers goes through it, and
    only through it.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class ConvNormAct(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d -> activation; ``act=None`` gives a linear layer.

    Padding is ``(kernel - 1) // 2``, so stride 1 keeps the size and stride 2 halves it (rounding up).
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int = 3,
        stride: int = 1,
        *,
        groups: int = 1,
        act: Act | None = Act.RELU,
        norm: Callable[[int], nn.Module] = nn.BatchNorm2d,
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            norm(c_out),
        ]
        if act is not None:
            layers.append(act.module())
        super().__init__(*layers)


class DepthwiseSeparable(nn.Sequential):
    """MobileNetV1's block (Howard et al. 2017, Fig. 3): 3x3 depthwise conv, then 1x1 pointwise conv.

    Each is followed by BN and ReLU. ``stride`` applies to the depthwise conv.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, *, act: Act = Act.RELU) -> None:
        super().__init__(
            ConvNormAct(c_in, c_in, 3, stride, groups=c_in, act=act),  # depthwise: filters
            ConvNormAct(c_in, c_out, 1, act=act),  # pointwise: combines channels
        )


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excite (Hu et al. 2018) as MobileNetV3 uses it (Howard et al. 2019, Fig. 4).

    Global average pool -> 1x1 conv to ``squeeze`` channels -> ReLU -> 1x1 conv back -> hard-sigmoid
    gate, which scales each channel of the input.
    """

    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


def inverted_residual_stages(
    c_in: int,
    c_exp: int,
    c_out: int,
    *,
    kernel: int,
    stride: int,
    act: Act,
    se_squeeze: int | None = None,
    norm: Callable[[int], nn.Module] = nn.BatchNorm2d,
) -> list[nn.Module]:
    """The stages of an inverted residual block (Sandler et al. 2018, Fig. 3b; V3 Fig. 4).

    expand 1x1 (skipped when ``c_exp == c_in``) -> depthwise k x k -> [SE] -> project 1x1, linear.
    The projection has no activation: the "linear bottleneck" of MobileNetV2 §3.2.
    """
    stages: list[nn.Module] = []
    if c_exp != c_in:
        stages.append(ConvNormAct(c_in, c_exp, 1, act=act, norm=norm))  # expand
    stages.append(ConvNormAct(c_exp, c_exp, kernel, stride, groups=c_exp, act=act, norm=norm))  # depthwise
    if se_squeeze is not None:
        stages.append(SqueezeExcitation(c_exp, se_squeeze))
    stages.append(ConvNormAct(c_exp, c_out, 1, act=None, norm=norm))  # project (linear)
    return stages


class _Residual(nn.Module):
    """Adds the input to the body's output when the block keeps shape (stride 1, c_in == c_out)."""

    use_res_connect: bool

    def body(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.use_res_connect else self.body(x)


class LinearBottleneck(_Residual):
    """MobileNetV2's inverted residual with linear bottleneck (Sandler et al. 2018, Table 1).

    ``c_exp`` is t x ``c_in`` for expansion factor t; ReLU6 after expand and depthwise.
    The module tree is torchvision's: ``conv`` holds the stages with the projection flattened
    into a bare conv and BN.
    """

    def __init__(self, c_in: int, c_exp: int, c_out: int, *, stride: int) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and c_in == c_out
        *head, project = inverted_residual_stages(c_in, c_exp, c_out, kernel=3, stride=stride, act=Act.RELU6)
        self.conv = nn.Sequential(*head, *project)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Bneck(_Residual):
    """MobileNetV3's block ("bneck", Howard et al. 2019, Fig. 4): V2's block plus optional SE.

    torchvision's V3 uses BN with eps=1e-3, momentum=0.01 (TensorFlow's defaults); so do we.
    """

    def __init__(
        self,
        c_in: int,
        c_exp: int,
        c_out: int,
        *,
        kernel: int,
        stride: int,
        act: Act,
        se_squeeze: int | None,
        norm: Callable[[int], nn.Module],
    ) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and c_in == c_out
        self.block = nn.Sequential(
            *inverted_residual_stages(
                c_in, c_exp, c_out, kernel=kernel, stride=stride, act=act, se_squeeze=se_squeeze, norm=norm
            )
        )

    def body(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)
