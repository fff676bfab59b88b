"""The fetch stage: the only code that makes HTTP requests for feeds and article pages.

Network I/O. `Fetcher` is the entry point; see `monitor.fetch.client` for what a fetch does,
`guard` for the connect-time address check, `politeness` for per-host limits, `body` for the
decoded size cap and `headers` for the pure header parsers.
"""

from monitor.fetch.client import Fetcher, default_user_agent
from monitor.fetch.guard import Resolver
from monitor.fetch.headers import parse_retry_after

__all__ = ["Fetcher", "Resolver", "default_user_agent", "parse_retry_after"]
