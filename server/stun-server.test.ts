import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerError } from './errors.js';
import {
  addressBytes,
  STUN_LIMITS,
  type StunServer,
  startStunServer,
  stunBindingResponse,
} from './stun-server.js';

const HOST = '127.0.0.1';
/** How long a test waits to be sure no answer is coming. */
const SILENCE_MS = 150;
const ANSWER_MS = 2000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** A binding request; `attributes` (already padded) go after the header. */
function bindingRequest(
  transactionId: Uint8Array = randomBytes(12),
  attributes: Uint8Array = Buffer.alloc(0),
): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(attributes.length, 2);
  header.writeUInt32BE(0x2112a442, 4);
  header.set(transactionId, 8);
  return Buffer.concat([header, attributes]);
}

// RFC 5769 §2.2 and §2.3: the test vectors' transaction id and XOR-MAPPED-ADDRESS attributes.
const RFC5769_TRANSACTION_ID = hex('b7e7a701 bc34d686 fa87dfae');
const RFC5769_IPV4_ATTRIBUTE = hex('00200008 0001a147 e112a643');
const RFC5769_IPV6_ATTRIBUTE = hex('00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9');

describe('stunBindingResponse', () => {
  it('matches the RFC 5769 XOR-MAPPED-ADDRESS vectors (IPv4 and IPv6)', () => {
    const request = bindingRequest(RFC5769_TRANSACTION_ID);
    const v4 = stunBindingResponse(request, '192.0.2.1', 32853);
    expect(v4?.toString('hex')).toBe(
      Buffer.concat([
        hex('0101000c 2112a442'),
        RFC5769_TRANSACTION_ID,
        RFC5769_IPV4_ATTRIBUTE,
      ]).toString('hex'),
    );
    const v6 = stunBindingResponse(request, '2001:db8:1234:5678:11:2233:4455:6677', 32853);
    expect(v6?.toString('hex')).toBe(
      Buffer.concat([
        hex('01010018 2112a442'),
        RFC5769_TRANSACTION_ID,
        RFC5769_IPV6_ATTRIBUTE,
      ]).toString('hex'),
    );
  });

  it('reports an IPv4 client of a dual-stack socket as IPv4', () => {
    const request = bindingRequest(RFC5769_TRANSACTION_ID);
    expect(stunBindingResponse(request, '::ffff:192.0.2.1', 32853)).toEqual(
      stunBindingResponse(request, '192.0.2.1', 32853),
    );
  });

  it('answers a request with attributes (ignored)', () => {
    const software = hex('80220004 74657374'); // SOFTWARE "test"
    const response = stunBindingResponse(bindingRequest(undefined, software), '192.0.2.1', 1);
    expect(response?.length).toBe(32);
  });

  it('ignores everything that is not a well-formed binding request', () => {
    const good = bindingRequest();
    const variants: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      good.subarray(0, 19),
      Buffer.concat([good, Buffer.alloc(1)]), // length field says 0, 1 byte follows
      Buffer.concat([good, Buffer.alloc(4)]), // length field says 0, 4 bytes follow
      bindingRequest(undefined, Buffer.alloc(3)), // not a multiple of 4
      bindingRequest(undefined, Buffer.alloc(STUN_LIMITS.maxRequestBytes)), // oversized
      randomBytes(20),
      randomBytes(64),
    ];
    for (const type of [0x0101, 0x0111, 0x0011, 0x0003, 0x4001, 0xc001]) {
      const packet = Buffer.from(good);
      packet.writeUInt16BE(type, 0);
      variants.push(packet);
    }
    const wrongCookie = Buffer.from(good);
    wrongCookie.writeUInt32BE(0x2112a443, 4);
    variants.push(wrongCookie);
    for (const packet of variants) {
      expect(stunBindingResponse(packet, HOST, 1), packet.toString('hex')).toBeUndefined();
    }
    expect(stunBindingResponse(good, 'not an address', 1)).toBeUndefined();
  });
});

describe('addressBytes', () => {
  it('reads IPv4, IPv6 (compressed, embedded IPv4, zone id) and refuses junk', () => {
    expect(addressBytes('10.1.2.3')).toEqual(Uint8Array.of(10, 1, 2, 3));
    expect(addressBytes('::1')).toEqual(Uint8Array.of(...Array(15).fill(0), 1));
    expect(addressBytes('fe80::1%eth0')).toEqual(
      Uint8Array.of(0xfe, 0x80, ...Array(13).fill(0), 1),
    );
    expect(addressBytes('64:ff9b::198.18.0.1')).toEqual(
      Uint8Array.of(0, 0x64, 0xff, 0x9b, ...Array(8).fill(0), 198, 18, 0, 1),
    );
    for (const junk of ['', '1.2.3', '1.2.3.256', '1::2::3', 'example.com', '[::1]', ':::']) {
      expect(addressBytes(junk), junk).toBeUndefined();
    }
  });
});

