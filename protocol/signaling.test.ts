import { describe, expect, it } from 'vitest';
import { PeerConnectError } from './errors.js';
import { ICE_LIMITS } from './ice.js';
import {
  encodeSignalMessage,
  parseClientMessage,
  parseServerMessage,
  SIGNALING_LIMITS,
} from './signaling.js';

const SWARM = '0123456789abcdef'.repeat(4);
const PEER = 'Ab-_0123456789xZ';
const OTHER = 'zzzzzzzzzzzzzzzz';

function expectBad(parse: (text: string) => unknown, text: string): void {
  let caught: unknown;
  try {
    parse(text);
  } catch (err) {
    caught = err;
  }
  expect(caught, text.slice(0, 120)).toBeInstanceOf(PeerConnectError);
  expect((caught as PeerConnectError).code).toBe('bad-signal-message');
}

const json = (value: unknown) => JSON.stringify(value);

describe('parseClientMessage', () => {
  it('accepts every client message', () => {
    const valid = [
      { t: 'join', swarm: SWARM, assets: 12, have: btoa('\xff\xf0') },
      { t: 'join', swarm: SWARM, assets: 0, have: '' },
      { t: 'have', have: btoa('\x80') },
      { t: 'find', id: 1, asset: 3 },
      { t: 'find', id: 0xffff_ffff, asset: 0, max: SIGNALING_LIMITS.maxFoundPeers },
      { t: 'signal', to: PEER, data: { type: 'offer', sdp: 'v=0\r\n' } },
      { t: 'signal', to: PEER, data: { type: 'answer', sdp: 'v=0\r\n' } },
      {
        t: 'signal',
        to: PEER,
        data: {
          type: 'candidate',
          candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' },
        },
      },
      { t: 'signal', to: PEER, data: { type: 'candidate', candidate: null } },
    ];
    for (const message of valid) expect(parseClientMessage(json(message))).toEqual(message);
  });

  it('round-trips through encodeSignalMessage', () => {
    const message = { t: 'find', id: 9, asset: 2, max: 3 } as const;
    expect(parseClientMessage(encodeSignalMessage(message))).toEqual(message);
  });

  it('rejects text that is not JSON', () => {
    for (const text of ['', '{', 'join', "{'t':'have'}", '{"t":"have","have":""']) {
      expectBad(parseClientMessage, text);
    }
  });

  it('rejects unknown or missing t', () => {
    for (const value of [
      { t: 'welcome', peerId: PEER, peers: 0 },
      { t: 'leave' },
      { have: '' },
      { t: 1 },
      null,
      [],
      'join',
      42,
    ]) {
      expectBad(parseClientMessage, json(value));
    }
  });

  it('rejects a bad peer id', () => {
    for (const to of [PEER.slice(1), `${PEER}a`, 'aaaaaaaaaaaaaaa!', 'aaaaaaa aaaaaaaa', 12]) {
      expectBad(parseClientMessage, json({ t: 'signal', to, data: { type: 'offer', sdp: 'x' } }));
    }
  });

  it('rejects a swarm that is not a lowercase sha-256 hex', () => {
    expect(parseClientMessage(json({ t: 'join', swarm: SWARM, assets: 1, have: 'gA==' })).t).toBe(
      'join',
    );
    for (const swarm of [SWARM.toUpperCase(), SWARM.slice(1), `${SWARM}0`, `${SWARM.slice(1)}g`]) {
      expectBad(parseClientMessage, json({ t: 'join', swarm, assets: 1, have: 'gA==' }));
    }
  });

  it('rejects bad fields in join, have, find and signal', () => {
    // Longest base64 a bitfield of maxAssets bits may take, rounded to whole quads, is accepted.
    const longest = (Math.ceil(SIGNALING_LIMITS.maxAssets / 6) + 4) & ~3;
    expect(parseClientMessage(json({ t: 'have', have: 'A'.repeat(longest) })).t).toBe('have');
    const OVERSIZED_BASE64 = longest + 4;
    for (const value of [
      { t: 'join', swarm: SWARM, assets: SIGNALING_LIMITS.maxAssets + 1, have: '' },
      { t: 'join', swarm: SWARM, assets: -1, have: '' },
      { t: 'join', swarm: SWARM, assets: 1, have: 'not base64!' },
      { t: 'join', swarm: SWARM, assets: 1 },
      { t: 'have', have: 'A'.repeat(OVERSIZED_BASE64) },
      { t: 'find', id: 1, asset: 1, max: 0 },
      { t: 'find', id: 1, asset: 1, max: SIGNALING_LIMITS.maxFoundPeers + 1 },
      { t: 'find', id: -1, asset: 1 },
      { t: 'find', id: 2 ** 32, asset: 1 },
      { t: 'find', id: 1.5, asset: 1 },
      { t: 'signal', to: PEER, data: { type: 'pranswer', sdp: 'x' } },
      { t: 'signal', to: PEER, data: { type: 'offer' } },
      { t: 'signal', to: PEER, data: { type: 'candidate', candidate: { sdpMid: '0' } } },
      { t: 'signal', to: PEER },
    ]) {
      expectBad(parseClientMessage, json(value));
    }
  });

  it('rejects a frame over the size limit before parsing it', () => {
    const sdp = 'a'.repeat(SIGNALING_LIMITS.maxMessageBytes);
    const text = json({ t: 'signal', to: PEER, data: { type: 'offer', sdp } });
    expect(text.length).toBeGreaterThan(SIGNALING_LIMITS.maxMessageBytes);
    expectBad(parseClientMessage, text);
    expectBad(parseClientMessage, ' '.repeat(SIGNALING_LIMITS.maxMessageBytes + 1));
    // Just under the limit is parsed.
    const padded = json({ t: 'have', have: '' }).padEnd(SIGNALING_LIMITS.maxMessageBytes, ' ');
    expect(parseClientMessage(padded)).toEqual({ t: 'have', have: '' });
  });
});

