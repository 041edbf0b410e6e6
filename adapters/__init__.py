"""Adapters: where the platforms meet the core, and nothing else.

Each adapter translates (a platform update into a :mod:`dialogs.model` event, a reply into what
the platform shows) and runs a small loop over ``core.conversations``; none holds dialog logic.
:mod:`adapters.console` is the terminal chat; :mod:`adapters.cli` is the ``threshold`` command,
the one place where an adapter is handed the core. Nothing is re-exported here, so importing one
adapter never imports another platform's library.
"""
