-- Chat notifications (Slack incoming webhooks or generic JSON) fed from the events outbox.
-- Fan-out follows the webhooks' approach (012_webhooks.sql): events of transactions older than
-- pg_snapshot_xmin, a set that can no longer grow, so none is skipped.
CREATE TABLE notification_targets (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  format         text NOT NULL CHECK (format IN ('slack', 'json')),
  url            text NOT NULL,
  -- null: events of every workflow (admins only)
  workflow       text,
  description    text NOT NULL DEFAULT '',
  -- events are held this long after they happen so that a burst goes out as one message
  window_seconds int NOT NULL DEFAULT 10,
  -- at most this many messages per minute to this target; the rest wait and batch up
  per_minute     int NOT NULL DEFAULT 6,
  fanned_to      xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
  sending_by     text,
  sending_until  timestamptz,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
  id              bigserial PRIMARY KEY,
  target_id       uuid NOT NULL REFERENCES notification_targets (id) ON DELETE CASCADE,
  event_id        bigint NOT NULL REFERENCES events (id),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  -- the notifications of one message share their sent_at: distinct values count messages
  sent_at         timestamptz,
  UNIQUE (target_id, event_id)
);
CREATE INDEX notifications_pending ON notifications (target_id, id) WHERE status = 'pending';
CREATE INDEX notifications_sent ON notifications (target_id, sent_at) WHERE status = 'sent';
