"""cbmir's PyTorch training engine, started by `pnpm cbmir train --engine torch` (JSON lines on stdout)."""

__version__ = "0.1.0"
