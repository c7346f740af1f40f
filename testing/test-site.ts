import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Test support: a throwaway site in the OS temp dir, beside an "outside" directory. */
export interface TempSite {
  /** The site directory. */
  readonly dir: string;
  /** A sibling directory outside the site, for symlinks that escape it. */
  readonly outside: string;
  write(relativePath: string, content: string | Uint8Array): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeTempSite(
  files: Record<string, string | Uint8Array> = {},
): Promise<TempSite> {
  const parent = await mkdtemp(join(tmpdir(), 'peerconnect-test-'));
  const dir = join(parent, 'site');
  const outside = join(parent, 'outside');
  await mkdir(dir);
  await mkdir(outside);
  const site: TempSite = {
    dir,
    outside,
    async write(relativePath, content) {
      const path = join(dir, relativePath);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      return path;
    },
    cleanup: () => rm(parent, { recursive: true, force: true }),
  };
  for (const [path, content] of Object.entries(files)) await site.write(path, content);
  return site;
}

/** Deterministic bytes that differ in every chunk, so a chunk mix-up cannot go unnoticed. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}
