/** Silent unless the visitor or developer asks: `localStorage['peerconnect:debug'] = '1'`. */
const DEBUG_KEY = 'peerconnect:debug';

function enabled(): boolean {
  try {
    return globalThis.localStorage?.getItem(DEBUG_KEY) === '1';
  } catch {
    return false;
  }
}

export function debug(...args: unknown[]): void {
  if (enabled()) console.debug('[peerconnect]', ...args);
}
