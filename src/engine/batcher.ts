// Work that arrives while earlier work is at the database goes there together: whatever is
// waiting runs as one batch whenever fewer than `inFlight` batches are out, so under load the
// batches grow by themselves and a lone input goes at once. `run` answers each input in order.
// `inFlight` may change with the load (it is read whenever a batch could start).
export interface Batcher<In, Out> {
  (input: In): Promise<Out>;
  /** Inputs waiting for a batch to start. */
  waiting(): number;
}

export function createBatcher<In, Out>(run: (inputs: In[]) => Promise<Out[]>, inFlight: number | (() => number) = 4, max = 64): Batcher<In, Out> {
  const limit = typeof inFlight === 'number' ? () => inFlight : inFlight;
  const waiting: { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  const pump = () => {
    while (running < limit() && waiting.length > 0) {
      const batch = waiting.splice(0, max);
      running += 1;
      run(batch.map((b) => b.input))
        .then(
          (outs) => batch.forEach((b, i) => b.resolve(outs[i]!)),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          running -= 1;
          pump();
        });
    }
  };
  const add = (input: In) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      pump();
    });
  return Object.assign(add, { waiting: () => waiting.length });
}
