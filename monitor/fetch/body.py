"""Reads a response body under a size cap, decoding gzip/deflate itself. Network I/O (reads).

The cap applies to the DECODED bytes: raw chunks from `aiter_raw` go through a zlib
decompressobj with `max_length`, so a gzip bomb stops at the cap with memory around the cap
plus one chunk. Stacked (``gzip, gzip``) and unknown codings are refused before reading.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

import httpx

from monitor.domain import FetchErrorCode
from monitor.fetch.failure import FetchFailure
from monitor.fetch.headers import (
    GZIP_WBITS,
    RAW_DEFLATE_WBITS,
    ZLIB_WBITS,
    EncodingRefused,
    content_encoding_wbits,
    format_size,
)

PIECE = 64 * 1024  # most decoded bytes produced by one decompress call
REUSE_LIMIT = 64 * 1024  # unread bodies up to this size are drained to keep the connection


def too_large(cap: int) -> FetchFailure:
    return FetchFailure(FetchErrorCode.TOO_LARGE, f"response too large (> {format_size(cap)})")


def bad_encoding(detail: str) -> FetchFailure:
    return FetchFailure(FetchErrorCode.BAD_ENCODING, detail)


def declared_length(response: httpx.Response) -> int | None:
    """The Content-Length header as an int, or None when absent or unusable."""
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value.strip())
    except ValueError:
        return None
    return length if length >= 0 else None


def encoding_wbits(response: httpx.Response) -> int | None:
    """zlib window bits for the response's Content-Encoding; raises FetchFailure if refused."""
    try:
        return content_encoding_wbits(response.headers.get("content-encoding"))
    except EncodingRefused as exc:
        raise bad_encoding(str(exc)) from None


def check_declared_length(response: httpx.Response, cap: int) -> None:
    """Refuse before reading when Content-Length already says the body is over the cap."""
    length = declared_length(response)
    if length is not None and length > cap:
        raise too_large(cap)


class _Inflater:
    """Incremental gzip/zlib/raw-deflate decoding with bounded output per call."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._engine: zlib._Decompress | None = None

    def _start(self, data: bytes) -> zlib._Decompress:
        wbits = self._wbits
        if wbits == ZLIB_WBITS and len(data) >= 2:
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            header = (data[0] << 8) | data[1]
            if data[0] & 0x0F != 8 or header % 31 != 0:
                wbits = RAW_DEFLATE_WBITS
        return zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces (each at most PIECE bytes) for one chunk of raw body."""
        try:
            while data:
                if self._engine is None:
                    self._engine = self._start(data)
                elif self._engine.eof:
                    if self._wbits != GZIP_WBITS:
                        raise bad_encoding("unexpected data after the end of a deflate stream")
                    self._engine = self._start(data)  # the next member of a multi-member gzip
                engine = self._engine
                piece = engine.decompress(data, PIECE)
                if piece:
                    yield piece
                data = engine.unused_data if engine.eof else engine.unconsumed_tail
        except zlib.error as exc:
            raise bad_encoding(f"corrupt compressed body ({exc})") from None

    def finish(self) -> bytes:
        """What remains once the raw body has ended; refuses a truncated stream."""
        if self._engine is None:
            return b""  # no body at all
        try:
            rest = self._engine.flush()
        except zlib.error as exc:
            raise bad_encoding(f"corrupt compressed body ({exc})") from None
        if not self._engine.eof:
            raise bad_encoding("compressed body ends before its end marker")
        return rest


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The decoded body of `response`, at most `cap` bytes; raises FetchFailure otherwise.

    A body shorter than its Content-Length is a CONNECTION failure, never returned as complete.
    Peak memory is about the decoded body plus one raw chunk and one PIECE.
    """
    wbits = encoding_wbits(response)
    check_declared_length(response, cap)
    expected = declared_length(response)
    inflater = _Inflater(wbits) if wbits is not None else None
    sink = io.BytesIO()
    size = 0
    received = 0

    def keep(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > cap:
            raise too_large(cap)
        sink.write(piece)

    async for chunk in response.aiter_raw():
        received += len(chunk)
        if inflater is None:
            keep(chunk)
        else:
            for piece in inflater.feed(chunk):
                keep(piece)
    if expected is not None and received < expected:
        raise FetchFailure(
            FetchErrorCode.CONNECTION,
            f"connection closed after {received} of {expected} body bytes",
        )
    if inflater is not None:
        keep(inflater.finish())
    return sink.getvalue()


async def drain_for_reuse(response: httpx.Response) -> None:
    """Read and drop a small unread body (304, redirects, errors) so the connection can be reused.

    Closing a response whose body was not read makes httpcore close its connection; for the
    common bodiless 304 that would cost a new connection (and TLS handshake) on every poll.
    Large or unknown-length bodies are left alone: closing is cheaper than reading them.
    """
    if response.is_stream_consumed:
        return
    length = declared_length(response)
    if response.status_code not in (204, 304) and (length is None or length > REUSE_LIMIT):
        return
    try:
        async for _ in response.aiter_raw():
            pass
    except httpx.HTTPError:
        pass  # the connection is dropped on close, which is all that is lost
