// A background job that runs every `intervalMs`, never overlapping itself, and can be stopped
// after waiting for the pass in progress. The timer does not keep the process alive.
//
// Each job starts at a random point of its first interval. A process starts its once-a-second
// jobs (lease expiry and SLA watch, notifier, webhook dispatcher, live feed) together, and with
// one phase they all went to the database in the same millisecond, every second: under bench
// scale the submits that arrived then waited behind all of them at once.
export interface Periodic {
  stop(): Promise<void>;
}

export function startPeriodic(
  job: () => Promise<unknown>,
  intervalMs: number,
  onError: (err: unknown) => void,
  phase: () => number = Math.random,
): Periodic {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const pass = () => {
    if (stopped || running) return;
    running = job()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  };
  // The first pass comes no later than it did without a phase: within one interval.
  const first = setTimeout(() => {
    if (stopped) return;
    pass();
    timer = setInterval(pass, intervalMs);
    timer.unref();
  }, Math.max(1, Math.round(intervalMs * Math.min(1, Math.max(0, phase())))));
  first.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
