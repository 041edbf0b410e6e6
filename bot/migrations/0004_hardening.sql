-- Hardening (issue 12). Three things, each used by the module named beside it.

-- Sealed values are bound to their row and person (bot/crypto.py, bot/sqlite_seals.py): the
-- scheme the data is sealed under. 1 = before this migration (the column name alone was bound
-- in); the store re-seals every value under scheme 2 when it next opens the file with the key.
ALTER TABLE encryption ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;

-- Choices and ratings are sealed too when encryption is on, and nothing queries them by value.
DROP INDEX answers_by_question;

-- The webhook inbox (adapters/telegram/webhook.py through Store.inbox_*): an update is written
-- here, keyed by the platform's update id, before the webhook answers 200, and applied once.
-- body is the update as received (sealed when encryption is on); it is emptied once the update
-- is applied, and the row itself is kept a while so a repeated delivery is recognised.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    platform    TEXT    NOT NULL,
    update_id   INTEGER NOT NULL,
    body        BLOB,
    received_at TEXT    NOT NULL,
    done_at     TEXT,
    UNIQUE (platform, update_id)
);
CREATE INDEX inbox_pending ON inbox (platform, id) WHERE done_at IS NULL;
CREATE INDEX inbox_done ON inbox (done_at) WHERE done_at IS NOT NULL;

-- A random secret made once per installation (per database): log lines name people by a keyed
-- pseudonym of their platform id (bot/pseudonyms.py), never by the id itself.
CREATE TABLE install (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     BLOB    NOT NULL,
    created_at TEXT    NOT NULL
);
INSERT INTO install (id, secret, created_at)
VALUES (1, randomblob(32), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
