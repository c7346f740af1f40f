import { describe, expect, it } from 'vitest';
import { missingFeatures, PAGE_FEATURE_GLOBALS } from './browser-features.js';

describe('missingFeatures', () => {
  it('names what is absent, undefined or null, in order', () => {
    const scope = {
      RTCPeerConnection: class {},
      BroadcastChannel: undefined,
      MessageChannel: null,
    };
    expect(
      missingFeatures(scope, ['RTCPeerConnection', 'BroadcastChannel', 'MessageChannel', 'x']),
    ).toEqual(['BroadcastChannel', 'MessageChannel', 'x']);
  });

  it('finds nothing missing where everything is there', () => {
    const scope = Object.fromEntries(PAGE_FEATURE_GLOBALS.map((name) => [name, {}]));
    expect(missingFeatures(scope, PAGE_FEATURE_GLOBALS)).toEqual([]);
  });
});
