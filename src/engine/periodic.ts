// A background job that runs every `intervalMs`, never overlapping itself, and can be stopped
// after waiting for the pass in progress. The timer does not keep the process alive.
export interface Periodic {
  stop(): Promise<void>;
}

export function startPeriodic(job: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void): Periodic {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = job()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
