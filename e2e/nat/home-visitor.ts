import type { Browser, BrowserContextOptions, BrowserType } from '@playwright/test';
import { chromiumArgs, type Home } from '../../testing/netbed/index.js';
import { CHROMIUM_LAUNCH, collectConsoleErrors } from '../browser.js';
import type { Visitor } from '../fixtures.js';

/**
 * A visitor on the machine of a home network: its own Chromium, run inside the home's host
 * namespace (the wrapper script as `executablePath`), so every packet it sends goes through
 * the home's NAT router. One browser per visitor, as on separate machines.
 */

/** Chromium starts in about a second; a loaded two-core box is slower. */
const LAUNCH_TIMEOUT_MS = 30_000;

export interface HomeVisitor extends Visitor {
  readonly home: Home;
  readonly browser: Browser;
}

export interface HomeVisitorOptions {
  /** Plain-http origins the browser treats as secure (service workers); the server's, usually. */
  secureOrigins: readonly string[];
  /** Options of the visitor's context; `baseURL` and `serviceWorkers: 'allow'` by default. */
  context?: BrowserContextOptions;
}

export async function launchHomeVisitor(
  chromium: BrowserType,
  home: Home,
  options: HomeVisitorOptions,
): Promise<HomeVisitor> {
  const browser = await chromium.launch({
    ...CHROMIUM_LAUNCH,
    executablePath: home.chromium,
    args: chromiumArgs(CHROMIUM_LAUNCH.args, options.secureOrigins),
    timeout: LAUNCH_TIMEOUT_MS,
  });
  try {
    const context = await browser.newContext({
      baseURL: options.secureOrigins[0],
      serviceWorkers: 'allow',
      ...options.context,
    });
    const consoleErrors = collectConsoleErrors(context);
    return { home, browser, context, page: await context.newPage(), consoleErrors };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
