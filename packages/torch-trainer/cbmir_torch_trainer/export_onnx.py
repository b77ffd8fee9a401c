"""Export to the serving contract cbmir's server already uses (packages/embedder/src/onnx): input
`input_image` [batch, size, size, 3] (HWC RGB in [-1, 1], as preprocessed), first output `embedding`
[batch, dim]. A supervised baseline adds `pooled` (third-last layer) and `probabilities` (softmax) for
`cbmir eval --layers`."""

from __future__ import annotations

import copy
import inspect

import torch
from torch import nn

from .networks import EmbeddingNetwork

INPUT_NAME = "input_image"
OUTPUT_NAME = "embedding"
OPSET = 17


class ServingGraph(nn.Module):
    def __init__(self, network: EmbeddingNetwork, flips: bool) -> None:
        super().__init__()
        self.network = network
        self.flips = flips

    def forward(self, image: torch.Tensor):
        x = image.permute(0, 3, 1, 2)
        out = self.network(x)
        if self.flips:
            # Test-time flips: the mean of the image's and its mirror's outputs.
            mirrored = self.network(torch.flip(x, dims=[3]))
            out = {k: (v + mirrored[k]) / 2 for k, v in out.items()}
        if self.network.kind == "supervised":
            return out["embedding"], out["pooled"], torch.softmax(out["logits"], dim=1)
        return out["embedding"]


def output_names(network: EmbeddingNetwork) -> list[str]:
    return [OUTPUT_NAME, "pooled", "probabilities"] if network.kind == "supervised" else [OUTPUT_NAME]


def export_onnx(network: EmbeddingNetwork, size: int, file: str, flips: bool = False) -> None:
    """fp32, CPU, inference mode (dropout off, batch norm on its running statistics)."""
    graph = ServingGraph(copy.deepcopy(network).float().cpu().eval(), flips).eval()
    names = output_names(network)
    kwargs = {}
    # PyTorch >= 2.9 exports through dynamo by default (needs onnxscript); the TorchScript exporter is in 1.13 and 2.x.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with torch.no_grad():
        torch.onnx.export(
            graph,
            torch.zeros(1, size, size, 3),
            file,
            input_names=[INPUT_NAME],
            output_names=names,
            dynamic_axes={name: {0: "batch"} for name in [INPUT_NAME, *names]},
            opset_version=OPSET,
            do_constant_folding=True,
            **kwargs,
        )
