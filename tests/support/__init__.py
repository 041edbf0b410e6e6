"""What many tests share: the content's words, clocks and chats (``tests.support.*``)."""
