"""The networks: a ResNet tower, its embedding layer, and for the supervised baseline a grade head."""

from __future__ import annotations

import torch
from torch import nn
from torchvision import models

ARCHITECTURES = ("resnet50", "resnet34", "resnet18", "resnet-tiny")
NUM_GRADES = 5

# ImageNet statistics torchvision and timm weights were trained with (RGB in [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class TinyResNet(nn.Module):
    """cbmir's resnet-tiny: a 16-filter stem (stride 2) and three basic blocks of 16, 32, 64 filters."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        blocks, channels = [], 16
        for filters in (16, 32, 64):
            stride = 1 if filters == 16 else 2
            downsample = None
            if stride != 1 or channels != filters:
                downsample = nn.Sequential(nn.Conv2d(channels, filters, 1, stride, bias=False), nn.BatchNorm2d(filters))
            blocks.append(models.resnet.BasicBlock(channels, filters, stride, downsample))
            channels = filters
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_features = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.layers(self.stem(x))), 1)


def build_backbone(architecture: str) -> tuple[nn.Module, int]:
    """A ResNet without its classifier: image batch (NCHW) -> globally pooled features."""
    if architecture == "resnet-tiny":
        tiny = TinyResNet()
        return tiny, tiny.out_features
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; expected one of {', '.join(ARCHITECTURES)}")
    # zero_init_residual: each block starts as the identity, which trains from scratch faster.
    net = getattr(models, architecture)(weights=None, zero_init_residual=True)
    features = net.fc.in_features
    net.fc = nn.Identity()
    return net, features


class ImageNetInput(nn.Module):
    """Fixed first layer for --init networks: cbmir's input (RGB in [-1, 1]) -> ImageNet-normalised RGB."""

    def __init__(self) -> None:
        super().__init__()
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        self.register_buffer("scale", 0.5 / std)
        self.register_buffer("shift", (0.5 - mean) / std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


class EmbeddingNetwork(nn.Module):
    """
    One tower: ResNet -> pooled features ("third-last" in the paper's Table 1) -> dropout -> linear
    embedding (the vector cbmir stores and searches; "second-last" for the supervised baseline). The
    supervised baseline adds a 5-way grade classifier (softmax) and, when asked, a grade regression output
    that makes the embedding aware of the grades' order.
    """

    def __init__(self, architecture: str, embedding_dim: int, kind: str, dropout: float = 0.25, imagenet_input: bool = False,
                 normalize: bool = False) -> None:
        super().__init__()
        # normalize: unit-length embeddings (the supervised-contrastive pair loss compares directions only)
        self.normalize = normalize
        if kind not in ("siamese", "supervised"):
            raise ValueError(f"kind must be siamese or supervised, got {kind!r}")
        self.kind = kind
        self.input_layer: nn.Module = ImageNetInput() if imagenet_input else nn.Identity()
        self.backbone, self.features = build_backbone(architecture)
        self.dropout = nn.Dropout(dropout)
        self.embedding = nn.Linear(self.features, embedding_dim)
        if kind == "supervised":
            self.classifier = nn.Linear(embedding_dim, NUM_GRADES)
            self.regressor = nn.Linear(embedding_dim, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pooled = self.backbone(self.input_layer(x))
        embedding = self.embedding(self.dropout(pooled))
        if self.normalize:
            embedding = nn.functional.normalize(embedding, dim=1)
        out = {"pooled": pooled, "embedding": embedding}
        if self.kind == "supervised":
            out["logits"] = self.classifier(embedding)
            out["grade"] = self.regressor(embedding).squeeze(1)
        return out


def load_init_weights(network: EmbeddingNetwork, file: str) -> tuple[list[str], list[str]]:
    """
    Loads a torchvision or timm ResNet state dict (a local file; nothing is downloaded) into the tower,
    by parameter name. Returns (loaded, missing) names; the classifier of the file is ignored, the
    embedding layer and heads start fresh.
    """
    try:
        state = torch.load(file, map_location="cpu")
    except Exception as error:  # torch raises many types for a bad file
        raise ValueError(f"--init {file}: not a PyTorch state dict ({error})") from error
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"--init {file}: expected a state dict (name -> tensor), got {type(state).__name__}")
    own = network.backbone.state_dict()
    usable, mismatched = {}, []
    for name, tensor in state.items():
        key = name[len("module."):] if name.startswith("module.") else name
        if key in own and hasattr(tensor, "shape"):
            if tuple(tensor.shape) == tuple(own[key].shape):
                usable[key] = tensor
            else:
                mismatched.append(f"{key} {tuple(tensor.shape)} != {tuple(own[key].shape)}")
    if mismatched:
        raise ValueError(f"--init {file}: shapes differ from the {type(network.backbone).__name__}: {'; '.join(mismatched[:5])}")
    if not usable:
        raise ValueError(f"--init {file}: no tensor in it matches the network's parameter names (is it a ResNet of this architecture?)")
    network.backbone.load_state_dict(usable, strict=False)
    missing = [k for k in own if k not in usable and not k.endswith("num_batches_tracked")]
    return sorted(usable), missing
