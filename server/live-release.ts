import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ReleaseSource } from '../origin/index.js';
import { MANIFEST_FILE, OUTPUT_DIR } from '../protocol/index.js';
import {
  type BuildProgress,
  buildManifest,
  describeSkipped,
  disabledRelease,
  errorReason,
  manifestPathOf,
  type SiteRelease,
} from '../site/index.js';

/** Edits come in bursts (an editor's save, a deploy copying files): rebuild once they settle. */
export const REBUILD_DEBOUNCE_MS = 200;
/** Shown digits of a release version in the log. */
const VERSION_PREFIX_LENGTH = 12;

export interface LiveReleaseOptions {
  log: (line: string) => void;
  /** Publish every release stood down (`serve --disable`). */
  disable?: boolean;
  /** Watch the site and rebuild on changes (default true). */
  watch?: boolean;
  /** Globs of files never shared: kept out of every release (`--exclude`). */
  exclude?: readonly string[];
  onProgress?: (progress: BuildProgress) => void;
}

export interface LiveRelease extends ReleaseSource {
  /** Resolves once no rebuild is pending or running (tests and shutdown wait on it). */
  settled(): Promise<void>;
  close(): void;
}

/**
 * The release `serve` publishes, kept current: built at start (every file hashed: freshness is
 * judged by content), rebuilt in the background when the site changes or a served file turns
 * out not to match, and swapped whole only once a build is complete. A failed build keeps the
 * release before it.
 */
export async function startLiveRelease(
  siteRoot: string,
  options: LiveReleaseOptions,
): Promise<LiveRelease> {
  const { log } = options;
  /** The release as built and written to disk; `current` differs only with --disable. */
  let written: SiteRelease;
  const build = async (onProgress?: (p: BuildProgress) => void): Promise<SiteRelease> => {
    const result = await buildManifest(siteRoot, {
      allowEmpty: true,
      onProgress,
      exclude: options.exclude,
    });
    for (const skipped of result.skipped) log(`peerconnect: skipped ${describeSkipped(skipped)}`);
    written = result.release;
    return options.disable ? disabledRelease(result.release) : result.release;
  };
  let current = await build(options.onProgress);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  /** Paths already reported stale against the current release: one log line each. */
  let reported = new Set<string>();

  const rebuild = async () => {
    do {
      again = false;
      try {
        const next = await build();
        if (closed) return;
        if (next.root.version !== current.root.version) {
          log(
            `peerconnect: now serving release ${next.root.version.slice(0, VERSION_PREFIX_LENGTH)} ` +
              `(${next.assets.size} assets)`,
          );
          current = next;
          reported = new Set();
        }
      } catch (err) {
        log(
          `peerconnect: rebuilding the manifest failed, still serving the last release: ${errorReason(err)}`,
        );
      }
    } while (again && !closed);
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) {
        again = true;
        return;
      }
      running = rebuild().finally(() => {
        running = undefined;
      });
    }, REBUILD_DEBOUNCE_MS);
  };
  const watcher =
    options.watch === false
      ? undefined
      : watchSite(siteRoot, () => (running ? undefined : written), schedule, log);

  return {
    current: () => current,
    reportStale(urlPath, detail) {
      if (!reported.has(urlPath)) {
        reported.add(urlPath);
        log(`peerconnect: ${urlPath} no longer matches the manifest (${detail}): rebuilding`);
      }
      schedule();
    },
    async settled() {
      while (timer !== undefined || running !== undefined) {
        await (running ?? new Promise((resolve) => setTimeout(resolve, REBUILD_DEBOUNCE_MS)));
      }
    },
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

const OWN_PREFIX = `${OUTPUT_DIR}/`;
const ROOT_FILE = `${OUTPUT_DIR}/${MANIFEST_FILE}`;

/**
 * Watches the whole site (recursive). Our own output is ignored, except a root written by
 * another `peerconnect build` that is not the one served. Without a watcher (inotify limits),
 * changes are still caught when a served file fails its check.
 */
function watchSite(
  siteRoot: string,
  /** The root we wrote last; undefined while we are writing one (its events are our own). */
  written: () => SiteRelease | undefined,
  onChange: () => void,
  log: (line: string) => void,
): FSWatcher | undefined {
  const onEvent = (_event: string, filename: string | Buffer | null) => {
    const name = filename?.toString();
    if (name === ROOT_FILE) {
      if (written() === undefined) return;
      void readFile(manifestPathOf(siteRoot)).then(
        (bytes) => {
          const ours = written();
          if (ours && !bytes.equals(ours.rootBytes)) onChange();
        },
        () => {},
      );
      return;
    }
    if (name?.startsWith(OWN_PREFIX)) return;
    onChange();
  };
  try {
    const watcher = watch(siteRoot, { recursive: true }, onEvent);
    watcher.on('error', (err) => {
      log(`peerconnect: watching ${siteRoot} stopped: ${errorReason(err)}`);
      watcher.close();
    });
    return watcher;
  } catch (err) {
    log(`peerconnect: cannot watch ${siteRoot} for changes: ${errorReason(err)}`);
    return undefined;
  }
}
