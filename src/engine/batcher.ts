// Work that arrives while earlier work is at the database goes there together: whatever is
// waiting runs as one batch whenever fewer than `inFlight` batches are out, so under load the
// batches grow by themselves and a lone input goes at once. `run` answers each input in order.
//
// One batch out at a time is what the claims, answers and submits use: the batches then grow with
// the load, and Postgres does less per task than with several smaller ones side by side
// (bench/README.md: 1.5 times the pairs a second with reviewers alone, and more pairs and
// submits under the mixed load, on 1 process and on 2).
export type Batcher<In, Out> = (input: In) => Promise<Out>;

export interface BatcherOptions {
  /** Batches at the database at a time (1). */
  inFlight?: number;
  /** Inputs in one batch at most (64). */
  max?: number;
  /**
   * Asked before each batch goes: a promise it returns holds the batch back until it settles
   * (engine/intakeFirst.ts), and what arrives meanwhile joins the batch.
   */
  before?: (() => Promise<void> | null) | undefined;
}

export function createBatcher<In, Out>(run: (inputs: In[]) => Promise<Out[]>, options: BatcherOptions = {}): Batcher<In, Out> {
  const { inFlight = 1, max = 64, before } = options;
  const waiting: { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  const go = () => {
    const batch = waiting.splice(0, max);
    run(batch.map((b) => b.input))
      .then(
        (outs) => batch.forEach((b, i) => b.resolve(outs[i]!)),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        running -= 1;
        pump();
      });
  };
  const pump = () => {
    while (running < inFlight && waiting.length > 0) {
      running += 1;
      const held = before?.() ?? null;
      if (held) void held.then(go, go);
      else go();
    }
  };
  return (input: In) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      pump();
    });
}