describe('parseServerMessage', () => {
  it('accepts every server message', () => {
    const valid = [
      { t: 'welcome', peerId: PEER, peers: 4 },
      { t: 'welcome', peerId: PEER, peers: 0, iceServers: [] },
      {
        t: 'welcome',
        peerId: PEER,
        peers: 1,
        iceServers: [
          { urls: 'stun:example.com:3478' },
          { urls: ['turn:198.18.0.1:3478?transport=udp'], username: '1:a', credential: 'c' },
        ],
      },
      { t: 'found', id: 3, asset: 1, peers: [PEER, OTHER] },
      { t: 'found', id: 3, asset: 1, peers: [] },
      { t: 'signal', from: OTHER, data: { type: 'answer', sdp: 'v=0' } },
      { t: 'error', code: 'rate-limited', message: 'slow down' },
    ];
    for (const message of valid) expect(parseServerMessage(json(message))).toEqual(message);
  });

  it('has room in one frame for the longest ICE server list', () => {
    const overhead = encodeSignalMessage({ t: 'welcome', peerId: PEER, peers: 0xffff_ffff }).length;
    expect(overhead + ',"iceServers":'.length + ICE_LIMITS.maxJsonLength).toBeLessThan(
      SIGNALING_LIMITS.maxMessageBytes,
    );
  });

  it('rejects malformed server messages', () => {
    for (const text of [
      'not json',
      json({ t: 'join', swarm: SWARM, assets: 1, have: '' }),
      json({ t: 'welcome', peerId: 'short', peers: 1 }),
      json({ t: 'welcome', peerId: PEER, peers: -1 }),
      json({ t: 'welcome', peerId: PEER, peers: 0, iceServers: {} }),
      json({ t: 'welcome', peerId: PEER, peers: 0, iceServers: [{ urls: 'http://x' }] }),
      json({ t: 'welcome', peerId: PEER, peers: 0, iceServers: [{ urls: 'turn:x' }] }),
      json({ t: 'found', id: 3, asset: 1, peers: [PEER, 'bad id'] }),
      json({ t: 'found', id: 3, asset: 1 }),
      json({ t: 'signal', from: 'x', data: { type: 'answer', sdp: 'v=0' } }),
      json({ t: 'error', code: 'teapot', message: '' }),
      json({ t: 'error', code: 'bad-message', message: 'x'.repeat(1025) }),
      ' '.repeat(SIGNALING_LIMITS.maxMessageBytes + 1),
    ]) {
      expectBad(parseServerMessage, text);
    }
  });
});
