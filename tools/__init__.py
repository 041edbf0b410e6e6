"""Scripts that make files of the project from its own parts (``make docs``)."""
