/**
 * The few STUN messages (RFC 5389, RFC 5780) a NAT check needs: a Binding request, optionally
 * with CHANGE-REQUEST, and the addresses in its success response.
 */

export const STUN_MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
const TRANSACTION_ID_BYTES = 12;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;

const ATTR = {
  mappedAddress: 0x0001,
  changeRequest: 0x0003,
  xorMappedAddress: 0x0020,
  responseOrigin: 0x802b,
  otherAddress: 0x802c,
} as const;
const FAMILY_IPV4 = 0x01;
const CHANGE_IP = 0x04;
const CHANGE_PORT = 0x02;

export interface StunAddress {
  ip: string;
  port: number;
}

export interface BindingResponse {
  /** XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS: where the server saw the request come from. */
  mapped: StunAddress;
  /** RFC 5780: the address the response was sent from, and the server's alternate address. */
  responseOrigin?: StunAddress;
  otherAddress?: StunAddress;
}

export interface BindingRequestOptions {
  /** RFC 5780: ask the server to answer from its other IP and port. */
  changeIpAndPort?: boolean;
}

export function bindingRequest(
  transactionId: Uint8Array,
  options: BindingRequestOptions = {},
): Buffer {
  if (transactionId.length !== TRANSACTION_ID_BYTES) {
    throw new Error(`a STUN transaction id has ${TRANSACTION_ID_BYTES} bytes`);
  }
  const attributes = options.changeIpAndPort ? 8 : 0;
  const message = Buffer.alloc(HEADER_BYTES + attributes);
  message.writeUInt16BE(BINDING_REQUEST, 0);
  message.writeUInt16BE(attributes, 2);
  message.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  message.set(transactionId, 8);
  if (options.changeIpAndPort) {
    message.writeUInt16BE(ATTR.changeRequest, HEADER_BYTES);
    message.writeUInt16BE(4, HEADER_BYTES + 2);
    message.writeUInt32BE(CHANGE_IP | CHANGE_PORT, HEADER_BYTES + 4);
  }
  return message;
}

/** An IPv4 address attribute (the bed is IPv4 only; IPv6 would XOR with the transaction id too). */
function readAddress(value: Buffer, xor: boolean): StunAddress | null {
  if (value.length < 8 || value[1] !== FAMILY_IPV4) return null;
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(STUN_MAGIC_COOKIE);
  const port = value.readUInt16BE(2) ^ (xor ? STUN_MAGIC_COOKIE >>> 16 : 0);
  const bytes = [...value.subarray(4, 8)].map((byte, i) => (xor ? byte ^ cookie[i]! : byte));
  return { ip: bytes.join('.'), port };
}

/**
 * The success response to the request with `transactionId`, or null for anything else (another
 * transaction, an error response, a malformed message).
 */
export function parseBindingResponse(
  message: Uint8Array,
  transactionId: Uint8Array,
): BindingResponse | null {
  const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (data.length < HEADER_BYTES) return null;
  if (data.readUInt16BE(0) !== BINDING_SUCCESS || data.readUInt32BE(4) !== STUN_MAGIC_COOKIE) {
    return null;
  }
  if (!data.subarray(8, HEADER_BYTES).equals(Buffer.from(transactionId))) return null;
  const end = Math.min(data.length, HEADER_BYTES + data.readUInt16BE(2));
  let mapped: StunAddress | null = null;
  let plainMapped: StunAddress | null = null;
  const result: Omit<BindingResponse, 'mapped'> = {};
  for (let offset = HEADER_BYTES; offset + 4 <= end; ) {
    const type = data.readUInt16BE(offset);
    const length = data.readUInt16BE(offset + 2);
    const value = data.subarray(offset + 4, offset + 4 + length);
    if (type === ATTR.xorMappedAddress) mapped = readAddress(value, true);
    else if (type === ATTR.mappedAddress) plainMapped = readAddress(value, false);
    else if (type === ATTR.responseOrigin) {
      const address = readAddress(value, false);
      if (address) result.responseOrigin = address;
    } else if (type === ATTR.otherAddress) {
      const address = readAddress(value, false);
      if (address) result.otherAddress = address;
    }
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  const address = mapped ?? plainMapped;
  return address ? { mapped: address, ...result } : null;
}
