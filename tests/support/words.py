"""The content's wording the adapters show, read as the adapters read it."""

from __future__ import annotations

from adapters.console import ConsoleWords
from dialogs import load_script

SCRIPT = load_script()
SAY = SCRIPT.say
MENU = tuple((c.name, c.menu) for c in SCRIPT.menu_commands())
"""The platforms' command menus, as :meth:`bot.core.Core.menu` gives them."""
CONSOLE = ConsoleWords.of(SAY)
GOODBYE = CONSOLE.goodbye
APOLOGY = CONSOLE.apology
