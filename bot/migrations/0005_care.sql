-- Care after a disclosure (dialogs/care.py): until this time, scheduled mantras never carry a
-- line the content holds back (`held_after_disclosure` in mantras.toml), even when the person
-- resumes them sooner than the pause. NULL: nothing is held.
ALTER TABLE mantra_subscriptions ADD COLUMN gentle_until TEXT;
