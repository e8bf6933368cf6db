"""Land-use change analysis and simulation.

Modules: ``change`` (transfer matrix, gains/losses, dynamic degree), ``markov`` (transition
probabilities and demand), ``scenarios`` (scenario rules as TOML data), ``accuracy``
(Kappa, Figure of Merit, disagreement), suitability and allocation (PLUS / FLUS). Nothing is
imported here: import the module you need.
"""
