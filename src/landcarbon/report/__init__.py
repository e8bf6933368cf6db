"""The study report: a self-contained HTML page of maps, charts and tables per chapter."""
