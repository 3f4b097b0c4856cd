"""taizhang (台账): the ledger of a county's government information systems."""

__version__ = "0.1.0"
