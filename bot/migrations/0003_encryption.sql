-- Encryption at rest (bot/crypto.py). At most one row: the id of the key that seals personal
-- text and a probe sealed under it, so a wrong or missing ENCRYPTION_KEY is refused at start.
-- No row: nothing is sealed. Sealed values are BLOBs in the TEXT columns they replace
-- (conversations.state, answers.value_text, due.payload); SQLite keeps a BLOB as it is.

CREATE TABLE encryption (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key_id     BLOB    NOT NULL,
    probe      BLOB    NOT NULL,
    updated_at TEXT    NOT NULL
);
