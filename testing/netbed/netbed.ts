import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PUBLIC_HOSTS,
  homeHostIp,
  isPublicHostAddress,
  MAX_HOMES,
  routerLanIp,
  routerWanIp,
  SERVER_IP,
  withLanPrefix,
  withPublicPrefix,
} from './addresses.js';
import { type BedProcess, type SpawnOptions, spawnInNamespace } from './bed-process.js';
import { DEFAULT_CHROMIUM_PATH, writeChromiumWrapper } from './chromium.js';
import { type CommandResult, inNamespace, type RunOptions, run } from './command.js';
import { GATEWAY_READY } from './gateway-protocol.js';
import {
  addNamespace,
  deleteNamespace,
  namespacePrefix,
  removeStaleNamespaces,
} from './namespace.js';
import { type NatKind, natRules } from './nat.js';
import { NODE_SCRIPT_START_MS, nodeScriptArgv, REPO_ROOT } from './node-script.js';
import { forwardPort, type PortForward } from './port-forward.js';
import { clearRateLimitCommand, type RateLimit, rateLimitCommands } from './rate-limit.js';

/**
 * A test bed of Linux network namespaces:
 *
 * ```
 *   <prefix>pub: br0 198.18.0.1 (server) + public hosts 198.18.0.2.. (TURN, a second node)
 *      │ home1 ─ wan 198.18.0.11 [<prefix><name>-r: NAT] lan 10.1.0.1 ─ eth0 10.1.0.2 [<prefix><name>]
 *      │ home2 ─ wan 198.18.0.12 [router]                 lan 10.2.0.1 ─ eth0 10.2.0.2 [host]
 * ```
 *
 * No namespace has a default route out of the bed, and the root namespace gets no address,
 * route or rule: every packet stays inside. `destroy()` stops what the bed started and deletes
 * its namespaces; `createNetbed` first removes the namespaces of dead runs.
 */

export interface HomeSpec {
  /** 1..12 lowercase letters or digits; part of the namespace names. */
  name: string;
  nat: NatKind;
  /** What the home can send (router WAN egress) and receive (router LAN egress). */
  uplink?: RateLimit;
  downlink?: RateLimit;
}

export interface NetbedOptions {
  homes: readonly HomeSpec[];
  /** More addresses of the public namespace, 198.18.0.2..10 (default .2, .3, .4). */
  publicHosts?: readonly string[];
  chromiumPath?: string;
}

export interface Home {
  readonly name: string;
  /** Home N is 10.N.0.0/24, its router 198.18.0.(10+N). */
  readonly index: number;
  readonly nat: NatKind;
  readonly routerNs: string;
  /** The visitor's machine. */
  readonly hostNs: string;
  /** The router's public (WAN) address: what servers and peers see. */
  readonly publicIp: string;
  readonly hostIp: string;
  readonly routerLanIp: string;
  /** An executable that runs Chromium inside `hostNs` (Playwright's `executablePath`). */
  readonly chromium: string;
}

