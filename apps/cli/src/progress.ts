import cliProgress from 'cli-progress';

/** A progress bar with rate and ETA on a terminal; plain periodic lines when output is piped (CI, logs). */
export function createProgress(label: string, total: number, unit = 'img') {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} | {rate} ${unit}/s | ETA {eta_formatted} | {status}`, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { rate: '0.0', status: '' });
    return {
      update(done: number, status: string) {
        bar.update(done, { rate: (done / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(1), status });
      },
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let lastPrint = 0;
  return {
    update(done: number, status: string) {
      const now = Date.now();
      if (now - lastPrint < 5000 && done < total) return;
      lastPrint = now;
      const rate = done / Math.max(1e-3, (now - started) / 1000);
      const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      process.stderr.write(`${label} ${done}/${total} | ${rate.toFixed(1)} ${unit}/s | ETA ${eta}s | ${status}\n`);
    },
    stop() {},
  };
}
