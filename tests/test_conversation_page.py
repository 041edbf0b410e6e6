"""``docs/conversation.md`` is made by the terminal chat from the content: it must be current."""

from __future__ import annotations

from tools.conversation import PAGE, transcript


async def test_the_sample_conversation_page_is_what_the_content_says_today() -> None:
    made = await transcript()
    assert PAGE.read_text(encoding="utf-8") == made, "docs/conversation.md is stale: make docs"
    assert "> I deserve someone who answers me." in made
    assert "Your line: “I deserve someone who answers me.”" in made
    assert "Last time you wrote: “I deserve someone who answers me.”" in made
