"""The trainer's side of the protocol with `cbmir train`: one JSON object per line on stdout."""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps(_clean({"event": event, **fields})) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """A line for the user, shown by the CLI as it is."""
    emit("log", message=message)
