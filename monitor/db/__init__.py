"""The database layer: schema, engines, migrations and the only code that runs queries.

Query functions live in the submodules (`engine`, `migrate`, `feeds`, `items`, `articles`); they
take a Session, never commit, and return the frozen records exported here. Importing this package
itself does no I/O and does not import SQLAlchemy.
"""

from monitor.db.records import FeedState, NewArticle

__all__ = ["FeedState", "NewArticle"]
