"""One module per command; each defines ``register(app)`` and is listed in
:data:`landcarbon.cli.COMMANDS`, which loads it when its command runs."""
