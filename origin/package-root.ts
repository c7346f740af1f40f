import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'peerconnect';

interface PackageJson {
  name?: string;
  version?: string;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/**
 * The directory of peerconnect's own package.json, found by walking up from this module: the
 * same answer from the sources (tests, tsx) and from dist/node (the installed CLI).
 */
export function findPackageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (readPackageJson(dir)?.name === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
  }
}

export function packageVersion(): string {
  return readPackageJson(findPackageRoot())?.version ?? 'unknown';
}
