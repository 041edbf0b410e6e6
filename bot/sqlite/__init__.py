"""SQLite, the embedded store: one set-up for both connections (:mod:`~bot.sqlite.support`),
the store and its turns, reads and export, the schedule and its due rows, checkpoints, and the
sealing of values at rest (:mod:`~bot.sqlite.seals`). It implements the ports and never
imports the scheduler."""
