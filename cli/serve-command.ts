import { startServer } from '../server/index.js';
import type { Command } from './args.js';
import type { CliIo } from './cli-io.js';
import { EXIT } from './errors.js';
import { loadIceServers } from './ice-options.js';
import { createProgressReporter } from './progress.js';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** `peerconnect serve`: runs until SIGINT/SIGTERM, then closes gracefully and exits 0. */
export async function runServe(
  command: Extract<Command, { name: 'serve' }>,
  io: CliIo,
): Promise<number> {
  const iceServers = await loadIceServers(command.iceServers, command.turn !== undefined);
  const progress = createProgressReporter(io.stderr);
  const server = await startServer({
    siteDir: command.siteDir,
    port: command.port,
    host: command.host,
    inject: command.inject,
    firstVisit: command.firstVisit,
    adminToken: command.adminToken,
    allowedOrigins: command.allowedOrigins,
    stunPort: command.stunPort,
    iceServers,
    turn: command.turn,
    tls: command.tls,
    trustProxy: command.trustProxy,
    redis: command.redis,
    disable: command.disable,
    exclude: command.exclude,
    agent: command.agent,
    minSwarm: command.minSwarm,
    log: (line) => {
      progress.clear();
      io.stderr.write(`${line}\n`);
    },
    onManifestProgress: (p) => progress.update(p),
  }).finally(() => progress.clear());
  const what = command.siteDir ?? 'signaling only';
  io.stdout.write(`peerconnect: serving ${what} at ${server.url} (Ctrl+C to stop)\n`);
  if (command.disable) {
    io.stdout.write("peerconnect: PeerConnect is disabled: visitors' workers stand down\n");
  }
  const login = command.adminToken === undefined ? '' : ' (one-time login link)';
  io.stdout.write(`peerconnect: dashboard${login}: ${server.dashboardUrl}\n`);
  const signal = await nextSignal();
  // A second signal while closing gets Node's default handling: exit at once.
  io.stderr.write(`peerconnect: ${signal}: closing\n`);
  await server.close();
  return EXIT.ok;
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      resolve(signal);
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
  });
}
