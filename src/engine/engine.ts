// The engine: what every use case needs, made once per process.
import type { Db } from '../store/db.ts';
import { createWorkflowCache, type WorkflowCache } from './workflows.ts';
import { createAuthenticator, type Authenticator } from './access.ts';
import { createDecisionWaiters, type DecisionWaiters } from './waiters.ts';
import { createModelRegistry, type ModelRegistry } from './models.ts';
import { createTuningCache, type TuningCache } from './tuning.ts';
import { createSurgeCache, type SurgeCache } from './surge.ts';
import { createDrafter, type Drafter } from './drafts.ts';
import { scoreSentiment } from './sentiment.ts';
import { createTaskFactsMemo, type TaskFactsMemo } from './taskFacts.ts';
import { createReviewAnswerBatcher, type ReviewAnswerBatcher } from './answerBatch.ts';
import { createClaimBatcher, type ClaimBatcher } from './claimBatch.ts';
import { createIntakeBatcher, type IntakeBatcher } from './intakeBatch.ts';
import { createIntakeFirst } from './intakeFirst.ts';

export interface EngineOptions {
  /** Lease length when a claim does not ask for one. */
  leaseSeconds?: number;
  adminKey?: string | undefined;
  workflowCacheMs?: number;
}

export interface Engine {
  db: Db;
  workflows: WorkflowCache;
  auth: Authenticator;
  waiters: DecisionWaiters;
  models: ModelRegistry;
  tunings: TuningCache;
  /** Each workflow's surge state, read by routing (core/surge.ts). */
  surges: SurgeCache;
  drafts: Drafter;
  /** The workflow, item and kind of tasks claimed through this process (engine/taskFacts.ts). */
  taskFacts: TaskFactsMemo;
  /** Answers on review tasks that arrive together settle together (engine/answerBatch.ts). */
  reviewAnswers: ReviewAnswerBatcher;
  /** Claims that arrive together for the same work are served by one statement (engine/claimBatch.ts). */
  claims: ClaimBatcher;
  /** Submits that arrive together are written by one statement (engine/intakeBatch.ts). */
  intake: IntakeBatcher;
  /** A customer message's sentiment in [-1, 1] (negative is upset), or null when it cannot be scored. */
  sentiment(text: string): number | null;
  leaseSeconds: number;
  close(): Promise<void>;
}

export async function createEngine(db: Db, options: EngineOptions = {}): Promise<Engine> {
  const waiters = await createDecisionWaiters(db);
  // Sets of submits go before reviewers' sets (engine/intakeFirst.ts).
  const intakeFirst = createIntakeFirst();
  const intake = createIntakeBatcher(db.intake, intakeFirst);
  return {
    db,
    workflows: createWorkflowCache(options.workflowCacheMs ?? 1000),
    auth: createAuthenticator({ adminKey: options.adminKey }),
    waiters,
    models: createModelRegistry(),
    tunings: createTuningCache(),
    surges: createSurgeCache(),
    drafts: createDrafter(),
    taskFacts: createTaskFactsMemo(),
    reviewAnswers: createReviewAnswerBatcher(db, intakeFirst),
    claims: createClaimBatcher(db.claims, intakeFirst),
    intake,
    sentiment: scoreSentiment,
    leaseSeconds: options.leaseSeconds ?? 300,
    close: () => waiters.close(),
  };
}
