import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Fastest first: this is the order `initBackend()` tries them in. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  name: BackendName;
  /** why this one was chosen, including why faster ones were skipped */
  detail: string;
}

/** How optional packages are imported; replaceable so tests can pose as an installed tfjs-node. */
export interface BackendLoaders {
  importModule(specifier: string): Promise<unknown>;
}

// tfjs-node(-gpu) are optional peers: never a dependency of this package (their install downloads
// libtensorflow), but used when the user has installed them.
const NODE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const defaultLoaders: BackendLoaders = { importModule: importOptionalPackage };

// TF.js keeps one global engine per process, so the backend choice is process-wide state by nature;
// caching it here only mirrors that.
let active: { promise: Promise<BackendChoice>; name?: BackendName } | undefined;

/**
 * Picks the best TF.js backend present: tfjs-node-gpu, then tfjs-node, then wasm, then cpu -- the first
 * that both imports and initialises. `preferred` (normally CBMIR_BACKEND; read from the environment
 * when not given; '' or 'auto' mean no preference) forces one and rejects with a clear Error when it
 * is not available.
 *
 * Idempotent: later calls without a preference, or with the one already active, return the first
 * result. A call that names a different backend switches to it (tensors move over lazily).
 */
export async function initBackend(preferred?: BackendName | string, loaders: BackendLoaders = defaultLoaders): Promise<BackendChoice> {
  const wanted = parseBackendName(preferred ?? process.env.CBMIR_BACKEND);
  if (active && (wanted === undefined || wanted === active.name)) return active.promise;

  const promise = (wanted ? initNamed(wanted, loaders) : initBest(loaders)).then(
    (choice) => {
      if (active?.promise === promise) active.name = choice.name;
      return choice;
    },
    (error: unknown) => {
      // A failed choice must not stick: let the caller retry (e.g. with another backend).
      if (active?.promise === promise) active = undefined;
      throw error;
    },
  );
  active = { promise };
  return promise;
}

/** The backend chosen by a finished `initBackend()`, if any. */
export function activeBackendName(): BackendName | undefined {
  return active?.name;
}

/** Accepts the public names; undefined for "no preference". */
export function parseBackendName(value: string | undefined): BackendName | undefined {
  const name = value?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`Unknown TF.js backend "${value}" (CBMIR_BACKEND); expected one of ${BACKEND_NAMES.join(', ')} or auto`);
}

async function initBest(loaders: BackendLoaders): Promise<BackendChoice> {
  const skipped: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      const how = await activate(name, loaders);
      return { name, detail: [...skipped, `using ${name}: ${how}`].join('; ') };
    } catch (error) {
      skipped.push(`${name} unavailable (${messageOf(error)})`);
    }
  }
  // cpu ships inside @tensorflow/tfjs, so this means TF.js itself is broken.
  throw new Error(`No TF.js backend could be initialised: ${skipped.join('; ')}`);
}

async function initNamed(name: BackendName, loaders: BackendLoaders): Promise<BackendChoice> {
  try {
    const how = await activate(name, loaders);
    return { name, detail: `using ${name} as requested: ${how}` };
  } catch (error) {
    const hint =
      name === 'tensorflow' || name === 'tensorflow-gpu'
        ? ` Install ${NODE_PACKAGES[name]} (matching @tensorflow/tfjs ${tf.version.tfjs}) or choose wasm/cpu.`
        : '';
    throw new Error(`TF.js backend "${name}" was requested but is not available: ${messageOf(error)}.${hint}`, {
      cause: error,
    });
  }
}

/** Makes `name` the active TF.js backend or throws saying why not; returns how it was set up. */
async function activate(name: BackendName, loaders: BackendLoaders): Promise<string> {
  let how: string;
  let tfName: string;
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const specifier = NODE_PACKAGES[name];
      const mod = (await loaders.importModule(specifier)) as { version?: Record<string, string> } | undefined;
      tfName = 'tensorflow';
      if (!tf.findBackendFactory(tfName)) {
        throw new Error(`${specifier} imported but registered no "tensorflow" backend with this @tensorflow/tfjs`);
      }
      const theirs = mod?.version?.['tfjs-node'] ?? mod?.version?.tfjs;
      how = `${specifier}${theirs ? ` ${theirs}` : ''} (native libtensorflow)`;
      break;
    }
    case 'wasm': {
      const wasmDir = await setUpWasm(loaders);
      tfName = 'wasm';
      how = `wasm binaries from ${wasmDir}`;
      break;
    }
    case 'cpu':
      tfName = 'cpu';
      how = 'plain JavaScript (slow: seconds per 224 px image)';
      break;
  }
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tf.setBackend('${tfName}') failed to initialise`);
  await tf.ready();
  return how;
}

let wasmDir: string | undefined;

async function setUpWasm(loaders: BackendLoaders): Promise<string> {
  const mod = (await loaders.importModule('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
  if (wasmDir === undefined) {
    // In Node the .wasm files are read from disk: point TF.js at the package's dist folder, wherever
    // pnpm placed it, instead of the default (a path relative to the current directory).
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasmDir = path.dirname(main) + path.sep;
    mod.setWasmPaths(wasmDir);
  }
  // Our own kernels fill the gaps the wasm backend has for training (e.g. Conv2DBackpropFilter).
  const { registerWasmTrainingKernels } = await import('./wasm-kernels/index.ts');
  registerWasmTrainingKernels();
  return wasmDir;
}

/**
 * Imports a package that may not be installed. Tries the normal resolution from this package first,
 * then from the running script's folder and the working directory, so a tfjs-node that the user
 * added to their app (which pnpm does not expose to this package) is still found.
 */
async function importOptionalPackage(specifier: string): Promise<unknown> {
  try {
    return await import(/* @vite-ignore */ specifier);
  } catch (error) {
    if (!isModuleNotFound(error, specifier)) throw error;
    const script = process.argv[1];
    const bases = [...(script ? [script] : []), path.join(process.cwd(), 'noop.js')];
    for (const base of bases) {
      let resolved: string;
      try {
        resolved = createRequire(base).resolve(specifier);
      } catch {
        continue;
      }
      return import(/* @vite-ignore */ pathToFileURL(resolved).href);
    }
    throw new Error(`${specifier} is not installed`);
  }
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(messageOf(error))) &&
    messageOf(error).includes(specifier)
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
