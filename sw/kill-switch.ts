import type { BroadcastMessage } from '../protocol/index.js';
import type { RootListener } from './manifest-source.js';

/** What standing down touches: the tabs' channel and the worker's own registration. */
export interface KillSwitchDeps {
  broadcast: (message: BroadcastMessage) => void;
  unregister: () => Promise<unknown>;
}

/**
 * The site owner's kill switch (a root with `disabled: true`): every tab's agent is told to
 * close its connections, and the worker unregisters, so each tab is uncontrolled from its next
 * navigation. Until then the routes pass everything to the network (they check the root), and
 * pages stay intact: nothing is served that the origin did not send.
 */
export function killSwitch(deps: KillSwitchDeps): RootListener {
  return (root) => {
    if (!root.disabled) return undefined;
    deps.broadcast({ type: 'pc:disable' });
    return deps.unregister().catch(() => false);
  };
}
