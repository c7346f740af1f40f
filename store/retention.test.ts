import { describe, expect, it } from 'vitest';
import { isPeerConnectError } from '../protocol/index.js';
import { STORE_LIMITS } from './limits.js';
import { isRetained, withRelease } from './retention.js';
import { RELEASE_LOG_KEY } from './schema.js';
import {
  asset,
  RELEASE_A,
  RELEASE_B,
  RELEASE_C,
  RELEASE_D,
  storeFixture,
} from './store-fixture.test-helper.js';

const fx = storeFixture();

const record = (releases: string[]) => ({
  ...asset('r', 1).meta,
  storedAt: 0,
  usedAt: 0,
  releases,
});

describe('withRelease', () => {
  it('puts the release first, without repeats, capped at releasesKept', () => {
    expect(withRelease([], RELEASE_A)).toEqual([RELEASE_A]);
    expect(withRelease([RELEASE_B, RELEASE_A], RELEASE_A)).toEqual([RELEASE_A, RELEASE_B]);
    expect(withRelease([RELEASE_C, RELEASE_B, RELEASE_A], RELEASE_D)).toEqual([
      RELEASE_D,
      RELEASE_C,
      RELEASE_B,
    ]);
    expect(STORE_LIMITS.releasesKept).toBe(3);
  });
});

describe('isRetained', () => {
  it('keeps a record one of the kept releases references, and no other', () => {
    expect(isRetained(record([RELEASE_B]), [RELEASE_C, RELEASE_B])).toBe(true);
    expect(isRetained(record([RELEASE_A]), [RELEASE_C, RELEASE_B])).toBe(false);
  });

  it('keeps everything when no release is known (a lost log must not wipe the store)', () => {
    expect(isRetained(record([RELEASE_A]), [])).toBe(true);
  });

  it('keeps a record with no releases until the log is full', () => {
    expect(isRetained(record([]), [])).toBe(true);
    expect(isRetained(record([]), [RELEASE_B, RELEASE_A])).toBe(true);
    expect(isRetained(record([]), [RELEASE_C, RELEASE_B, RELEASE_A])).toBe(false);
  });
});

