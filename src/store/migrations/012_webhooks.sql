-- Webhooks (Standard Webhooks) delivered from the events outbox.
--
-- The transaction id that wrote each event: a bigserial id is taken before commit, so a lower id
-- can become visible after a higher one and a plain "id > cursor" scan would skip it for good.
-- Fan-out instead takes events whose writing transaction is older than every transaction still
-- running (pg_snapshot_xmin), a set that can no longer grow.
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_txid ON events (txid);

CREATE TABLE webhook_endpoints (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url                   text NOT NULL,
  -- null: events of every workflow (admins only)
  workflow              text,
  -- empty: every event type
  event_types           text[] NOT NULL DEFAULT '{}',
  description           text NOT NULL DEFAULT '',
  -- whsec_<base64>: kept in the clear because HMAC signing needs the key itself
  secret                text NOT NULL,
  previous_secret       text,
  previous_secret_until timestamptz,
  -- events from transactions below this id have been fanned out to this endpoint
  fanned_to             xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
  -- one sender at a time per endpoint, so that its deliveries go out in order
  sending_by            text,
  sending_until         timestamptz,
  created_by            text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,
  endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id         bigint NOT NULL REFERENCES events (id),
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- retries stop (dead) once this is older than the maximum age; reset by a manual redelivery
  first_attempt_at timestamptz,
  last_attempt_at  timestamptz,
  last_status      int,
  last_error       text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id DESC);
