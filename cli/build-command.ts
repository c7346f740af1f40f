import { buildManifest, describeSkipped } from '../site/index.js';
import type { CliIo } from './cli-io.js';
import { EXIT } from './errors.js';
import { formatBytes, formatDuration } from './format.js';
import { createProgressReporter } from './progress.js';

/** Shown digits of the manifest version: enough to tell builds apart at a glance. */
const VERSION_PREFIX_LENGTH = 12;

/**
 * `peerconnect build <site-dir>`. Exits 1 when some asset could not be read: the manifest is
 * still written without it (the origin keeps serving the rest), but the failure must be seen.
 */
export async function runBuild(
  siteDir: string,
  exclude: readonly string[],
  io: CliIo,
): Promise<number> {
  const progress = createProgressReporter(io.stderr);
  const result = await buildManifest(siteDir, {
    exclude,
    onProgress: (p) => progress.update(p),
  }).finally(() => progress.clear());
  const { root } = result.release;
  let unreadable = 0;
  for (const skipped of result.skipped) {
    const failed = skipped.reason === 'unreadable';
    if (failed) unreadable++;
    io.stderr.write(
      `peerconnect: ${failed ? 'error' : 'warning'}: skipped ${describeSkipped(skipped)}\n`,
    );
  }
  io.stdout.write(
    `peerconnect: hashed ${result.files} files (${formatBytes(result.bytes)}) ` +
      `in ${formatDuration(result.durationMs)} into ${result.manifestPath} ` +
      `and ${root.shards.length} shard(s) (version ${root.version.slice(0, VERSION_PREFIX_LENGTH)})\n`,
  );
  if (unreadable === 0) return EXIT.ok;
  io.stderr.write(
    `peerconnect: ${unreadable} file(s) could not be read and are not in the manifest\n`,
  );
  return EXIT.failure;
}