describe('the release log', () => {
  it('notes releases newest first, once each, capped', async () => {
    const store = await fx.open(1000);
    expect(await store.releases()).toEqual([]);
    expect(await store.noteRelease(RELEASE_A)).toEqual([RELEASE_A]);
    expect(await store.noteRelease(RELEASE_A)).toEqual([RELEASE_A]);
    expect(await store.noteRelease(RELEASE_B)).toEqual([RELEASE_B, RELEASE_A]);
    // A rollback to A brings it back to the front.
    expect(await store.noteRelease(RELEASE_A)).toEqual([RELEASE_A, RELEASE_B]);
    await store.noteRelease(RELEASE_C);
    expect(await store.noteRelease(RELEASE_D)).toEqual([RELEASE_D, RELEASE_C, RELEASE_A]);
    expect(await store.releases()).toEqual([RELEASE_D, RELEASE_C, RELEASE_A]);
  });

  it('starts over from a damaged log', async () => {
    const store = await fx.open(1000);
    await store.setMeta(RELEASE_LOG_KEY, ['not a version']);
    expect(await store.releases()).toEqual([]);
    expect(await store.getMeta(RELEASE_LOG_KEY)).toBeUndefined();
    await store.setMeta(RELEASE_LOG_KEY, 'garbage');
    expect(await store.noteRelease(RELEASE_A)).toEqual([RELEASE_A]);
  });

  it('refuses a release that is not a root version', async () => {
    const store = await fx.open(1000);
    const a = asset('a', 1);
    for (const call of [
      () => store.noteRelease('v2'),
      () => store.markReferenced([a.meta.sha256], 'v2'),
      () => store.put(a.meta, a.data, 'v2'),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(isPeerConnectError(err, 'store-error')).toBe(true);
    }
    expect(await store.has(a.meta.sha256)).toBe(false);
  });
});

describe('references and eviction', () => {
  it('put marks the release and keeps the ones already known', async () => {
    const store = await fx.open(1000);
    const a = asset('a', 10);
    await store.put(a.meta, a.data, RELEASE_A);
    await store.put(a.meta, a.data, RELEASE_B);
    expect((await store.get(a.meta.sha256))?.meta.releases).toEqual([RELEASE_B, RELEASE_A]);
    await store.put(a.meta, a.data);
    expect((await store.get(a.meta.sha256))?.meta.releases).toEqual([RELEASE_B, RELEASE_A]);
  });

  it('markReferenced marks the listed records that exist, once, and nothing else', async () => {
    const store = await fx.open(1000);
    const [a, b] = [asset('a', 10), asset('b', 10)];
    await store.put(a.meta, a.data, RELEASE_A);
    await store.put(b.meta, b.data, RELEASE_A);
    const absent = asset('x', 3).meta.sha256;
    await store.markReferenced([a.meta.sha256, a.meta.sha256, absent], RELEASE_B);
    expect((await store.get(a.meta.sha256))?.meta.releases).toEqual([RELEASE_B, RELEASE_A]);
    expect((await store.get(b.meta.sha256))?.meta.releases).toEqual([RELEASE_A]);
    expect(await store.has(absent)).toBe(false);
  });

  it('follows the worker: an asset no kept release references goes, with its bytes', async () => {
    const store = await fx.open(10_000);
    const [kept, changed, gone] = [asset('k', 10), asset('c', 20), asset('g', 40)];
    await store.noteRelease(RELEASE_A);
    await store.put(kept.meta, kept.data, RELEASE_A);
    await store.put(changed.meta, changed.data, RELEASE_A);
    await store.put(gone.meta, gone.data, RELEASE_A);
    // B, C and D keep `kept` unchanged; `changed` stays in B only; `gone` in none of them.
    for (const [release, same] of [
      [RELEASE_B, [kept, changed]],
      [RELEASE_C, [kept]],
      [RELEASE_D, [kept]],
    ] as const) {
      await store.noteRelease(release);
      await store.markReferenced(
        same.map((item) => item.meta.sha256),
        release,
      );
      await store.evictUnreferenced(await store.releases());
    }
    expect(await store.releases()).toEqual([RELEASE_D, RELEASE_C, RELEASE_B]);
    expect(await store.hashes()).toEqual(new Set([kept.meta.sha256, changed.meta.sha256]));
    expect(await fx.raw('blobs', gone.meta.sha256)).toBeUndefined();
    // One more release without `changed`: B falls out of the log, and `changed` with it.
    const releaseE = 'e'.repeat(64);
    await store.noteRelease(releaseE);
    await store.markReferenced([kept.meta.sha256], releaseE);
    expect(await store.evictUnreferenced(await store.releases())).toEqual({ assets: 1, bytes: 20 });
    expect(await store.hashes()).toEqual(new Set([kept.meta.sha256]));
  });

  it('keeps unmarked (migrated) records until the log is full, then drops the unmarked ones', async () => {
    const store = await fx.open(10_000);
    const [marked, unmarked] = [asset('m', 10), asset('u', 30)];
    await store.put(marked.meta, marked.data);
    await store.put(unmarked.meta, unmarked.data);
    const releases = [RELEASE_A, RELEASE_B, RELEASE_C];
    for (const [i, release] of releases.entries()) {
      await store.noteRelease(release);
      await store.markReferenced([marked.meta.sha256], release);
      const removed = await store.evictUnreferenced(await store.releases());
      const full = i === releases.length - 1;
      expect(removed).toEqual(full ? { assets: 1, bytes: 30 } : { assets: 0, bytes: 0 });
    }
    expect(await store.hashes()).toEqual(new Set([marked.meta.sha256]));
  });

  it('removes malformed records in a sweep', async () => {
    const store = await fx.open(10_000);
    const a = asset('a', 10);
    await store.put(a.meta, a.data, RELEASE_A);
    await fx.rawPut('assets', { sha256: 'f'.repeat(64), size: 'big' });
    expect(await store.evictUnreferenced([RELEASE_A])).toEqual({ assets: 1, bytes: 0 });
    expect(await store.hashes()).toEqual(new Set([a.meta.sha256]));
  });
});
