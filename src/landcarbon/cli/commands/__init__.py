"""One module per command; each defines ``register(app)`` and is found automatically."""
