// `tandem report quality`: the quality report a lead can send on, as Markdown, JSON, or a
// standalone HTML page with inline SVG charts. Every string from the database (item text,
// labels, group names, emails) is escaped where it is written.
import type { Measured } from '../core/measured.ts';
import type { QualityReport } from '../engine/quality.ts';
import { renderBarChart, type Bar } from './svgChart.ts';

/** The report and the text of the items it cites as examples. */
export interface ReportInput {
  report: QualityReport;
  itemTexts: Record<string, string | null>;
}

type AnyMeasured = Measured<{ estimate: number; lower?: number; upper?: number; interval?: { lower: number; upper: number } | null }>;

const num = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** A statistic as text: the estimate and its interval, or the plain reason there is none. */
export function measuredText(m: AnyMeasured | null | undefined, digits = 3): string {
  if (!m) return '—';
  if (m.kind !== 'ok') return m.message;
  const lo = m.interval?.lower ?? m.lower;
  const hi = m.interval?.upper ?? m.upper;
  return lo !== undefined && hi !== undefined ? `${num(m.estimate, digits)} [${num(lo, digits)}, ${num(hi, digits)}]` : num(m.estimate, digits);
}

function bar(label: string, m: AnyMeasured, color?: string): Bar {
  if (m.kind !== 'ok') return { label, value: null, note: m.message };
  const lower = m.interval?.lower ?? m.lower;
  const upper = m.interval?.upper ?? m.upper;
  return { label, value: m.estimate, ...(lower !== undefined && upper !== undefined ? { lower, upper } : {}), note: num(m.estimate, 2), ...(color ? { color } : {}) };
}

const snippet = (s: string | null | undefined, n = 120): string => (s ? (s.length > n ? `${s.slice(0, n - 1)}…` : s) : '(no text)');

// --- Markdown ---------------------------------------------------------------------------------------

const mdCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

export function renderMarkdown({ report: r, itemTexts }: ReportInput): string {
  const out: string[] = [];
  const period = `${r.period.from ?? 'the beginning'} to ${r.period.to ?? 'now'}`;
  out.push(`# Quality report: ${mdCell(r.workflow)}`, '', `Workflow version ${r.version}; answers and items from ${period}; generated ${r.generatedAt}.`, '');
  const a = r.agreement;
  out.push('## Agreement', '', `${a.ratings} answers by ${a.reviewers} reviewers; ${a.itemsWithOverlap} items answered by two or more. Estimates with 95 % bootstrap intervals.`, '');
  out.push(mdTable(['statistic', 'value'], [
    ['percent agreement', measuredText(a.overall.percentAgreement)],
    ["Fleiss' kappa", measuredText(a.overall.fleissKappa)],
    ["Krippendorff's alpha (nominal)", measuredText(a.overall.krippendorffAlpha)],
  ]), '');
  out.push('### Per label', '', mdTable(['label', 'answers', 'specific agreement', 'kappa'], a.perLabel.map((l) => [l.label, String(l.ratings), measuredText(l.specific), measuredText(l.kappa)])), '');
  out.push('### Reviewer pairs', '', mdTable(['reviewer A', 'reviewer B', "Cohen's kappa"], a.pairs.map((p) => [p.reviewerA.email, p.reviewerB.email, measuredText(p.kappa)])), '');
  out.push('### Labels people disagree on most', '');
  if (a.disagreements.length === 0) out.push('No disagreements in the period.', '');
  for (const d of a.disagreements) {
    out.push(`- **${mdCell(d.labels[0])}** vs **${mdCell(d.labels[1])}**: ${d.items} items, ${d.pairs} split pairs. Examples:`);
    for (const id of d.examples) out.push(`  - \`${id}\`: ${mdCell(snippet(itemTexts[id]))}`);
  }
  out.push('');
  const rv = r.reviewers;
  out.push('## Reviewer accuracy', '', '### On gold', '', mdTable(['reviewer', 'stage', 'gold answers', 'accuracy', 'live gold accuracy'], rv.gold.map((g) => [g.reviewer.email, g.stage ?? '—', `${g.correct} of ${g.answered}`, measuredText(g.accuracy), measuredText(g.liveAccuracy)])), '');
  out.push('### Without gold (Dawid–Skene)', '');
  if (rv.dawidSkene.kind === 'ok') out.push(mdTable(['reviewer', 'answers', 'estimated accuracy'], rv.dawidSkene.reviewers.map((x) => [x.reviewer.email, String(x.answers), num(x.accuracy)])), '');
  else out.push(rv.dawidSkene.message, '');
  out.push('## Bias audit', '');
  if (r.bias.length === 0) out.push('The workflow declares no auditable attributes.', '');
  for (const b of r.bias) {
    out.push(`### By ${mdCell(b.attribute)}`, '');
    const rows: string[][] = [];
    for (const [name, audit] of [['automation rate', b.automationRate], ['machine error rate', b.machineErrorRate], ['audit overturn rate', b.overturnRate], ['approval rate', b.approvalRate]] as const) {
      if (audit === null) continue;
      if (audit.kind !== 'ok') {
        rows.push([name, '—', audit.message, '', '']);
        continue;
      }
      for (const g of audit.groups) rows.push([name, g.group, measuredText(g.rate), g.ratio ? measuredText(g.ratio) : 'reference', g.flag ? `**${g.flag}** (p adj. ${num(g.test?.pAdjusted ?? 1)})` : '']);
    }
    out.push(mdTable(['measure', 'group', 'rate [95 % CI]', 'ratio to reference', 'significant gap'], rows), '');
    out.push(mdTable(['group', 'median seconds to a human decision'], b.timeToDecision.map((t) => [t.group, t.seconds.kind === 'ok' ? `${num(t.seconds.median, 1)} (n = ${t.seconds.n})` : t.seconds.message])), '');
    const flagged = b.reviewers.comparisons.filter((c) => c.flag);
    out.push(`Reviewers who ${b.reviewers.event} one group more or less often than peers on comparable items: ${flagged.length === 0 ? 'none significant.' : flagged.map((c) => `${mdCell(c.reviewer.email)} on ${mdCell(c.group)} (${c.flag})`).join('; ')}`, '');
  }
  const ab = r.automationBias;
  out.push('## Automation bias', '', `Blind mode is ${ab.blindMode ? 'on' : 'off'} now; ${ab.answers.blind} answers given blind, ${ab.answers.shown} with the suggestion shown.`, '');
  if (ab.result.kind === 'ok') {
    out.push(mdTable(['mode', 'agreement with the machine'], [['blind', measuredText({ kind: 'ok', ...ab.result.blind })], ['shown', measuredText({ kind: 'ok', ...ab.result.shown })], ['shown − blind', measuredText({ kind: 'ok', ...ab.result.difference })]]), '');
    out.push(`Test: ${ab.result.test.test}, p = ${num(ab.result.test.p)}${ab.result.flag ? ` — **${ab.result.flag}**` : ' — no significant difference'}.`, '');
  } else out.push(ab.result.message, '');
  return `${out.join('\n')}\n`;
}

