"""The evidence ledger (存证): a tamper-evident RFC 9162 log with C2SP checkpoints, receipts and witness
cosignatures. ``merkle``, ``note``, ``checkpoint``, ``receipt`` and ``leaves`` are domain-free and use
no Django; the rest stores the log in the database and anchors the audit trail in it."""
