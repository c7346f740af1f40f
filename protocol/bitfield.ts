/**
 * A set of asset indexes as bits (bit i of byte i>>3, most significant first, as in BitTorrent),
 * sent compactly in signaling (base64) and on the peer wire (raw bytes).
 */
export class Bitfield {
  readonly bytes: Uint8Array;

  constructor(
    readonly length: number,
    bytes?: Uint8Array,
  ) {
    const byteLength = Math.ceil(length / 8);
    if (bytes && bytes.length !== byteLength) {
      throw new RangeError(
        `bitfield of ${length} bits needs ${byteLength} bytes, got ${bytes.length}`,
      );
    }
    this.bytes = bytes ? new Uint8Array(bytes) : new Uint8Array(byteLength);
    if (bytes) this.clearPadding();
  }

  has(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return false;
    return ((this.bytes[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
  }

  set(index: number, value = true): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`bit ${index} outside 0..${this.length - 1}`);
    }
    const mask = 0x80 >> (index & 7);
    const byte = this.bytes[index >> 3] ?? 0;
    this.bytes[index >> 3] = value ? byte | mask : byte & ~mask;
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.has(i)) n++;
    return n;
  }

  toBase64(): string {
    let binary = '';
    for (const byte of this.bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  }

  static fromBase64(length: number, text: string): Bitfield {
    let binary: string;
    try {
      binary = atob(text);
    } catch {
      throw new RangeError('bitfield is not valid base64');
    }
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Bitfield(length, bytes);
  }

  /** Bits past `length` in the last byte carry no meaning; zero them so equal sets compare equal. */
  private clearPadding(): void {
    const extra = this.bytes.length * 8 - this.length;
    if (extra > 0) {
      const last = this.bytes.length - 1;
      this.bytes[last] = (this.bytes[last] ?? 0) & (0xff << extra);
    }
  }
}
