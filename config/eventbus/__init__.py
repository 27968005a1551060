"""The only way services talk: CloudEvents envelopes through an outbox, a relay and idempotent consumers."""
