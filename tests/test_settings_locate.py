"""The TOML locator: the line of a key, a table or an array element, for error messages."""

from __future__ import annotations

import tomllib

import pytest

from monitor.config_loader.locate import locate_keys

DOCUMENT = '''\
# comment with key = "value"
title = "x"
[fetch]
max_redirects = 5
allow_private = [
  "10.0.0.0/8",  # [not.a.header]
  "192.168.0.0/16",
]
user_agent = """
[[feeds]]
url = "inside a string"
"""
"quoted key" = 1
nested.dotted = 2
'lit' = 'a "b [c" d'

[[feeds]]
url = "https://a.example/"

[[feeds]]
name = "b"
url = "https://b.example/"
inline = { url = "x", deep = [1, 2] }

[ fetch.sub ]
key = 1

[[claims]]
id = "c1"
[[claims.notes]]
text = "n1"
[[claims.notes]]
text = "n2"
[[claims]]
id = "c2"
[[claims.notes]]
text = "n3"
'''


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("title",), 2),
        (("fetch",), 3),
        (("fetch", "max_redirects"), 4),
        (("fetch", "allow_private"), 5),
        (("fetch", "allow_private", 1), 5),
        (("fetch", "user_agent"), 9),
        (("fetch", "quoted key"), 13),
        (("fetch", "nested", "dotted"), 14),
        (("fetch", "nested"), 14),
        (("fetch", "lit"), 15),
        (("feeds",), 17),
        (("feeds", 0), 17),
        (("feeds", 0, "url"), 18),
        (("feeds", 1), 20),
        (("feeds", 1, "url"), 22),
        (("feeds", 1, "name"), 21),
        (("feeds", 1, "inline", "deep"), 23),
        (("feeds", 1, "interval"), 20),
        (("fetch", "sub", "key"), 26),
        (("claims", 0, "notes", 1, "text"), 33),
        (("claims", 1, "id"), 35),
        (("claims", 1, "notes", 0, "text"), 37),
        (("missing",), None),
        (("feeds", 7, "url"), 17),
    ],
)
def test_line_of(loc: tuple[str | int, ...], line: int | None) -> None:
    assert locate_keys(DOCUMENT).line_of(loc) == line


def test_keys_inside_multiline_strings_and_arrays_are_not_keys() -> None:
    lines = locate_keys(DOCUMENT).lines
    assert ("feeds", 0) in lines and lines[("feeds", 0)] == 17
    assert ("not",) not in lines
    assert len([loc for loc in lines if loc[:1] == ("feeds",) and len(loc) == 2]) == 2


def test_the_document_is_valid_toml() -> None:
    # The locator only ever sees files that tomllib accepted.
    data = tomllib.loads(DOCUMENT)
    assert [c["id"] for c in data["claims"]] == ["c1", "c2"]
    assert data["fetch"]["user_agent"].startswith("[[feeds]]")
