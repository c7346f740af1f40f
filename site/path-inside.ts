import { sep } from 'node:path';

/** Whether absolute path `candidate` is `root` itself or lies under it (both normalized). */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return candidate.startsWith(prefix);
}
