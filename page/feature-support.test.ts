import { afterEach, describe, expect, it, vi } from 'vitest';
import { NAVIGATOR_FEATURES, PAGE_FEATURE_GLOBALS } from '../protocol/index.js';
import { missingPageFeatures, TRANSFERABLE_BUFFERS } from './feature-support.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

function browser(lacking?: string) {
  const keep = (names: readonly string[]) =>
    Object.fromEntries(names.filter((n) => n !== lacking).map((n) => [n, {}]));
  vi.stubGlobal('window', keep(PAGE_FEATURE_GLOBALS));
  vi.stubGlobal('navigator', keep(NAVIGATOR_FEATURES));
}

describe('missingPageFeatures', () => {
  it('is empty in a browser with everything', () => {
    browser();
    expect(missingPageFeatures()).toEqual([]);
  });

  it.each([...PAGE_FEATURE_GLOBALS, ...NAVIGATOR_FEATURES])('names a missing %s', (name) => {
    browser(name);
    expect(missingPageFeatures()).toEqual([name]);
  });

  it('names buffers that cannot be transferred', () => {
    browser();
    vi.stubGlobal('structuredClone', (value: unknown) => value);
    expect(missingPageFeatures()).toEqual([TRANSFERABLE_BUFFERS]);
  });
});
