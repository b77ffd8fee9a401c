"""The paper's augmentations on a batch, as cbmir's TF.js trainer does them (packages/imaging/augmentation.ts):
rotation 0-360 degrees, zoom, offset crop and flips as one affine resampling, then an optional blur."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augmentation:
    max_offset: float = 0.05
    max_zoom: float = 0.1
    rotate: bool = True
    flip_horizontal: bool = True
    flip_vertical: bool = True
    blur_probability: float = 0.3
    max_blur_sigma: float = 1.5


def augment(images: torch.Tensor, generator: torch.Generator, options: Augmentation = Augmentation()) -> torch.Tensor:
    """images: NCHW floats (neutral grey = 0). Pixels from outside the image are neutral, as in preprocessing."""
    n = images.shape[0]
    rand = lambda: torch.rand(n, generator=generator)  # noqa: E731
    angle = rand() * 2 * math.pi if options.rotate else torch.zeros(n)
    scale = 1 + (rand() * 2 - 1) * options.max_zoom
    dx = (rand() * 2 - 1) * options.max_offset * 2
    dy = (rand() * 2 - 1) * options.max_offset * 2
    fx = torch.where(rand() < 0.5, -1.0, 1.0) if options.flip_horizontal else torch.ones(n)
    fy = torch.where(rand() < 0.5, -1.0, 1.0) if options.flip_vertical else torch.ones(n)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * fx, -sin * fy, dx], 1), torch.stack([sin * fx, cos * fy, dy], 1)], 1
    ).to(images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if options.blur_probability > 0 and options.max_blur_sigma > 0:
        blurred = rand() < options.blur_probability
        if bool(blurred.any()):
            sigma = 0.3 + rand() * max(0.0, options.max_blur_sigma - 0.3)
            out = _blur(out, torch.where(blurred, sigma, torch.zeros(n)))
    return out.contiguous(memory_format=torch.channels_last) if images.is_contiguous(memory_format=torch.channels_last) else out


def _blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur with one sigma per image (0: unchanged), as one grouped convolution."""
    n, c, h, w = images.shape
    radius = max(1, math.ceil(3 * float(sigma.max())))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype)
    safe = sigma.clamp(min=1e-3).to(images.dtype)
    kernel = torch.exp(-(x[None, :] ** 2) / (2 * safe[:, None] ** 2))
    kernel = torch.where(sigma[:, None] > 0, kernel, (x[None, :] == 0).to(images.dtype))
    kernel = kernel / kernel.sum(1, keepdim=True)
    kernel = kernel.repeat_interleave(c, 0)  # one kernel per (image, channel)
    flat = images.reshape(1, n * c, h, w)
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0)), kernel[:, None, None, :], groups=n * c)
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius)), kernel[:, None, :, None], groups=n * c)
    return flat.reshape(n, c, h, w)
