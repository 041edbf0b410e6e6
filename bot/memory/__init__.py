"""The in-memory store: the ports' contract kept in dicts, every value round-tripped through
JSON (as aiogram-dialog's ``JsonMemoryStorage``), for tests and trying things."""
