"""An example actionpool action package (see `actions.py`)."""
