import { run } from './command.js';

/**
 * Network namespaces of test beds, named `pcnb<pid>-<name>` after the process that made them,
 * so a later run can tell the leftovers of a dead run (its pid is gone) from a live bed.
 */

export const NAMESPACE_PREFIX = 'pcnb';
const OWNED_NAME = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`);
/** Processes left in a namespace get SIGTERM, then SIGKILL after this. */
const KILL_GRACE_MS = 1_000;
const KILL_POLL_MS = 50;

/** The prefix of every namespace this process creates. */
export function namespacePrefix(pid = process.pid): string {
  return `${NAMESPACE_PREFIX}${pid}-`;
}

/** Names of every network namespace on the machine. */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  // Lines look like `name` or `name (id: 3)`.
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

/** Creates a namespace with its loopback up and IPv6 off (IPv4 only keeps ICE predictable). */
export async function addNamespace(name: string): Promise<void> {
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  for (const scope of ['all', 'default']) {
    await run([
      'ip',
      'netns',
      'exec',
      name,
      'sysctl',
      '-qw',
      `net.ipv6.conf.${scope}.disable_ipv6=1`,
    ]);
  }
}

/** Pids of the processes whose network namespace is `name`. */
export async function namespacePids(name: string): Promise<number[]> {
  const { stdout } = await run(['ip', 'netns', 'pids', name]);
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Ends every process still inside namespace `name` (each one started by a bed: nothing else
 * runs in these namespaces), then deletes it. A missing namespace is not an error.
 */
export async function deleteNamespace(name: string): Promise<void> {
  if (!(await listNamespaces()).includes(name)) return;
  let pids = await namespacePids(name);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + KILL_GRACE_MS;
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, KILL_POLL_MS));
    pids = await namespacePids(name);
  }
  for (const pid of pids) signal(pid, 'SIGKILL');
  await run(['ip', 'netns', 'delete', name]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes the namespaces of beds whose process is gone; returns their names. */
export async function removeStaleNamespaces(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const owner = OWNED_NAME.exec(name)?.[1];
    return owner !== undefined && Number(owner) !== process.pid && !isAlive(Number(owner));
  });
  for (const name of stale) await deleteNamespace(name);
  return stale;
}
