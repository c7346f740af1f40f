import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, OUTPUT_DIR, SHARDS_DIR } from '../protocol/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { errorReason } from './error-reason.js';
import { SiteError } from './errors.js';
import { nextReleaseLog, readReleaseLog, writeReleaseLog } from './release-log.js';
import type { SiteRelease } from './site-release.js';

const SHARD_FILE = /^([0-9a-f]{64})\.json$/;

export function manifestPathOf(siteDir: string): string {
  return join(siteDir, OUTPUT_DIR, MANIFEST_FILE);
}

export function shardsDirOf(siteDir: string): string {
  return join(siteDir, OUTPUT_DIR, SHARDS_DIR);
}

/**
 * Publishes a release on disk for any static server: the shards first, then the root (a reader
 * that sees the new root finds every shard it names), each written atomically. A shard file
 * that exists with the right size is kept (its name is its hash), and a root identical to the
 * one on disk is not rewritten. Then shard files no retained release names are removed.
 */
export async function writeRelease(siteRoot: string, release: SiteRelease): Promise<void> {
  const manifestPath = manifestPathOf(siteRoot);
  const shardsDir = shardsDirOf(siteRoot);
  try {
    await mkdir(shardsDir, { recursive: true });
    for (const [sha, bytes] of release.shards) {
      const path = join(shardsDir, `${sha}.json`);
      const existing = await stat(path).catch(() => undefined);
      if (existing?.size !== bytes.byteLength) await writeFileAtomic(path, bytes);
    }
    const onDisk = await readFile(manifestPath).catch(() => undefined);
    if (!onDisk?.equals(release.rootBytes)) await writeFileAtomic(manifestPath, release.rootBytes);
    const previous = await readReleaseLog(siteRoot);
    const log = nextReleaseLog(previous ?? [], {
      version: release.root.version,
      shards: release.root.shards.map((s) => s.sha256),
    });
    await writeReleaseLog(siteRoot, log);
    if (previous !== undefined) await pruneShards(shardsDir, new Set(log.flatMap((r) => r.shards)));
  } catch (err) {
    throw new SiteError('manifest-write-failed', `${manifestPath}: ${errorReason(err)}`);
  }
}

async function pruneShards(shardsDir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(shardsDir)) {
    const sha = SHARD_FILE.exec(name)?.[1];
    if (sha !== undefined && !keep.has(sha)) await rm(join(shardsDir, name), { force: true });
  }
}
