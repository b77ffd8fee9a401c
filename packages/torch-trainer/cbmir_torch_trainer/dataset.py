"""The training set the CLI prepared: cbmir's preprocessing cache files (float32 HWC RGB in [-1, 1]) listed
in a manifest with grade, patient and split. Kept in memory as uint8, which is exact: every cached value is
k / 127.5 - 1 for an 8-bit k."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Split:
    ids: list[str]
    pixels: torch.Tensor  # N x H x W x 3, uint8
    grades: np.ndarray
    patients: np.ndarray  # patient index per image (ints, shared numbering across splits)

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, indices: np.ndarray, channels_last: bool = True) -> torch.Tensor:
        """NCHW float32 in [-1, 1] (stored channels-last, the layout fast CPU convolutions want)."""
        x = self.pixels[torch.as_tensor(indices, dtype=torch.long)].float().div_(127.5).sub_(1)
        x = x.permute(0, 3, 1, 2)
        return x if channels_last else x.contiguous()


@dataclass
class TrainingSet:
    preprocessing: dict
    data_fingerprint: str
    train: Split
    validation: Split


def read_cache_file(path: str, size: int) -> np.ndarray:
    values = np.fromfile(path, dtype="<f4")
    if values.size != size * size * 3:
        raise ValueError(f"{path}: expected {size}x{size}x3 float32 values, found {values.size} (a stale or broken cache file)")
    return np.clip(np.rint((values + 1) * 127.5), 0, 255).astype(np.uint8).reshape(size, size, 3)


def load_training_set(manifest_path: str) -> TrainingSet:
    with open(manifest_path, encoding="utf-8") as file:
        manifest = json.load(file)
    size = int(manifest["preprocessing"]["inputSize"])
    patient_ids: dict[str, int] = {}

    def split(items: list[dict]) -> Split:
        pixels = torch.empty((len(items), size, size, 3), dtype=torch.uint8)
        for i, item in enumerate(items):
            pixels[i] = torch.from_numpy(read_cache_file(item["cacheFile"], size))
        return Split(
            ids=[item["id"] for item in items],
            pixels=pixels,
            grades=np.array([int(item["grade"]) for item in items], dtype=np.int64),
            patients=np.array([patient_ids.setdefault(str(item["patientId"]), len(patient_ids)) for item in items], dtype=np.int64),
        )

    return TrainingSet(manifest["preprocessing"], manifest["dataFingerprint"], split(manifest["train"]), split(manifest["validation"]))
