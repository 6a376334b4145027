-- ANALYZE items spent most of its time on columns no query filters, joins or sorts on: the text,
-- the JSON documents and the request hash, each of whose 30,000 sampled values it compares to
-- build a histogram. On 200,000 bench-shaped rows a pass took 360 ms with them, 108 ms without;
-- under bench scale's load it ran about every 5 s at 640 ms, beside the slowest submits
-- (bench/README.md). The columns queries do use (id, workflow, idempotency_key, status,
-- created_at, decided_at) keep their statistics.
ALTER TABLE items
  ALTER COLUMN text SET STATISTICS 0,
  ALTER COLUMN request_hash SET STATISTICS 0,
  ALTER COLUMN fields SET STATISTICS 0,
  ALTER COLUMN metadata SET STATISTICS 0,
  ALTER COLUMN prediction SET STATISTICS 0,
  ALTER COLUMN route SET STATISTICS 0,
  ALTER COLUMN trace_parent SET STATISTICS 0;
