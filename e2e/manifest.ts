import type { Page } from '@playwright/test';
import { PATHS } from '../protocol/index.js';

/**
 * The release a server publishes, as the tests read it: the root, then every shard. Tests may
 * fetch every shard (a visitor never does: it fetches those of the paths it loads).
 */

export interface ReleaseAsset {
  path: string;
  size: number;
  sha256: string;
}

export interface Release {
  version: string;
  disabled: boolean;
  assets: Map<string, ReleaseAsset>;
}

interface RootJson {
  version: string;
  disabled?: boolean;
  shards: Array<{ first: string; sha256: string }>;
}

/** Fetches the root and its shards from `origin` (in Node). */
export async function fetchRelease(origin: string): Promise<Release> {
  const root = (await (await fetch(new URL(PATHS.manifest, origin))).json()) as RootJson;
  const assets = new Map<string, ReleaseAsset>();
  for (const { sha256: hash } of root.shards) {
    const shard = (await (await fetch(new URL(`${PATHS.shards}${hash}.json`, origin))).json()) as {
      assets: ReleaseAsset[];
    };
    for (const { path, size, sha256 } of shard.assets) assets.set(path, { path, size, sha256 });
  }
  return { version: root.version, disabled: root.disabled === true, assets };
}

/** Every manifest path of the release the page's origin serves (fetched from inside the page). */
export function releasePathsInPage(page: Page): Promise<string[]> {
  return page.evaluate(
    async ({ manifest, shards }) => {
      const root = (await (await fetch(manifest, { cache: 'no-store' })).json()) as {
        shards: Array<{ sha256: string }>;
      };
      const lists = await Promise.all(
        root.shards.map(async ({ sha256: hash }) => {
          const shard = (await (await fetch(`${shards}${hash}.json`)).json()) as {
            assets: { path: string }[];
          };
          return shard.assets.map((asset) => asset.path);
        }),
      );
      return lists.flat();
    },
    { manifest: PATHS.manifest, shards: PATHS.shards },
  );
}
