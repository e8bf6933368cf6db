"""The study file (strict TOML), its pipeline of cached steps, and the output layout."""