export interface Netbed {
  /** Every namespace of the bed starts with it, e.g. `pcnb4242-`. */
  readonly prefix: string;
  readonly publicNs: string;
  readonly serverIp: string;
  readonly publicHosts: readonly string[];
  readonly homes: readonly Home[];
  /** A private temp directory (wrappers, configs, sockets), removed by destroy(). */
  readonly dir: string;
  home(name: string): Home;
  /** Runs a command inside `ns` and waits for it (bounded by a timeout). */
  exec(ns: string, argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Starts a long-running process inside `ns`; destroy() stops it if the caller has not. */
  spawn(ns: string, file: string, args: readonly string[], options?: SpawnOptions): BedProcess;
  /** A loopback URL of this process that reaches `host:port` inside the public namespace. */
  forward(host: string, port: number): Promise<PortForward>;
  /** Sets (or with `null`, removes) a home's rate limits. */
  limit(
    home: Home,
    limits: { uplink?: RateLimit | null; downlink?: RateLimit | null },
  ): Promise<void>;
  /** Stops every process, deletes every namespace and the temp directory; idempotent. */
  destroy(): Promise<void>;
}

const HOME_NAME = /^[a-z0-9]{1,12}$/;
const BRIDGE = 'br0';
const WAN = 'wan';
const LAN = 'lan';
const HOST_IF = 'eth0';

function validate(options: NetbedOptions): void {
  if (options.homes.length > MAX_HOMES) throw new Error(`at most ${MAX_HOMES} homes`);
  const names = new Set<string>();
  for (const home of options.homes) {
    if (!HOME_NAME.test(home.name)) throw new Error(`bad home name '${home.name}' (${HOME_NAME})`);
    if (names.has(home.name)) throw new Error(`two homes named '${home.name}'`);
    names.add(home.name);
  }
  for (const ip of options.publicHosts ?? []) {
    if (!isPublicHostAddress(ip) || ip === SERVER_IP) {
      throw new Error(`public host ${ip} is not one of 198.18.0.2..10`);
    }
  }
}

/** Builds the bed; on any failure it tears down what it made and rethrows. */
export async function createNetbed(options: NetbedOptions): Promise<Netbed> {
  validate(options);
  await removeStaleNamespaces();
  const prefix = namespacePrefix();
  const publicNs = `${prefix}pub`;
  const publicHosts = [...(options.publicHosts ?? DEFAULT_PUBLIC_HOSTS)];
  const dir = await mkdtemp(join(tmpdir(), `${prefix}bed-`));
  const namespaces: string[] = [];
  const processes = new Set<BedProcess>();
  const forwards = new Set<PortForward>();
  let gateway: Promise<string> | undefined;
  let destroying: Promise<void> | undefined;

  const ip = (ns: string, ...args: string[]) => run(['ip', '-n', ns, ...args]);
  const inNs = (ns: string, argv: readonly string[], runOptions?: RunOptions) =>
    run(inNamespace(ns, argv[0]!, argv.slice(1)), runOptions);
  const newNamespace = async (name: string) => {
    await addNamespace(name);
    namespaces.push(name);
  };

  const spawn = (
    ns: string,
    file: string,
    args: readonly string[],
    spawnOptions?: SpawnOptions,
  ) => {
    if (destroying) throw new Error('the test bed is being destroyed');
    const child = spawnInNamespace(ns, file, args, spawnOptions);
    processes.add(child);
    child.child.once('close', () => processes.delete(child));
    return child;
  };

  const startGateway = async (): Promise<string> => {
    const socket = join(dir, 'gateway.sock');
    const [file, ...args] = nodeScriptArgv('gateway-main.ts', [socket]);
    const child = spawn(publicNs, file!, args, { cwd: REPO_ROOT });
    await child.waitForOutput(new RegExp(GATEWAY_READY), NODE_SCRIPT_START_MS);
    return socket;
  };

  const setLimit = async (ns: string, dev: string, limit: RateLimit | null | undefined) => {
    if (limit === undefined) return;
    if (limit === null) {
      await inNs(ns, ['tc', ...clearRateLimitCommand(dev)]).catch(() => undefined);
      return;
    }
    for (const args of rateLimitCommands(dev, limit)) await inNs(ns, ['tc', ...args]);
  };

  const destroy = () => {
    destroying ??= (async () => {
      const errors: unknown[] = [];
      const attempt = async (step: () => Promise<unknown>) => {
        try {
          await step();
        } catch (err) {
          errors.push(err);
        }
      };
      await Promise.all([...forwards].map((forward) => attempt(() => forward.close())));
      await Promise.all([...processes].map((child) => attempt(() => child.stop())));
      // Hosts first, then routers, then the public namespace (reverse order of creation).
      for (const name of [...namespaces].reverse()) await attempt(() => deleteNamespace(name));
      await attempt(() => rm(dir, { recursive: true, force: true }));
      if (errors.length > 0) throw new AggregateError(errors, 'test bed teardown failed');
    })();
    return destroying;
  };

  try {
    await newNamespace(publicNs);
    await ip(publicNs, 'link', 'add', 'name', BRIDGE, 'type', 'bridge');
    await ip(publicNs, 'addr', 'add', withPublicPrefix(SERVER_IP), 'dev', BRIDGE);
    for (const host of publicHosts)
      await ip(publicNs, 'addr', 'add', withPublicPrefix(host), 'dev', BRIDGE);
    await ip(publicNs, 'link', 'set', BRIDGE, 'up');

    const homes: Home[] = [];
    for (const [i, spec] of options.homes.entries()) {
      const index = i + 1;
      const routerNs = `${prefix}${spec.name}-r`;
      const hostNs = `${prefix}${spec.name}`;
      const uplinkPort = `home${index}`;
      const home: Home = {
        name: spec.name,
        index,
        nat: spec.nat,
        routerNs,
        hostNs,
        publicIp: routerWanIp(index),
        hostIp: homeHostIp(index),
        routerLanIp: routerLanIp(index),
        chromium: await writeChromiumWrapper(
          dir,
          hostNs,
          options.chromiumPath ?? DEFAULT_CHROMIUM_PATH,
        ),
      };
      await newNamespace(routerNs);
      await newNamespace(hostNs);
      // WAN: a veth made inside the public namespace, its far end moved into the router.
      await ip(
        publicNs,
        'link',
        'add',
        uplinkPort,
        'type',
        'veth',
        'peer',
        'name',
        WAN,
        'netns',
        routerNs,
      );
      await ip(publicNs, 'link', 'set', uplinkPort, 'master', BRIDGE, 'up');
      await ip(routerNs, 'addr', 'add', withPublicPrefix(home.publicIp), 'dev', WAN);
      await ip(routerNs, 'link', 'set', WAN, 'up');
      // LAN: router <-> host.
      await ip(
        routerNs,
        'link',
        'add',
        LAN,
        'type',
        'veth',
        'peer',
        'name',
        HOST_IF,
        'netns',
        hostNs,
      );
      await ip(routerNs, 'addr', 'add', withLanPrefix(home.routerLanIp), 'dev', LAN);
      await ip(routerNs, 'link', 'set', LAN, 'up');
      await ip(hostNs, 'addr', 'add', withLanPrefix(home.hostIp), 'dev', HOST_IF);
      await ip(hostNs, 'link', 'set', HOST_IF, 'up');
      await ip(hostNs, 'route', 'add', 'default', 'via', home.routerLanIp);
      await inNs(routerNs, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      for (const rule of natRules(spec.nat, { wan: WAN, hostIp: home.hostIp })) {
        await inNs(routerNs, ['iptables', ...rule]);
      }
      await setLimit(routerNs, WAN, spec.uplink);
      await setLimit(routerNs, LAN, spec.downlink);
      homes.push(home);
    }

    return {
      prefix,
      publicNs,
      serverIp: SERVER_IP,
      publicHosts,
      homes,
      dir,
      home(name) {
        const home = homes.find((candidate) => candidate.name === name);
        if (!home) throw new Error(`no home '${name}' in the test bed`);
        return home;
      },
      exec: inNs,
      spawn,
      async forward(host, port) {
        gateway ??= startGateway();
        const forward = await forwardPort(await gateway, { host, port });
        forwards.add(forward);
        return forward;
      },
      async limit(home, limits) {
        await setLimit(home.routerNs, WAN, limits.uplink);
        await setLimit(home.routerNs, LAN, limits.downlink);
      },
      destroy,
    };
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
}
