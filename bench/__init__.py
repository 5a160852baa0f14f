"""`make bench`: the pool against bare FastAPI + Celery and plain Celery (never imported by
the product)."""
