"""What sends and judges requests: the target, binding to owned records, generation, the
runner, pacing and the ledger. No pytest here."""
