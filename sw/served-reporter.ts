import type { AssetSource, ServedReport } from '../protocol/index.js';

declare const self: ServiceWorkerGlobalScope;

/** Tallies where one response's bytes came from and tells the page that asked. */
export class ServedTally {
  peer = 0;
  origin = 0;
  cache = 0;
  private reported = false;

  constructor(
    private readonly path: string,
    private readonly clientId: string,
  ) {}

  get source(): AssetSource {
    if (this.cache >= this.peer && this.cache >= this.origin && this.cache > 0) return 'cache';
    return this.peer > this.origin ? 'peer' : 'origin';
  }

  /** Sends the report once; later calls (a cancel racing the end) do nothing. */
  report(): void {
    if (this.reported) return;
    this.reported = true;
    const message: ServedReport = {
      type: 'pc:served',
      path: this.path,
      source: this.source,
      peer: this.peer,
      origin: this.origin,
      cache: this.cache,
    };
    if (!this.clientId) return;
    void self.clients.get(this.clientId).then((client) => client?.postMessage(message));
  }
}
