import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blockedStorage, memoryStorage } from './test-storage.test-helper.js';
import {
  adoptStoredChoice,
  CONSENT_KEY,
  OPT_OUT_KEY,
  p2pOptOutReason,
  setOptOut,
} from './visitor-policy.js';

beforeEach(() => {
  vi.stubGlobal('navigator', {});
  vi.stubGlobal('localStorage', memoryStorage());
  adoptStoredChoice();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('p2pOptOutReason', () => {
  it('takes part by default; a site requiring consent waits for optIn', () => {
    expect(p2pOptOutReason(false)).toBeUndefined();
    expect(p2pOptOutReason(true)).toBe('consent');
    setOptOut(false);
    expect(p2pOptOutReason(true)).toBeUndefined();
    expect(localStorage.getItem(CONSENT_KEY)).toBe('1');
  });

  it('opting out withdraws consent; save-data comes first', () => {
    setOptOut(false);
    setOptOut(true);
    expect(p2pOptOutReason(false)).toBe('opt-out');
    expect(localStorage.getItem(OPT_OUT_KEY)).toBe('1');
    expect(localStorage.getItem(CONSENT_KEY)).toBeNull();
    vi.stubGlobal('navigator', { connection: { saveData: true } });
    expect(p2pOptOutReason(false)).toBe('save-data');
  });

  it("follows another tab's stored choice once adopted", () => {
    setOptOut(true);
    localStorage.removeItem(OPT_OUT_KEY);
    expect(p2pOptOutReason(false)).toBe('opt-out');
    adoptStoredChoice();
    expect(p2pOptOutReason(false)).toBeUndefined();
  });

  it('with storage blocked, the choice holds for this page', () => {
    vi.stubGlobal('localStorage', blockedStorage());
    expect(p2pOptOutReason(true)).toBe('consent');
    setOptOut(false);
    expect(p2pOptOutReason(true)).toBeUndefined();
    setOptOut(true);
    expect(p2pOptOutReason(false)).toBe('opt-out');
  });
});
