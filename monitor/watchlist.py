"""The watchlist as the pipeline uses it: matcher, claim index and stance model, built once. Pure.

`judge_article` finds the tracked entities an article names, the claims it may speak to
(candidate selection), and judges each candidate with the stance model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.match import ClaimIndex, EntityMatcher
from monitor.settings import ClaimSettings, EvidenceSettings, Settings
from monitor.stance import Judgement, StanceModel
from monitor.stance.base import judge_all
from monitor.stance.encoder import ARTICLE_CACHE, BATCH_ARTICLE_CACHE, EncoderStance


def default_stance_model(*, batch_job: bool = False) -> StanceModel:
    """The stance model the product uses everywhere (pipeline, backfill, `monitor stance`): the
    shipped cross-encoder (`monitor.stance.encoder`), loaded lazily on the first related pair.

    `batch_job` keeps more articles tokenized, for one run over many pairs (`--pairs`)."""
    return EncoderStance(article_cache=BATCH_ARTICLE_CACHE if batch_job else ARTICLE_CACHE)


@dataclass(frozen=True)
class ArticleFindings:
    """What one article says about the watchlist."""

    mentions: Mapping[str, int]  # entity id -> occurrences
    judgements: tuple[tuple[str, Judgement], ...]  # (claim id, judgement), best candidate first


@dataclass(frozen=True)
class Watchlist:
    matcher: EntityMatcher
    index: ClaimIndex
    model: StanceModel
    claims: Mapping[str, ClaimSettings]
    denies: Mapping[str, tuple[str, ...]]
    rules: EvidenceSettings

    @classmethod
    def from_settings(cls, settings: Settings, model: StanceModel | None = None) -> Watchlist:
        matcher = EntityMatcher.from_settings(settings.entities)
        return cls(
            matcher=matcher,
            index=ClaimIndex.build(settings.claims, matcher),
            model=model or default_stance_model(),
            claims={c.id: c for c in settings.claims},
            denies={c.id: c.denies for c in settings.claims},
            rules=settings.evidence,
        )

    def judge_article(self, text: str, *, only: frozenset[str] | None = None) -> ArticleFindings:
        """Entities named in `text`, and a judgement for every candidate claim (or only those
        in `only`, for a backfill of changed claims)."""
        mentions = self.matcher.find(text)
        counts = Counter(m.entity_id for m in mentions)
        claims = [
            self.claims[candidate.claim_id]
            for candidate in self.index.candidates(text, mentions)
            if only is None or candidate.claim_id in only
        ]
        judged = judge_all(self.model, [(claim.text, text) for claim in claims])
        judgements = tuple((claim.id, j) for claim, j in zip(claims, judged, strict=True))
        return ArticleFindings(mentions=dict(counts), judgements=judgements)
