-- The scheduler (issue 4): every scheduled delivery becomes one row of delivery_log, written
-- in the same transaction that claims it (advancing the mantra subscription, or closing the due
-- row), so the log is also the outbox. Its outcome then moves
--   claimed -> sending -> sent | failed | unreachable | unconfirmed
--   claimed -> skipped | cancelled | unreachable
-- 'sending' is committed just before the platform is called; see bot/scheduler.py.
-- The columns are nullable: rows written by Store.mark_done / mark_unreachable have no address.

ALTER TABLE delivery_log ADD COLUMN due_at_utc TEXT;
ALTER TABLE delivery_log ADD COLUMN address_platform TEXT;
ALTER TABLE delivery_log ADD COLUMN address_chat_id TEXT;
ALTER TABLE delivery_log ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';

-- The work waiting for each platform, oldest first (small: a row leaves it when it is sent).
CREATE INDEX delivery_log_claimed ON delivery_log (address_platform, id) WHERE outcome = 'claimed';
-- Sends in flight, by when they started (a process that died leaves them behind).
CREATE INDEX delivery_log_sending ON delivery_log (at) WHERE outcome = 'sending';
