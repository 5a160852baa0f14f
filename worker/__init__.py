"""The worker side: the run store in Redis, the Celery app, and the execution of attempts."""
