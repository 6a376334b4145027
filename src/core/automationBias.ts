// Automation bias: do reviewers agree with the machine more when they can see its suggestion?
// Compare the agreement-with-machine rate in blind mode (suggestion hidden) with shown mode, on
// comparable items. The difference has Newcombe's hybrid score interval; the test pools strata
// of comparable items (e.g. the machine's label and confidence band) by Cochran–Mantel–Haenszel,
// so a mode that happened to get easier items does not look like bias.
import { compareRates, mantelHaenszel, rate, rateDifference, type Count, type TestName } from './disparity.ts';
import type { Interval } from './estimate.ts';
import { insufficient, ok, type Measured } from './measured.ts';

/** One reviewed item on which the machine made a suggestion. */
export interface ModeDecision {
  mode: 'blind' | 'shown';
  /** What makes items comparable; only strata seen in both modes are compared. */
  stratum: string;
  /** The reviewer's answer equals the machine's suggestion. */
  agreed: boolean;
}

export interface AutomationBiasOptions {
  confidence?: number;
  alpha?: number;
  /** Fewest decisions per mode. */
  minN?: number;
}

export interface AutomationBias {
  blind: Interval & { n: number };
  shown: Interval & { n: number };
  /** shown − blind agreement rate; positive means people follow a visible suggestion more. */
  difference: Interval;
  test: { test: TestName | 'cochran-mantel-haenszel'; p: number };
  /** Significant at alpha, and in which direction. */
  flag: 'more-agreement-when-shown' | 'less-agreement-when-shown' | null;
  /** Strata seen in both modes; decisions in other strata are left out. */
  strata: number;
}

export function automationBias(decisions: readonly ModeDecision[], options: AutomationBiasOptions = {}): Measured<AutomationBias> {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const minN = options.minN ?? 10;
  const byStratum = new Map<string, { blind: Count; shown: Count }>();
  for (const d of decisions) {
    const s = byStratum.get(d.stratum) ?? { blind: { x: 0, n: 0 }, shown: { x: 0, n: 0 } };
    s[d.mode].n++;
    if (d.agreed) s[d.mode].x++;
    byStratum.set(d.stratum, s);
  }
  const comparable = [...byStratum.values()].filter((s) => s.blind.n > 0 && s.shown.n > 0);
  const blind = { x: 0, n: 0 };
  const shown = { x: 0, n: 0 };
  for (const s of comparable) {
    blind.x += s.blind.x;
    blind.n += s.blind.n;
    shown.x += s.shown.x;
    shown.n += s.shown.n;
  }
  if (blind.n < minN || shown.n < minN) return insufficient(Math.min(blind.n, shown.n), minN);
  const rates = { blind: rate(blind, { minN, confidence: options.confidence }), shown: rate(shown, { minN, confidence: options.confidence }) };
  if (rates.blind.kind !== 'ok' || rates.shown.kind !== 'ok') return insufficient(Math.min(blind.n, shown.n), minN);
  let test: AutomationBias['test'] = compareRates(shown, blind);
  if (comparable.length > 1) {
    const mh = mantelHaenszel(
      comparable.map((s) => ({ a: s.shown.x, b: s.shown.n - s.shown.x, c: s.blind.x, d: s.blind.n - s.blind.x })),
      options.confidence,
    );
    // Every stratum unanimous in both modes: nothing varies, so there is no evidence of a difference.
    test = { test: 'cochran-mantel-haenszel', p: mh.kind === 'ok' ? mh.p : 1 };
  }
  const difference = rateDifference(shown, blind, options.confidence);
  const { kind: _b, ...blindRate } = rates.blind;
  const { kind: _s, ...shownRate } = rates.shown;
  return ok({
    blind: blindRate,
    shown: shownRate,
    difference,
    test,
    flag: test.p < alpha ? (difference.estimate > 0 ? 'more-agreement-when-shown' : 'less-agreement-when-shown') : null,
    strata: comparable.length,
  });
}
