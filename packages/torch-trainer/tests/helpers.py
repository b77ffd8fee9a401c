"""A tiny training set the tests write themselves: cbmir cache files (float32 HWC in [-1, 1]) and a manifest."""

from __future__ import annotations

import json
import os

import numpy as np


def write_training_set(root: str, size: int = 32, images: int = 30, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    cache = os.path.join(root, "cache")
    os.makedirs(cache, exist_ok=True)
    items = []
    for i in range(images):
        grade = i % 5
        # Brighter images for higher grades, so a network can learn something in a few steps.
        pixels = np.clip(rng.integers(0, 120, size=(size, size, 3)) + grade * 30, 0, 255).astype(np.float32)
        path = os.path.join(cache, f"{i}.f32")
        (pixels / 127.5 - 1).astype("<f4").tofile(path)
        items.append({"id": f"img-{i}.jpg", "grade": grade, "patientId": f"p{i // 2}", "cacheFile": path})
    manifest = {
        "preprocessing": {"inputSize": size, "scaleRadius": 300, "blurSigmaFraction": 1 / 30, "keepFraction": 0.9, "version": "graham-v1"},
        "dataFingerprint": "0123456789abcdef",
        "train": items[: images * 2 // 3],
        "validation": items[images * 2 // 3 :],
    }
    path = os.path.join(root, "training-set.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump(manifest, file)
    return path
