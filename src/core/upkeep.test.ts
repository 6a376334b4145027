import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultUpkeepRules, planUpkeep, type TableStats } from './upkeep.ts';

const table = (t: Partial<TableStats> & { table: string }): TableStats => ({ live: 0, dead: 0, modifiedSinceAnalyze: 0, analyzed: true, ...t });

test('a queue table full of dead claims is vacuumed first; a quiet one is left alone', () => {
  const steps = planUpkeep([
    table({ table: 'events', live: 200_000, dead: 0, modifiedSinceAnalyze: 10 }),
    table({ table: 'items', live: 60_000, dead: 4_000 }),
    table({ table: 'tasks', live: 60_000, dead: 70_000 }),
    table({ table: 'sessions', live: 10, dead: 30 }),
  ]);
  assert.deepEqual(steps.map((s) => [s.table, s.vacuum, s.analyze]), [['tasks', true, false], ['items', true, false]]);
  assert.match(steps[0]!.reason, /70000 dead rows beside 60000 live/);
});

test('a table never analyzed is analyzed once it holds enough rows; then only after enough changes', () => {
  assert.deepEqual(planUpkeep([table({ table: 'answers', live: 999, analyzed: false })]), []);
  assert.deepEqual(planUpkeep([table({ table: 'answers', live: 1000, analyzed: false })]).map((s) => [s.vacuum, s.analyze, s.reason]), [[false, true, 'never analyzed']]);
  // 20 % of 100,000 live rows is the bar, not the minimum of 1,000.
  assert.deepEqual(planUpkeep([table({ table: 'answers', live: 100_000, modifiedSinceAnalyze: 19_999 })]), []);
  assert.equal(planUpkeep([table({ table: 'answers', live: 100_000, modifiedSinceAnalyze: 20_000 })])[0]?.analyze, true);
});

test('an insert-only table is analyzed again once it has doubled, a changing one at every 20 %', () => {
  const grown = { live: 100_000, modifiedSinceAnalyze: 50_000 };
  assert.deepEqual(planUpkeep([table({ table: 'events', insertOnly: true, ...grown })]), []);
  assert.equal(planUpkeep([table({ table: 'items', ...grown })])[0]?.analyze, true);
  assert.equal(planUpkeep([table({ table: 'events', insertOnly: true, live: 100_000, modifiedSinceAnalyze: 100_000 })])[0]?.analyze, true);
  // Never analyzed: the same bar for both.
  assert.equal(planUpkeep([table({ table: 'events', insertOnly: true, live: 1000, analyzed: false })])[0]?.analyze, true);
});

test('a table whose dead rows no hot path walks is vacuumed at 20 % of its live rows, a queue table at 5 %', () => {
  const churned = { live: 160_000, dead: 10_000 };
  assert.equal(planUpkeep([table({ table: 'tasks', ...churned })])[0]?.vacuum, true);
  assert.deepEqual(planUpkeep([table({ table: 'items', quietDead: true, ...churned })]), []);
  assert.equal(planUpkeep([table({ table: 'items', quietDead: true, live: 160_000, dead: 32_000 })])[0]?.vacuum, true);
  // The floor of dead rows is the same for both.
  assert.deepEqual(planUpkeep([table({ table: 'items', quietDead: true, live: 100, dead: 1_999 })]), []);
});

const stats = fc.record({
  table: fc.constantFrom('tasks', 'items', 'events'),
  live: fc.nat(1_000_000),
  dead: fc.nat(1_000_000),
  modifiedSinceAnalyze: fc.nat(1_000_000),
  analyzed: fc.boolean(),
  insertOnly: fc.boolean(),
  quietDead: fc.boolean(),
});

test('property: an insert-only table is never analyzed where the same table, changing, would not be', () => {
  fc.assert(
    fc.property(stats, (s) => {
      const analyzes = (t: TableStats) => planUpkeep([t])[0]?.analyze ?? false;
      if (analyzes({ ...s, insertOnly: true })) assert.ok(analyzes({ ...s, insertOnly: false }));
    }),
  );
});

test('property: a table with quiet dead rows is never vacuumed where the same table, walked, would not be', () => {
  fc.assert(
    fc.property(stats, (s) => {
      const vacuums = (t: TableStats) => planUpkeep([t])[0]?.vacuum ?? false;
      if (vacuums({ ...s, quietDead: true })) assert.ok(vacuums({ ...s, quietDead: false }));
    }),
  );
});

test('property: more dead rows never turn a vacuum off, more live rows never turn one on', () => {
  fc.assert(
    fc.property(stats, fc.nat(100_000), (s, more) => {
      const vacuums = (t: TableStats) => planUpkeep([t])[0]?.vacuum ?? false;
      if (vacuums(s)) assert.ok(vacuums({ ...s, dead: s.dead + more }));
      if (!vacuums(s)) assert.ok(!vacuums({ ...s, live: s.live + more }));
    }),
  );
});

test('property: every step does something, and is ordered by dead rows', () => {
  fc.assert(
    fc.property(fc.array(stats, { maxLength: 8 }), (generated) => {
      // Each table once, as the statistics give them.
      const all = generated.map((t, i) => ({ ...t, table: `${t.table}_${i}` }));
      const steps = planUpkeep(all, defaultUpkeepRules);
      for (const s of steps) assert.ok(s.vacuum || s.analyze);
      const deadOf = steps.map((s) => all.find((t) => t.table === s.table)!.dead);
      for (let i = 1; i < deadOf.length; i++) assert.ok(deadOf[i - 1]! >= deadOf[i]!);
    }),
  );
});
