"""Configuration of the claims board (`monitor serve`): [board]. Pure models."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from monitor.settings_types import Section

_LOCAL = ("127.0.0.1", "::1", "localhost")


class BoardSettings(Section):
    address: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Required when `address` is not a loopback address: clients send it as a bearer token.
    token: SecretStr | None = None
    page_size: int = Field(default=50, ge=1, le=1000)  # API pages and evidence lists

    @model_validator(mode="after")
    def _token_off_loopback(self) -> BoardSettings:
        if self.address not in _LOCAL and self.token is None:
            raise ValueError(
                f"board.address {self.address!r} is not loopback: set board.token "
                "(or MONITOR_BOARD_TOKEN) so strangers cannot read the board"
            )
        return self
