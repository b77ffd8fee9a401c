"""python -m cbmir_torch_trainer train <options.json> | bench <options.json> | embed <options.json> | probe"""

from __future__ import annotations

import json
import sys
import traceback
import warnings

from .progress import emit


def error_kind(error: BaseException) -> str:
    text = str(error).lower()
    if isinstance(error, MemoryError) or "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text:
        return "out-of-memory"
    from .train import CorruptCheckpoint

    if isinstance(error, CorruptCheckpoint):
        return "corrupt-checkpoint"
    if isinstance(error, (ValueError, FileNotFoundError)):
        return "invalid-input"
    return "internal"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("train", "bench", "embed", "probe"):
        print(__doc__, file=sys.stderr)
        return 2
    # numpy warns about subnormals once flush-denormal is on; that is the point of it.
    warnings.filterwarnings("ignore", message=".*smallest subnormal.*")
    try:
        import torch

        if args[0] == "probe":
            from .runtime import choose_runtime

            emit("probe", torch=torch.__version__, runtime=choose_runtime().detail, cuda=torch.cuda.is_available())
            return 0
        with open(args[1], encoding="utf-8") as file:
            options = json.load(file)
        if args[0] == "train":
            from .train import TrainConfig, run_training

            run_training(TrainConfig.from_json(options))
        elif args[0] == "embed":
            from .embed import run_embed

            run_embed(**options)
        else:
            from .bench import run_bench

            run_bench(**options)
        return 0
    except KeyboardInterrupt:
        emit("error", kind="interrupted", message="stopped by a second interrupt before a checkpoint was written")
        return 130
    except BaseException as error:  # every failure reaches the CLI as one JSON line and an exit code
        kind = error_kind(error)
        emit("error", kind=kind, message=str(error) or type(error).__name__, trace=traceback.format_exc() if kind == "internal" else None)
        return 1


if __name__ == "__main__":
    sys.exit(main())
