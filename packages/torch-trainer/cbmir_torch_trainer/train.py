"""A training run: epochs of Siamese or supervised steps, validation, best model and checkpoint every epoch,
early stopping, a time budget, resume and Ctrl-C -- the same behaviour as cbmir's TF.js trainer."""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import torch

from . import __version__
from .augment import Augmentation, augment
from .dataset import Split, TrainingSet, load_training_set
from .export_onnx import export_onnx
from .files import publish_model_dir, write_atomically
from .losses import contrastive_loss, supervised_contrastive_loss, supervised_loss
from .metrics import retrieval_metrics
from .networks import EmbeddingNetwork, load_init_weights
from .progress import emit, log
from .runtime import Runtime, choose_runtime
from .sampling import draw_batch, grade_weights, pair_masks

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "training-state.pt"
SELECT_KEYS = {"map": "map", "macro-map": "macroMap", "kappa": "voteKappa"}


@dataclass
class TrainConfig:
    manifest: str
    out: str
    kind: str = "siamese"
    arch: str = "resnet50"
    embedding_dim: int = 128
    epochs: int = 10
    batch: int = 16
    margin: float = 1.0
    # siamese: "contrastive" (the paper's) or "supcon" (the same pair labels, ranked; unit-length embeddings)
    pair_loss: str = "contrastive"
    temperature: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 1e-4
    seed: int = 42
    positive_fraction: float = 0.5
    steps_per_epoch: int | None = None
    time_budget_minutes: float | None = None
    patience: int | None = 3
    resume: bool = False
    init: str | None = None
    dropout: float = 0.25
    balance: float = 1.0
    regression_weight: float = 0.0
    select: str = "map"
    keep: str = "best"
    flips: bool = False
    schedule: str = "cosine"
    # with resume: start a new learning-rate cycle (warm-up, cosine from lr) instead of continuing the old one
    warm_restart: bool = False
    warmup_fraction: float = 0.03
    device: str = "auto"
    precision: str = "auto"
    threads: int | None = None
    info: dict = field(default_factory=dict)

    @staticmethod
    def from_json(values: dict) -> "TrainConfig":
        known = {f for f in TrainConfig.__dataclass_fields__}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training options: {', '.join(unknown)}")
        config = TrainConfig(**values)
        if config.kind not in ("siamese", "supervised"):
            raise ValueError(f"kind must be siamese or supervised, got {config.kind!r}")
        if config.select not in SELECT_KEYS:
            raise ValueError(f"select must be one of {', '.join(SELECT_KEYS)}, got {config.select!r}")
        if config.keep not in ("best", "last"):
            raise ValueError(f"keep must be best or last, got {config.keep!r}")
        if config.pair_loss not in ("contrastive", "supcon"):
            raise ValueError(f"pair_loss must be contrastive or supcon, got {config.pair_loss!r}")
        if config.schedule not in ("cosine", "constant"):
            raise ValueError(f"schedule must be cosine or constant, got {config.schedule!r}")
        return config


class StopRequest:
    """Ctrl-C / SIGTERM: finish the current step, write a checkpoint, stop."""

    def __init__(self) -> None:
        self.requested = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


def embed(network: EmbeddingNetwork, split: Split, runtime: Runtime, flips: bool, batch_size: int = 64) -> np.ndarray:
    network.eval()
    out = []
    with torch.no_grad(), runtime.autocast():
        for start in range(0, len(split), batch_size):
            x = split.batch(np.arange(start, min(start + batch_size, len(split)))).to(runtime.device)
            e = network(x)["embedding"].float()
            if flips:
                e = (e + network(torch.flip(x, dims=[3]))["embedding"].float()) / 2
            out.append(e.cpu().numpy())
    network.train()
    return np.concatenate(out)


def validate(network: EmbeddingNetwork, split: Split, runtime: Runtime, flips: bool) -> dict | None:
    if len(split) < 2:
        return None
    return retrieval_metrics(embed(network, split, runtime, flips), split.grades, split.patients)


