"""The audit log: every privileged act, with who, when, from where, what and why.

Other domains call :func:`lms.audit.services.record` once, next to the act, in the act's own
transaction: the entry is written if and only if the act is. Entries are never changed or
deleted (no code path does it, the ORM refuses it, and database triggers refuse it).
"""
