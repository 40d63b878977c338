"""The ``backcoach`` command. Subcommand modules are imported only when they run."""
