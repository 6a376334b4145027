// Runs in a worker thread: trains a model and sends back its bytes, so that the HTTP server's
// event loop never stalls for the seconds training takes.
import { parentPort, workerData } from 'node:worker_threads';
import { train, type Example } from './linear.ts';
import { serialize } from './serialize.ts';
import { outOfFoldOutcomes } from './crossVal.ts';

const { examples, folds } = workerData as { examples: Example[]; folds: number };
const started = performance.now();
const model = train(examples);
const bytes = serialize(model);
const trainingMs = Math.round(performance.now() - started);
// Out-of-fold outcomes over every example where there are enough of them; else the model's own hold-out.
const heldOutOutcomes = folds > 1 ? outOfFoldOutcomes(examples, folds) : (model.heldOutOutcomes ?? []);
parentPort?.postMessage({ bytes, labels: model.labels, heldOut: model.heldOut, heldOutOutcomes, temperature: model.temperature, trainingMs }, [bytes.buffer as ArrayBuffer]);
