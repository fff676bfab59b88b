"""Propose watchlist entities and check-worthy claims from a document's text, by rules; pure.

Entities: capitalised multi-word names, with a title in front ("Kremlin spokesperson Dmitry
Peskov") kept as an alias; a name that a configured entity already matches keeps the configured
id. Claims: sentences about at least one entity that state something (not questions, headings,
opinion or hedged generalities), with attribution prefixes ("The report suggests that") removed,
compound sentences split where both halves stand alone, and a kind: forecast, statement or fact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from monitor.match import EntityMatcher, split_sentences
from monitor.settings import EntitySettings

ClaimKind = Literal["fact", "forecast", "statement"]
EntityKind = Literal["person", "organization", "place", "product", "other"]


@dataclass(frozen=True, slots=True)
class ProposedClaim:
    """A claim ready for the watchlist, with the sentence it came from."""

    id: str
    text: str
    entities: tuple[str, ...]
    kind: ClaimKind
    source: str | None
    original: str


@dataclass(frozen=True, slots=True)
class Proposal:
    """New entities (not in the configuration), reused configured ids, and the claims."""

    entities: tuple[EntitySettings, ...]
    reused: tuple[str, ...]
    claims: tuple[ProposedClaim, ...]


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_TITLE_WORDS = (
    r"President|Prime Minister|Foreign Minister|Defen[cs]e Minister|Minister|Chancellor|"
    r"spokesperson|spokesman|spokeswoman|press secretary|Secretary of State|Senator|Governor|"
    r"CEO|chief executive|Ambassador|General|King|Queen|Pope"
)
_TITLED = re.compile(
    rf"\b(?P<title>(?:[A-Z][\w'’]+ )?(?:{_TITLE_WORDS})) (?P<name>{_NAME}(?: {_NAME}){{1,2}})\b"
)
_CAPS_RUN = re.compile(rf"\b{_NAME}(?: (?:of |al-|bin )?(?:{_NAME}|[A-Z]{{2,}}))+\b")
_SINGLE = re.compile(
    r"\b(?!(?:President|Minister|Chancellor|Senator|General|King|Queen|Pope)\b)"
    r"[A-Z][a-z]+[A-Z]?(?<!ian)(?<!ese)(?<!ern)(?<!ish)(?<!ic)\b(?![’']s? [A-Z])"
)
_LEADING_TITLES = _words("President Minister Chancellor Senator General King Queen Pope")
_ORG_WORDS = _words(
    """Journal Times Post News Agency Ministry Department Council Committee Bank Party Union
    Company Group University Institute Commission Office Service Corporation Inc Corp Press
    Association Foundation Organization Organisation Court Parliament Congress Senate"""
)
_PLACE_WORDS = _words("States Kingdom Republic Emirates City County Island Islands")
_NOT_NAMES = _words(
    """The A An If In On At For This That These Those Since After Before When While Although
    Despite However Additionally Furthermore Ultimately Both Such Sources Supporters Critics
    Analysts Observers You Your Get Subscribe January February March April May June July August
    September October November December Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday"""
)
_MEDIA = re.compile(r"\b(?:Journal|Times|Post|News|Reuters|Associated Press|WSJ|BBC|CNN)\b")

# Attribution and discourse openers removed from the front of a claim; group "src" is a source.
_PREFIXES = (
    re.compile(r"^(?:However|Furthermore|Additionally|Moreover|Meanwhile|Also|Indeed),\s+"),
    re.compile(r"^Despite [^,]{1,60},\s+"),
    re.compile(r"^According to (?:[a-z ]+ (?:by|from|in) )?(?P<src>[^,]{2,80}),\s+"),
    re.compile(
        r"^(?:An? |The )?(?:[a-z]+ )*report (?:by|from|in) (?P<src>.{2,60}?) "
        r"(?:has |have )?(?:revealed|reported|found|said|says|shows|showed)(?: that)?\s+"
    ),
    re.compile(
        r"^(?P<src>[Tt]he [A-Z][\w ]{1,50}?|[A-Z][\w]+) (?:reported|reports|claims|claimed|"
        r"revealed|says|said)(?: that)?\s+(?=[a-z]+ [a-z]|[A-Z])"
    ),
    re.compile(r"^(?:The|This) report (?:suggests|says|states|claims|found|shows)(?: that)?\s+"),
    re.compile(r"^(?:Sources|Officials|Reports) (?:indicate|say|said|suggest)(?: that)?\s+"),
)
_TRAILING_COMMENT = re.compile(
    r",\s+(?:highlighting|underscoring|reflecting|raising|suggesting|signalling|signaling|"
    r"which (?:could|may|might|would))\b.*$"
)
_STRONG_OPINION = re.compile(
    r"\b(?:rais(?:es|e|ing) (?:questions|concerns|doubts)|questions? whether|complicates?|"
    r"significant concerns|highlights?|underscores?|sparks?|sparked|speculation|"
    r"critics argue|analysts suggest|observers|supporters|unlikely|perceived|narratives?|"
    r"not entirely unexpected|the implications of|the existence of|debate|perspective|"
    r"the situation is|it is (?:clear|unclear|likely)|may not significantly)\b",
    re.IGNORECASE,
)
_WEAK_OPINION = re.compile(
    r"\b(?:notable|significant|unusual|unique|influential|complex|intricate|critical|prominent|"
    r"potential|powerful|key|strategic|well-documented|pragmatic|vast|unprecedented|keen)\b",
    re.IGNORECASE,
)
_NOT_STANDALONE = re.compile(
    r"^(?:This|These|That|Those|Such|It|They|He|She|His|Her|Their|Its|Although|Ultimately|"
    r"For many|From their|Both sides)\b"
)
_SECOND_PERSON = re.compile(r"\b(?:you|your|our|we|us)\b")
_FORECAST = re.compile(
    r"(?:^If\b.*\b(?:may|could|will|would|might)\b)|"
    r"\b(?:could|may|might|will) (?:lead to|prompt|result in|trigger|cause)\b|"
    r"\b(?:is|are) (?:expected|likely|set) to\b",
)
_VAGUE_PROMPT = re.compile(
    r"^(?:The situation|This|It|The news|The report) (?P<modal>may|could|might|will) prompt "
    r"(?P<who>.+?) to (?P<rest>.+)$"
)
_SPEECH = re.compile(
    r"^(?P<who>.+?) (?:has |had )?\w+(?:ed|s) [^,]*, (?:stating|saying|adding|insisting|"
    r"claiming) (?:that )?(?P<what>.+)$"
)
_SPEECH_VERB = re.compile(
    r"\b(?:said|says|stated|stating|denied|denies|claimed|insisted|told|downplayed|announced|"
    r"saying)\b"
)
_FINITE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|can|could|may|might|must|should|does|did|"
    r"\w+ed|\w{3,}s|met|spoke|said|told|made|took|gave|went|saw|held|led|sent|won|lost|ran|"
    r"paid|left|became|began|wrote|brought|found|kept|sought|bought|fought|grew|knew|rose|fell|"
    r"chose|drew|flew|broke|struck|came|got|did)\b"
)
_AUXILIARY = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|can|could|may|might|must|should|\w+ed)\b"
)
_THE_REPORT = re.compile(r"(?<!on )(?<!about )(?<!to )\b[Tt]he report\b")
_SPLITS = re.compile(r"; |, while |, and (?=[A-Z]|the |a |an |his |her |its |their )")
_STOP = _words("the a an of to in on at and or with for by from as has have had is was")


def propose(
    text: str, known: Sequence[EntitySettings] = (), taken_claims: Sequence[str] = ()
) -> Proposal:
    """Entities and claims proposed from a document, reusing the known entities' ids."""
    known_matcher = EntityMatcher.from_settings(known)
    new, reused = _discover_entities(text, known, known_matcher)
    matcher = EntityMatcher.from_settings([*known, *new])
    used_ids: set[str] = set(taken_claims)
    claims: list[ProposedClaim] = []
    report_source: str | None = None
    for sentence in split_sentences(text):
        original = " ".join(sentence.text.split())
        if original[-1:] not in ".!\"”’'" or len(original) < 30:
            continue  # headings, bylines, questions, fragments
        body, source = _strip_prefixes(original)
        body = _TRAILING_COMMENT.sub("", body.rstrip(".!"))
        if source is not None and _MEDIA.search(source):
            report_source = source
        elif source is None and _THE_REPORT.search(original):
            source = report_source
        if not _check_worthy(body):
            continue
        for part in _split_compound(body):
            claim = _claim(part, original, source, matcher, used_ids)
            if claim is not None:
                claims.append(claim)
                used_ids.add(claim.id)
    cited = {e for claim in claims for e in claim.entities}
    return Proposal(
        tuple(e for e in new if e.id in cited),
        tuple(e for e in reused if e in cited),
        tuple(claims),
    )


