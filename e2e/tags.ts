/**
 * Test tags shared by playwright.config.ts and the specs.
 * `@sw-blocked`: the test also runs in the `sw-blocked` project, where Playwright blocks
 * service worker registration, so it must pass on the site as a plain website too.
 */
export const SW_BLOCKED = '@sw-blocked';
