import { HealthProbe } from './health-probe.js';
import type { ObserverCommand, ObserverConfig, ObserverMessage } from './observer-protocol.js';
import { Watcher } from './watcher.js';

// Entry of the observer process (forked by observer.ts with its config as argv[2]).

const config = JSON.parse(process.argv[2] ?? '') as ObserverConfig;
const tell = (message: ObserverMessage) => process.send?.(message);
// It must not outlive the fuzzer, however that ends.
process.once('disconnect', () => process.exit(0));

try {
  const health = new HealthProbe(
    config.origin,
    config.healthAddress,
    config.healthIntervalMs,
    config.healthLimitMs,
  );
  health.start();
  const watcher = await Watcher.start({
    origin: config.origin,
    localAddresses: config.watchAddresses,
    content: config.watchContent,
    timeoutMs: config.watchTimeoutMs,
    intervalMs: config.watchIntervalMs,
    limitMs: config.watchLimitMs,
  });
  watcher.run();
  process.once('message', async (command: ObserverCommand) => {
    if (command.t !== 'stop') return;
    const report = { health: await health.stop(), watch: await watcher.stop() };
    tell({ t: 'report', report });
  });
  tell({ t: 'ready', watchedPeer: watcher.watchedPeer });
} catch (err) {
  tell({ t: 'failed', error: err instanceof Error ? err.message : String(err) });
}
