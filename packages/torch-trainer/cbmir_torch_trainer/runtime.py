"""Where and how tensors are computed: device, threads, precision."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    # 'bf16' (CPU with AVX-512 bf16 / AMX), 'fp16' (CUDA AMP) or 'fp32'
    precision: str
    threads: int
    detail: str

    def grad_scaler(self):
        """fp16 gradients underflow without loss scaling (CUDA AMP); bf16 and fp32 need none."""
        return torch.cuda.amp.GradScaler(enabled=self.precision == "fp16")

    def autocast(self):
        if self.precision == "bf16":
            return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
        if self.precision == "fp16":
            return torch.autocast(device_type="cuda", dtype=torch.float16)
        return contextlib.nullcontext()


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def choose_runtime(device: str = "auto", precision: str = "auto", threads: int | None = None) -> Runtime:
    """CUDA with AMP where a GPU is present; else the CPU with bf16 autocast where it has bf16 units."""
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for, but PyTorch sees no CUDA device")
        chosen = "fp16" if precision == "auto" else precision
        torch.backends.cudnn.benchmark = True
        name = torch.cuda.get_device_name(0)
        return Runtime(torch.device("cuda"), chosen, torch.get_num_threads(), f"CUDA {name}, {chosen}")
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    # Without it ResNet-50 ran 15x slower here: denormal floats take the slow path in the CPU.
    torch.set_flush_denormal(True)
    flags = cpu_flags()
    has_bf16 = "avx512_bf16" in flags or "amx_bf16" in flags
    if precision == "auto":
        chosen = "bf16" if has_bf16 else "fp32"
    elif precision == "bf16" and not has_bf16:
        raise RuntimeError("--precision bf16 was asked for, but this CPU has no bf16 units (avx512_bf16 / amx_bf16)")
    else:
        chosen = precision
    return Runtime(torch.device("cpu"), chosen, threads, f"CPU, {threads} thread{'s' if threads != 1 else ''}, {chosen}")
