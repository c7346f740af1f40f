import { extname } from 'node:path';
import { contentType } from 'mime-types';

const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

/**
 * The Content-Type of a site file. The manifest's `type` and the header `serve` sends both come
 * from here, so a verified asset is answered to the page with the same type the origin uses.
 */
export function contentTypeFor(filePath: string): string {
  return contentType(extname(filePath)) || FALLBACK_CONTENT_TYPE;
}
