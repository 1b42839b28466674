// `--metrics HOST:PORT`: what a command reports through its events, served in Prometheus's text format at /metrics.
// Values are set from the events as they arrive (docs/metrics.md lists every metric); the server only renders them.

import { createServer, type Server } from 'node:http';
import { UsageError } from '../errors.js';
import { getLogger } from '../logger.js';

const log = getLogger('metrics');

type Labels = Record<string, string | number>;

interface Family {
  help: string;
  type: 'gauge' | 'counter';
  samples: Map<string, { labels: Labels; value: number }>;
}

/** Label values escaped as the text format asks: backslash, double quote and newline. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** The metrics of one process: gauges are set, counters only grow. */
export class Metrics {
  private readonly families = new Map<string, Family>();

  private family(name: string, type: Family['type'], help: string): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { help, type, samples: new Map() }));
    return f;
  }

  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.family(name, 'gauge', help).samples.set(labelText(labels), { labels, value });
  }

  add(name: string, help: string, by = 1, labels: Labels = {}): void {
    const f = this.family(name, 'counter', help);
    const key = labelText(labels);
    f.samples.set(key, { labels, value: (f.samples.get(key)?.value ?? 0) + by });
  }

  /** A counter that mirrors a running total the command already keeps (set, never lowered). */
  total(name: string, help: string, value: number, labels: Labels = {}): void {
    const f = this.family(name, 'counter', help);
    const key = labelText(labels);
    f.samples.set(key, { labels, value: Math.max(f.samples.get(key)?.value ?? 0, value) });
  }

  /** Prometheus text exposition format, version 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [key, s] of f.samples) lines.push(`${name}${key} ${Number.isFinite(s.value) ? s.value : s.value > 0 ? '+Inf' : s.value < 0 ? '-Inf' : 'NaN'}`);
    }
    return lines.join('\n') + '\n';
  }
}

/** Parses `--metrics HOST:PORT` (`:9400` or `9400` means 127.0.0.1). */
export function parseMetricsAddress(text: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--metrics: '${text}' is not HOST:PORT (e.g. 127.0.0.1:9400)`);
  const host = m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

/** Serves `metrics` at http://HOST:PORT/metrics until closed; a port already taken is a usage error naming it. */
export async function serveMetrics(address: string, metrics: Metrics): Promise<{ url: string; close: () => Promise<void> }> {
  const { host, port } = parseMetricsAddress(address);
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics.render());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('oxbow serves its metrics at /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new UsageError(`--metrics ${address}: port ${port} on ${host} is taken; choose another port`)
      : new UsageError(`--metrics ${address}: cannot listen there (${err.message})`)));
    server.listen(port, host, resolve);
  });
  const bound = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof bound === 'object' && bound ? bound.port : port}/metrics`;
  log.info('serving metrics', { url });
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** `--metrics`, the same for `archive` and `sessions`: `.option(...METRICS_OPTION)`. */
export const METRICS_OPTION = ['--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics while running (docs/metrics.md)'] as const;

/** The registry and its server for `--metrics ADDRESS`, or null when the option is not given. */
export async function openMetrics(address: string | undefined): Promise<{ registry: Metrics; url: string; close: () => Promise<void> } | null> {
  if (address === undefined) return null;
  const registry = new Metrics();
  return { registry, ...(await serveMetrics(address, registry)) };
}
