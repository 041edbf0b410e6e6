-- Threshold's first schema. Applied once by bot/migrate.py and recorded in schema_migrations.
-- Times are fixed-width ISO-8601 UTC text ('2025-03-01T08:00:00.000000+00:00'), so they sort.
-- Everything about a person hangs off users with ON DELETE CASCADE: /forget is one DELETE.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    address_platform TEXT,
    address_chat_id  TEXT,
    unreachable      INTEGER NOT NULL DEFAULT 0 CHECK (unreachable IN (0, 1)),
    created_at       TEXT    NOT NULL,
    UNIQUE (platform, platform_user_id)
);

-- The conversation in progress: one per person, the dialog state as JSON, and the version
-- that every save checks (optimistic concurrency between processes).
CREATE TABLE conversations (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    updated_at TEXT    NOT NULL
);

-- Finished reflections and check-ins.
CREATE TABLE records (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('reflection', 'checkin')),
    person_id   TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT    NOT NULL
);
CREATE INDEX records_by_user ON records (user_id, finished_at);
CREATE INDEX records_by_person ON records (user_id, person_id, finished_at);

-- One row per answer (one per item of a multi-choice answer, ordered by position).
-- Choices and numbers are queryable; free text lives only in value_text so that column alone
-- can later be encrypted.
CREATE TABLE answers (
    id           INTEGER PRIMARY KEY,
    record_id    INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    question     TEXT    NOT NULL,
    position     INTEGER,
    value_text   TEXT,
    value_choice TEXT,
    value_int    INTEGER
);
CREATE INDEX answers_by_record ON answers (record_id);
CREATE INDEX answers_by_question ON answers (question, value_choice, value_int);

CREATE TABLE mantra_subscriptions (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    time         TEXT    NOT NULL,
    tz           TEXT    NOT NULL,
    days         TEXT    NOT NULL,
    next_due_utc TEXT,
    rotation     TEXT    NOT NULL DEFAULT '[]',
    updated_at   TEXT    NOT NULL
);
CREATE INDEX mantra_subscriptions_due ON mantra_subscriptions (next_due_utc) WHERE enabled = 1;

-- Deliveries to make later (check-in reminders, and whatever the scheduler adds). The row is the
-- source of truth: claimed_at reserves it for one sender, done_at closes it.
CREATE TABLE due (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key              TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    due_at_utc       TEXT    NOT NULL,
    address_platform TEXT    NOT NULL,
    address_chat_id  TEXT    NOT NULL,
    payload          TEXT    NOT NULL DEFAULT '{}',
    created_at       TEXT    NOT NULL,
    claimed_at       TEXT,
    done_at          TEXT,
    UNIQUE (user_id, key)
);
CREATE INDEX due_pending ON due (due_at_utc) WHERE done_at IS NULL;

CREATE TABLE delivery_log (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    due_id  INTEGER REFERENCES due (id) ON DELETE SET NULL,
    kind    TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    outcome TEXT    NOT NULL
);
CREATE INDEX delivery_log_by_user ON delivery_log (user_id, at);
CREATE INDEX delivery_log_by_due ON delivery_log (due_id);
