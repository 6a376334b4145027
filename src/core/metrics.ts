// How well a set of predictions matches the truth, beyond plain accuracy.

/** Macro-averaged F1 over every label that is gold or predicted; a missing prediction is a miss. */
export function macroF1(pairs: ReadonlyArray<{ gold: string; predicted: string | null }>): number {
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const labels = new Set<string>();
  for (const { gold, predicted } of pairs) {
    labels.add(gold);
    if (predicted !== null) labels.add(predicted);
    if (predicted === gold) inc(tp, gold);
    else {
      inc(fn, gold);
      if (predicted !== null) inc(fp, predicted);
    }
  }
  if (labels.size === 0) return Number.NaN;
  let sum = 0;
  for (const l of labels) {
    const t = tp.get(l) ?? 0;
    const denominator = 2 * t + (fp.get(l) ?? 0) + (fn.get(l) ?? 0);
    sum += denominator > 0 ? (2 * t) / denominator : 0;
  }
  return sum / labels.size;
}
