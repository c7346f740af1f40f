import { extname } from 'node:path';

/**
 * What `peerconnect build` puts in the manifest: static files a page fetches as subresources,
 * by extension. HTML is left out on purpose: pages are served by the origin (and personalised
 * or injected there), never from peers.
 */
const ASSET_EXTENSIONS: ReadonlySet<string> = new Set([
  // images
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'avif',
  'svg',
  'ico',
  'bmp',
  // fonts
  'woff',
  'woff2',
  'ttf',
  'otf',
  'eot',
  // styles and scripts
  'css',
  'js',
  'mjs',
  // media
  'mp4',
  'webm',
  'ogg',
  'ogv',
  'mp3',
  'm4a',
  'wav',
  'flac',
  'aac',
  'mov',
  'm4v',
  // code
  'wasm',
]);

const HTML_EXTENSIONS: ReadonlySet<string> = new Set(['html', 'htm']);

function extensionOf(fileName: string): string {
  return extname(fileName).slice(1).toLowerCase();
}

export function isAssetFile(fileName: string): boolean {
  return ASSET_EXTENSIONS.has(extensionOf(fileName));
}

export function isHtmlFile(fileName: string): boolean {
  return HTML_EXTENSIONS.has(extensionOf(fileName));
}

/** Dot-prefixed names (.git, .env, .DS_Store) are private to the site's author. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}
