"""Losses: the paper's contrastive loss over Siamese pairs, and the supervised baseline's grade loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pairwise_distances(embeddings: torch.Tensor) -> torch.Tensor:
    squared = (embeddings[:, None, :] - embeddings[None, :, :]).pow(2).sum(-1)
    # The epsilon keeps the gradient of sqrt finite at distance 0.
    return torch.sqrt(squared + 1e-12)


def contrastive_loss(
    embeddings: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float, positive_fraction: float
) -> torch.Tensor:
    """
    Hadsell et al.'s contrastive loss as in the paper: D^2 / 2 for a same pair, max(0, margin - D)^2 / 2 for
    a different one, D the Euclidean distance of the two towers' embeddings (shared weights: one forward
    pass per image, every pair of the batch). Positives weigh positive_fraction of the loss.
    """
    d = pairwise_distances(embeddings.float())
    zero = d.sum() * 0
    pos = 0.5 * d[positive].pow(2).mean() if bool(positive.any()) else zero
    neg = 0.5 * F.relu(margin - d[negative]).pow(2).mean() if bool(negative.any()) else zero
    if not bool(positive.any()):
        return neg
    if not bool(negative.any()):
        return pos
    return positive_fraction * pos + (1 - positive_fraction) * neg


def supervised_contrastive_loss(embeddings: torch.Tensor, positive: torch.Tensor, valid: torch.Tensor, temperature: float) -> torch.Tensor:
    """
    The same pairs, ranked instead of thresholded (Khosla et al. 2020, "supervised contrastive"): for each
    image, every same-pair partner should be nearer than the image's other valid partners, through a
    softmax over cosine similarities / temperature. Only the binary same/different pair labels are used.
    The paper's loss has a fixed point where every pair sits at margin / 2 whatever its label -- where
    grades are hard to tell apart, training settles there -- which a ranking loss does not have.
    positive, valid: symmetric n x n masks without the diagonal.
    """
    z = F.normalize(embeddings.float(), dim=1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(~valid, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    counts = positive.sum(1)
    anchors = counts > 0
    if not bool(anchors.any()):
        return embeddings.sum() * 0
    per_anchor = -(log_prob.masked_fill(~positive, 0).sum(1)[anchors]) / counts[anchors]
    return per_anchor.mean()


def supervised_loss(outputs: dict[str, torch.Tensor], grades: torch.Tensor, regression_weight: float) -> torch.Tensor:
    """Cross-entropy on the 5 grades, plus (ordinal-aware) a smooth-L1 regression of the grade number."""
    loss = F.cross_entropy(outputs["logits"].float(), grades)
    if regression_weight > 0:
        loss = loss + regression_weight * F.smooth_l1_loss(outputs["grade"].float(), grades.float())
    return loss
