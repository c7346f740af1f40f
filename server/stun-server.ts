import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorReason } from '../site/index.js';
import { ServerError } from './errors.js';

/**
 * A STUN server that answers binding requests (RFC 5389 §7.3.1) with the requester's address
 * as XOR-MAPPED-ADDRESS, which is all a browser needs to learn its server-reflexive candidate.
 * Everything else (other methods, indications, attributes, garbage) is dropped unanswered,
 * each packet costs a few fixed comparisons, and nothing a packet holds can throw.
 */

export const DEFAULT_STUN_PORT = 3478;

export const STUN = {
  headerBytes: 20,
  magicCookie: 0x2112a442,
  bindingRequest: 0x0001,
  bindingSuccess: 0x0101,
  xorMappedAddress: 0x0020,
  familyIpv4: 0x01,
  familyIpv6: 0x02,
} as const;

export const STUN_LIMITS = {
  /** A binding request is 20–100 bytes; anything over the IPv6 minimum MTU is not one of ours. */
  maxRequestBytes: 1280,
  /**
   * Responses per second, all clients together. A response is ~2x its request, so an open STUN
   * port can reflect spoofed traffic; this caps what it sends. A browser sends a few requests
   * per ICE gathering, so this serves hundreds of new visitors a second.
   */
  maxResponsesPerSecond: 2000,
} as const;

const TRANSACTION_ID_OFFSET = 8;
const TRANSACTION_ID_BYTES = 12;
const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
/** An IPv4 client of a dual-stack socket appears as ::ffff:a.b.c.d; STUN reports a.b.c.d. */
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * The success response to `packet` if it is a well-formed binding request, else undefined.
 * Checked: length within bounds and a multiple of 4, the header's length field equal to what
 * follows it, the magic cookie, and the message type (which also makes the top two bits 0).
 */
export function stunBindingResponse(
  packet: Uint8Array,
  address: string,
  port: number,
): Buffer | undefined {
  if (packet.length < STUN.headerBytes || packet.length > STUN_LIMITS.maxRequestBytes) return;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (view.getUint16(0) !== STUN.bindingRequest) return;
  const length = view.getUint16(2);
  if (length !== packet.length - STUN.headerBytes || length % 4 !== 0) return;
  if (view.getUint32(4) !== STUN.magicCookie) return;
  const ip = addressBytes(address);
  if (!ip || !(port >= 0 && port <= 0xffff)) return;

  const transactionId = packet.subarray(
    TRANSACTION_ID_OFFSET,
    TRANSACTION_ID_OFFSET + TRANSACTION_ID_BYTES,
  );
  const valueBytes = 4 + ip.length;
  const response = Buffer.alloc(STUN.headerBytes + 4 + valueBytes);
  response.writeUInt16BE(STUN.bindingSuccess, 0);
  response.writeUInt16BE(4 + valueBytes, 2);
  response.writeUInt32BE(STUN.magicCookie, 4);
  response.set(transactionId, TRANSACTION_ID_OFFSET);
  // XOR-MAPPED-ADDRESS (RFC 5389 §15.2): the port XOR the cookie's top half, the address XOR
  // the cookie (IPv4) or the cookie followed by the transaction id (IPv6).
  let at = STUN.headerBytes;
  response.writeUInt16BE(STUN.xorMappedAddress, at);
  response.writeUInt16BE(valueBytes, at + 2);
  response.writeUInt8(0, at + 4);
  response.writeUInt8(ip.length === IPV4_BYTES ? STUN.familyIpv4 : STUN.familyIpv6, at + 5);
  response.writeUInt16BE(port ^ (STUN.magicCookie >>> 16), at + 6);
  at += 8;
  // The 16-byte mask is the response's own bytes 4..19: the cookie, then the transaction id.
  for (let i = 0; i < ip.length; i++) response[at + i] = (ip[i] ?? 0) ^ (response[4 + i] ?? 0);
  return response;
}

/** The bytes of a textual IPv4 or IPv6 address (as dgram reports it), or undefined. */
export function addressBytes(address: string): Uint8Array | undefined {
  const text = IPV4_MAPPED.exec(address)?.[1] ?? address.split('%')[0] ?? '';
  if (isIPv4(text)) return Uint8Array.from(text.split('.'), Number);
  return ipv6Bytes(text);
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!/^[0-9a-f:.]{2,45}$/i.test(text)) return undefined;
  // The WHATWG URL parser validates IPv6 and serializes it as hex groups with at most one '::'.
  let canonical: string;
  try {
    canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const words =
    tail === undefined
      ? groups(head)
      : [
          ...groups(head),
          ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'),
          ...groups(tail),
        ];
  if (words.length !== 8) return undefined;
  const bytes = new Uint8Array(IPV6_BYTES);
  for (const [i, word] of words.entries()) {
    const value = Number.parseInt(word, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  return bytes;
}

export interface StunServerOptions {
  port: number;
  host: string;
  /** Where unexpected socket errors go (the server keeps running). */
  log: (line: string) => void;
  /** Clock for the response rate cap (tests). */
  now?: () => number;
  /** Defaults to STUN_LIMITS.maxResponsesPerSecond (tests lower it). */
  maxResponsesPerSecond?: number;
}

export interface StunServer {
  /** The UDP port it listens on. */
  readonly port: number;
  /** Closes the socket; idempotent. */
  close(): Promise<void>;
}

/** Binds a UDP socket on `host:port` and answers binding requests until close(). */
export async function startStunServer(options: StunServerOptions): Promise<StunServer> {
  const socket = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
  await bind(socket, options.port, options.host);
  const now = options.now ?? (() => performance.now());
  let windowStart = now();
  let sentInWindow = 0;
  const cap = options.maxResponsesPerSecond ?? STUN_LIMITS.maxResponsesPerSecond;

  socket.on('message', (packet: Buffer, from: RemoteInfo) => {
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      sentInWindow = 0;
    }
    if (sentInWindow >= cap) return;
    const response = stunBindingResponse(packet, from.address, from.port);
    if (!response) return;
    sentInWindow++;
    // A failed send (unreachable, buffer full) loses one answer; the client retransmits.
    socket.send(response, from.port, from.address, () => {});
  });
  socket.on('error', (err) => options.log(`peerconnect: STUN socket: ${errorReason(err)}`));

  let closing: Promise<void> | undefined;
  return {
    port: socket.address().port,
    close() {
      closing ??= new Promise((resolve) => socket.close(() => resolve()));
      return closing;
    },
  };
}

function bind(socket: Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(
        err.code === 'EADDRINUSE'
          ? new ServerError(
              'stun-port-in-use',
              `udp ${host}:${port} (choose another with --stun-port, or 0 for no STUN server)`,
            )
          : new ServerError('stun-listen-failed', `udp ${host}:${port}: ${errorReason(err)}`),
      );
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
