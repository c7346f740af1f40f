import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { ORIGIN_METRIC_NAMES } from '../origin/index.js';
import { PATHS } from '../protocol/index.js';
import { type RunningServer, type ServeOptions, startServer } from '../server/index.js';
import { metricSum } from './prometheus-text.js';
import { makeTempSite, type TempSite } from './test-site.js';

/** Test support: a temp site served by a real `startServer` on a free port. */
export interface TestOrigin {
  readonly site: TempSite;
  readonly server: RunningServer;
  readonly bundleDir: string;
  readonly logs: string[];
  url(path: string): string;
  /** Current value of a counter sample, 0 when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Body bytes counted as `kind` between two reads, excluding the metrics reads themselves. */
  bytesDelta(kind: 'asset' | 'other', during: () => Promise<void>): Promise<number>;
  close(): Promise<void>;
}

export const FAKE_BUNDLES = {
  'peerconnect-sw.js': 'self.addEventListener("fetch", () => {});\n',
  'peerconnect-sw.js.map': '{"version":3}',
  'agent.js': 'console.log("agent");\n',
} as const;

export async function startTestOrigin(
  files: Record<string, string | Uint8Array>,
  options: Partial<ServeOptions> & { withBundles?: boolean } = {},
): Promise<TestOrigin> {
  const site = await makeTempSite(files);
  const bundleDir = join(site.outside, 'bundles');
  await mkdir(bundleDir);
  if (options.withBundles ?? true) {
    for (const [name, text] of Object.entries(FAKE_BUNDLES)) {
      await writeFile(join(bundleDir, name), text);
    }
  }
  const logs: string[] = [];
  const server = await startServer({
    siteDir: site.dir,
    port: 0,
    bundleDir,
    log: (line) => logs.push(line),
    ...options,
  });
  const url = (path: string) => new URL(path, server.url).href;
  const metricsText = async () => (await fetch(url(PATHS.metrics))).text();
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricSum(await metricsText(), name, labels);
  return {
    site,
    server,
    bundleDir,
    logs,
    url,
    metric,
    async bytesDelta(kind, during) {
      const before = await metricsText();
      await during();
      const after = await metricsText();
      const delta =
        metricSum(after, ORIGIN_METRIC_NAMES.bytes, { kind }) -
        metricSum(before, ORIGIN_METRIC_NAMES.bytes, { kind });
      // The first metrics body is counted (as other) once written; the second is not yet.
      return kind === 'other' ? delta - Buffer.byteLength(before) : delta;
    },
    async close() {
      await server.close();
      await site.cleanup();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the target sent verbatim ('/../x' included), which fetch would normalize. */
export function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
