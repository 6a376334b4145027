// Leases on long background jobs (retraining). An advisory lock would have to be held by one
// connection for the whole job, and on PGlite a long transaction stalls every request; a row
// with an expiry is held by no connection, and a crashed holder's lease simply runs out.
import type { Queryable } from './db.ts';

export async function tryTakeJobLease(db: Queryable, job: string, owner: string, seconds: number): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO job_leases (job, owner, expires_at) VALUES ($1::text, $2::text, now() + make_interval(secs => $3::int))
     ON CONFLICT (job) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
       WHERE job_leases.expires_at < now() OR job_leases.owner = EXCLUDED.owner
     RETURNING job`,
    [job, owner, seconds],
  );
  return rows.length > 0;
}

export async function releaseJobLease(db: Queryable, job: string, owner: string): Promise<void> {
  await db.query('DELETE FROM job_leases WHERE job = $1::text AND owner = $2::text', [job, owner]);
}
