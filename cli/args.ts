import { parseArgs } from 'node:util';
import { SIGNALING_LIMITS } from '../protocol/index.js';
import {
  type AgentSettings,
  DEFAULT_HOST,
  DEFAULT_MIN_SWARM,
  DEFAULT_PORT,
  DEFAULT_STUN_PORT,
  FIRST_VISIT_MODES,
  type FirstVisitMode,
  isTrustProxyEntry,
  type TlsFiles,
  type TurnOptions,
} from '../server/index.js';
import { excludeFilter } from '../site/index.js';
import { AGENT_FLAG_OPTIONS, agentSettingsOf } from './agent-flags.js';
import { CliError } from './errors.js';
import { type IceServersOption, parseIceServersOption, parseTurnOptions } from './ice-options.js';

const MAX_PORT = 65_535;
/** Largest --min-swarm signaling accepts (SIGNALING_LIMITS.maxMinSwarm). */
const MAX_MIN_SWARM = SIGNALING_LIMITS.maxMinSwarm;
/** Flags that only mean something for a site, refused with --signal-only. */
const SITE_FLAGS = ['disable', 'signal-url', 'no-inject', 'first-visit', 'exclude'] as const;

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | {
      name: 'build';
      siteDir: string;
      /** Globs of files never shared (`--exclude`, repeatable). */
      exclude: string[];
    }
  | {
      name: 'serve';
      /** Undefined with --signal-only. */
      siteDir?: string;
      /** The kill switch: publish the root disabled, pages without the agent. */
      disable: boolean;
      agent: AgentSettings;
      exclude: string[];
      minSwarm: number;
      port: number;
      host: string;
      inject: boolean;
      firstVisit: FirstVisitMode;
      adminToken?: string;
      allowedOrigins?: string[];
      /** 0: no STUN server. */
      stunPort: number;
      iceServers?: IceServersOption;
      turn?: TurnOptions;
      tls?: TlsFiles;
      trustProxy?: string[];
      /** redis://host:port: share swarms with the other nodes on it. */
      redis?: string;
    };

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
const EXCLUDE_OPTION = { exclude: { type: 'string', multiple: true } } as const;

/** Reads the command line; throws CliError('usage') for anything it does not understand. */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  switch (first) {
    case undefined:
      throw new CliError('usage', 'no command given');
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' };
    case '--version':
    case '-v':
      return { name: 'version' };
    case 'build': {
      const { values, positionals } = parse(rest, { ...HELP_OPTION, ...EXCLUDE_OPTION });
      if (values.help) return { name: 'help' };
      return { name: 'build', siteDir: siteDirOf(positionals), exclude: excludeOf(values.exclude) };
    }
    case 'serve': {
      const { values, positionals } = parse(rest, {
        ...HELP_OPTION,
        port: { type: 'string' },
        host: { type: 'string' },
        'no-inject': { type: 'boolean' },
        'first-visit': { type: 'string' },
        'admin-token': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'allowed-origins': { type: 'string', multiple: true },
        'stun-port': { type: 'string' },
        'ice-servers': { type: 'string' },
        'turn-secret': { type: 'string' },
        'turn-url': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'trust-proxy': { type: 'string' },
        redis: { type: 'string' },
        'signal-only': { type: 'boolean' },
        disable: { type: 'boolean' },
        'min-swarm': { type: 'string' },
        ...EXCLUDE_OPTION,
        ...AGENT_FLAG_OPTIONS,
      });
      if (values.help) return { name: 'help' };
      const signalOnly = values['signal-only'] === true;
      if (signalOnly) {
        if (positionals.length > 0) {
          throw new CliError(
            'usage',
            `--signal-only serves no site, yet '${positionals[0]}' was given`,
          );
        }
        const siteFlag = SITE_FLAGS.find((flag) => values[flag] !== undefined);
        if (siteFlag) throw new CliError('usage', `--${siteFlag} needs a site, not --signal-only`);
      }
      const turn = parseTurnOptions(values['turn-secret'], values['turn-url']);
      const iceServers = parseIceServersOption(values['ice-servers'], turn !== undefined);
      const tls = tlsOf(values['tls-cert'], values['tls-key']);
      const trustProxy = trustProxyOf(values['trust-proxy']);
      const redis = redisOf(values.redis);
      return {
        name: 'serve',
        ...(!signalOnly && { siteDir: siteDirOf(positionals) }),
        disable: values.disable === true,
        agent: agentSettingsOf(values),
        exclude: excludeOf(values.exclude),
        minSwarm: minSwarmOf(values['min-swarm']),
        port: portOf('--port', values.port, DEFAULT_PORT),
        host: values.host ?? DEFAULT_HOST,
        inject: !values['no-inject'],
        firstVisit: firstVisitOf(values['first-visit']),
        adminToken: values['admin-token'],
        ...allowedOriginsOf(values['allowed-origins'], values['allow-origin']),
        // --ice-servers points visitors elsewhere: no unadvertised STUN reflector unless asked.
        stunPort: portOf(
          '--stun-port',
          values['stun-port'],
          values['ice-servers'] === undefined ? DEFAULT_STUN_PORT : 0,
        ),
        ...(iceServers && { iceServers }),
        ...(turn && { turn }),
        ...(tls && { tls }),
        ...(trustProxy && { trustProxy }),
        ...(redis && { redis }),
      };
    }
    default:
      throw new CliError('usage', `unknown command '${first}'`);
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's text goes on about '--' positionals; its first sentence names the problem.
    const text = err instanceof Error ? err.message : String(err);
    throw new CliError('usage', text.split('. ')[0]);
  }
}

