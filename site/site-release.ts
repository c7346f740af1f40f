import {
  buildManifestFiles,
  type ManifestAsset,
  type ManifestFiles,
  type ManifestRoot,
} from '../protocol/index.js';

/**
 * One release of a site as the origin serves it, immutable once built: the root, each shard's
 * exact bytes by its sha-256, and every asset by URL path. The origin swaps a whole release at
 * once, so the root, the shards and the assets it checks bytes against always agree.
 */
export interface SiteRelease {
  readonly root: ManifestRoot;
  /** The root's exact bytes, as published. */
  readonly rootBytes: Uint8Array;
  readonly shards: ReadonlyMap<string, Uint8Array>;
  readonly assets: ReadonlyMap<string, ManifestAsset>;
}

export function releaseOf(files: ManifestFiles): SiteRelease {
  const assets = new Map<string, ManifestAsset>();
  for (const { shard } of files.shards) {
    for (const asset of shard.assets) assets.set(asset.path, asset);
  }
  return {
    root: files.root,
    rootBytes: new TextEncoder().encode(JSON.stringify(files.root)),
    shards: new Map(files.shards.map((s) => [s.sha256, s.bytes])),
    assets,
  };
}

/**
 * The same release stood down (`serve --disable`): the root says `disabled`, so its version
 * changes and every worker notices; the shards and assets are those of `release`.
 */
export async function disabledRelease(release: SiteRelease): Promise<SiteRelease> {
  const files = await buildManifestFiles([...release.assets.values()], { disabled: true });
  return releaseOf(files);
}
