"""Data: getting the upstream JSONL files (and the Spider databases) into the data directory.

Owns the fetch manifest (pinned commit, sizes, sha256) and verified, atomic downloads.
It imports only `store` and `tasks`.
"""
