import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPeriodic } from './periodic.ts';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('jobs started together run at the phases given them, each every interval', async () => {
  const runs: Array<[string, number]> = [];
  const t0 = performance.now();
  const jobs = [0.1, 0.5].map((phase, i) =>
    startPeriodic(async () => void runs.push([`job${i}`, performance.now() - t0]), 200, () => undefined, () => phase),
  );
  await later(520);
  await Promise.all(jobs.map((j) => j.stop()));
  const at = (name: string) => runs.filter(([n]) => n === name).map(([, t]) => t);
  assert.ok(at('job0').length >= 2 && at('job1').length >= 2, JSON.stringify(runs));
  // job0 first at ~20 ms, job1 at ~100 ms: apart by about 80 ms, every interval.
  assert.ok(at('job0')[0]! < at('job1')[0]! - 40, JSON.stringify(runs));
  assert.ok(at('job1')[1]! - at('job1')[0]! >= 150, JSON.stringify(runs));
});

test('a pass still running is not overlapped, and stop waits for it', async () => {
  let active = 0;
  let most = 0;
  let done = 0;
  const job = startPeriodic(
    async () => {
      active += 1;
      most = Math.max(most, active);
      await later(120);
      active -= 1;
      done += 1;
    },
    20,
    () => undefined,
    () => 0,
  );
  await later(200);
  await job.stop();
  assert.equal(most, 1);
  assert.equal(active, 0, 'stop waited for the pass in progress');
  const after = done;
  await later(100);
  assert.equal(done, after, 'nothing runs after stop');
});
