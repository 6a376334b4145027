// The rows the quality statistics are computed from: people's answers, items with their
// outcomes per metadata group, and answers given blind or with the machine's suggestion in view.
// Every query takes a period [from, to) (either end may be open).
import type { Queryable } from './db.ts';

export interface Period {
  from: Date | null;
  to: Date | null;
}

const period = (p: Period) => [p.from?.toISOString() ?? null, p.to?.toISOString() ?? null];
const inPeriod = (column: string, at: number) =>
  `($${at}::timestamptz IS NULL OR ${column} >= $${at}::timestamptz) AND ($${at + 1}::timestamptz IS NULL OR ${column} < $${at + 1}::timestamptz)`;
/** The label an answer or decision carries: a label, or a verdict for approve workflows. */
const labelOf = (column: string) => `coalesce(${column}->>'label', ${column}->>'verdict')`;

export interface RatingRow {
  item_id: string;
  reviewer_id: string;
  email: string;
  label: string;
}

/**
 * Each reviewer's latest label on each item they answered (reviews, votes, audits, gold; not a
 * lead's ruling on an escalation, which follows a disagreement rather than sampling it).
 */
export async function listRatings(db: Queryable, workflow: string, p: Period): Promise<RatingRow[]> {
  return db.query<RatingRow>(
    `SELECT DISTINCT ON (a.item_id, a.reviewer_id) a.item_id::text AS item_id, a.reviewer_id::text AS reviewer_id, r.email, ${labelOf('a.outcome')} AS label
     FROM answers a JOIN tasks t ON t.id = a.task_id JOIN reviewers r ON r.id = a.reviewer_id
     WHERE t.workflow = $1::text AND t.kind IN ('review', 'vote', 'audit', 'gold') AND ${labelOf('a.outcome')} IS NOT NULL AND ${inPeriod('a.created_at', 2)}
     ORDER BY a.item_id, a.reviewer_id, a.created_at DESC`,
    [workflow, ...period(p)],
  );
}

export interface AuditItemRow {
  item_id: string;
  group: string | null;
  route: string;
  predicted: string | null;
  confidence: number | null;
  /** The current decision's label and source. */
  final: string | null;
  final_source: string | null;
  /** What people said is right: the latest human decision, else the first audit answer. */
  truth: string | null;
  /** An automatic decision a person audited, and whether the audit overturned it. */
  audited: boolean;
  overturned: boolean;
  /** Seconds from submit to the first decision by people; null when the machine decided or nobody has. */
  human_seconds: number | null;
}

/** The workflow's live items submitted in the period, with the metadata attribute as the group. */
export async function listAuditItems(db: Queryable, workflow: string, attribute: string, p: Period): Promise<AuditItemRow[]> {
  return db.query<AuditItemRow>(
    `SELECT i.id::text AS item_id, i.metadata->>$2::text AS "group", i.route->>'route' AS route,
            i.prediction->>'label' AS predicted, (i.prediction->>'confidence')::float8 AS confidence,
            cur.label AS final, cur.source AS final_source,
            coalesce(hum.label, aud.label) AS truth,
            aud.label IS NOT NULL AS audited,
            aud.label IS NOT NULL AND aud.label IS DISTINCT FROM i.route->>'label' AS overturned,
            CASE WHEN first_human.created_at IS NOT NULL AND i.route->>'route' <> 'auto'
                 THEN extract(epoch FROM first_human.created_at - i.created_at)::float8 END AS human_seconds
     FROM items i
     LEFT JOIN LATERAL (SELECT ${labelOf('d.outcome')} AS label, d.source FROM decisions d WHERE d.item_id = i.id ORDER BY d.version DESC LIMIT 1) cur ON true
     LEFT JOIN LATERAL (SELECT ${labelOf('d.outcome')} AS label FROM decisions d WHERE d.item_id = i.id AND d.source <> 'machine' ORDER BY d.version DESC LIMIT 1) hum ON true
     LEFT JOIN LATERAL (SELECT d.created_at FROM decisions d WHERE d.item_id = i.id AND d.source <> 'machine' ORDER BY d.version LIMIT 1) first_human ON true
     LEFT JOIN LATERAL (SELECT ${labelOf('a.outcome')} AS label FROM answers a JOIN tasks t ON t.id = a.task_id
                        WHERE a.item_id = i.id AND t.kind = 'audit' ORDER BY a.created_at LIMIT 1) aud ON true
     WHERE i.workflow = $1::text AND ${inPeriod('i.created_at', 3)}
       AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = i.id AND g.source = 'imported')`,
    [workflow, attribute, ...period(p)],
  );
}

export interface ReviewerAnswerRow {
  reviewer_id: string;
  email: string;
  group: string | null;
  label: string;
  predicted: string | null;
  confidence: number | null;
  blind: boolean | null;
}

/**
 * People's answers on live work (reviews, votes, audits) in the period, with the machine's
 * suggestion for the item, the item's value of `attribute` (null when none is asked for), and
 * whether the answer was given blind.
 */
export async function listReviewerAnswers(db: Queryable, workflow: string, attribute: string | null, p: Period): Promise<ReviewerAnswerRow[]> {
  return db.query<ReviewerAnswerRow>(
    `SELECT a.reviewer_id::text AS reviewer_id, r.email, CASE WHEN $2::text IS NULL THEN NULL ELSE i.metadata->>$2::text END AS "group",
            ${labelOf('a.outcome')} AS label, i.prediction->>'label' AS predicted, (i.prediction->>'confidence')::float8 AS confidence, a.blind
     FROM answers a JOIN tasks t ON t.id = a.task_id JOIN items i ON i.id = a.item_id JOIN reviewers r ON r.id = a.reviewer_id
     WHERE t.workflow = $1::text AND t.kind IN ('review', 'vote', 'audit') AND ${labelOf('a.outcome')} IS NOT NULL AND ${inPeriod('a.created_at', 3)}
     ORDER BY a.created_at, a.id`,
    [workflow, attribute, ...period(p)],
  );
}

/** The text of the given items of the workflow (examples a report cites). */
export async function itemTexts(db: Queryable, workflow: string, ids: readonly string[]): Promise<Record<string, string | null>> {
  if (ids.length === 0) return {};
  const rows = await db.query<{ id: string; text: string | null }>(
    `SELECT id::text AS id, text FROM items WHERE workflow = $1::text AND id = ANY($2::uuid[])`,
    [workflow, [...ids]],
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.text]));
}
