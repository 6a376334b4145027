// Finding items: by id, by words in their text, by workflow, status and route, newest first.
import type { Queryable } from './db.ts';

export interface ItemSearch {
  /** Workflows the caller may see; null for all. */
  workflows: string[] | null;
  workflow: string | null;
  /** An item id, or words the text must contain (case-insensitive). */
  q: string | null;
  status: 'pending' | 'decided' | null;
  route: 'auto' | 'review' | 'escalate' | null;
  /** Items created before this time (the next page). */
  before: Date | null;
  limit: number;
}

export interface ItemHit {
  id: string;
  workflow: string;
  text: string | null;
  status: 'pending' | 'decided';
  route: string;
  decision: unknown;
  decision_source: string | null;
  /** The item has open or leased tasks. */
  open_work: boolean;
  created_at: Date;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function searchItems(db: Queryable, s: ItemSearch): Promise<ItemHit[]> {
  const id = s.q !== null && uuid.test(s.q.trim()) ? s.q.trim() : null;
  // LIKE's own wildcards in the words are matched literally.
  const like = s.q !== null && id === null ? `%${s.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  return db.query<ItemHit>(
    `SELECT i.id::text AS id, i.workflow, left(i.text, 300) AS text, i.status, i.route->>'route' AS route,
            d.outcome AS decision, d.source AS decision_source,
            EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id AND t.status IN ('open', 'leased')) AS open_work, i.created_at
     FROM items i
     LEFT JOIN LATERAL (SELECT outcome, source FROM decisions WHERE item_id = i.id ORDER BY version DESC LIMIT 1) d ON true
     WHERE ($1::text[] IS NULL OR i.workflow = ANY($1::text[]))
       AND ($2::text IS NULL OR i.workflow = $2::text)
       AND ($3::uuid IS NULL OR i.id = $3::uuid)
       AND ($4::text IS NULL OR i.text ILIKE $4::text)
       AND ($5::text IS NULL OR i.status = $5::text)
       AND ($6::text IS NULL OR i.route->>'route' = $6::text)
       AND ($7::timestamptz IS NULL OR i.created_at < $7::timestamptz)
     ORDER BY i.created_at DESC, i.id DESC LIMIT $8::int`,
    [s.workflows, s.workflow, id, like, s.status, s.route, s.before?.toISOString() ?? null, s.limit],
  );
}