// --- HTML -------------------------------------------------------------------------------------------

export const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const palette = ['#4a7ab5', '#d9822b', '#3a9a5b', '#b5484a', '#7a5ab5', '#6b6b6b'];

export function renderHtml({ report: r, itemTexts }: ReportInput): string {
  const a = r.agreement;
  const rv = r.reviewers;
  const body: string[] = [];
  const period = `${r.period.from ?? 'the beginning'} to ${r.period.to ?? 'now'}`;
  body.push(`<h1>Quality report: ${escapeHtml(r.workflow)}</h1>`, `<p class="meta">Workflow version ${r.version}; answers and items from ${escapeHtml(period)}; generated ${escapeHtml(r.generatedAt)}.</p>`);

  body.push('<h2>Agreement</h2>', `<p>${a.ratings} answers by ${a.reviewers} reviewers; ${a.itemsWithOverlap} items answered by two or more. Estimates with 95 % bootstrap intervals.</p>`);
  body.push(htmlTable(['statistic', 'value'], [
    ['percent agreement', measuredText(a.overall.percentAgreement)],
    ["Fleiss' kappa", measuredText(a.overall.fleissKappa)],
    ["Krippendorff's alpha (nominal)", measuredText(a.overall.krippendorffAlpha)],
  ]));
  body.push(`<figure>${renderBarChart({ title: "Agreement per label (Fleiss' kappa, label vs rest)", xLabel: 'kappa, with 95 % bootstrap interval', xMin: -0.2, xMax: 1, bars: a.perLabel.map((l) => bar(l.label, l.kappa)) })}</figure>`);
  body.push(htmlTable(['label', 'answers', 'specific agreement', 'kappa'], a.perLabel.map((l) => [l.label, String(l.ratings), measuredText(l.specific), measuredText(l.kappa)])));
  body.push('<h3>Reviewer pairs</h3>', htmlTable(['reviewer A', 'reviewer B', "Cohen's kappa"], a.pairs.map((p) => [p.reviewerA.email, p.reviewerB.email, measuredText(p.kappa)])));
  body.push('<h3>Labels people disagree on most</h3>');
  if (a.disagreements.length === 0) body.push('<p>No disagreements in the period.</p>');
  else {
    body.push('<ul class="disagreements">');
    for (const d of a.disagreements) {
      body.push(`<li><b>${escapeHtml(d.labels[0])}</b> vs <b>${escapeHtml(d.labels[1])}</b>: ${d.items} items, ${d.pairs} split pairs<ul>${d.examples
        .map((id) => `<li><code>${escapeHtml(id)}</code> ${escapeHtml(snippet(itemTexts[id]))}</li>`)
        .join('')}</ul></li>`);
    }
    body.push('</ul>');
  }

  body.push('<h2>Reviewer accuracy</h2>');
  const passMark = r.settings.quality.qualification.items > 0 ? [{ x: r.settings.quality.qualification.passMark, label: 'pass mark', color: '#b5484a' }] : [];
  const floor = r.settings.quality.accuracyFloor > 0 ? [{ x: r.settings.quality.accuracyFloor, label: 'floor', color: '#d9822b' }] : [];
  body.push(`<figure>${renderBarChart({ title: 'Accuracy on gold', xLabel: 'share right, with 95 % Wilson interval', references: [...passMark, ...floor], bars: rv.gold.map((g) => bar(g.reviewer.email, g.accuracy)) })}</figure>`);
  body.push(htmlTable(['reviewer', 'stage', 'gold answers', 'accuracy', 'live gold accuracy'], rv.gold.map((g) => [g.reviewer.email, g.stage ?? '—', `${g.correct} of ${g.answered}`, measuredText(g.accuracy), measuredText(g.liveAccuracy)])));
  body.push('<h3>Without gold (Dawid–Skene)</h3>');
  if (rv.dawidSkene.kind === 'ok') {
    body.push(`<figure>${renderBarChart({ title: 'Estimated accuracy from overlapping answers (Dawid–Skene)', xLabel: 'estimated share right', bars: rv.dawidSkene.reviewers.map((x) => ({ label: x.reviewer.email, value: x.accuracy, note: num(x.accuracy, 2) })) })}</figure>`);
    body.push(htmlTable(['reviewer', 'answers', 'estimated accuracy'], rv.dawidSkene.reviewers.map((x) => [x.reviewer.email, String(x.answers), num(x.accuracy)])));
  } else body.push(`<p class="nodata">${escapeHtml(rv.dawidSkene.message)}</p>`);

  body.push('<h2>Bias audit</h2>');
  if (r.bias.length === 0) body.push('<p>The workflow declares no auditable attributes.</p>');
  for (const b of r.bias) {
    body.push(`<h3>By ${escapeHtml(b.attribute)}</h3>`);
    const rows: string[][] = [];
    const bars: Bar[] = [];
    const measures = [['automation rate', b.automationRate], ['machine error rate', b.machineErrorRate], ['audit overturn rate', b.overturnRate], ['approval rate', b.approvalRate]] as const;
    measures.forEach(([name, audit], k) => {
      if (audit === null) return;
      if (audit.kind !== 'ok') {
        rows.push([name, '—', audit.message, '', '']);
        bars.push({ label: name, value: null, note: audit.message });
        return;
      }
      for (const g of audit.groups) {
        rows.push([name, g.group, measuredText(g.rate), g.ratio ? measuredText(g.ratio) : 'reference', g.flag ? `${g.flag} (p adj. ${num(g.test?.pAdjusted ?? 1)})` : '']);
        bars.push(bar(`${name}: ${g.group}${g.flag ? ' ⚑' : ''}`, g.rate, palette[k % palette.length]));
      }
    });
    body.push(`<figure>${renderBarChart({ title: `Rates by ${b.attribute}`, xLabel: 'rate, with 95 % Wilson interval (⚑ significant gap after Holm)', bars })}</figure>`);
    body.push(htmlTable(['measure', 'group', 'rate [95 % CI]', 'ratio to reference', 'significant gap'], rows));
    body.push(htmlTable(['group', 'median seconds to a human decision'], b.timeToDecision.map((t) => [t.group, t.seconds.kind === 'ok' ? `${num(t.seconds.median, 1)} (n = ${t.seconds.n})` : t.seconds.message])));
    const flagged = b.reviewers.comparisons.filter((c) => c.flag);
    body.push(`<p>Reviewers who ${escapeHtml(b.reviewers.event)} one group more or less often than peers on comparable items: ${flagged.length === 0 ? 'none significant.' : escapeHtml(flagged.map((c) => `${c.reviewer.email} on ${c.group} (${c.flag})`).join('; '))}</p>`);
  }

  const ab = r.automationBias;
  body.push('<h2>Automation bias</h2>', `<p>Blind mode is ${ab.blindMode ? 'on' : 'off'} now; ${ab.answers.blind} answers given blind, ${ab.answers.shown} with the suggestion shown.</p>`);
  if (ab.result.kind === 'ok') {
    body.push(`<figure>${renderBarChart({
      title: "Agreement with the machine's suggestion",
      xLabel: 'share of answers equal to the suggestion, with 95 % Wilson interval',
      bars: [bar('blind', { kind: 'ok', ...ab.result.blind }, palette[0]), bar('shown', { kind: 'ok', ...ab.result.shown }, palette[1])],
    })}</figure>`);
    body.push(`<p>Shown − blind: ${escapeHtml(measuredText({ kind: 'ok', ...ab.result.difference }))}; ${escapeHtml(ab.result.test.test)}, p = ${num(ab.result.test.p)}${ab.result.flag ? ` — <b>${escapeHtml(ab.result.flag)}</b>` : ' — no significant difference'}.</p>`);
  } else body.push(`<p class="nodata">${escapeHtml(ab.result.message)}</p>`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quality report: ${escapeHtml(r.workflow)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1.2rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}figure{margin:1rem 0}svg{max-width:100%;height:auto}.meta,.nodata{color:#666}code{font-size:.85em}
</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}
