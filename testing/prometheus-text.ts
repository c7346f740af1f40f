/** Reads samples out of Prometheus' text exposition format (what /peerconnect/metrics serves). */

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * The sum of every sample of metric `name` whose labels include `labels`. 0 when the metric
 * is declared but has no matching sample yet (prom-client prints labelled counters only once
 * they are used); throws when it is not declared at all, so a renamed metric fails loudly
 * instead of reading as 0.
 */
export function metricSum(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let declared = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const declaredName = line.split(' ')[2];
      if (declaredName === name || `${declaredName}_total` === name) declared = true;
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    if (!match || match[1] !== name) continue;
    declared = true;
    const sampleLabels = new Map<string, string>();
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL_PAIR)) {
      if (key !== undefined && value !== undefined) sampleLabels.set(key, value);
    }
    if (Object.entries(labels).every(([key, value]) => sampleLabels.get(key) === value)) {
      sum += Number(match[3]);
    }
  }
  if (!declared) throw new Error(`metric ${name} is not in the exposition`);
  return sum;
}
