-- Several webhook workers on one database (issue 14): each applies the updates it takes from the
-- inbox, and only those. A worker takes a recorded update for itself (owner) until lease_until;
-- a worker that died leaves its updates behind, and once the lease has run out another one takes
-- them over (bot/postgres/turns.py, inbox_pending).
ALTER TABLE inbox ADD COLUMN owner text;
ALTER TABLE inbox ADD COLUMN lease_until text;
