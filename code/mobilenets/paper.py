"""Numbers published in the papers (and in torchvision), typed once, with their source.

Tests check our networks against them; chapters print them beside what our code computes. Sources
and caveats: shared/reference/paper-tables.md in the project's design notes. Mult-adds are in
millions, parameters in millions unless named ``*_exact``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    model: str
    width_mult: float
    resolution: int
    macs_m: float  # million mult-adds
    params_m: float | None  # million parameters, None where the source gives none
    source: str


# Howard et al. 2017 (MobileNetV1), Tables 6 (width) and 7 (resolution); 1000 classes.
V1 = (
    Published("mobilenet_v1", 1.0, 224, 569, 4.2, "V1 Table 6"),
    Published("mobilenet_v1", 0.75, 224, 325, 2.6, "V1 Table 6"),
    Published("mobilenet_v1", 0.5, 224, 149, 1.3, "V1 Table 6"),
    Published("mobilenet_v1", 0.25, 224, 41, 0.5, "V1 Table 6"),
    Published("mobilenet_v1", 1.0, 192, 418, 4.2, "V1 Table 7"),
    Published("mobilenet_v1", 1.0, 160, 290, 4.2, "V1 Table 7"),
    Published("mobilenet_v1", 1.0, 128, 186, 4.2, "V1 Table 7"),
)

# Howard et al. 2017, Table 2: share of mult-adds and of parameters by layer type (percent), 1.0-224.
# The paper prints 1.19% for the full 3x3 conv; the other rows and the arithmetic give 1.91%
# (the printed column sums to 99.29%): two swapped digits.
V1_TABLE2 = {
    "Conv 1x1": (94.86, 74.59),
    "Conv DW": (3.06, 1.06),
    "Conv 3x3 (full)": (1.19, 0.02),
    "Fully connected": (0.18, 24.33),
}

# Howard et al. 2017, Table 3: one layer with D_K=3, M=N=512, D_F=14 (million mult-adds, million params).
V1_TABLE3 = {
    "Conv MobileNet (full 3x3)": (462, 2.36),
    "MobileNet (depthwise separable)": (52.3, 0.27),
    "α = 0.75": (29.6, 0.15),
    "ρ = 0.714": (15.1, 0.15),
}

# MobileNetV2: Sandler et al. 2018 §6.1 (300M, 3.4M) and the released checkpoints' table
# (tensorflow/models research/slim/nets/mobilenet/README.md), mult-adds truncated to integers.
V2_RELEASED = {
    1.4: {224: 582},
    1.0: {224: 300, 192: 221, 160: 154, 128: 99, 96: 56},
    0.75: {224: 209, 192: 153, 160: 107, 128: 69, 96: 39},
    0.5: {224: 97, 192: 71, 160: 50, 128: 32, 96: 18},
    0.35: {224: 59, 192: 43, 160: 30, 128: 20, 96: 11},
}

# MobileNetV3: Howard et al. 2019, Table 3 (final version), 224x224.
V3 = (
    Published("mobilenet_v3_large", 1.0, 224, 219, 5.4, "V3 Table 3"),
    Published("mobilenet_v3_large", 0.75, 224, 155, 4.0, "V3 Table 3"),
    Published("mobilenet_v3_small", 1.0, 224, 56, 2.5, "V3 Table 3"),
    Published("mobilenet_v3_small", 0.75, 224, 44, 2.0, "V3 Table 3"),
)

# torchvision's num_params for its ImageNet weights (BatchNorm γ and β included).
TORCHVISION_PARAMS_EXACT = {
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_large": 5_483_032,
    "mobilenet_v3_small": 2_542_856,
}
