"""monitor: a self-hosted news monitor that tracks open claims and the evidence on them."""

__version__ = "0.1.0"
