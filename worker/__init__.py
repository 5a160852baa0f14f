"""The worker side: the run store in Redis, the broker, the execution of attempts, telemetry."""
