import { afterEach, describe, expect, it, vi } from 'vitest';
import { AGENT_LIMITS } from './config.js';
import { uploadPause, uploadPolicyOf } from './upload-policy.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('uploadPolicyOf', () => {
  it('defaults to a 50 MB budget, no rate caps and no uploads on cellular', () => {
    expect(uploadPolicyOf(undefined)).toEqual({
      budgetBytes: 50_000_000,
      rateBytesPerSec: undefined,
      peerRateBytesPerSec: undefined,
      allowCellular: false,
    });
    expect(AGENT_LIMITS.uploadBudgetBytes).toBe(50_000_000);
  });

  it("reads the site's data- attributes", () => {
    expect(
      uploadPolicyOf({
        uploadBudget: '0',
        uploadRate: '250000',
        uploadPeerRate: ' 100000 ',
        cellular: 'allow',
      }),
    ).toEqual({
      budgetBytes: 0,
      rateBytesPerSec: 250_000,
      peerRateBytesPerSec: 100_000,
      allowCellular: true,
    });
  });

  it('ignores malformed values and keeps the defaults', () => {
    const policy = uploadPolicyOf({
      uploadBudget: '-5',
      uploadRate: '0',
      uploadPeerRate: '1e9',
      cellular: 'yes',
    });
    expect(policy).toEqual(uploadPolicyOf(undefined));
    expect(uploadPolicyOf({ uploadBudget: '9'.repeat(40) }).budgetBytes).toBe(
      AGENT_LIMITS.uploadBudgetBytes,
    );
  });
});

describe('uploadPause', () => {
  const policy = uploadPolicyOf({ uploadBudget: '1000' });

  it('is budget once the budget is spent', () => {
    expect(uploadPause(policy, 999)).toBeUndefined();
    expect(uploadPause(policy, 1000)).toBe('budget');
  });

  it('is cellular on a cellular connection unless the site allows it', () => {
    vi.stubGlobal('navigator', {
      connection: Object.assign(new EventTarget(), { type: 'cellular' }),
    });
    expect(uploadPause(policy, 0)).toBe('cellular');
    expect(uploadPause({ ...policy, allowCellular: true }, 0)).toBeUndefined();
    vi.stubGlobal('navigator', { connection: Object.assign(new EventTarget(), { type: 'wifi' }) });
    expect(uploadPause(policy, 0)).toBeUndefined();
  });
});
