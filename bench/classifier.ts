// The built-in text classifier on a labelled CSV data set: accuracy, macro-F1, calibration,
// training time, single-item prediction latency and model size. Prints figures; passes or fails
// nothing.
//
//   node --import tsx bench/classifier.ts --train FILE --test FILE [--text-column text] [--label-column category]
import { cpus, loadavg } from 'node:os';
import { readRows } from '../src/cli/tables.ts';
import { expectedCalibrationError } from '../src/core/calibration.ts';
import { macroF1 } from '../src/core/metrics.ts';
import { parseArgs } from 'node:util';
import { predict, train, type Example, type Model } from '../src/model/builtin/linear.ts';
import { deserialize, serialize } from '../src/model/builtin/serialize.ts';

const usage = `usage: node --import tsx bench/classifier.ts --train FILE --test FILE [options]

options:
  --text-column NAME    CSV column holding the text (default text)
  --label-column NAME   CSV column holding the label (default category)
  --seed N              training seed (default 1)
  --repeat N            train this many times and report each time (default 3)
`;

function readExamples(path: string, textColumn: string, labelColumn: string): Example[] {
  const rows = readRows(path);
  const head = rows[0] ? Object.keys(rows[0]) : [];
  if (!head.includes(textColumn) || !head.includes(labelColumn)) {
    throw new Error(`${path}: needs columns "${textColumn}" and "${labelColumn}", has ${JSON.stringify(head)}`);
  }
  return rows.map((r) => ({ text: r[textColumn]!, label: r[labelColumn]! }));
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function evaluate(model: Model, test: Example[]): { accuracy: number; macroF1: number; ece: number; logLoss: number } {
  const guess: string[] = [];
  const confidence: number[] = [];
  const correct: boolean[] = [];
  let logLoss = 0;
  for (const e of test) {
    const p = predict(model, e.text);
    guess.push(p.label);
    confidence.push(p.confidence);
    correct.push(p.label === e.label);
    logLoss -= Math.log(Math.max(1e-15, p.labels[e.label] ?? 0));
  }
  return {
    accuracy: correct.filter(Boolean).length / test.length,
    macroF1: macroF1(test.map((e, i) => ({ gold: e.label, predicted: guess[i]! }))),
    ece: expectedCalibrationError(confidence, correct),
    logLoss: logLoss / test.length,
  };
}

function latency(model: Model, test: Example[]): { mean: number; cpu: number; p50: number; p99: number } {
  for (let r = 0; r < 3; r++) for (const e of test) predict(model, e.text);
  const c0 = cpuMs();
  const t0 = process.hrtime.bigint();
  for (const e of test) predict(model, e.text);
  const mean = Number(process.hrtime.bigint() - t0) / 1000 / test.length;
  // On a busy machine the wall-clock mean includes time this process spent descheduled.
  const cpu = ((cpuMs() - c0) * 1000) / test.length;
  const each = test.map((e) => {
    const t = process.hrtime.bigint();
    predict(model, e.text);
    return Number(process.hrtime.bigint() - t) / 1000;
  });
  each.sort((a, b) => a - b);
  return { mean, cpu, p50: each[Math.floor(each.length / 2)]!, p99: each[Math.floor(each.length * 0.99)]! };
}

const f = (x: number, digits = 4): string => x.toFixed(digits);

function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        train: { type: 'string' },
        test: { type: 'string' },
        'text-column': { type: 'string', default: 'text' },
        'label-column': { type: 'string', default: 'category' },
        seed: { type: 'string', default: '1' },
        repeat: { type: 'string', default: '3' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    return 2;
  }
  if (!values.train || !values.test) {
    process.stderr.write(usage);
    return 2;
  }
  const seed = Number(values.seed);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(seed) || !Number.isInteger(repeat) || repeat < 1) {
    process.stderr.write(`--seed and --repeat must be whole numbers\n\n${usage}`);
    return 2;
  }
  const trainSet = readExamples(values.train, values['text-column'], values['label-column']);
  const testSet = readExamples(values.test, values['text-column'], values['label-column']);
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  out(`data        train ${trainSet.length} examples, ${new Set(trainSet.map((e) => e.label)).size} labels; test ${testSet.length}`);
  out(`machine     ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (figures below are from a shared machine)`);

  let model: Model | null = null;
  const walls: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    model = train(trainSet, { seed });
    const wall = performance.now() - w0;
    walls.push(wall);
    out(`train #${r + 1}    ${f(wall / 1000, 2)} s wall, ${f((cpuMs() - c0) / 1000, 2)} s cpu${r === 0 ? ' (cold: first run in this process)' : ''}`);
  }
  const m = model!;
  out(`model       ${m.vocab.buckets.length} n-gram columns × ${m.labels.length} labels, temperature ${f(m.temperature, 3)}`);
  if (m.heldOut) {
    out(`held out    ${m.heldOut.examples} training examples: accuracy ${f(m.heldOut.accuracy)}, log loss ${f(m.heldOut.logLoss)}`);
  }

  const scores = evaluate(m, testSet);
  out(`test        accuracy ${f(scores.accuracy)}  macro-F1 ${f(scores.macroF1)}  ECE(15) ${f(scores.ece)}  log loss ${f(scores.logLoss)}`);

  const lat = latency(m, testSet);
  out(`latency     mean ${f(lat.mean, 1)} µs per item (one by one, after warm-up; ${f(lat.cpu, 1)} µs of CPU), p50 ${f(lat.p50, 1)} µs, p99 ${f(lat.p99, 1)} µs`);

  for (const precision of ['int8', 'float32'] as const) {
    const bytes = serialize(m, precision);
    const back = deserialize(bytes);
    const s = evaluate(back, testSet);
    out(
      `size        ${precision.padEnd(7)} ${f(bytes.length / 1024 / 1024, 2)} MiB; reloaded: accuracy ${f(s.accuracy)}  macro-F1 ${f(s.macroF1)}  ECE(15) ${f(s.ece)}`,
    );
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
