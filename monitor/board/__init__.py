"""The claims board (`monitor serve`): read-only HTML pages and a JSON API over the database."""

from monitor.board.app import create_app

__all__ = ["create_app"]
