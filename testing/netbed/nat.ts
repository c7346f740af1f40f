/**
 * The NAT a home router does, as iptables rules run inside the router's namespace.
 *
 * - `full-cone`: MASQUERADE keeps the host's source port when it is free, and every UDP packet
 *   arriving on the WAN that no connection claims is sent on to the one host (DNAT, port kept):
 *   endpoint-independent mapping and filtering, as many home routers behave. Without the DNAT
 *   rule, two browsers behind two such routers stay in ICE `checking`: a peer's early
 *   hole-punching packet makes conntrack state that remaps the host's reply port.
 * - `symmetric`: MASQUERADE --random-fully, a fresh random port for every destination, and
 *   nothing unsolicited gets in. Peers behind two of these need a TURN relay.
 */

export const NAT_KINDS = ['full-cone', 'symmetric'] as const;
export type NatKind = (typeof NAT_KINDS)[number];

export interface NatInterfaces {
  /** The router's interface on the public bridge. */
  wan: string;
  /** The one host behind the router. */
  hostIp: string;
}

/** `iptables` argument lists (without the leading `iptables`) that make a router `kind`. */
export function natRules(kind: NatKind, { wan, hostIp }: NatInterfaces): string[][] {
  switch (kind) {
    case 'full-cone':
      return [
        ['-t', 'nat', '-A', 'POSTROUTING', '-o', wan, '-j', 'MASQUERADE'],
        [
          '-t',
          'nat',
          '-A',
          'PREROUTING',
          '-i',
          wan,
          '-p',
          'udp',
          '-j',
          'DNAT',
          '--to-destination',
          hostIp,
        ],
      ];
    case 'symmetric':
      return [['-t', 'nat', '-A', 'POSTROUTING', '-o', wan, '-j', 'MASQUERADE', '--random-fully']];
  }
}
