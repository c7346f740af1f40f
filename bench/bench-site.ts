import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The site the benchmarks serve: a temp copy of examples/demo plus one large asset. */

/** A 16 MiB asset for the throughput and fallback runs (random, so nothing compresses it). */
export const BIG_ASSET = { path: '/bench/payload-16m.wasm', bytes: 16 * 1024 * 1024 } as const;

/** Copies the demo (without stale `peerconnect build` output) and adds BIG_ASSET. */
export async function prepareSite(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-bench-'));
  await cp(join(import.meta.dirname, '..', 'examples', 'demo'), dir, { recursive: true });
  await rm(join(dir, 'peerconnect'), { recursive: true, force: true });
  await mkdir(join(dir, 'bench'), { recursive: true });
  await writeFile(join(dir, BIG_ASSET.path), randomBytes(BIG_ASSET.bytes));
  return dir;
}

/** A private copy of a prepared site, for a server that runs beside others. */
export async function copySite(site: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peerconnect-bench-copy-'));
  await cp(site, dir, { recursive: true });
  return dir;
}
