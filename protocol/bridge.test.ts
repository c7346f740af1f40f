import { describe, expect, it } from 'vitest';
import {
  BRIDGE_PROTOCOL,
  parseAgentReply,
  parseAgentToWorker,
  parseBroadcast,
  parseCancel,
  parseServedReport,
  parseWorkerToAgent,
} from './bridge.js';
import { CHUNK_SIZE } from './constants.js';
import { PeerConnectError } from './errors.js';

const VERSION = 'ab'.repeat(32);

function expectBad(parse: (input: unknown) => unknown, input: unknown): void {
  let caught: unknown;
  try {
    parse(input);
  } catch (err) {
    caught = err;
  }
  expect(caught, JSON.stringify(input)).toBeInstanceOf(PeerConnectError);
  expect((caught as PeerConnectError).code).toBe('bad-bridge-message');
}

describe('parseAgentToWorker', () => {
  it('accepts hello and bye', () => {
    expect(parseAgentToWorker({ type: 'pc:agent-hello', enabled: true })).toEqual({
      type: 'pc:agent-hello',
      enabled: true,
    });
    expect(parseAgentToWorker({ type: 'pc:agent-hello', enabled: false })).toEqual({
      type: 'pc:agent-hello',
      enabled: false,
    });
    expect(parseAgentToWorker({ type: 'pc:agent-hello', enabled: true, protocol: 2 })).toEqual({
      type: 'pc:agent-hello',
      enabled: true,
      protocol: 2,
    });
    expect(parseAgentToWorker({ type: 'pc:agent-bye' })).toEqual({ type: 'pc:agent-bye' });
  });

  it('rejects malformed messages', () => {
    for (const input of [
      undefined,
      null,
      'pc:agent-hello',
      {},
      { type: 'pc:agent-hello' },
      { type: 'pc:agent-hello', enabled: 'yes' },
      { type: 'pc:agent-hello', enabled: true, protocol: 1.5 },
      { type: 'pc:agent-hello', enabled: true, protocol: '2' },
      { type: 'pc:fetch', id: 1, asset: 1, manifestVersion: VERSION },
      { type: 'pc:agent-hi', enabled: true },
    ]) {
      expectBad(parseAgentToWorker, input);
    }
  });
});

describe('parseWorkerToAgent', () => {
  const asset = {
    path: '/a.css',
    size: CHUNK_SIZE + 1,
    type: 'text/css',
    sha256: VERSION,
    chunks: [VERSION, VERSION],
  };
  const fetch = { type: 'pc:fetch', id: 7, asset };

  it('accepts ready, fetch and stored', () => {
    expect(parseWorkerToAgent({ type: 'pc:ready', protocol: BRIDGE_PROTOCOL })).toEqual({
      type: 'pc:ready',
      protocol: BRIDGE_PROTOCOL,
    });
    expect(parseWorkerToAgent(fetch)).toEqual(fetch);
    expect(parseWorkerToAgent({ type: 'pc:stored', sha256: VERSION })).toEqual({
      type: 'pc:stored',
      sha256: VERSION,
    });
  });

  it('rejects v1 messages, bad ids, bad records and bad hashes', () => {
    for (const input of [
      { ...fetch, id: -1 },
      { ...fetch, id: 1.5 },
      { ...fetch, id: '7' },
      { ...fetch, id: Number.NaN },
      { ...fetch, id: Number.MAX_SAFE_INTEGER + 2 },
      { type: 'pc:fetch', id: 7 },
      { type: 'pc:fetch', asset },
      { type: 'pc:fetch', id: 7, asset: 0, manifestVersion: VERSION },
      { ...fetch, asset: { ...asset, path: 'a.css' } },
      { ...fetch, asset: { ...asset, sha256: VERSION.toUpperCase() } },
      { ...fetch, asset: { ...asset, size: -1 } },
      { type: 'pc:stored', asset: 3, manifestVersion: VERSION },
      { type: 'pc:stored', sha256: VERSION.slice(2) },
      { type: 'pc:manifest', manifest: {} },
      { type: 'pc:ready' },
      { type: 'pc:ready', protocol: -2 },
      { type: 'pc:chunk', index: 0, data: new ArrayBuffer(1) },
      { type: 'pc:nope' },
      42,
    ]) {
      expectBad(parseWorkerToAgent, input);
    }
  });

  it('rejects a record whose chunk list does not fit its size', () => {
    for (const chunks of [[VERSION], [VERSION, VERSION, VERSION]]) {
      let caught: unknown;
      try {
        parseWorkerToAgent({ ...fetch, asset: { ...asset, chunks } });
      } catch (err) {
        caught = err;
      }
      expect((caught as PeerConnectError).code).toBe('bad-manifest');
    }
  });
});

