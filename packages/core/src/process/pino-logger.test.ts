import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, wantsPrettyLogs } from './pino-logger.ts';

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('server logs', () => {
  it('are pretty at a terminal and JSON elsewhere or in production', () => {
    expect(wantsPrettyLogs({}, true)).toBe(true);
    expect(wantsPrettyLogs({}, false)).toBe(false);
    expect(wantsPrettyLogs({ NODE_ENV: 'production' }, true)).toBe(false);
  });

  it('writes one JSON object per line when not pretty', async () => {
    const out = capture();
    const log = createLogger({ level: 'info', pretty: false, destination: out.stream });
    log.info({ jobId: 'j1' }, 'job started');
    log.debug('below the level');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'job started', jobId: 'j1' });
  });

  it('writes readable lines (level name, message, fields) when pretty', async () => {
    const out = capture();
    const log = createLogger({ level: 'info', pretty: true, destination: out.stream });
    log.warn({ jobId: 'j1' }, 'job retried');
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    expect(text).toMatch(/WARN.*job retried/);
    expect(text).toContain('jobId: "j1"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