def _claim(
    part: str, original: str, source: str | None, matcher: EntityMatcher, used: set[str]
) -> ProposedClaim | None:
    if not _check_worthy(part):
        return None
    kind: ClaimKind = "forecast" if _FORECAST.search(part) else "fact"
    if (vague := _VAGUE_PROMPT.match(part)) is not None:
        part = f"{vague['who'][0].upper()}{vague['who'][1:]} {vague['modal']} {vague['rest']}"
    elif kind == "fact" and (speech := _SPEECH.match(part)) and not _MEDIA.search(speech["who"]):
        part, kind = f"{speech['who']} said that {speech['what']}", "statement"
        source = speech["who"]
    elif kind == "fact" and _SPEECH_VERB.search(part[:80]) and not _MEDIA.search(part[:40]):
        kind = "statement"
    text = f"{part[0].upper()}{part[1:]}."
    ids = tuple(dict.fromkeys(m.entity_id for m in matcher.find(text)))
    if not ids:
        return None
    return ProposedClaim(_claim_id(text, used), text, ids, kind, source, original)


def _check_worthy(part: str) -> bool:
    if len(part) < 25 or part.endswith("?") or _NOT_STANDALONE.match(part):
        return False
    if _SECOND_PERSON.search(part) or _STRONG_OPINION.search(part):
        return False
    return len(_WEAK_OPINION.findall(part)) < 2 and _FINITE.search(part) is not None


