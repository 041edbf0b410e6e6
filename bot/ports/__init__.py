"""The ports: what the core needs from storage and from the platforms, as protocols, with the
plain data they exchange. ``Store`` (:mod:`bot.ports.store`), ``ScheduleStore``
(:mod:`bot.ports.schedule`) and ``Deliverer`` (:mod:`bot.ports.delivery`) are kept together, as
aiogram-dialog keeps its ``api/protocols/``; they import nothing of the project but
``dialogs``. The SQLite and in-memory stores implement them; the adapters implement
``Deliverer``."""
