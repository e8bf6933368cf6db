"""Land-use change analysis and simulation.

Modules: ``change`` (transfer matrix, gains/losses, dynamic degree), ``markov`` (transition
probabilities and demand), ``scenarios`` (scenario rules as TOML data), ``accuracy``
(Kappa, Figure of Merit, disagreement), suitability and allocation (PLUS / FLUS). Nothing is
imported here: import the module you need.
"""

PLUS_TREES = 20
"""Default LEAS trees per class: PLUS's GUI default "Input the number of trees" (and mcPLUS's)."""
