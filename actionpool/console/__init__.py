"""The operator's command line over the HTTP API (`actionpool runs ...`, `workers`, `queues`,
`stats`, `actions`): it talks HTTP only, and imports nothing of the API server.

- `config`: where the pool is and the credential (flags, then environment, then file)
- `http`: the client, and the one table from failures to exit codes
- `output`: tables, JSON and YAML
- `options`: the options every pool command takes, and how a `CliError` ends it
- `runs`, `runview`, `follow`: the `runs` commands, their pure parts, and the live log
- `pool`: `workers`, `queues`, `stats`, `actions`
"""