function siteDirOf(positionals: string[]): string {
  const [siteDir, ...extra] = positionals;
  if (siteDir === undefined) throw new CliError('usage', 'missing <site-dir>');
  if (extra.length > 0) throw new CliError('usage', `unexpected argument '${extra[0]}'`);
  return siteDir;
}

/** Checked here, so a bad glob is a usage error before anything is hashed. */
function excludeOf(patterns: string[] | undefined): string[] {
  const list = patterns ?? [];
  try {
    excludeFilter(list);
  } catch (err) {
    throw new CliError('usage', `--exclude: ${(err as Error).message}`);
  }
  return list;
}

function portOf(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port <= MAX_PORT))
    throw new CliError('usage', `${flag} must be 0..${MAX_PORT}, not '${text}'`);
  return port;
}

function minSwarmOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MIN_SWARM;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_MIN_SWARM)) {
    throw new CliError('usage', `--min-swarm must be 1..${MAX_MIN_SWARM}, not '${text}'`);
  }
  return n;
}

function firstVisitOf(text: string | undefined): FirstVisitMode {
  if (text === undefined) return 'bootstrap';
  const mode = FIRST_VISIT_MODES.find((candidate) => candidate === text);
  if (!mode) {
    throw new CliError(
      'usage',
      `--first-visit must be ${FIRST_VISIT_MODES.join(' or ')}, not '${text}'`,
    );
  }
  return mode;
}

function tlsOf(certFile: string | undefined, keyFile: string | undefined): TlsFiles | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new CliError('usage', '--tls-cert and --tls-key go together');
  return { certFile, keyFile };
}

/**
 * `--allowed-origins a,b` (repeatable) and its older single-origin form `--allow-origin a`
 * (repeatable), together: each an http(s) origin.
 */
function allowedOriginsOf(
  lists: string[] | undefined,
  singles: string[] | undefined,
): { allowedOrigins?: string[] } {
  if (lists === undefined && singles === undefined) return {};
  const entries = [...(lists ?? []).flatMap((list) => list.split(',')), ...(singles ?? [])].map(
    (entry) => entry.trim(),
  );
  const allowedOrigins: string[] = [];
  for (const entry of entries) {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new CliError('usage', `--allowed-origins takes http(s) origins, not '${entry}'`);
    }
    allowedOrigins.push(url.origin);
  }
  return { allowedOrigins };
}

/** `--redis redis://host:port` (or rediss://), checked here so a typo fails at start. */
function redisOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError('usage', `--redis takes redis://host:port, not '${text}'`);
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new CliError('usage', `--redis takes redis://host:port, not '${text}'`);
  }
  return text;
}

function trustProxyOf(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !isTrustProxyEntry(entry));
  if (bad !== undefined) {
    throw new CliError(
      'usage',
      `--trust-proxy takes IP addresses, CIDR blocks or 'loopback', not '${bad}'`,
    );
  }
  return entries;
}
