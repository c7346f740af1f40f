import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildManifestFiles } from '../protocol/index.js';
import { assetOf } from './common.test-helper.js';
import { DISABLED_KEY, recheckStandDown, standDown, stoodDown } from './kill-switch.js';
import { blockedStorage, memoryStorage } from './test-storage.test-helper.js';

beforeEach(() => {
  vi.stubGlobal('localStorage', memoryStorage());
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function rootResponse(disabled: boolean): Promise<Response> {
  const { root } = await buildManifestFiles([assetOf('/a.css', new Uint8Array([1]))], {
    disabled,
  });
  return Response.json(root);
}

describe('the kill switch, agent side', () => {
  it('remembers standing down', () => {
    expect(stoodDown()).toBe(false);
    standDown();
    expect(stoodDown()).toBe(true);
    expect(localStorage.getItem(DISABLED_KEY)).toBe('1');
  });

  it('clears the mark only on a valid root that is not disabled', async () => {
    standDown();
    await recheckStandDown(async () => rootResponse(true));
    expect(stoodDown()).toBe(true);
    await recheckStandDown(async () => new Response('down', { status: 503 }));
    expect(stoodDown()).toBe(true);
    await recheckStandDown(async () => Response.json({ format: 2, version: 'forged' }));
    expect(stoodDown()).toBe(true);
    await recheckStandDown(async () => {
      throw new TypeError('offline');
    });
    expect(stoodDown()).toBe(true);
    await recheckStandDown(async () => rootResponse(false));
    expect(stoodDown()).toBe(false);
  });

  it('with storage blocked, neither throws', () => {
    vi.stubGlobal('localStorage', blockedStorage());
    standDown();
    expect(stoodDown()).toBe(false);
  });
});
