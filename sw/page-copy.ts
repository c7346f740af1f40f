import type { AssetStore } from '../store/index.js';
import { STORE_LIMITS } from '../store/index.js';
import { forbidsKeeping } from './private-content.js';
import { readCapped } from './read-capped.js';

/** The store as page copies use it. */
export type PageStore = Pick<AssetStore, 'putPage' | 'getPage'>;

/** Set on a navigation answered from the stored copy, so the page (and tests) can tell. */
export const OFFLINE_HEADER = 'x-peerconnect-offline';

/**
 * Headers a copy is kept without: a cookie is the visitor's session, never part of a page served
 * later; the body is kept decoded, so its encoding and length on the wire no longer apply.
 */
const DROPPED_HEADERS = new Set(['set-cookie', 'content-encoding', 'content-length']);

const HTML = /^\s*text\/html\s*(;|$)/i;

/**
 * Whether a navigation response may be kept: the real page as the origin sent it, never an
 * error, a redirect or what the origin marked `no-store` (the first-visit bootstrap) or `private`.
 */
export function isKeepable(response: Response): boolean {
  if (response.status !== 200 || response.redirected || !response.body) return false;
  if (!HTML.test(response.headers.get('content-type') ?? '')) return false;
  return !forbidsKeeping(response);
}

/**
 * The page's response, copied to the store on the side when it may be kept: the body is teed,
 * so the page is not delayed by the copy, and a body over STORE_LIMITS.maxPageBytes is not kept.
 */
export function keepPageCopy(
  url: string,
  response: Response,
  store: () => Promise<PageStore | undefined>,
  waitUntil: (promise: Promise<unknown>) => void,
): Response {
  if (!isKeepable(response) || !response.body) return response;
  const [forPage, forCopy] = response.body.tee();
  waitUntil(storeCopy(url, response, forCopy, store));
  return new Response(forPage, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** Copies a keepable response the page will not read (it was answered from its copy already). */
export function refreshPageCopy(
  url: string,
  response: Response,
  store: () => Promise<PageStore | undefined>,
): Promise<void> {
  if (!isKeepable(response) || !response.body) return response.body?.cancel() ?? Promise.resolve();
  return storeCopy(url, response, response.body, store);
}

/** The stored copy of the page at `url` as a response, or undefined when there is none. */
export async function storedPage(
  url: string,
  store: () => Promise<PageStore | undefined>,
): Promise<Response | undefined> {
  try {
    const page = await (await store())?.getPage(url);
    if (!page) return undefined;
    const headers = new Headers(page.headers);
    headers.set(OFFLINE_HEADER, '1');
    return new Response(page.body, { status: page.status, headers });
  } catch {
    return undefined;
  }
}

/** Best effort: a copy the store refuses (quota, a broken database) only means none is kept. */
async function storeCopy(
  url: string,
  response: Response,
  body: ReadableStream<Uint8Array>,
  store: () => Promise<PageStore | undefined>,
): Promise<void> {
  const parts = await readCapped(body, STORE_LIMITS.maxPageBytes);
  if (!parts) return;
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (!DROPPED_HEADERS.has(name.toLowerCase())) headers.push([name, value]);
  });
  const type = response.headers.get('content-type') ?? '';
  await (await store().catch(() => undefined))
    ?.putPage({
      url: new URL(url).href.replace(/#.*$/, ''),
      status: response.status,
      headers,
      body: new Blob(parts as BlobPart[], { type }),
    })
    .catch(() => false);
}
