"""Real git servers for tests: bare repositories, smart HTTP through `git http-backend`, and a
TCP proxy that drops connections."""
