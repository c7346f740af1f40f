import { missingFeatures, NAVIGATOR_FEATURES, PAGE_FEATURE_GLOBALS } from '../protocol/index.js';

/** Named when the worker bridge cannot move chunks as transferred (zero-copy) buffers. */
export const TRANSFERABLE_BUFFERS = 'transferable ArrayBuffer';

/** Whether an ArrayBuffer can be transferred (it is then detached here), as the bridge does. */
function canTransferBuffers(): boolean {
  try {
    const buffer = new ArrayBuffer(1);
    structuredClone(buffer, { transfer: [buffer] });
    return buffer.byteLength === 0;
  } catch {
    return false;
  }
}

/** Everything PeerConnect relies on that this page lacks; empty when it can run. */
export function missingPageFeatures(): string[] {
  const missing = [
    ...missingFeatures(window, PAGE_FEATURE_GLOBALS),
    ...missingFeatures(navigator, NAVIGATOR_FEATURES),
  ];
  if (!canTransferBuffers()) missing.push(TRANSFERABLE_BUFFERS);
  return missing;
}
