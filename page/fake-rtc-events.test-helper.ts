/** Browser-like event plumbing shared by the RTC fakes. */

export function later(fn: () => void): void {
  setImmediate(fn);
}

export function domError(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

export type Handler = ((event: Event) => void) | null;

/** Dispatches `event` to the `on<type>` property and to listeners, as a browser does. */
export function fire(target: EventTarget, event: Event): void {
  const handler = (target as unknown as Record<string, Handler>)[`on${event.type}`];
  handler?.call(target, event);
  target.dispatchEvent(event);
}
