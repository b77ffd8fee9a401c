"""Files that are either whole or absent: a kill or a full disk never leaves half of one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, Callable


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """write(tmp) fills a temporary sibling, which then replaces `path` in one rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=directory)
    os.close(fd)
    try:
        # mkstemp makes the file private (0600); model files are as readable as any other file the user writes.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        write(tmp)
        with open(tmp, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomically(path: str, value: Any) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as file:
            json.dump(value, file, indent=2)
            file.write("\n")

    write_atomically(path, write)


def publish_model_dir(out_dir: str, files: dict[str, Callable[[str], None]], metadata: dict) -> None:
    """
    Writes a model directory's files (name -> writer) into a temporary sibling first, then moves them in
    one by one with metadata.json last: its presence marks a complete model, and whatever else the
    directory holds (checkpoint/) stays.
    """
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".model-", suffix=".partial", dir=out_dir)
    try:
        for name, write in files.items():
            write(os.path.join(staging, name))
        write_json_atomically(os.path.join(staging, "metadata.json"), metadata)
        for name in [*files, "metadata.json"]:
            os.replace(os.path.join(staging, name), os.path.join(out_dir, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
