import {
  allImagesDecoded,
  expect,
  gotoSitePage,
  pageFetch,
  sha256Hex,
  siteFile,
  test,
} from './fixtures.js';
import { recordServed, seedPage, waitForServed } from './swarm.js';

/**
 * The store across schema versions: a store written by the previous schema (v1) is opened,
 * migrated and served from, while a planted entry whose bytes do not match its hash is never
 * served. (Quota errors are covered by store/'s unit tests: Chromium's CDP quota override is
 * enforced on writes but not reported by `navigator.storage.estimate()`, and at a quota small
 * enough to matter it refuses every write, so it cannot show eviction here.)
 */

test('a store written by the v1 schema is migrated and served from; a planted entry is not', async ({
  newVisitor,
  server,
}) => {
  const a = await newVisitor();
  const assets = await seedPage(a, '/');
  const [kept, planted] = assets.filter((path) => path.startsWith('/images/'));
  if (!kept || !planted) throw new Error('the gallery has fewer than two images');

  const b = await newVisitor();
  // Before B's first page: an origin URL that is not a page, so no worker and no bootstrap.
  await b.page.goto('/peerconnect/healthz');
  const keptBytes = await siteFile(server, kept);
  const plantedBytes = await siteFile(server, planted);
  await b.page.evaluate(
    async ({ entries }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        // A frozen copy of the v1 schema (store/ before schema v2).
        const open = indexedDB.open('peerconnect', 1);
        open.onupgradeneeded = () => {
          const assets = open.result.createObjectStore('assets', { keyPath: 'sha256' });
          assets.createIndex('usedAt', 'usedAt');
          open.result.createObjectStore('blobs');
          open.result.createObjectStore('meta');
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const tx = db.transaction(['assets', 'blobs'], 'readwrite');
      for (const entry of entries) {
        const bytes = Uint8Array.from(atob(entry.base64), (c) => c.charCodeAt(0));
        tx.objectStore('assets').put({
          sha256: entry.sha256,
          path: entry.path,
          size: bytes.length,
          type: entry.type,
          storedAt: Date.now(),
          usedAt: Date.now(),
        });
        tx.objectStore('blobs').put(new Blob([bytes], { type: entry.type }), entry.sha256);
      }
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    {
      entries: [
        { path: kept, sha256: sha256Hex(keptBytes), base64: keptBytes.toString('base64') },
        // The right hash and size, the wrong bytes: planted, or damaged on disk.
        {
          path: planted,
          sha256: sha256Hex(plantedBytes),
          base64: Buffer.alloc(plantedBytes.length, 0x5a).toString('base64'),
        },
      ].map((entry) => ({ ...entry, type: 'application/octet-stream' })),
    },
  );

  await a.context.close();
  await recordServed(b.context);
  await gotoSitePage(b.page, '/');
  expect((await allImagesDecoded(b.page)).undecoded).toEqual([]);
  const served = await waitForServed(b.page, [kept, planted]);
  expect(served.get(kept)?.source).toBe('cache');
  expect(served.get(planted)?.source).toBe('origin');
  expect((await pageFetch(b.page, planted)).sha256).toBe(sha256Hex(plantedBytes));
  expect(b.consoleErrors).toEqual([]);
});
