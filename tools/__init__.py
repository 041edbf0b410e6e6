"""Developer tools behind the Makefile (not part of the installed package)."""
