-- Several processes on one database (issue 14). A claimed delivery belongs to the process that
-- claimed it (owner) until lease_until; a process that died leaves its claims behind, and once the
-- lease has run out another process takes them over (bot/postgres/due.py). A claim only ever
-- moves to 'sending' in its owner's hands, so a taken-over row is never sent by both.
ALTER TABLE delivery_log ADD COLUMN owner text;
ALTER TABLE delivery_log ADD COLUMN lease_until text;
