import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { MANIFEST_LIMITS, OUTPUT_DIR, SHA256_HEX } from '../protocol/index.js';
import { writeFileAtomic } from './atomic-write.js';

/** The current release and the previous two: a tab still on one of them may fetch its shards. */
export const RETAINED_RELEASES = 3;
const RELEASE_LOG_FILE = 'releases.json';

export interface LoggedRelease {
  version: string;
  shards: string[];
}

const Sha256 = v.pipe(v.string(), v.regex(SHA256_HEX));
const LogSchema = v.pipe(
  v.array(
    v.object({
      version: Sha256,
      shards: v.pipe(v.array(Sha256), v.maxLength(MANIFEST_LIMITS.maxShards)),
    }),
  ),
  v.maxLength(RETAINED_RELEASES),
);

export function releaseLogPath(siteRoot: string): string {
  return join(siteRoot, OUTPUT_DIR, RELEASE_LOG_FILE);
}

/**
 * The releases last built, newest first; undefined when the log is missing or damaged (then
 * nothing may be pruned: what older tabs need is unknown).
 */
export async function readReleaseLog(siteRoot: string): Promise<LoggedRelease[] | undefined> {
  try {
    const result = v.safeParse(
      LogSchema,
      JSON.parse(await readFile(releaseLogPath(siteRoot), 'utf8')),
    );
    return result.success ? result.output : undefined;
  } catch {
    return undefined;
  }
}

/** Puts `release` first, drops a repeat of it and what falls past RETAINED_RELEASES. */
export function nextReleaseLog(
  previous: readonly LoggedRelease[],
  release: LoggedRelease,
): LoggedRelease[] {
  const rest = previous.filter((r) => r.version !== release.version);
  return [release, ...rest].slice(0, RETAINED_RELEASES);
}

export async function writeReleaseLog(siteRoot: string, log: LoggedRelease[]): Promise<void> {
  await writeFileAtomic(releaseLogPath(siteRoot), JSON.stringify(log));
}
