"""The Bot Framework service, the CLI, settings and wiring: the only layer that does I/O."""
