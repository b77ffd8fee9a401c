"""Which images a training step sees: grade-balanced draws, and the patient-aware pairs of a Siamese batch."""

from __future__ import annotations

import numpy as np
import torch


def grade_weights(grades: np.ndarray, balance: float) -> np.ndarray:
    """
    Drawing probability per image, proportional to count(grade) ** -balance: 1 draws every grade equally
    often (minorities oversampled, cbmir's default), 0 draws images uniformly.
    """
    counts = np.bincount(grades, minlength=int(grades.max()) + 1).astype(np.float64)
    weights = counts[grades] ** -balance
    return weights / weights.sum()


def draw_batch(weights: np.ndarray, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(len(weights), size=batch_size, replace=True, p=weights)


def pair_masks(grades: torch.Tensor, patients: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """
    The Siamese pairs of a batch: every two images of different patients (never one patient twice, never
    an image with itself), labelled only same grade (positive) or not (negative).
    """
    n = grades.shape[0]
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    valid = upper & (patients[:, None] != patients[None, :])
    same = grades[:, None] == grades[None, :]
    return valid & same, valid & ~same
