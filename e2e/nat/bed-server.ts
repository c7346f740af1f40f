import { join, resolve } from 'node:path';
import type { BedProcess, Netbed, PortForward } from '../../testing/netbed/index.js';
import { originAssetBytes, type ServerProcess } from '../server-process.js';

/**
 * `peerconnect serve` inside the test bed's public namespace, on 198.18.0.1 (or another public
 * host of the bed). Visitors in home networks reach it at `publicUrl`; the test process, which
 * lives outside every namespace, reaches it at `url` (a loopback forward through the bed's
 * gateway), so it is a ServerProcess: `originAssetBytes`, `metricValue`, `siteFile` work as usual.
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'peerconnect.js');
/** It builds the manifest (hashes ~5 MB) before it listens. */
const START_TIMEOUT_MS = 30_000;

export interface BedServer extends ServerProcess {
  /** What visitors open, e.g. `http://198.18.0.1:8080` (no trailing slash). */
  readonly publicUrl: string;
  /** The address and port it listens on inside the public namespace. */
  readonly host: string;
  readonly port: number;
}

export interface BedServerOptions {
  /** Default: the bed's server address, 198.18.0.1. */
  host?: string;
  port: number;
  /** Extra `serve` options, e.g. ['--stun-port', '3478']. */
  args?: readonly string[];
}

export async function startBedServer(
  bed: Netbed,
  siteDir: string,
  options: BedServerOptions,
): Promise<BedServer> {
  const host = options.host ?? bed.serverIp;
  const { port } = options;
  const child: BedProcess = bed.spawn(
    bed.publicNs,
    process.execPath,
    [CLI, 'serve', siteDir, '--host', host, '--port', String(port), ...(options.args ?? [])],
    { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } },
  );
  let forward: PortForward;
  try {
    // The trailing non-digit keeps a port split across two output chunks from matching early.
    const listening = new RegExp(`at http://${host.replaceAll('.', '\\.')}:${port}\\D`);
    await child.waitForOutput(listening, START_TIMEOUT_MS);
    forward = await bed.forward(host, port);
  } catch (err) {
    await child.stop();
    throw new Error(`peerconnect serve in ${bed.publicNs}: ${(err as Error).message}`);
  }
  const stop = async () => {
    await child.stop();
    await forward.close();
  };
  const server: BedServer = {
    url: forward.url,
    publicUrl: `http://${host}:${port}`,
    host,
    port,
    siteDir,
    process: child.child,
    log: () => child.log(),
    stop,
    originAssetBytes: () => originAssetBytes(server),
  };
  return server;
}
