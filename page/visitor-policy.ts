/** Why this visitor takes no part in peer-to-peer delivery, or undefined when they do. */
export type OptOutReason = 'save-data' | 'opt-out' | 'consent';

export const OPT_OUT_KEY = 'peerconnect:opt-out';
/** Set by `peerconnect.optIn()`: the consent a site with `data-consent="required"` waits for. */
export const CONSENT_KEY = 'peerconnect:consent';
/** The localStorage keys that hold the visitor's choice (other tabs watch them). */
export const CHOICE_KEYS: readonly string[] = [OPT_OUT_KEY, CONSENT_KEY];

interface NetworkInformationLike {
  saveData?: boolean;
}

/** This page's own choice, which holds even where localStorage is blocked. */
let pageChoice: 'out' | 'in' | undefined;

function stored(key: string): boolean {
  try {
    return localStorage.getItem(key) === '1';
  } catch {
    // Storage blocked: no stored choice.
    return false;
  }
}

/**
 * `consentRequired`: the site's `data-consent="required"`. Peers see each other's IP addresses,
 * so such a site takes no part until the visitor opts in.
 */
export function p2pOptOutReason(consentRequired: boolean): OptOutReason | undefined {
  // A browser without WebRTC or channels never gets here: the agent checks its features first.
  // Peers cost the visitor upload bandwidth; someone who asked to save data is never asked.
  const connection = (navigator as Navigator & { connection?: NetworkInformationLike }).connection;
  if (connection?.saveData) return 'save-data';
  if (pageChoice === 'out' || (pageChoice === undefined && stored(OPT_OUT_KEY))) return 'opt-out';
  if (consentRequired && pageChoice !== 'in' && !stored(CONSENT_KEY)) return 'consent';
  return undefined;
}

/** Records the visitor's choice: opting out withdraws consent, opting in gives it. */
export function setOptOut(optOut: boolean): void {
  pageChoice = optOut ? 'out' : 'in';
  try {
    if (optOut) {
      localStorage.setItem(OPT_OUT_KEY, '1');
      localStorage.removeItem(CONSENT_KEY);
    } else {
      localStorage.removeItem(OPT_OUT_KEY);
      localStorage.setItem(CONSENT_KEY, '1');
    }
  } catch {
    // Storage blocked: the choice lasts for this page only (pageChoice).
  }
}

/** Another tab changed the stored choice: it now speaks for this page too. */
export function adoptStoredChoice(): void {
  pageChoice = undefined;
}
