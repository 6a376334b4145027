-- Table upkeep analyzes `tasks` every few seconds under a queue's load (every claim and answer
-- changes a row), and each ANALYZE read a sample of 30,000 rows: 100 ms of a core on 200,000
-- bench-shaped rows when idle, up to 290 ms under bench scale, beside the slowest submits
-- (bench/README.md). Its columns hold a few values each (status, workflow, queue, kind,
-- priority) or are read through indexes (ids, due times), so a 3,000-row sample describes
-- them as well: the same ANALYZE took 17–22 ms.
ALTER TABLE tasks
  ALTER COLUMN id SET STATISTICS 10,
  ALTER COLUMN item_id SET STATISTICS 10,
  ALTER COLUMN workflow SET STATISTICS 10,
  ALTER COLUMN queue SET STATISTICS 10,
  ALTER COLUMN kind SET STATISTICS 10,
  ALTER COLUMN status SET STATISTICS 10,
  ALTER COLUMN priority SET STATISTICS 10,
  ALTER COLUMN due_at SET STATISTICS 10,
  ALTER COLUMN skills SET STATISTICS 10,
  ALTER COLUMN assignment SET STATISTICS 10,
  ALTER COLUMN lease_owner SET STATISTICS 10,
  ALTER COLUMN lease_expires_at SET STATISTICS 10,
  ALTER COLUMN overdue_at SET STATISTICS 10,
  ALTER COLUMN reason SET STATISTICS 10,
  ALTER COLUMN created_at SET STATISTICS 10,
  ALTER COLUMN updated_at SET STATISTICS 10,
  ALTER COLUMN deferred SET STATISTICS 10,
  ALTER COLUMN surge_boost SET STATISTICS 10;
