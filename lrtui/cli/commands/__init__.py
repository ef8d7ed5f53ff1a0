"""One module per command group: ``run``, ``journal`` (resume, actions, results, export), ``config``, ``login``,
``tui`` and ``sim``. ``lrtui.cli.entry`` imports the one a command line needs."""
