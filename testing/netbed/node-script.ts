import { resolve } from 'node:path';

/**
 * Small TypeScript programs of the bed that run inside a namespace (a Node process cannot
 * enter one itself): `node --import tsx <script>`, from the repository root so tsx resolves.
 */

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** tsx compiles on start: a second or two on a loaded two-core box. */
export const NODE_SCRIPT_START_MS = 15_000;

export function nodeScriptArgv(script: string, args: readonly string[]): string[] {
  return [process.execPath, '--import', 'tsx', resolve(import.meta.dirname, script), ...args];
}
