"""Evidence files attached to ledger records, stored content-addressed outside the database."""
