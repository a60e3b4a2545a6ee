"""dipwatch's shared package, in layers: ``core`` (pure), ``adapters`` (by technology),
``services`` and ``bot``, wired by ``bootstrap`` from ``config``'s Settings."""

#: The release; `/version` shows it with the build (`DIPWATCH_BUILD`).
__version__ = "0.13.0"