describe('parseAgentReply', () => {
  it('accepts chunk, unavailable and failed', () => {
    const data = new Uint8Array([1, 2, 3]).buffer;
    const chunk = parseAgentReply({ type: 'pc:chunk', index: 4, data });
    expect(chunk).toEqual({ type: 'pc:chunk', index: 4, data });
    expect(chunk.type === 'pc:chunk' && chunk.data).toBe(data);
    expect(parseAgentReply({ type: 'pc:unavailable', code: 'no-peers' })).toEqual({
      type: 'pc:unavailable',
      code: 'no-peers',
    });
    expect(parseAgentReply({ type: 'pc:failed', code: 'bad-hash' })).toEqual({
      type: 'pc:failed',
      code: 'bad-hash',
    });
  });

  it('rejects chunk data that is not an ArrayBuffer, bad indexes and unknown codes', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    for (const input of [
      { type: 'pc:chunk', index: 0, data: bytes },
      { type: 'pc:chunk', index: 0, data: new DataView(bytes.buffer) },
      { type: 'pc:chunk', index: 0, data: [1, 2, 3] },
      { type: 'pc:chunk', index: 0, data: 'abc' },
      { type: 'pc:chunk', index: 0 },
      { type: 'pc:chunk', index: -1, data: bytes.buffer },
      { type: 'pc:chunk', index: 0.5, data: bytes.buffer },
      { type: 'pc:unavailable', code: 'nope' },
      { type: 'pc:unavailable' },
      { type: 'pc:failed', code: 'Bad-Hash' },
      { type: 'pc:failed', code: 3 },
      { type: 'pc:cancel' },
    ]) {
      expectBad(parseAgentReply, input);
    }
  });
});

describe('parseCancel', () => {
  it('accepts only pc:cancel', () => {
    expect(parseCancel({ type: 'pc:cancel' })).toEqual({ type: 'pc:cancel' });
    expectBad(parseCancel, { type: 'pc:chunk', index: 0, data: new ArrayBuffer(0) });
    expectBad(parseCancel, {});
    expectBad(parseCancel, null);
  });
});

describe('parseServedReport', () => {
  const report = {
    type: 'pc:served',
    path: '/a.jpg',
    source: 'peer',
    peer: 10,
    origin: 0,
    cache: 5,
  };

  it('accepts a report from each source', () => {
    for (const source of ['cache', 'peer', 'origin']) {
      expect(parseServedReport({ ...report, source })).toEqual({ ...report, source });
    }
  });

  it('rejects malformed reports', () => {
    for (const input of [
      { ...report, source: 'swarm' },
      { ...report, peer: -1 },
      { ...report, origin: 1.25 },
      { ...report, cache: '5' },
      { ...report, path: 5 },
      { ...report, path: `/${'a'.repeat(4096)}` },
      { type: 'pc:served', path: '/a.jpg', source: 'peer', peer: 1, origin: 0 },
      { ...report, type: 'pc:stored' },
    ]) {
      expectBad(parseServedReport, input);
    }
  });
});

describe('parseBroadcast', () => {
  it('accepts need-agent, disable and leader-stats', () => {
    expect(parseBroadcast({ type: 'pc:need-agent' })).toEqual({ type: 'pc:need-agent' });
    expect(parseBroadcast({ type: 'pc:disable' })).toEqual({ type: 'pc:disable' });
    expect(parseBroadcast({ type: 'pc:leader-stats', bytesUploaded: 1024, peers: 3 })).toEqual({
      type: 'pc:leader-stats',
      bytesUploaded: 1024,
      peers: 3,
    });
  });

  it('rejects malformed broadcasts', () => {
    for (const input of [
      { type: 'pc:leader-stats', bytesUploaded: -1, peers: 3 },
      { type: 'pc:leader-stats', bytesUploaded: 1 },
      { type: 'pc:leader-stats', bytesUploaded: 1, peers: '3' },
      { type: 'pc:need-leader' },
      'pc:need-agent',
    ]) {
      expectBad(parseBroadcast, input);
    }
  });
});
