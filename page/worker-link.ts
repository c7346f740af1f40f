import {
  type AgentToWorkerMessage,
  BRIDGE_PROTOCOL,
  BROADCAST_CHANNEL_NAME,
  parseBroadcast,
  parseWorkerToAgent,
  type WorkerToAgentMessage,
} from '../protocol/index.js';
import { AGENT_LIMITS } from './config.js';
import { debug } from './log.js';

export interface WorkerLinkHandlers {
  onMessage(message: WorkerToAgentMessage, port: MessagePort | undefined): void;
  /** The worker found the site stood PeerConnect down (the kill switch). */
  onDisable(): void;
}

/**
 * The leader's side of the worker bridge: it hands the active service worker a MessagePort,
 * and hands it a new one whenever a worker asks (it restarted), a new worker takes over, or
 * this tab leaves (then it says goodbye so requests fall back at once).
 */
export class WorkerLink {
  /**
   * The last few ports handed to a worker stay open: the worker may already have posted
   * requests to an older one when a newer hello reaches it.
   */
  private readonly ports: MessagePort[] = [];
  private lastHello = 0;
  /** Said goodbye (the tab is going away): no new link may follow it. */
  private left = false;
  private readonly broadcast = new BroadcastChannel(BROADCAST_CHANNEL_NAME);

  constructor(
    private enabled: boolean,
    private readonly handlers: WorkerLinkHandlers,
  ) {}

  /**
   * The visitor opted in or out: the worker hears a new hello, and a disabled link closes
   * its ports, so nothing more is asked of this agent.
   */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    if (!enabled) for (const port of this.ports.splice(0)) port.close();
    this.hello();
  }

  async start(): Promise<void> {
    await navigator.serviceWorker.ready;
    this.hello();
    navigator.serviceWorker.addEventListener('controllerchange', () => this.hello());
    this.broadcast.onmessage = (event) => {
      let type: string;
      try {
        type = parseBroadcast(event.data).type;
      } catch {
        return; // Not ours.
      }
      if (type === 'pc:disable') this.handlers.onDisable();
      // Fetches that start together each find no agent; one hello answers them all.
      if (
        type === 'pc:need-agent' &&
        Date.now() - this.lastHello > AGENT_LIMITS.needAgentDebounceMs
      )
        this.hello();
    };
    window.addEventListener('pagehide', (event: PageTransitionEvent) => {
      if (!event.persisted) this.bye();
    });
  }

  private hello(): void {
    if (this.left) return;
    this.lastHello = Date.now();
    void navigator.serviceWorker.ready.then((registration) => {
      const worker = registration.active;
      if (!worker) return;
      const channel = new MessageChannel();
      if (this.enabled) {
        const port = channel.port1;
        this.ports.push(port);
        // The worker's end went away (that worker stopped): the port no longer takes a slot.
        port.addEventListener('close', () => {
          const at = this.ports.indexOf(port);
          if (at >= 0) this.ports.splice(at, 1);
        });
        const excess = Math.max(0, this.ports.length - AGENT_LIMITS.workerPortsKept);
        for (const old of this.ports.splice(0, excess)) old.close();
      }
      channel.port1.onmessage = (event) => {
        try {
          this.handlers.onMessage(parseWorkerToAgent(event.data), event.ports[0]);
        } catch (err) {
          debug('dropped a malformed worker message', err);
        }
      };
      const hello: AgentToWorkerMessage = {
        type: 'pc:agent-hello',
        enabled: this.enabled,
        protocol: BRIDGE_PROTOCOL,
      };
      worker.postMessage(hello, this.enabled ? [channel.port2] : []);
      debug('linked to the service worker', { enabled: this.enabled });
    });
  }

  private bye(): void {
    this.left = true;
    this.broadcast.close();
    const bye: AgentToWorkerMessage = { type: 'pc:agent-bye' };
    for (const port of this.ports) port.postMessage(bye);
  }
}
