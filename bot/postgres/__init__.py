"""Threshold's data on a PostgreSQL server, for several ``threshold run`` processes at once.

Chosen by ``DATABASE_URL=postgresql://…``; the same ports as the SQLite file
(:class:`~bot.ports.store.Store`, :class:`~bot.ports.schedule.ScheduleStore`), with numbered
migrations of its own in ``bot/postgres/migrations``. The driver is psycopg 3 with its pool
(``psycopg_pool``), not asyncpg: one library serves the bot's event loop (``AsyncConnection``)
and the plain commands and tests (``Connection``: ``threshold migrate-db``, pytest-postgresql,
which is built on it), it speaks LISTEN/NOTIFY on a pooled connection without a second API, it
prepares a statement by itself once it has been run a few times, and its ``%s`` parameters and
row tuples read like the ``sqlite3`` code beside it. asyncpg is faster per query, but a turn here
costs a few indexed statements and one commit, and the server's commit is what it waits on.
"""