async function stun(host = HOST): Promise<StunServer> {
  const server = await startStunServer({ port: 0, host, log: () => {} });
  cleanups.push(() => server.close());
  return server;
}

async function client(type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const socket = createSocket(type);
  socket.bind(0, type === 'udp4' ? HOST : '::1');
  await once(socket, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

/** Sends `packet` and resolves with the answer, or undefined when none comes in `waitMs`. */
function ask(
  socket: Socket,
  port: number,
  packet: Buffer,
  host = HOST,
  waitMs = ANSWER_MS,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(undefined);
    }, waitMs);
    const onMessage = (message: Buffer) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(message);
    };
    socket.on('message', onMessage);
    socket.send(packet, port, host);
  });
}

/** Decodes a binding success response independently of the server's encoder. */
function decode(response: Buffer): { transactionId: string; address: string; port: number } {
  expect(response.readUInt16BE(0)).toBe(0x0101);
  expect(response.readUInt16BE(2)).toBe(response.length - 20);
  expect(response.readUInt32BE(4)).toBe(0x2112a442);
  expect(response.readUInt16BE(20)).toBe(0x0020);
  const family = response.readUInt8(25);
  const port = response.readUInt16BE(26) ^ 0x2112;
  const mask = response.subarray(4, 20);
  const raw = Buffer.from(
    response.subarray(28, 28 + (family === 1 ? 4 : 16)).map((b, i) => b ^ mask[i]!),
  );
  const address =
    family === 1
      ? [...raw].join('.')
      : Array.from({ length: 8 }, (_, i) => raw.readUInt16BE(i * 2).toString(16)).join(':');
  return { transactionId: response.subarray(8, 20).toString('hex'), address, port };
}

describe('startStunServer', () => {
  it('answers a binding request over UDP with the client address and transaction id', async () => {
    const server = await stun();
    const socket = await client();
    const transactionId = randomBytes(12);
    const response = await ask(socket, server.port, bindingRequest(transactionId));
    expect(response).toBeDefined();
    expect(decode(response!)).toEqual({
      transactionId: transactionId.toString('hex'),
      address: HOST,
      port: socket.address().port,
    });
  });

  it('answers over IPv6', async (context) => {
    let server: StunServer;
    try {
      server = await stun('::1');
    } catch {
      context.skip();
      return;
    }
    const socket = await client('udp6');
    const response = await ask(socket, server.port, bindingRequest(), '::1');
    expect(decode(response!)).toMatchObject({ address: '0:0:0:0:0:0:0:1' });
  });

  it('drops garbage, truncated and wrong-cookie packets and stays up', async () => {
    const server = await stun();
    const socket = await client();
    const wrongCookie = bindingRequest();
    wrongCookie.writeUInt32BE(0xdeadbeef, 4);
    for (const packet of [
      randomBytes(1),
      randomBytes(200),
      bindingRequest().subarray(0, 12),
      wrongCookie,
      Buffer.alloc(20),
    ]) {
      expect(await ask(socket, server.port, packet, HOST, SILENCE_MS)).toBeUndefined();
    }
    expect(await ask(socket, server.port, bindingRequest())).toBeDefined();
  });

  it('caps the responses per second', async () => {
    let clock = 0;
    const cap = 3;
    const server = await startStunServer({
      port: 0,
      host: HOST,
      log: () => {},
      now: () => clock,
      maxResponsesPerSecond: cap,
    });
    cleanups.push(() => server.close());
    const socket = await client();
    for (let i = 0; i < cap; i++)
      expect(await ask(socket, server.port, bindingRequest())).toBeDefined();
    expect(await ask(socket, server.port, bindingRequest(), HOST, SILENCE_MS)).toBeUndefined();
    clock += 999;
    expect(await ask(socket, server.port, bindingRequest(), HOST, SILENCE_MS)).toBeUndefined();
    clock += 1;
    expect(await ask(socket, server.port, bindingRequest())).toBeDefined();
  });

  it('fails with stun-port-in-use when the port is taken, and frees it on close', async () => {
    const first = await stun();
    await expect(
      startStunServer({ port: first.port, host: HOST, log: () => {} }),
    ).rejects.toSatisfy(
      (err) => ServerError.is(err, 'stun-port-in-use') && String(err).includes('--stun-port'),
    );
    await Promise.all([first.close(), first.close()]);
    const again = await stun(HOST);
    expect(again.port).toBeGreaterThan(0);
    const reused = await startStunServer({ port: first.port, host: HOST, log: () => {} });
    await reused.close();
  });
});
