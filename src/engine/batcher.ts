// Work that arrives while earlier work is at the database goes there together: whatever is
// waiting runs as one batch whenever fewer than `inFlight` batches are out, so under load the
// batches grow by themselves and a lone input goes at once. `run` answers each input in order.
//
// One batch out at a time is what the claims, answers and submits use: the batches then grow with
// the load, and Postgres does less per task than with several smaller ones side by side
// (bench/README.md: 1.5 times the pairs a second with reviewers alone, and more pairs and
// submits under the mixed load, on 1 process and on 2).
export type Batcher<In, Out> = (input: In) => Promise<Out>;

export function createBatcher<In, Out>(run: (inputs: In[]) => Promise<Out[]>, inFlight = 1, max = 64): Batcher<In, Out> {
  const waiting: { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  const pump = () => {
    while (running < inFlight && waiting.length > 0) {
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
  return (input: In) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      pump();
    });
}