def learning_rate(config: TrainConfig, progress: float) -> float:
    if config.schedule == "constant":
        return config.lr
    if progress < config.warmup_fraction:
        return config.lr * max(progress / config.warmup_fraction, 0.01)
    t = (progress - config.warmup_fraction) / max(1e-9, 1 - config.warmup_fraction)
    return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def run_training(config: TrainConfig) -> dict:
    torch.manual_seed(config.seed)
    runtime = choose_runtime(config.device, config.precision, config.threads)
    data = load_training_set(config.manifest)
    size = int(data.preprocessing["inputSize"])
    checkpoint_dir = os.path.join(config.out, CHECKPOINT_DIR)
    state_path = os.path.join(checkpoint_dir, STATE_FILE)

    network = EmbeddingNetwork(config.arch, config.embedding_dim, config.kind, config.dropout, imagenet_input=bool(config.init),
                               normalize=config.kind == "siamese" and config.pair_loss == "supcon")
    state: dict
    resuming = config.resume and os.path.exists(state_path)
    if config.resume and not resuming:
        raise FileNotFoundError(f"nothing to resume: no {STATE_FILE} in {checkpoint_dir}")
    if resuming:
        try:
            saved = torch.load(state_path, map_location="cpu")
            kind, arch = saved["kind"], saved["arch"]
        except Exception as error:
            raise CorruptCheckpoint(f"the checkpoint {state_path} cannot be read ({error}); delete it to start afresh") from error
        if kind != config.kind or arch != config.arch:
            raise ValueError(f"the checkpoint in {checkpoint_dir} is a {kind} {arch}, not {config.kind} {config.arch}")
        try:
            network.load_state_dict(saved["model"])
        except Exception as error:
            raise CorruptCheckpoint(f"the checkpoint {state_path} does not fit this network ({error}); delete it to start afresh") from error
        state = saved["state"]
    else:
        if config.init:
            loaded, missing = load_init_weights(network, config.init)
            log(f"--init: loaded {len(loaded)} tensors from {config.init}; trained from scratch: {', '.join(missing) or 'none'}")
        state = {"epoch": 0, "history": [], "best": None, "untrained": None, "progress": 0.0, "elapsed": 0.0, "step": 0}
    network = network.to(runtime.device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scaler = runtime.grad_scaler()
    if resuming:
        optimizer.load_state_dict(saved["optimizer"])
    if not resuming:
        state["untrained"] = validate(network, data.validation, runtime, config.flips)
    if config.warm_restart:
        if not resuming:
            raise ValueError("warm_restart continues a checkpoint: it needs resume")
        state["cycle_start"] = state["step"]
        state["progress"] = 0.0

    steps_per_epoch = config.steps_per_epoch or max(1, math.ceil(len(data.train) / config.batch))
    total_steps = config.epochs * steps_per_epoch
    weights = grade_weights(data.train.grades, config.balance)
    select_key = SELECT_KEYS[config.select]
    budget_s = config.time_budget_minutes * 60 if config.time_budget_minutes else None
    stop = StopRequest()
    started = time.monotonic()
    elapsed_before = state["elapsed"]
    steps_run = 0
    stopped_by = "completed"
    emit("start", engine="torch", runtime=runtime.detail, precision=runtime.precision, train=len(data.train),
         validation=len(data.validation), epochs=config.epochs, stepsPerEpoch=steps_per_epoch, resumedAt=state["epoch"],
         untrained=state["untrained"])

    def save_checkpoint() -> None:
        state["elapsed"] = elapsed_before + time.monotonic() - started
        payload = {"kind": config.kind, "arch": config.arch, "normalize": network.normalize, "model": network.state_dict(),
                   "optimizer": optimizer.state_dict(), "state": state}
        write_atomically(state_path, lambda tmp: torch.save(payload, tmp))

    def save_model(validation: dict | None, best_epoch: int | None) -> None:
        metadata = model_metadata(config, data, runtime, state, validation, best_epoch, size)
        publish_model_dir(config.out, {"model.onnx": lambda file: export_onnx(network, size, file, config.flips)}, metadata)

    while state["epoch"] < config.epochs:
        epoch = state["epoch"] + 1
        rng = np.random.default_rng(config.seed * 1000 + epoch)
        generator = torch.Generator().manual_seed(config.seed * 1000 + epoch)
        epoch_started = time.monotonic()
        losses = []
        for step in range(1, steps_per_epoch + 1):
            if stop.requested:
                stopped_by = "interrupted"
                break
            cycle_start = state.get("cycle_start", 0)
            progress = (state["step"] - cycle_start) / max(1, total_steps - cycle_start)
            if budget_s:
                progress = max(progress, (time.monotonic() - started) / budget_s)
            state["progress"] = max(state["progress"], min(1.0, progress))
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, state["progress"])
            indices = draw_batch(weights, config.batch, rng)
            x = augment(data.train.batch(indices), generator).to(runtime.device)
            grades = torch.as_tensor(data.train.grades[indices], device=runtime.device)
            with runtime.autocast():
                outputs = network(x)
            if config.kind == "siamese":
                positive, negative = pair_masks(grades.cpu(), torch.as_tensor(data.train.patients[indices]))
                if config.pair_loss == "supcon":
                    both = positive | positive.T
                    valid = both | negative | negative.T
                    loss = supervised_contrastive_loss(outputs["embedding"], both.to(runtime.device), valid.to(runtime.device), config.temperature)
                else:
                    loss = contrastive_loss(outputs["embedding"], positive.to(runtime.device), negative.to(runtime.device), config.margin, config.positive_fraction)
            else:
                loss = supervised_loss(outputs, grades, config.regression_weight)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"training diverged: loss {value} at epoch {epoch}, step {step} (try a lower --lr)")
            losses.append(value)
            steps_run += 1
            state["step"] += 1
            run_s = time.monotonic() - started
            steps_left = (config.epochs - epoch) * steps_per_epoch + (steps_per_epoch - step)
            eta_s = run_s / steps_run * steps_left
            if budget_s:
                eta_s = min(eta_s, max(0.0, budget_s - run_s))
            emit("step", epoch=epoch, epochs=config.epochs, step=step, stepsPerEpoch=steps_per_epoch, loss=value,
                 imagesPerSecond=steps_run * config.batch / run_s, etaMs=eta_s * 1000, lr=optimizer.param_groups[0]["lr"])
        if stopped_by == "interrupted":
            break
        validation = validate(network, data.validation, runtime, config.flips)
        record = {"epoch": epoch, "meanLoss": float(np.mean(losses)) if losses else None, "validation": validation,
                  "elapsedMs": (time.monotonic() - epoch_started) * 1000}
        state["epoch"] = epoch
        state["history"].append(record)
        best = state["best"]
        improved = (config.keep == "last" or best is None or validation is None
                    or validation[select_key] > ((best.get("validation") or {}).get(select_key, -math.inf)))
        if improved:
            state["best"] = record
            save_model(validation, epoch)
        save_checkpoint()
        emit("epoch", **record, best=improved)
        if epoch >= config.epochs:
            break
        if config.patience is not None and state["best"] and epoch - state["best"]["epoch"] >= config.patience:
            stopped_by = "early-stopping"
            break
        if budget_s and time.monotonic() - started >= budget_s:
            stopped_by = "time-budget"
            break

    if stopped_by == "interrupted":
        save_checkpoint()
        if not state["best"]:
            save_model(None, None)
    run_s = time.monotonic() - started
    result = {"stoppedBy": stopped_by, "epochsDone": state["epoch"], "best": state["best"], "untrained": state["untrained"],
              "imagesPerSecond": steps_run * config.batch / run_s if steps_run else 0.0, "runtime": runtime.detail}
    emit("done", **result)
    return result


