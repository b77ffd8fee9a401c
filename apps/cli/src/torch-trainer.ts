import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from '@cbmir/embedder';

/** The Python package of the PyTorch training engine (packages/torch-trainer), put on PYTHONPATH. */
export const TORCH_TRAINER_DIR = fileURLToPath(new URL('../../../packages/torch-trainer', import.meta.url));

/** Oldest PyTorch the trainer supports: Debian bookworm's python3-torch. */
const MIN_TORCH: [number, number] = [1, 13];

export const TORCH_INSTALL_HINT =
  'install PyTorch for a Python 3.11+: on Debian/Ubuntu `apt-get install -y python3-torch python3-torchvision`, ' +
  'elsewhere `pip install torch torchvision` (CUDA builds from pytorch.org on GPU machines); ' +
  'set CBMIR_PYTHON to the interpreter if it is not python3 on the PATH or /usr/bin/python3';

export interface TorchPython {
  python: string;
  torch: string;
  torchvision: string;
}

export interface TorchPythonSearch {
  found: TorchPython | null;
  /** each interpreter tried and why it was not used */
  tried: string[];
}

/**
 * Finds a Python that imports torch (>= 1.13) and torchvision: CBMIR_PYTHON when set (and only it),
 * else python3 on the PATH, then /usr/bin/python3 (where Debian's python3-torch lives even when the PATH
 * starts with a pyenv build without it), then python.
 */
export async function findTorchPython(env: NodeJS.ProcessEnv = process.env): Promise<TorchPythonSearch> {
  const candidates = env.CBMIR_PYTHON ? [env.CBMIR_PYTHON] : ['python3', '/usr/bin/python3', 'python'];
  const tried: string[] = [];
  for (const python of candidates) {
    const probe = await runProbe(python);
    if ('error' in probe) {
      tried.push(`${python}: ${probe.error}`);
      continue;
    }
    const [major = 0, minor = 0] = probe.torch.split('.').map((part) => Number.parseInt(part, 10));
    if (major < MIN_TORCH[0] || (major === MIN_TORCH[0] && minor < MIN_TORCH[1])) {
      tried.push(`${python}: PyTorch ${probe.torch} is older than ${MIN_TORCH.join('.')}`);
      continue;
    }
    return { found: { python, ...probe }, tried };
  }
  return { found: null, tried };
}

function runProbe(python: string): Promise<{ torch: string; torchvision: string } | { error: string }> {
  const script = 'import json, torch, torchvision; print(json.dumps([torch.__version__, torchvision.__version__]))';
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code === 'ENOENT' ? 'not found' : error.message }));
    child.on('close', (code) => {
      if (code !== 0) {
        const last = err.trim().split('\n').at(-1) ?? `exit code ${code}`;
        resolve({ error: last });
        return;
      }
      try {
        const [torch, torchvision] = JSON.parse(out.trim().split('\n').at(-1) ?? '') as [string, string];
        resolve({ torch, torchvision });
      } catch {
        resolve({ error: `unexpected output ${JSON.stringify(out.slice(0, 200))}` });
      }
    });
  });
}

/** One line of the trainer's JSON-lines protocol (packages/torch-trainer/cbmir_torch_trainer/progress.py). */
export type TrainerEvent = { event: string } & Record<string, unknown>;

/** The trainer failed: its own report (kind, message) or how the process died. */
export class TorchTrainerError extends Error {
  constructor(
    message: string,
    /** invalid-input, corrupt-checkpoint, out-of-memory, interrupted, internal, crashed */
    readonly kind: string,
  ) {
    super(message);
    this.name = 'TorchTrainerError';
  }

  /** 2 for what the user can fix in the command or its files, 130 for a second Ctrl-C, else 3 */
  get exitCode(): number {
    if (this.kind === 'interrupted') return 130;
    return this.kind === 'invalid-input' || this.kind === 'corrupt-checkpoint' ? 2 : 3;
  }
}

const ERROR_ADVICE: Record<string, string> = {
  'out-of-memory': ' -- try a smaller --batch or --image-size',
  'corrupt-checkpoint': '',
  internal: ' (a bug in the trainer: please report it with the trace above)',
};

/**
 * Runs `python -m cbmir_torch_trainer <command> <options.json>` with the options written next to the
 * run's checkpoint, hands every JSON line to onEvent, and resolves with the last event of `resultEvent`.
 * The child gets its own process group: a terminal's Ctrl-C reaches only this process, which forwards
 * exactly one SIGINT when `signal` aborts (the trainer then stops after its step with a checkpoint), and
 * the child is killed if this process exits first.
 */
export async function runTorchTrainer(options: {
  python: string;
  command: 'train' | 'bench' | 'embed';
  options: Record<string, unknown>;
  workDir: string;
  resultEvent: string;
  onEvent: (event: TrainerEvent) => void;
  signal?: AbortSignal;
}): Promise<TrainerEvent> {
  await mkdir(options.workDir, { recursive: true });
  const optionsFile = join(options.workDir, `torch-${options.command}.json`);
  await writeFileAtomically(optionsFile, JSON.stringify(options.options, null, 2));
  const child = spawn(options.python, ['-m', 'cbmir_torch_trainer', options.command, optionsFile], {
    cwd: TORCH_TRAINER_DIR,
    env: {
      ...process.env,
      PYTHONPATH: [TORCH_TRAINER_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'),
      PYTHONUNBUFFERED: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // The trainer handles SIGINT (stop after the step, with a checkpoint) once it has said 'start'; a stop
  // asked for before then (even before the spawn) is forwarded at that moment.
  let started = false;
  const forward = () => {
    if (started) child.kill('SIGINT');
  };
  options.signal?.addEventListener('abort', forward, { once: true });

  let result: TrainerEvent | null = null;
  let failure: TrainerEvent | null = null;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event: TrainerEvent;
    try {
      event = JSON.parse(line) as TrainerEvent;
    } catch {
      process.stderr.write(`${line}\n`);
      return;
    }
    if (event.event === 'start') {
      started = true;
      if (options.signal?.aborted) child.kill('SIGINT');
    }
    if (event.event === options.resultEvent) result = event;
    if (event.event === 'error') failure = event;
    options.onEvent(event);
  });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const reported = failure as TrainerEvent | null;
    if (reported) {
      const kind = String(reported.kind ?? 'internal');
      if (typeof reported.trace === 'string') process.stderr.write(reported.trace);
      throw new TorchTrainerError(`the PyTorch trainer failed: ${String(reported.message)}${ERROR_ADVICE[kind] ?? ''}`, kind);
    }
    if (code !== 0 || !result) {
      const how = signal ? `was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}` : `exited with code ${code}`;
      throw new TorchTrainerError(`the PyTorch trainer ${how} without a result; the last checkpoint (if any) is kept, continue with --resume`, 'crashed');
    }
    return result;
  } finally {
    options.signal?.removeEventListener('abort', forward);
    process.off('exit', killOnExit);
  }
}
