"""Spreadsheet import and export of the ledger (xlsx and CSV)."""
