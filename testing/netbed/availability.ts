import { run } from './command.js';
import { deleteNamespace, namespacePrefix } from './namespace.js';

/** Whether this machine can build a test bed: root, `ip netns`, `iptables`, `tc`. */

export type Availability = { ok: true } | { ok: false; reason: string };

const TOOLS: readonly (readonly string[])[] = [
  ['iptables', '--version'],
  ['tc', '-V'],
];

/**
 * Tries what a bed needs (creating and deleting one namespace) and tells why not, so tests can
 * skip with that reason instead of failing on a machine without the rights or the tools.
 */
export async function checkNetbedAvailable(): Promise<Availability> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  const probe = `${namespacePrefix()}probe`;
  try {
    await run(['ip', 'netns', 'add', probe]);
  } catch (err) {
    return {
      ok: false,
      reason: `cannot create a network namespace (the test bed needs root): ${(err as Error).message}`,
    };
  }
  try {
    await deleteNamespace(probe);
    for (const argv of TOOLS) await run(argv);
  } catch (err) {
    return { ok: false, reason: `test bed tools missing: ${(err as Error).message}` };
  }
  return { ok: true };
}
