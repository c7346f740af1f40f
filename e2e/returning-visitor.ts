import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from '@playwright/test';
import { CHROMIUM_LAUNCH, collectConsoleErrors } from './browser.js';
import { removeDir } from './server-process.js';

/**
 * A visitor whose browser keeps its profile on disk (IndexedDB, service worker, cookies), so a
 * test can close the whole browser and open it again: a visitor who comes back another day.
 */
export class ReturningVisitor {
  context!: BrowserContext;
  page!: Page;
  consoleErrors: string[] = [];

  private constructor(
    private readonly profileDir: string,
    private readonly baseURL: string,
  ) {}

  static async open(baseURL: string): Promise<ReturningVisitor> {
    const visitor = new ReturningVisitor(
      await mkdtemp(join(tmpdir(), 'peerconnect-profile-')),
      baseURL,
    );
    await visitor.launch();
    return visitor;
  }

  /** Closes the browser; its profile stays for `launch`. */
  async close(): Promise<void> {
    await this.context.close();
  }

  /** Closes the browser and deletes the profile. */
  async dispose(): Promise<void> {
    await this.context?.close().catch(() => {});
    await removeDir(this.profileDir);
  }

  /** Launches the browser on the profile (again). */
  async launch(): Promise<void> {
    this.context = await chromium.launchPersistentContext(this.profileDir, {
      ...CHROMIUM_LAUNCH,
      baseURL: this.baseURL,
      serviceWorkers: 'allow',
    });
    this.consoleErrors = collectConsoleErrors(this.context);
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
  }
}
