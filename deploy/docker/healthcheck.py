"""Container health probe: exit 0 when the daemon's /healthz answers 2xx, else 1. Network.

Run by the image's HEALTHCHECK with the image's Python (slim images have no curl). It asks
127.0.0.1 on $MONITOR_DAEMON_HEALTH_PORT (default 9464), the port `monitor run` serves on.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PORT = "9464"
TIMEOUT_S = 3.0


def healthz_url(env: dict[str, str]) -> str:
    """The /healthz address of the daemon in this container."""
    port = env.get("MONITOR_DAEMON_HEALTH_PORT") or DEFAULT_PORT
    return f"http://127.0.0.1:{port}/healthz"


def probe(url: str) -> int:
    """0 when `url` answers 2xx within the timeout, 1 otherwise (and say why on stderr)."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 (http only)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        print(f"unhealthy: {url} answered {exc.code}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(probe(healthz_url(dict(os.environ))))
