/** The one-line header a gateway client sends first: `<ipv4> <port>\n`. */

export const GATEWAY_READY = 'gateway ready';

export interface GatewayTarget {
  host: string;
  port: number;
}

export function gatewayHeader({ host, port }: GatewayTarget): string {
  return `${host} ${port}\n`;
}

/** The target a header names, or null when it is not `<ipv4> <port>`. */
export function parseGatewayHeader(line: string): GatewayTarget | null {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}) (\d{1,5})$/.exec(line.trim());
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  return { host: match[1]!, port };
}
