import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Response } from '@playwright/test';
import type { ServerProcess } from './server-process.js';

/** Comparing what a visitor received with what the origin holds, by sha-256. */

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha-256 of a response's body as the browser received it. */
export async function responseSha256(response: Response): Promise<string> {
  return sha256Hex(await response.body());
}

/** The bytes of the file the server serves at `urlPath` (from its private site copy). */
export function siteFile(server: ServerProcess, urlPath: string): Promise<Buffer> {
  const path = decodeURIComponent(new URL(urlPath, server.url).pathname);
  return readFile(join(server.siteDir, path));
}

export interface PageFetchResult {
  status: number;
  size: number;
  sha256: string;
}

/**
 * Fetches `url` from inside the page, so through its service worker when one controls it,
 * and hashes the body there (WebCrypto). `headers` e.g. { Range: 'bytes=0-99' }.
 */
export function pageFetch(
  page: Page,
  url: string,
  headers: Record<string, string> = {},
): Promise<PageFetchResult> {
  return page.evaluate(
    async ({ url, headers }) => {
      const response = await fetch(url, { headers });
      const body = await response.arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
      const sha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
      return { status: response.status, size: body.byteLength, sha256 };
    },
    { url, headers },
  );
}
