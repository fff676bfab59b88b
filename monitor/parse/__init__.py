"""The parse stage: feed bytes to a ParsedFeed of clean, identified entries. Pure (no I/O).

`parse_feed` is the entry point; see `monitor.parse.feed` for every outcome it can have.
"""

from monitor.parse.feed import parse_feed

__all__ = ["parse_feed"]
