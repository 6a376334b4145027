// Counts a lead reads at a glance: how a workflow's items were routed and decided.
import type { Queryable } from './db.ts';

export interface WorkflowCounts {
  items: number;
  auto: number;
  review: number;
  escalate: number;
  audited: number;
  decided: number;
  by_machine: number;
  by_people: number;
}

export async function workflowCounts(db: Queryable, workflow: string, since: Date): Promise<WorkflowCounts> {
  const rows = await db.query<WorkflowCounts>(
    `SELECT count(*)::int AS items,
            count(*) FILTER (WHERE route->>'route' = 'auto')::int AS auto,
            count(*) FILTER (WHERE route->>'route' = 'review')::int AS review,
            count(*) FILTER (WHERE route->>'route' = 'escalate')::int AS escalate,
            count(*) FILTER (WHERE (route->>'audit')::boolean)::int AS audited,
            count(*) FILTER (WHERE status = 'decided')::int AS decided,
            (SELECT count(DISTINCT d.item_id)::int FROM decisions d JOIN items i ON i.id = d.item_id
              WHERE i.workflow = $1::text AND i.created_at >= $2::timestamptz AND d.source = 'machine'
                AND d.version = (SELECT max(version) FROM decisions x WHERE x.item_id = d.item_id)) AS by_machine,
            (SELECT count(DISTINCT d.item_id)::int FROM decisions d JOIN items i ON i.id = d.item_id
              WHERE i.workflow = $1::text AND i.created_at >= $2::timestamptz AND d.source <> 'machine'
                AND d.version = (SELECT max(version) FROM decisions x WHERE x.item_id = d.item_id)) AS by_people
     FROM items WHERE workflow = $1::text AND created_at >= $2::timestamptz
       -- Gold made for the purpose was never live work.
       AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = items.id AND g.source = 'imported')`,
    [workflow, since.toISOString()],
  );
  return rows[0] ?? { items: 0, auto: 0, review: 0, escalate: 0, audited: 0, decided: 0, by_machine: 0, by_people: 0 };
}
