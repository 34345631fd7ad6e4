"""Colour parsing and perceptual colour maths.

Colours are sRGB triples with components in 0..1 (``RGB``). Blending is done in
OKLab (Björn Ottosson, https://bottosson.github.io/posts/oklab/), where equal steps
look like equal steps: a 50/50 mix of black and white is a perceptual mid grey
(OKLab L = 0.5), not sRGB 0.5.

Scalar helpers (``srgb_to_oklab``, ``mix``...) are plain Python for use on palette
colours; ``srgb_to_oklab_array`` / ``oklab_to_srgb_array`` do the same maths on numpy
arrays of shape ``(..., 3)`` for whole images.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

RGB = tuple[float, float, float]
"""sRGB components in 0..1."""

Lab = tuple[float, float, float]
"""OKLab (L, a, b); L is 0 for black and 1 for white."""

WHITE: RGB = (1.0, 1.0, 1.0)
BLACK: RGB = (0.0, 0.0, 0.0)

# Ottosson's matrices: linear sRGB -> LMS, and cube-rooted LMS -> OKLab.
_RGB_TO_LMS = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_LMS_TO_LAB = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
LMS_TO_OKLAB = _LMS_TO_LAB  # shared with the print gamut check, which starts from XYZ
# The inverses are computed rather than copied so that a round trip is exact to
# floating-point precision (the published inverses are rounded to 10 places).
_LMS_TO_RGB = np.linalg.inv(_RGB_TO_LMS)
_LAB_TO_LMS = np.linalg.inv(_LMS_TO_LAB)

_Matrix = tuple[tuple[float, float, float], ...]


def _rows(m: npt.NDArray[np.float64]) -> _Matrix:
    return tuple((float(r[0]), float(r[1]), float(r[2])) for r in m)


_RGB_TO_LMS_T = _rows(_RGB_TO_LMS)
_LMS_TO_LAB_T = _rows(_LMS_TO_LAB)
_LMS_TO_RGB_T = _rows(_LMS_TO_RGB)
_LAB_TO_LMS_T = _rows(_LAB_TO_LMS)

_HEX_RE = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _mul(m: _Matrix, v: Sequence[float]) -> tuple[float, float, float]:
    x, y, z = v
    return (
        m[0][0] * x + m[0][1] * y + m[0][2] * z,
        m[1][0] * x + m[1][1] * y + m[1][2] * z,
        m[2][0] * x + m[2][1] * y + m[2][2] * z,
    )


def _cbrt(x: float) -> float:
    return math.copysign(abs(x) ** (1.0 / 3.0), x)


def _clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def _decode(c: float) -> float:
    """sRGB-encoded component -> linear light (sign-symmetric, so never NaN)."""
    a = abs(c)
    lin = a / 12.92 if a <= 0.04045 else ((a + 0.055) / 1.055) ** 2.4
    return math.copysign(lin, c)


def _encode(c: float) -> float:
    """Linear light in 0..1 -> sRGB-encoded component."""
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1.0 / 2.4) - 0.055


def parse_color(value: str) -> RGB:
    """Parse ``'#rgb'`` or ``'#rrggbb'`` (any case) into an sRGB triple in 0..1.

    Anything else, including ``'#rrggbbaa'``, colour names and non-strings, raises
    ``ValueError('expected a colour like "#1ae3ff", got ...')``.
    """
    text = value.strip() if isinstance(value, str) else None
    match = _HEX_RE.fullmatch(text) if text is not None else None
    if match is None:
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        raise ValueError(f'expected a colour like "#1ae3ff", got {shown}')
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    r, g, b = (int(digits[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    return (r, g, b)


def to_hex(rgb: RGB) -> str:
    """Format an sRGB triple as ``'#rrggbb'`` (components clipped to 0..1, rounded)."""
    r, g, b = (round(_clip01(float(c)) * 255.0) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def srgb_to_oklab(rgb: RGB) -> Lab:
    """Convert an sRGB triple (0..1) to OKLab ``(L, a, b)``."""
    r, g, b = rgb
    return _srgb_to_oklab(float(r), float(g), float(b))


# Layers mix the same few palette colours thousands of times a frame; caching their OKLab
# form saves about a quarter of mix()'s cost (10 ms a 1080p frame in the profile).
@lru_cache(maxsize=4096)
def _srgb_to_oklab(r: float, g: float, b: float) -> Lab:
    lms = _mul(_RGB_TO_LMS_T, (_decode(r), _decode(g), _decode(b)))
    return _mul(_LMS_TO_LAB_T, [_cbrt(c) for c in lms])


def oklab_to_srgb(lab: Sequence[float]) -> RGB:
    """Convert OKLab to sRGB; out-of-gamut colours are clipped in linear light, then encoded."""
    lms_ = _mul(_LAB_TO_LMS_T, [float(c) for c in lab])
    linear = _mul(_LMS_TO_RGB_T, [c * c * c for c in lms_])
    r, g, b = (_encode(_clip01(c)) for c in linear)
    return (r, g, b)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Interpolate from ``a`` (t=0) to ``b`` (t=1) in OKLab; ``t`` is clamped to 0..1.

    The endpoints are returned exactly, so ``mix(a, b, 0) == a``.
    """
    t = float(t)
    if math.isnan(t):
        raise ValueError("mix: t must be a number from 0 to 1, got nan")
    if t <= 0.0:
        return (float(a[0]), float(a[1]), float(a[2]))
    if t >= 1.0:
        return (float(b[0]), float(b[1]), float(b[2]))
    return _mix(tuple(a), tuple(b), t)


