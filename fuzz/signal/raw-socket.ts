import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { PATHS } from '../../protocol/index.js';

/**
 * WebSocket below the ws library: a hand-made upgrade and hand-made frames, for what no
 * well-behaved client library will send (unmasked frames, reserved opcodes and bits, lengths
 * that lie, invalid UTF-8, fragments that never end), and raw bytes at the HTTP upgrade itself.
 */

export const OPCODES = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;
const HEADER_END = '\r\n\r\n';
const STATUS_LINE = /^HTTP\/1\.1 (\d{3})/;
const SMALL_LENGTH = 125;
const MEDIUM_LENGTH = 0xffff;

export interface RawFrame {
  readonly opcode: number;
  readonly payload: Buffer;
  /** Default true. */
  readonly fin?: boolean;
  /** RSV1..RSV3 as three bits (0..7); default 0. */
  readonly rsv?: number;
  /** Clients must mask; default true. */
  readonly masked?: boolean;
  /** The length the header claims, when it is to lie about the payload. */
  readonly declaredLength?: bigint;
}

export function encodeFrame(frame: RawFrame): Buffer {
  const length = frame.declaredLength ?? BigInt(frame.payload.length);
  const masked = frame.masked ?? true;
  const first = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode;
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (length <= SMALL_LENGTH) {
    header = Buffer.from([first, maskBit | Number(length)]);
  } else if (length <= MEDIUM_LENGTH) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(Number(length), 2);
    header[1] = maskBit | 126;
  } else {
    header = Buffer.alloc(10);
    header.writeBigUInt64BE(length, 2);
    header[1] = maskBit | 127;
  }
  header[0] = first;
  if (!masked) return Buffer.concat([header, frame.payload]);
  const key = randomBytes(4);
  const payload = Buffer.from(frame.payload);
  for (let i = 0; i < payload.length; i++)
    payload[i] = (payload[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([header, key, payload]);
}

/** An upgrade request for the signaling path, with `headers` added or (undefined) removed. */
export function upgradeRequest(
  origin: string,
  headers: Record<string, string | undefined> = {},
): string {
  const all: Record<string, string | undefined> = {
    Host: new URL(origin).host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    Origin: origin,
    ...headers,
  };
  const lines = Object.entries(all)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}`);
  return `GET ${PATHS.signal} HTTP/1.1\r\n${lines.join('\r\n')}${HEADER_END}`;
}

/** What the server did with a raw connection. */
export interface RawOutcome {
  /** The HTTP status of the upgrade answer (101 when accepted); undefined if none came. */
  readonly status: number | undefined;
  /** The code of the server's close frame, if it sent one. */
  readonly closeCode: number | undefined;
  /** Text frames the server sent (a welcome to a fragmented join, say). */
  readonly texts: readonly string[];
}

/**
 * An open TCP connection to the server; `upgrade()` makes it a WebSocket by hand. Everything
 * it receives is parsed as server frames once the upgrade is answered.
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private status: number | undefined;
  private closeCode: number | undefined;
  private readonly texts: string[] = [];
  readonly ended: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(origin: string, localAddress: string): Promise<RawConnection> {
    const { hostname, port } = new URL(origin);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port), localAddress });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }

  get open(): boolean {
    return !this.socket.destroyed;
  }

  /** Resolves once the upgrade is answered (its status), or undefined after `timeoutMs`. */
  async answered(timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.status === undefined && this.open && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.status;
  }

  /** Waits until the server closes, up to `timeoutMs`, then cuts the connection. */
  async finish(timeoutMs: number): Promise<RawOutcome> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.socket.destroy();
    return { status: this.status, closeCode: this.closeCode, texts: this.texts };
  }

  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    if (this.status === undefined) {
      const end = this.received.indexOf(HEADER_END);
      if (end < 0) return;
      const match = STATUS_LINE.exec(this.received.subarray(0, end).toString('latin1'));
      this.status = match ? Number(match[1]) : 0;
      this.received = this.received.subarray(end + HEADER_END.length);
    }
    this.parseFrames();
  }

  /** Server frames are unmasked and, from ws, never lie about their length. */
  private parseFrames(): void {
    for (;;) {
      const buf = this.received;
      if (buf.length < 2) return;
      const opcode = (buf[0] as number) & 0x0f;
      let length = (buf[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      if (buf.length < offset + length) return;
      const payload = buf.subarray(offset, offset + length);
      if (opcode === OPCODES.close && payload.length >= 2) this.closeCode = payload.readUInt16BE(0);
      if (opcode === OPCODES.text) this.texts.push(payload.toString());
      this.received = buf.subarray(offset + length);
    }
  }
}
