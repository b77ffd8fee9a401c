"""`pnpm bench train --engine torch`: training images/s of each network, with the real step (augmentation,
forward, loss, backward, AdamW) on random images, after warm-up steps."""

from __future__ import annotations

import time

import torch

from .augment import augment
from .losses import contrastive_loss, supervised_loss
from .networks import EmbeddingNetwork
from .progress import emit
from .runtime import choose_runtime
from .sampling import pair_masks


def run_bench(models: list[str], kinds: list[str], batch: int = 16, steps: int = 5, warmup: int = 2,
              embedding_dim: int = 128, device: str = "auto", precision: str = "auto", threads: int | None = None) -> None:
    runtime = choose_runtime(device, precision, threads)
    generator = torch.Generator().manual_seed(1)
    for model in models:
        arch, _, size_text = model.partition("@")
        size = int(size_text or 224)
        for kind in kinds:
            try:
                network = EmbeddingNetwork(arch, embedding_dim, kind).to(runtime.device).to(memory_format=torch.channels_last)
                optimizer = torch.optim.AdamW(network.parameters(), lr=1e-4)
                scaler = runtime.grad_scaler()
                images = torch.rand(batch, 3, size, size, generator=generator).mul(2).sub(1).contiguous(memory_format=torch.channels_last)
                grades = torch.arange(batch) % 5
                patients = torch.arange(batch)
                positive, negative = pair_masks(grades, patients)

                def step() -> None:
                    x = augment(images, generator).to(runtime.device)
                    with runtime.autocast():
                        out = network(x)
                    if kind == "siamese":
                        loss = contrastive_loss(out["embedding"], positive.to(runtime.device), negative.to(runtime.device), 1.0, 0.5)
                    else:
                        loss = supervised_loss(out, grades.to(runtime.device), 0.5)
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    if runtime.device.type == "cuda":
                        torch.cuda.synchronize()

                for _ in range(warmup):
                    step()
                started = time.perf_counter()
                for _ in range(steps):
                    step()
                seconds = (time.perf_counter() - started) / steps
                emit("bench", engine="torch", architecture=arch, inputSize=size, kind=kind, batch=batch,
                     imagesPerSecond=batch / seconds, msPerStep=seconds * 1000, precision=runtime.precision,
                     runtime=runtime.detail, parameters=int(sum(p.numel() for p in network.parameters())))
            except (RuntimeError, MemoryError) as error:
                emit("bench", engine="torch", architecture=arch, inputSize=size, kind=kind, batch=batch,
                     error=str(error).split("\n")[0], precision=runtime.precision, runtime=runtime.detail)
            finally:
                network = optimizer = None  # noqa: F841 -- free the network before the next one