def _strip_prefixes(sentence: str) -> tuple[str, str | None]:
    source: str | None = None
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            found = prefix.match(sentence)
            if found is None:
                continue
            src = found.groupdict().get("src")
            if src is not None:
                if not _MEDIA.search(src) and not src[:1].isupper():
                    continue
                source = re.sub(r"^the ", "The ", src.strip())
            sentence = sentence[found.end() :]
            changed = True
    return sentence, source


def _split_compound(body: str) -> list[str]:
    """Split at '; ', ', while ', ', and ' when every piece has a subject and a finite verb."""
    pieces = [p.strip() for p in _SPLITS.split(body)]
    if len(pieces) > 1 and all(_stands_alone(p) for p in pieces):
        return pieces
    return [body]


def _stands_alone(piece: str) -> bool:
    words = piece.split()
    if len(words) < 4 or "," in " ".join(words[:3]):
        return False
    return _AUXILIARY.search(" ".join(words[1:])) is not None


def _claim_id(text: str, used: set[str]) -> str:
    words = [w.casefold() for w in re.findall(r"[A-Za-z0-9]+", text) if w.casefold() not in _STOP]
    base = "-".join(words[:6])[:56].strip("-") or "claim"
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _discover_entities(
    text: str, known: Sequence[EntitySettings], known_matcher: EntityMatcher
) -> tuple[list[EntitySettings], list[str]]:
    """New entities for the names that no known entity covers; ids of known ones named."""
    titles: dict[str, set[str]] = {}
    for found in _TITLED.finditer(text):
        titles.setdefault(found["name"], set()).add(found["title"])
    names = dict.fromkeys([*titles, *(m.group() for m in _CAPS_RUN.finditer(text))])
    taken = {e.id for e in known}
    new: list[EntitySettings] = []
    reused: list[str] = [m.entity_id for m in known_matcher.find(text)]
    for name in names:
        words = name.split()
        while words and (words[0] in _NOT_NAMES or words[0] in _LEADING_TITLES):
            words = words[1:]
        if len(words) < 2 or any(w in _NOT_NAMES for w in words):
            continue
        name = " ".join(words)
        hits = known_matcher.find(name)
        if hits and (hits[-1].end == len(name) or len(hits) > 1):
            continue  # a configured entity already covers it
        if any(name in e.name or e.name in name or name in e.aliases for e in new):
            continue
        kind = _entity_kind(words, name in titles)
        aliases = [words[-1]] if kind == "person" else []
        aliases += sorted(titles.get(name, ()))
        entity_id = _slug(name, taken)
        taken.add(entity_id)
        new.append(EntitySettings(id=entity_id, name=name, kind=kind, aliases=tuple(aliases)))
    covered = {w for e in new for w in e.name.split()}
    for word in _single_names(text):
        if word not in covered and not known_matcher.find(word):
            entity_id = _slug(word, taken)
            taken.add(entity_id)
            new.append(EntitySettings(id=entity_id, name=word))
    return new, list(dict.fromkeys(reused))


def _single_names(text: str) -> list[str]:
    """Capitalised single words used at least twice away from the start of a sentence."""
    counts: dict[str, int] = {}
    for found in _SINGLE.finditer(text):
        before = text[: found.start()].rstrip()
        if before and before[-1] not in '.!?:"“' and found.group() not in _NOT_NAMES:
            counts[found.group()] = counts.get(found.group(), 0) + 1
    return [word for word, count in counts.items() if count >= 2]


def _entity_kind(words: list[str], titled: bool) -> EntityKind:
    if any(w in _ORG_WORDS for w in words):
        return "organization"
    if any(w in _PLACE_WORDS for w in words):
        return "place"
    if titled or (len(words) in (2, 3) and all(re.fullmatch(_NAME, w) for w in words)):
        return "person"
    return "other"


def _slug(name: str, taken: set[str]) -> str:
    base = "-".join(re.findall(r"[a-z0-9]+", name.casefold()))[:60] or "entity"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
