import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Chromium inside a home network: Playwright launches a wrapper script (its `executablePath`)
 * that execs Chromium inside the host's namespace. The DevTools pipe is inherited file
 * descriptors, so Playwright drives it from outside the namespace as usual.
 */

export const DEFAULT_CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Namespace names and paths are ours (no quotes or spaces), but quote them anyway. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Writes an executable `chromium-<ns>` wrapper into `dir`; returns its path. */
export async function writeChromiumWrapper(
  dir: string,
  ns: string,
  chromiumPath = DEFAULT_CHROMIUM_PATH,
): Promise<string> {
  const path = join(dir, `chromium-${ns}`);
  const script = [
    '#!/bin/sh',
    `# Chromium inside network namespace ${ns} (a PeerConnect test bed).`,
    `exec ip netns exec ${shellQuote(ns)} ${shellQuote(chromiumPath)} "$@"`,
    '',
  ].join('\n');
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

/**
 * Chromium arguments for a visitor of the bed: `baseArgs` (the suite's usual flags) plus the
 * plain-http origins to treat as secure, which service workers need (no TLS in the bed).
 */
export function chromiumArgs(
  baseArgs: readonly string[],
  secureOrigins: readonly string[],
): string[] {
  const origins = secureOrigins.map((origin) => new URL(origin).origin);
  return origins.length === 0
    ? [...baseArgs]
    : [...baseArgs, `--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`];
}
