"""Embeddings of preprocessed cache files by a checkpoint's network in PyTorch: the reference side of the
ONNX parity check (`cbmir` compares them with ONNX Runtime's on the exported model.onnx)."""

from __future__ import annotations

import numpy as np
import torch

from .dataset import read_cache_file
from .networks import EmbeddingNetwork
from .progress import emit


def run_embed(checkpoint: str, files: list[str], size: int, embedding_dim: int, dropout: float = 0.25, flips: bool = False) -> None:
    saved = torch.load(checkpoint, map_location="cpu")
    network = EmbeddingNetwork(saved["arch"], embedding_dim, saved["kind"], dropout,
                               imagenet_input=any(k.startswith("input_layer.") for k in saved["model"]),
                               normalize=bool(saved.get("normalize", False)))
    network.load_state_dict(saved["model"])
    network.eval()
    x = torch.from_numpy(np.stack([read_cache_file(f, size) for f in files])).float().div(127.5).sub(1).permute(0, 3, 1, 2)
    with torch.no_grad():
        e = network(x)["embedding"]
        if flips:
            e = (e + network(torch.flip(x, dims=[3]))["embedding"]) / 2
    emit("embeddings", vectors=e.double().tolist())
