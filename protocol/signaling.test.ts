import { describe, expect, it } from 'vitest';
import { PeerConnectError } from './errors.js';
import { ICE_LIMITS } from './ice.js';
import {
  encodeSignalMessage,
  parseClientMessage,
  parseServerMessage,
  SIGNALING_LIMITS,
  SIGNALING_PROTOCOL,
} from './signaling.js';

const PEER = 'Ab-_0123456789xZ';
const OTHER = 'zzzzzzzzzzzzzzzz';
const CID = '0123456789abcdef';

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
const ids = (count: number) =>
  Array.from({ length: count }, (_, i) => i.toString(16).padStart(16, '0'));

describe('parseClientMessage', () => {
  it('accepts every client message', () => {
    const valid = [
      { t: 'join', protocol: SIGNALING_PROTOCOL },
      // Another version parses: the server answers it with protocol-mismatch, not bad-message.
      { t: 'join', protocol: 1 },
      { t: 'announce', ids: [CID] },
      { t: 'announce', ids: ids(SIGNALING_LIMITS.maxIdsPerMessage) },
      { t: 'withdraw', ids: [CID, 'ffffffffffffffff'] },
      { t: 'find', id: 1, content: CID },
      { t: 'find', id: 0xffff_ffff, content: CID, max: SIGNALING_LIMITS.maxFoundPeers },
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
    const message = { t: 'find', id: 9, content: CID, max: 3 } as const;
    expect(parseClientMessage(encodeSignalMessage(message))).toEqual(message);
  });

  it('fits a full announce in one frame', () => {
    const text = encodeSignalMessage({
      t: 'announce',
      ids: ids(SIGNALING_LIMITS.maxIdsPerMessage),
    });
    expect(text.length).toBeLessThan(SIGNALING_LIMITS.maxMessageBytes);
  });

  it('rejects text that is not JSON', () => {
    for (const text of ['', '{', 'join', "{'t':'join'}", '{"t":"join","protocol":2']) {
      expectBad(parseClientMessage, text);
    }
  });

  it('rejects unknown or missing t, and the v1 messages', () => {
    for (const value of [
      { t: 'welcome', peerId: PEER, peers: 0, minSwarm: 1 },
      { t: 'have', have: '' },
      { t: 'leave' },
      { ids: [CID] },
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

  it('rejects a content id that is not 16 lowercase hex digits', () => {
    for (const content of [CID.toUpperCase(), CID.slice(1), `${CID}0`, `${CID.slice(1)}g`, 7]) {
      expectBad(parseClientMessage, json({ t: 'find', id: 1, content }));
      expectBad(parseClientMessage, json({ t: 'announce', ids: [CID, content] }));
      expectBad(parseClientMessage, json({ t: 'withdraw', ids: [content] }));
    }
  });

  it('rejects bad fields in join, announce, withdraw, find and signal', () => {
    for (const value of [
      { t: 'join' },
      { t: 'join', protocol: -1 },
      { t: 'join', protocol: '2' },
      { t: 'join', protocol: 2.5 },
      { t: 'announce', ids: [] },
      { t: 'announce', ids: ids(SIGNALING_LIMITS.maxIdsPerMessage + 1) },
      { t: 'announce', ids: CID },
      { t: 'withdraw', ids: [] },
      { t: 'withdraw' },
      { t: 'find', id: 1, content: CID, max: 0 },
      { t: 'find', id: 1, content: CID, max: SIGNALING_LIMITS.maxFoundPeers + 1 },
      { t: 'find', id: -1, content: CID },
      { t: 'find', id: 2 ** 32, content: CID },
      { t: 'find', id: 1.5, content: CID },
      { t: 'find', id: 1, asset: 3 },
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
    const join = { t: 'join', protocol: SIGNALING_PROTOCOL };
    const padded = json(join).padEnd(SIGNALING_LIMITS.maxMessageBytes, ' ');
    expect(parseClientMessage(padded)).toEqual(join);
  });
});

describe('parseServerMessage', () => {
  it('accepts every server message', () => {
    const valid = [
      { t: 'welcome', peerId: PEER, peers: 4, minSwarm: 1 },
      { t: 'welcome', peerId: PEER, peers: 0, minSwarm: SIGNALING_LIMITS.maxMinSwarm },
      { t: 'welcome', peerId: PEER, peers: 0, minSwarm: 3, iceServers: [] },
      {
        t: 'welcome',
        peerId: PEER,
        peers: 1,
        minSwarm: 1,
        iceServers: [
          { urls: 'stun:example.com:3478' },
          { urls: ['turn:198.18.0.1:3478?transport=udp'], username: '1:a', credential: 'c' },
        ],
      },
      { t: 'quorum', reached: true },
      { t: 'quorum', reached: false },
      { t: 'found', id: 3, content: CID, peers: [PEER, OTHER] },
      { t: 'found', id: 3, content: CID, peers: [] },
      { t: 'signal', from: OTHER, data: { type: 'answer', sdp: 'v=0' } },
      { t: 'error', code: 'rate-limited', message: 'slow down' },
      { t: 'error', code: 'too-many-ids', message: '' },
      { t: 'error', code: 'protocol-mismatch', message: 'speak 2' },
    ];
    for (const message of valid) expect(parseServerMessage(json(message))).toEqual(message);
  });

  it('has room in one frame for the longest ICE server list', () => {
    const overhead = encodeSignalMessage({
      t: 'welcome',
      peerId: PEER,
      peers: 0xffff_ffff,
      minSwarm: SIGNALING_LIMITS.maxMinSwarm,
    }).length;
    expect(overhead + ',"iceServers":'.length + ICE_LIMITS.maxJsonLength).toBeLessThan(
      SIGNALING_LIMITS.maxMessageBytes,
    );
  });

  it('rejects malformed server messages', () => {
    const tooMany = Array.from({ length: SIGNALING_LIMITS.maxFoundPeers + 1 }, () => PEER);
    for (const text of [
      'not json',
      json({ t: 'join', protocol: SIGNALING_PROTOCOL }),
      json({ t: 'welcome', peerId: 'short', peers: 1, minSwarm: 1 }),
      json({ t: 'welcome', peerId: PEER, peers: -1, minSwarm: 1 }),
      json({ t: 'welcome', peerId: PEER, peers: 0 }),
      json({ t: 'welcome', peerId: PEER, peers: 0, minSwarm: 0 }),
      json({ t: 'welcome', peerId: PEER, peers: 0, minSwarm: SIGNALING_LIMITS.maxMinSwarm + 1 }),
      json({ t: 'welcome', peerId: PEER, peers: 0, minSwarm: 1, iceServers: {} }),
      json({
        t: 'welcome',
        peerId: PEER,
        peers: 0,
        minSwarm: 1,
        iceServers: [{ urls: 'http://x' }],
      }),
      json({ t: 'welcome', peerId: PEER, peers: 0, minSwarm: 1, iceServers: [{ urls: 'turn:x' }] }),
      json({ t: 'quorum' }),
      json({ t: 'quorum', reached: 1 }),
      json({ t: 'found', id: 3, content: CID, peers: [PEER, 'bad id'] }),
      json({ t: 'found', id: 3, content: CID, peers: tooMany }),
      json({ t: 'found', id: 3, content: CID }),
      json({ t: 'found', id: 3, asset: 1, peers: [] }),
      json({ t: 'signal', from: 'x', data: { type: 'answer', sdp: 'v=0' } }),
      json({ t: 'error', code: 'teapot', message: '' }),
      json({ t: 'error', code: 'bad-message', message: 'x'.repeat(1025) }),
      ' '.repeat(SIGNALING_LIMITS.maxMessageBytes + 1),
    ]) {
      expectBad(parseServerMessage, text);
    }
  });
});
