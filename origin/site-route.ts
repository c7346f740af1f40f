import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { MIB } from '../protocol/index.js';
import { contentTypeFor, isHtmlFile } from '../site/index.js';
import { bootstrapPage } from './bootstrap-page.js';
import { bodyEtag, fileEtag } from './conditional.js';
import { type Exchange, sendError, sendText } from './exchange.js';
import { BOOT_COOKIE_HEADER, FIRST_VISIT_VARY, wantsBootstrap } from './first-visit.js';
import { injectAgentScript, pageAllowsPeerConnect } from './html-inject.js';
import type { OriginContext } from './origin-context.js';
import type { RequestTarget } from './request-target.js';
import { type Entity, sendEntity } from './send-entity.js';
import { resolveSiteFile } from './static-files.js';
import { sendVerifiedAsset } from './verified-asset.js';

/** Pages are read whole to inject the agent; bigger ones are not pages a visitor waits on. */
const MAX_INJECTED_PAGE_BYTES = 8 * MIB;
const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

export function fileEntity(filePath: string, stats: Stats, contentType: string): Entity {
  return {
    contentType,
    etag: fileEtag(stats.size, stats.mtimeMs),
    mtimeMs: stats.mtimeMs,
    size: stats.size,
    source: { file: filePath },
  };
}

/** The site's own files: assets as they are, HTML pages injected or bootstrapped. */
export async function serveSiteFile(
  ex: Exchange,
  target: RequestTarget,
  ctx: OriginContext,
): Promise<void> {
  if (!ctx.site) return sendError(ex, 404, 'This server serves signaling only, no site.');
  const found = await resolveSiteFile(ctx.site.root, target);
  const shown = `/${target.segments.join('/')}`;
  switch (found.kind) {
    case 'not-found':
      return sendError(ex, 404, `${shown} was not found on this site.`);
    case 'forbidden':
      return sendError(ex, 403, `${shown} resolves outside the site directory.`);
    case 'redirect':
      ex.res.setHeader('Location', found.location);
      return sendError(ex, 301, `${shown} is a directory: ${found.location}`);
  }
  const listed = ex.release?.assets.get(target.urlPath);
  if (listed && !isHtmlFile(found.name)) {
    const { release } = ctx.site;
    return sendVerifiedAsset(ex, listed, found.filePath, found.stats, (detail) =>
      release.reportStale(target.urlPath, detail),
    );
  }
  const contentType = contentTypeFor(found.name);
  if (!isHtmlFile(found.name)) {
    return sendEntity(ex, fileEntity(found.filePath, found.stats, contentType));
  }
  // A page too large to read is served as it is.
  const page =
    found.stats.size > MAX_INJECTED_PAGE_BYTES ? undefined : await readFile(found.filePath);
  // A page whose CSP forbids PeerConnect, or a release stood down (--disable), is served as is.
  const stepAside =
    ex.release?.root.disabled === true || (page !== undefined && !pageAllowsPeerConnect(page));
  if (ctx.firstVisit === 'bootstrap' && !stepAside) {
    ex.res.setHeader('Vary', FIRST_VISIT_VARY);
    if (wantsBootstrap(ex.req, target.searchParams)) {
      ctx.metrics.bootstraps.inc();
      return sendText(ex, 200, HTML_CONTENT_TYPE, bootstrapPage(target), {
        'Cache-Control': 'no-store',
        'Set-Cookie': BOOT_COOKIE_HEADER,
      });
    }
  }
  if (!ctx.inject || page === undefined || stepAside) {
    return sendEntity(ex, fileEntity(found.filePath, found.stats, contentType));
  }
  const body = injectAgentScript(page, ctx.agent);
  return sendEntity(ex, {
    contentType,
    etag: bodyEtag(body),
    mtimeMs: found.stats.mtimeMs,
    size: body.length,
    source: { body },
  });
}
