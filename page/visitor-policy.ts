/** Why this visitor takes no part in peer-to-peer delivery, or undefined when they do. */
export type OptOutReason = 'save-data' | 'opt-out';

export const OPT_OUT_KEY = 'peerconnect:opt-out';

interface NetworkInformationLike {
  saveData?: boolean;
}

export function p2pOptOutReason(): OptOutReason | undefined {
  // A browser without WebRTC or channels never gets here: the agent checks its features first.
  // Peers cost the visitor upload bandwidth; someone who asked to save data is never asked.
  const connection = (navigator as Navigator & { connection?: NetworkInformationLike }).connection;
  if (connection?.saveData) return 'save-data';
  try {
    if (localStorage.getItem(OPT_OUT_KEY) === '1') return 'opt-out';
  } catch {
    // Storage blocked: no stored choice.
  }
  return undefined;
}

export function setOptOut(optOut: boolean): void {
  try {
    if (optOut) localStorage.setItem(OPT_OUT_KEY, '1');
    else localStorage.removeItem(OPT_OUT_KEY);
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
}
