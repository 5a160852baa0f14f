"""The HTTP side: the FastAPI app Backstage and operators call."""
