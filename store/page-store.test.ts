import { describe, expect, it } from 'vitest';
import { MIB } from '../protocol/index.js';
import { STORE_INTERNALS, STORE_LIMITS } from './limits.js';
import { pageKey } from './page-store.js';
import { storeFixture } from './store-fixture.test-helper.js';

const fx = storeFixture();

const SITE = 'https://site.test';
const page = (path: string, body: Blob | string = `<h1>${path}</h1>`) => ({
  url: `${SITE}${path}`,
  status: 200,
  headers: [['content-type', 'text/html; charset=utf-8']] as [string, string][],
  body: typeof body === 'string' ? new Blob([body]) : body,
});

describe('page copies', () => {
  it('round-trips a page: status, headers and bytes, with the time it was stored', async () => {
    const store = await fx.open(1000);
    fx.now = 42_000;
    expect(await store.putPage(page('/a'))).toBe(true);
    const got = await store.getPage(`${SITE}/a`);
    expect(got).toMatchObject({ url: `${SITE}/a`, status: 200, storedAt: 42_000 });
    expect(got?.headers).toEqual([['content-type', 'text/html; charset=utf-8']]);
    expect(await got?.body.text()).toBe('<h1>/a</h1>');
    expect(await store.getPage(`${SITE}/b`)).toBeUndefined();
  });

  it('keys pages by URL without fragment', async () => {
    const store = await fx.open(1000);
    expect(pageKey('https://site.test/a?q=1#top')).toBe('https://site.test/a?q=1');
    expect(pageKey('/relative')).toBeUndefined();
    await store.putPage({ ...page('/a'), url: `${SITE}/a#part` });
    expect((await store.getPage(`${SITE}/a#other`))?.url).toBe(`${SITE}/a`);
  });

  it('never keeps Set-Cookie, whatever its case', async () => {
    const store = await fx.open(1000);
    const headers: [string, string][] = [
      ['Set-Cookie', 'session=1'],
      ['set-cookie', 'b=2'],
      ['etag', '"x"'],
    ];
    await store.putPage({ ...page('/a'), headers });
    expect((await store.getPage(`${SITE}/a`))?.headers).toEqual([['etag', '"x"']]);
  });

  it('refuses a page over maxPageBytes, a bad URL or status, or too many headers', async () => {
    const store = await fx.open(1000);
    const big = new Blob([new Uint8Array(STORE_LIMITS.maxPageBytes + 1)]);
    expect(await store.putPage(page('/big', big))).toBe(false);
    expect(await store.putPage({ ...page('/x'), url: 'not a url' })).toBe(false);
    expect(await store.putPage({ ...page('/x'), status: 99 })).toBe(false);
    const many = Array.from(
      { length: STORE_INTERNALS.maxPageHeaders + 1 },
      (_, i): [string, string] => [`x-${i}`, 'v'],
    );
    expect(await store.putPage({ ...page('/x'), headers: many })).toBe(false);
    const long: [string, string][] = [['x-long', 'v'.repeat(STORE_INTERNALS.maxPageHeaderChars)]];
    expect(await store.putPage({ ...page('/x'), headers: long })).toBe(false);
    expect(await store.getPage(`${SITE}/big`)).toBeUndefined();
    expect(
      await store.putPage(page('/edge', new Blob([new Uint8Array(STORE_LIMITS.maxPageBytes)]))),
    ).toBe(true);
  });

  it('keeps at most maxPages, dropping the least recently stored first', async () => {
    const store = await fx.open(1000);
    for (let i = 0; i < STORE_LIMITS.maxPages; i++) {
      fx.now = 1_000 + i;
      await store.putPage(page(`/p${i}`));
    }
    // Storing /p0 again makes it the newest: /p1 is then the oldest.
    fx.now = 5_000;
    await store.putPage(page('/p0'));
    fx.now = 5_001;
    await store.putPage(page('/new'));
    expect(await store.getPage(`${SITE}/p1`)).toBeUndefined();
    expect(await store.getPage(`${SITE}/p0`)).toBeDefined();
    expect(await store.getPage(`${SITE}/p2`)).toBeDefined();
    expect(await store.getPage(`${SITE}/new`)).toBeDefined();
  });

  it('keeps page bytes under maxPagesBytes, apart from the asset budget', async () => {
    // An asset budget of 10 bytes: page copies do not count toward it.
    const store = await fx.open(10);
    const size = 2 * MIB;
    const fit = Math.floor(STORE_LIMITS.maxPagesBytes / size);
    for (let i = 0; i <= fit; i++) {
      fx.now = 1_000 + i;
      expect(await store.putPage(page(`/p${i}`, new Blob([new Uint8Array(size)])))).toBe(true);
    }
    expect(await store.getPage(`${SITE}/p0`)).toBeUndefined();
    for (let i = 1; i <= fit; i++) expect(await store.getPage(`${SITE}/p${i}`)).toBeDefined();
  });

  it('deletes a damaged copy rather than serving it', async () => {
    const store = await fx.open(1000);
    await store.putPage(page('/a'));
    await store.putPage(page('/b'));
    const good = await fx.raw('pages', `${SITE}/a`);
    await fx.rawPut('pages', { ...(good as object), body: 'not a blob' });
    await fx.rawPut('pages', { ...(good as object), url: `${SITE}/b`, status: '200' });
    expect(await store.getPage(`${SITE}/a`)).toBeUndefined();
    expect(await store.getPage(`${SITE}/b`)).toBeUndefined();
    expect(await fx.raw('pages', `${SITE}/a`)).toBeUndefined();
    expect(await fx.raw('pages', `${SITE}/b`)).toBeUndefined();
  });

  it('drops damaged copies while making room', async () => {
    const store = await fx.open(1000);
    await store.putPage(page('/a'));
    const good = await fx.raw('pages', `${SITE}/a`);
    await fx.rawPut('pages', { ...(good as object), url: `${SITE}/z`, headers: 'none' });
    await fx.rawPut('pages', { url: `${SITE}/y`, body: 'no storedAt' });
    await store.putPage(page('/b'));
    expect(await fx.raw('pages', `${SITE}/z`)).toBeUndefined();
    expect(await fx.raw('pages', `${SITE}/y`)).toBeUndefined();
    expect(await store.getPage(`${SITE}/a`)).toBeDefined();
  });
});
