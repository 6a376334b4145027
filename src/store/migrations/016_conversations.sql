-- Customer conversations (answerType "reply"): the thread, its state, the reply library the
-- machine drafts from, and how much agents changed each draft.

CREATE TABLE conversations (
  id              uuid PRIMARY KEY,
  workflow        text NOT NULL REFERENCES workflows(name),
  customer_id     text NOT NULL,
  -- Metadata the operator gave (segment, name, plan…); never taken from the public widget.
  customer        jsonb NOT NULL DEFAULT '{}',
  -- SHA-256 of the conversation token the customer's widget holds; the token itself is never stored.
  token_hash      text NOT NULL,
  state           text NOT NULL CHECK (state IN ('bot', 'waiting', 'human', 'closed')),
  -- The intent last predicted for a customer message.
  intent          text,
  handoff_reasons text[] NOT NULL DEFAULT '{}',
  handoffs        integer NOT NULL DEFAULT 0,
  bot_replies     integer NOT NULL DEFAULT 0,
  agent_id        uuid REFERENCES reviewers(id),
  rating          text CHECK (rating IN ('up', 'down')),
  last_seq        integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  handed_off_at   timestamptz,
  first_human_at  timestamptz,
  closed_at       timestamptz
);
CREATE INDEX conversations_customer ON conversations (workflow, customer_id, created_at DESC);
CREATE INDEX conversations_workflow_state ON conversations (workflow, state, updated_at DESC);

CREATE TABLE conversation_messages (
  conversation_id uuid NOT NULL REFERENCES conversations(id),
  seq             integer NOT NULL,
  author          text NOT NULL CHECK (author IN ('customer', 'bot', 'agent', 'system')),
  text            text NOT NULL,
  item_id         uuid REFERENCES items(id),
  agent_id        uuid REFERENCES reviewers(id),
  -- A customer message to the bot whose route (bot reply or handoff) is not written yet; a crash
  -- between the two leaves it true, and a background job finishes it (engine/conversations.ts).
  needs_route     boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX conversation_messages_needs_route ON conversation_messages (created_at) WHERE needs_route;

-- Human-approved replies per intent (model/builtin/replies.ts): each with the customer messages it
-- answered (what retrieval compares a new message with) and how often agents sent its drafts
-- unchanged (part of a draft's confidence). Seeded by a lead, grown by every reply an agent sends.
CREATE TABLE reply_library (
  workflow       text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  id             text NOT NULL,
  intent         text NOT NULL,
  text           text NOT NULL,
  messages       jsonb NOT NULL DEFAULT '[]',
  uses           integer NOT NULL DEFAULT 0,
  sent_unchanged integer NOT NULL DEFAULT 0,
  source         text NOT NULL CHECK (source IN ('seed', 'approved')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow, id)
);

-- One row per reply a person sent on a drafted message: the draft, what was sent, and how far apart.
CREATE TABLE reply_edits (
  item_id     uuid PRIMARY KEY REFERENCES items(id),
  workflow    text NOT NULL,
  intent      text,
  draft       text,
  final       text NOT NULL,
  action      text NOT NULL CHECK (action IN ('sent', 'edited', 'rewritten', 'written')),
  distance    integer,
  rate        double precision,
  reviewer_id uuid REFERENCES reviewers(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reply_edits_workflow ON reply_edits (workflow, created_at);