# A frame mixes ~370 times but only ~40 distinct (colours, t): a hundred nodes of the web
# alike, every vessel of the room; 4.3 us each uncached (1.6 ms a frame).
@lru_cache(maxsize=4096)
def _mix(a: tuple[float, ...], b: tuple[float, ...], t: float) -> RGB:
    la = srgb_to_oklab(a)
    lb = srgb_to_oklab(b)
    return oklab_to_srgb([x + (y - x) * t for x, y in zip(la, lb, strict=True)])


def lighten_to_white(c: RGB, heat: float) -> RGB:
    """Push a colour toward white in OKLab: ``heat`` 0 leaves it, 1 gives white."""
    return mix(c, WHITE, heat)


def luminance(c: RGB) -> float:
    """WCAG relative luminance of an sRGB colour: 0 for black, 1 for white."""

    def lin(x: float) -> float:
        x = _clip01(float(x))
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def _float_array(values: npt.ArrayLike) -> npt.NDArray[np.floating]:
    arr = np.asarray(values)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"expected an array of shape (..., 3), got shape {arr.shape}")
    return arr


def srgb_to_oklab_array(rgb: npt.ArrayLike) -> npt.NDArray[np.floating]:
    """Vectorised :func:`srgb_to_oklab` for arrays of shape ``(..., 3)``.

    float32 input stays float32; anything else is computed in float64.
    """
    arr = _float_array(rgb)
    dt = arr.dtype
    a = np.abs(arr)
    linear = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    linear = np.copysign(linear, arr)
    lms = linear @ _RGB_TO_LMS.T.astype(dt)
    return np.cbrt(lms) @ _LMS_TO_LAB.T.astype(dt)


def oklab_to_srgb_array(lab: npt.ArrayLike) -> npt.NDArray[np.floating]:
    """Vectorised :func:`oklab_to_srgb` for arrays of shape ``(..., 3)``; clipped to 0..1."""
    arr = _float_array(lab)
    dt = arr.dtype
    lms_ = arr @ _LAB_TO_LMS.T.astype(dt)
    linear = np.clip((lms_**3) @ _LMS_TO_RGB.T.astype(dt), 0.0, 1.0)
    return np.where(
        linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1.0 / 2.4) - 0.055
    ).astype(dt, copy=False)
