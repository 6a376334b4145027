// The quality of the people, on the lead's dashboard: how consistently they label (agreement, with
// the labels they split on and example items), whether groups of items are treated differently
// (bias audit), and whether a visible suggestion sways them (automation bias). Every statistic the
// API could not measure says so, "not enough data (n = …)", in place of a number.
import { useEffect, useState } from 'react';
import { get, message, query } from './api.ts';
import { Link } from './App.tsx';
import { pct } from './ItemView.tsx';

/** A statistic, or why there is none. */
export type Measured<T> = ({ kind: 'ok' } & T) | { kind: 'insufficient' | 'degenerate'; n: number; message: string };

interface Estimate {
  estimate: number;
  interval: { lower: number; upper: number } | null;
  items: number;
}

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

interface Agreement {
  ratings: number;
  itemsWithOverlap: number;
  reviewers: number;
  overall: { percentAgreement: Measured<Estimate>; fleissKappa: Measured<Estimate>; krippendorffAlpha: Measured<Estimate> };
  perLabel: Array<{ label: string; ratings: number; specific: Measured<Estimate>; kappa: Measured<Estimate> }>;
  pairs: Array<{ reviewerA: { email: string }; reviewerB: { email: string }; kappa: Measured<Estimate & { agreement: number }> }>;
  disagreements: Array<{ labels: [string, string]; pairs: number; items: number; examples: string[] }>;
}

interface GroupDisparity {
  group: string;
  rate: Measured<Interval & { n: number }>;
  ratio?: Measured<Interval>;
  flag: 'higher' | 'lower' | null;
}

type Audit = Measured<{ reference: string; groups: GroupDisparity[] }>;

interface Bias {
  attribute: string;
  groups: Array<{ group: string; items: number }>;
  automationRate: Audit;
  machineErrorRate: Audit;
  overturnRate: Audit;
  approvalRate: Audit | null;
  reviewers: { event: string; comparisons: Array<{ reviewer: { email: string }; group: string; n: number; events: number; flag: 'more' | 'less' | null }> };
}

interface AutomationBias {
  blindMode: boolean;
  answers: { blind: number; shown: number };
  result: Measured<{ blind: Interval & { n: number }; shown: Interval & { n: number }; difference: Interval; test: { p: number }; flag: string | null; strata: number }>;
}

const num = (x: number) => x.toFixed(2);

/** A rate or statistic with its interval, or the API's reason there is none. */
export function Stat({ m, format = num }: { m: Measured<Estimate> | Measured<Interval>; format?: (x: number) => string }) {
  if (m.kind !== 'ok') return <span className="muted insufficient">{m.message}</span>;
  const i = 'interval' in m ? m.interval : { lower: m.lower, upper: m.upper };
  return (
    <span>
      <strong>{format(m.estimate)}</strong>
      {i && <span className="muted small"> (95 % {format(i.lower)} – {format(i.upper)})</span>}
    </span>
  );
}

/** An interval drawn on a 0–1 scale: a bar for the estimate's range, a tick at the estimate. */
function IntervalBar({ m }: { m: Measured<Interval> | Measured<Estimate> }) {
  if (m.kind !== 'ok') return null;
  const i = 'interval' in m ? m.interval : { lower: m.lower, upper: m.upper };
  const clamp = (x: number) => Math.max(0, Math.min(1, x)) * 100;
  return (
    <span className="ibar" aria-hidden="true">
      {i && <span className="ibar-range" style={{ left: `${clamp(i.lower)}%`, width: `${Math.max(1, clamp(i.upper) - clamp(i.lower))}%` }} />}
      <span className="ibar-tick" style={{ left: `${clamp(m.estimate)}%` }} />
    </span>
  );
}

