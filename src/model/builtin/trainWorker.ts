// Runs in a worker thread: trains a model and sends back its bytes, so that the HTTP server's
// event loop never stalls for the seconds training takes.
import { parentPort, workerData } from 'node:worker_threads';
import { train, type Example } from './linear.ts';
import { serialize } from './serialize.ts';

const { examples } = workerData as { examples: Example[] };
const started = performance.now();
const model = train(examples);
const bytes = serialize(model);
parentPort?.postMessage({ bytes, labels: model.labels, heldOut: model.heldOut, heldOutOutcomes: model.heldOutOutcomes ?? [], temperature: model.temperature, trainingMs: Math.round(performance.now() - started) }, [bytes.buffer as ArrayBuffer]);
