"""Developer tools behind the Makefile (not part of the installed package): the sample
conversation page (``make docs``) and the dependency audit (``make lint``)."""
