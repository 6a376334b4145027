-- The W3C traceparent of the submit span, when tracing was on: a decision made later, in any
-- process, links its span to the submit's trace. Null when tracing is off.
ALTER TABLE items ADD COLUMN trace_parent text;