export function QualityPanel({ workflow, attributes, from, to }: { workflow: string; attributes: string[]; from: string; to: string }) {
  const [agreement, setAgreement] = useState<Agreement | null>(null);
  const [auto, setAuto] = useState<AutomationBias | null>(null);
  const [attribute, setAttribute] = useState<string>(attributes[0] ?? '');
  const [bias, setBias] = useState<Bias | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = `/v1/workflows/${encodeURIComponent(workflow)}/quality`;
  const period = query({ from, to });

  useEffect(() => setAttribute(attributes[0] ?? ''), [workflow, attributes]);
  useEffect(() => {
    let stale = false;
    Promise.all([get<Agreement>(`${base}/agreement${period}`), get<AutomationBias>(`${base}/automation-bias${period}`)])
      .then(([a, b]) => !stale && (setAgreement(a), setAuto(b), setError(null)))
      .catch((e) => !stale && setError(message(e)));
    return () => {
      stale = true;
    };
  }, [base, period]);
  useEffect(() => {
    let stale = false;
    setBias(null);
    if (!attribute) return;
    get<Bias>(`${base}/bias${query({ attribute, from, to })}`)
      .then((b) => !stale && setBias(b))
      .catch((e) => !stale && setError(message(e)));
    return () => {
      stale = true;
    };
  }, [base, attribute, from, to]);

  return (
    <section className="quality" aria-labelledby="quality-title" data-testid="quality">
      <h2 id="quality-title">Quality of the people</h2>
      {error && <p className="notice error" role="alert">{error}</p>}
      {agreement && (
        <div className="card" data-testid="quality-agreement">
          <h3>Agreement</h3>
          <p className="muted small">
            {agreement.ratings} answers by {agreement.reviewers} reviewers; {agreement.itemsWithOverlap} items answered by two or more.
          </p>
          <table className="list stats">
            <tbody>
              {([
                ['Percent agreement', agreement.overall.percentAgreement, (x: number) => pct(x, 1)],
                ["Fleiss' kappa", agreement.overall.fleissKappa, num],
                ["Krippendorff's alpha (nominal)", agreement.overall.krippendorffAlpha, num],
              ] as const).map(([label, m, f]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td><Stat m={m} format={f} /></td>
                  <td className="bar-cell"><IntervalBar m={m} /></td>
                </tr>
              ))}
            </tbody>
          </table>
          {agreement.perLabel.length > 0 && (
            <table className="list stats" aria-label="Agreement per label">
              <thead>
                <tr><th scope="col">Label</th><th scope="col">Answers</th><th scope="col">Specific agreement</th><th scope="col">Kappa</th></tr>
              </thead>
              <tbody>
                {agreement.perLabel.map((l) => (
                  <tr key={l.label}>
                    <td>{l.label}</td>
                    <td>{l.ratings}</td>
                    <td><Stat m={l.specific} format={(x) => pct(x)} /></td>
                    <td><Stat m={l.kappa} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {agreement.pairs.length > 0 && (
            <table className="list stats" aria-label="Cohen's kappa per reviewer pair">
              <thead>
                <tr><th scope="col">Reviewer pair</th><th scope="col">Cohen's kappa</th></tr>
              </thead>
              <tbody>
                {agreement.pairs.slice(0, 10).map((p) => (
                  <tr key={`${p.reviewerA.email} ${p.reviewerB.email}`}>
                    <td>{p.reviewerA.email} · {p.reviewerB.email}</td>
                    <td><Stat m={p.kappa} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Labels people disagree on most</h3>
          {agreement.disagreements.length === 0 ? (
            <p className="muted">No disagreements in this range.</p>
          ) : (
            <ol className="disagreements" data-testid="disagreements">
              {agreement.disagreements.map((d) => (
                <li key={d.labels.join('|')}>
                  <strong>{d.labels[0]}</strong> vs <strong>{d.labels[1]}</strong>: {d.pairs} split pairs on {d.items} items — e.g.{' '}
                  {d.examples.map((id, i) => (
                    <span key={id}>
                      {i > 0 && ', '}
                      <Link to={`/items/${id}`}>item {id.slice(0, 8)}</Link>
                    </span>
                  ))}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
      {attributes.length > 0 && (
        <div className="card" data-testid="quality-bias">
          <h3>Bias audit</h3>
          <label>
            Attribute{' '}
            <select value={attribute} onChange={(e) => setAttribute(e.target.value)}>
              {attributes.map((a) => <option key={a}>{a}</option>)}
            </select>
          </label>
          {bias && bias.attribute === attribute && <BiasTable bias={bias} />}
        </div>
      )}
      {auto && (
        <div className="card" data-testid="quality-automation-bias">
          <h3>Automation bias: agreement with the machine, blind vs shown</h3>
          <p className="muted small">
            {auto.answers.blind} answers given blind, {auto.answers.shown} with the suggestion shown{auto.blindMode ? ' (blind mode is on now)' : ''}.
          </p>
          {auto.result.kind !== 'ok' ? (
            <p className="muted insufficient">{auto.result.message}</p>
          ) : (
            <table className="list stats">
              <tbody>
                <tr><th scope="row">Blind</th><td><Stat m={{ kind: 'ok', ...auto.result.blind }} format={(x) => pct(x, 1)} /> of {auto.result.blind.n}</td><td className="bar-cell"><IntervalBar m={{ kind: 'ok', ...auto.result.blind }} /></td></tr>
                <tr><th scope="row">Shown</th><td><Stat m={{ kind: 'ok', ...auto.result.shown }} format={(x) => pct(x, 1)} /> of {auto.result.shown.n}</td><td className="bar-cell"><IntervalBar m={{ kind: 'ok', ...auto.result.shown }} /></td></tr>
                <tr>
                  <th scope="row">Shown − blind</th>
                  <td colSpan={2}>
                    <Stat m={{ kind: 'ok', ...auto.result.difference }} format={(x) => pct(x, 1)} /> · p = {auto.result.test.p.toFixed(3)}
                    {auto.result.flag ? <strong className="flag"> {auto.result.flag.replace(/-/g, ' ')}</strong> : ' · no significant difference'}
                  </td>
                </tr>
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function BiasTable({ bias }: { bias: Bias }) {
  const rows: Array<[string, Audit]> = [
    ['Automation rate', bias.automationRate],
    ['Machine error rate', bias.machineErrorRate],
    ['Audit overturn rate', bias.overturnRate],
    ...(bias.approvalRate ? ([['Approval rate', bias.approvalRate]] as Array<[string, Audit]>) : []),
  ];
  const flagged = bias.reviewers.comparisons.filter((c) => c.flag !== null);
  return (
    <>
      <p className="muted small">{bias.groups.map((g) => `${g.group}: ${g.items} items`).join(' · ')}</p>
      <table className="list stats" aria-label={`Bias audit by ${bias.attribute}`}>
        <thead>
          <tr><th scope="col">Rate</th><th scope="col">Per group (ratio to the reference group)</th></tr>
        </thead>
        <tbody>
          {rows.map(([label, audit]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>
                {audit.kind !== 'ok' ? (
                  <span className="muted insufficient">{audit.message}</span>
                ) : (
                  <ul className="groups">
                    {audit.groups.map((g) => (
                      <li key={g.group}>
                        {g.group}{g.group === audit.reference ? ' (reference)' : ''}: <Stat m={g.rate} format={(x) => pct(x, 1)} />
                        {g.ratio && <> · ratio <Stat m={g.ratio} /></>}
                        {g.flag && <strong className="flag"> significantly {g.flag}</strong>}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small">
        Reviewers against peers ({bias.reviewers.event}):{' '}
        {flagged.length === 0 ? 'no significant difference.' : flagged.map((c) => `${c.reviewer.email} ${c.flag} often on ${c.group}`).join('; ')}
      </p>
    </>
  );
}
