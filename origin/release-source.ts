import type { SiteRelease } from '../site/index.js';

/**
 * Where the origin reads the release it serves. Every request reads `current()` once and uses
 * that one release throughout, so a swap in the middle never mixes two releases in an answer.
 */
export interface ReleaseSource {
  current(): SiteRelease;
  /**
   * A file's bytes disagreed with the release (it changed since the build): the owner rebuilds
   * in the background. Called at most once per failed request.
   */
  reportStale(urlPath: string, detail: string): void;
}

/** The site an origin serves; absent with `serve --signal-only`. */
export interface SiteContext {
  /** Real path of the site directory. */
  readonly root: string;
  readonly release: ReleaseSource;
}
