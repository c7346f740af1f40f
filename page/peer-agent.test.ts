import { describe, expect, it } from 'vitest';
import { beaconUrl, configuredIceServers } from './peer-agent.js';

function script(iceServers?: string): HTMLScriptElement {
  return {
    dataset: iceServers === undefined ? {} : { iceServers },
  } as unknown as HTMLScriptElement;
}

describe('data-ice-servers', () => {
  it('reads comma-separated STUN URLs and JSON RTCIceServer lists', () => {
    expect(configuredIceServers(script('stun:a.example:3478, stun:b.example'))).toEqual([
      { urls: 'stun:a.example:3478' },
      { urls: 'stun:b.example' },
    ]);
    const json = [{ urls: ['turn:t.example:3478'], username: 'u', credential: 'c' }];
    expect(configuredIceServers(script(JSON.stringify(json)))).toEqual(json);
  });

  it('ignores a missing, malformed or unsafe value (the signaling server decides then)', () => {
    expect(configuredIceServers(null)).toBeUndefined();
    expect(configuredIceServers(script())).toBeUndefined();
    expect(configuredIceServers(script('[{"urls": '))).toBeUndefined();
    expect(configuredIceServers(script('http://evil.example/'))).toBeUndefined();
    // A TURN URL without credentials would make RTCPeerConnection throw: refused.
    expect(configuredIceServers(script('turn:t.example:3478'))).toBeUndefined();
  });
});

describe('beaconUrl', () => {
  it('sends beacons to the signaling server’s origin, over http(s)', () => {
    expect(beaconUrl('ws://127.0.0.1:8080/peerconnect/signal')).toBe(
      'http://127.0.0.1:8080/peerconnect/stats',
    );
    expect(beaconUrl('wss://signal.example.com/peerconnect/signal')).toBe(
      'https://signal.example.com/peerconnect/stats',
    );
  });
});
