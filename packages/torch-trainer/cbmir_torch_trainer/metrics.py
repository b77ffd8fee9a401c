"""Validation retrieval metrics, as cbmir's retrieval package defines them: every image queries the others
minus its own patient; relevant = same grade. Used to pick the best epoch; `cbmir eval` gives the full report."""

from __future__ import annotations

import numpy as np

VOTE_K = 10


def retrieval_metrics(embeddings: np.ndarray, grades: np.ndarray, patients: np.ndarray) -> dict[str, float]:
    e = embeddings.astype(np.float64)
    sq = (e * e).sum(1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * e @ e.T, 0))
    n = len(grades)
    aps, rrs, votes = np.zeros(n), np.zeros(n), np.full(n, -1)
    for q in range(n):
        keep = patients != patients[q]
        order = np.argsort(d[q, keep], kind="stable")
        ranked = grades[keep][order]
        relevant = ranked == grades[q]
        hits = np.cumsum(relevant)
        if hits[-1] > 0:
            ranks = np.nonzero(relevant)[0] + 1
            aps[q] = (hits[relevant] / ranks).mean()
            rrs[q] = 1 / ranks[0]
        dist = d[q, keep][order][:VOTE_K]
        weights = np.zeros(grades.max() + 1)
        np.add.at(weights, ranked[:VOTE_K], 1 / np.maximum(dist, 1e-12))
        votes[q] = int(np.argmax(weights))
    present = sorted(set(grades.tolist()))
    return {
        "map": float(aps.mean()),
        "macroMap": float(np.mean([aps[grades == g].mean() for g in present])),
        "mrr": float(rrs.mean()),
        "voteAccuracy": float((votes == grades).mean()),
        "voteKappa": quadratic_kappa(grades, votes, 5),
    }


def quadratic_kappa(truth: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    observed = np.zeros((classes, classes))
    np.add.at(observed, (truth, predicted), 1)
    weights = np.array([[(i - j) ** 2 for j in range(classes)] for i in range(classes)]) / (classes - 1) ** 2
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator > 0 else 0.0
