"""The exception tree. Expected per-feed failures are returned as results; these are raised.

MonitorError                 base of everything monitor raises on purpose
├── ConfigError              the configuration cannot be used (file, key, problem)
├── FeedError                bytes that are not a usable feed (parse stage)
├── SandboxError             a task in a sandbox worker process did not finish
│   ├── SandboxTimeoutError  it ran past its deadline; the worker was killed and replaced
│   └── SandboxCrashError    the worker died, or the task ran out of memory under the limit
└── DatabaseError            schema too new, migration failed, database unreachable
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MonitorError(Exception):
    """Base class; `str(err)` is a complete one-line message for the user."""


class ConfigError(MonitorError):
    """The configuration cannot be used. The message names the file, the key and the problem."""


class FeedError(MonitorError):
    """The bytes are not a usable RSS/Atom/JSON feed."""


class DatabaseError(MonitorError):
    """The database cannot be used (unreachable, migration failure, unknown schema)."""


class SandboxError(MonitorError):
    """A task run in a `monitor.sandbox.Sandbox` worker process did not finish normally."""


class SandboxTimeoutError(SandboxError):
    """The task ran past its deadline; its worker process was killed and replaced."""


class SandboxCrashError(SandboxError):
    """The worker died (signal, exit) during the task, or the task hit the memory limit."""


def did_you_mean(
    word: str, choices: Iterable[str], *, quoted: bool = False, cutoff: float = 0.6
) -> str | None:
    """The closest of `choices` to a mistyped `word`, worded "did you mean X?" (X as repr when
    `quoted`: config file keys and values), or None when none is close enough. Every
    suggestion monitor makes (config keys and references, environment variables, claim ids)
    comes from here."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    if not close:
        return None
    return f"did you mean {close[0]!r}?" if quoted else f"did you mean {close[0]}?"
