import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CbmirMetrics } from './cbmir-metrics.ts';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics without authentication on a port of its own (CBMIR_METRICS_PORT), for a Prometheus that
 * cannot hold an API key. It answers nothing else; keep the port on the scraper's network only.
 */
export async function startMetricsServer(options: { metrics: CbmirMetrics; port: number; host: string }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served on this port\n');
      return;
    }
    options.metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': options.metrics.contentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