class CorruptCheckpoint(Exception):
    pass


def model_metadata(config: TrainConfig, data: TrainingSet, runtime: Runtime, state: dict, validation: dict | None,
                   best_epoch: int | None, size: int) -> dict:
    """The metadata.json cbmir's TF.js trainer writes, with `weightsFormat: onnx` (no TF.js files)."""
    return {
        "format": "cbmir-embedder",
        "formatVersion": 1,
        "weightsFormat": "onnx",
        "spec": {"architecture": config.arch, "inputSize": size, "embeddingDim": config.embedding_dim, "seed": config.seed,
                 "dropout": config.dropout, "inputConvention": "unit"},
        "trainer": {"engine": "torch", "version": __version__, "torch": torch.__version__, "runtime": runtime.detail},
        "savedAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "info": {
            **config.info,
            "kind": config.kind,
            "trained": True,
            "preprocessing": data.preprocessing,
            "dataFingerprint": data.data_fingerprint,
            "testTimeFlips": config.flips,
            "metrics": {"validation": validation, "untrainedValidation": state["untrained"], "bestEpoch": best_epoch},
            "training": {
                "engine": "torch",
                "epochs": state["epoch"],
                "batchSize": config.batch,
                "learningRate": config.lr,
                "weightDecay": config.weight_decay,
                "schedule": config.schedule,
                "pairLoss": config.pair_loss if config.kind == "siamese" else None,
                "temperature": config.temperature if config.kind == "siamese" and config.pair_loss == "supcon" else None,
                "margin": config.margin if config.kind == "siamese" and config.pair_loss == "contrastive" else None,
                "positiveFraction": config.positive_fraction if config.kind == "siamese" else None,
                "balance": config.balance,
                "regressionWeight": config.regression_weight if config.kind == "supervised" else None,
                "seed": config.seed,
                "history": state["history"],
            },
        },
    }
