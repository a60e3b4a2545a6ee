"""dipwatch's shared package, in layers: ``core`` (pure), ``adapters`` (by technology),
``services`` and ``bot``, wired by ``bootstrap`` from ``config``'s Settings."""
