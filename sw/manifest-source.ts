import {
  type Manifest,
  ManifestIndex,
  PATHS,
  parseAndVerifyManifest,
  parseManifest,
} from '../protocol/index.js';
import { DEADLINES } from './deadlines.js';

/** Where the worker keeps the last good manifest, so it works the moment it starts. */
export interface ManifestPersistence {
  load(): Promise<unknown>;
  save(value: { manifest: Manifest; etag: string | null }): Promise<void>;
}

/**
 * The worker's copy of the origin's manifest: loaded from IndexedDB at start, fetched at
 * install, revalidated (ETag) on navigations. Only a manifest whose version matches its content
 * is accepted; a bad or missing one leaves the previous in place (or none: then no request is
 * routed and the site behaves as if PeerConnect were not there).
 */
export class ManifestSource {
  private current: ManifestIndex | undefined;
  private etag: string | null = null;
  private loading: Promise<ManifestIndex | undefined> | undefined;
  private refreshing: Promise<ManifestIndex | undefined> | undefined;
  private lastCheck = 0;
  private readonly listeners = new Set<(index: ManifestIndex) => void>();

  constructor(
    private readonly persistence: () => Promise<ManifestPersistence>,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /** The manifest if already in memory (for synchronous route matching). */
  peek(): ManifestIndex | undefined {
    return this.current;
  }

  get(): Promise<ManifestIndex | undefined> {
    if (this.current) return Promise.resolve(this.current);
    this.loading ??= this.loadPersisted().then(async (index) => index ?? (await this.refresh()));
    return this.loading;
  }

  onChange(listener: (index: ManifestIndex) => void): void {
    this.listeners.add(listener);
  }

  /** Revalidates unless done recently; never throws. */
  maybeRevalidate(): void {
    if (Date.now() - this.lastCheck < DEADLINES.manifestRevalidateMs) return;
    void this.refresh();
  }

  /** Fetches (ETag-revalidates) the manifest; concurrent callers share one request. */
  refresh(): Promise<ManifestIndex | undefined> {
    this.refreshing ??= this.fetchManifest().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetchManifest(): Promise<ManifestIndex | undefined> {
    this.lastCheck = Date.now();
    try {
      const headers: HeadersInit = this.etag ? { 'If-None-Match': this.etag } : {};
      const response = await this.fetchImpl(PATHS.manifest, {
        cache: 'no-cache',
        headers,
        signal: AbortSignal.timeout(DEADLINES.manifestFetchMs),
      });
      if (response.status === 304 || !response.ok) return this.current;
      const manifest = await parseAndVerifyManifest(await response.json());
      this.etag = response.headers.get('ETag');
      if (manifest.version !== this.current?.version) this.install(manifest);
      await (await this.persistence()).save({ manifest, etag: this.etag });
    } catch {
      // Origin down or manifest bad: keep serving with what we have.
    }
    return this.current;
  }

  private async loadPersisted(): Promise<ManifestIndex | undefined> {
    try {
      const saved = (await (await this.persistence()).load()) as
        | { manifest?: unknown; etag?: unknown }
        | undefined;
      if (!saved) return undefined;
      const manifest = parseManifest(saved.manifest);
      this.etag = typeof saved.etag === 'string' ? saved.etag : null;
      if (!this.current) this.install(manifest);
    } catch {
      // A damaged saved copy is ignored; the network copy replaces it.
    }
    return this.current;
  }

  private install(manifest: Manifest): void {
    this.current = new ManifestIndex(manifest);
    for (const listener of this.listeners) listener(this.current);
  }
}
