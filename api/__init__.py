"""The HTTP side: the FastAPI app Backstage and operators call, and the `actionpool` CLI."""
