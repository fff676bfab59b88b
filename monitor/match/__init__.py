"""Match stage: tracked entities in article text and the claims an article may speak to; pure."""

from monitor.match.candidates import Candidate, ClaimIndex, required_entities
from monitor.match.entities import EntityMatcher, EntityMention
from monitor.match.sentences import Sentence, split_sentences

__all__ = [
    "Candidate",
    "ClaimIndex",
    "EntityMatcher",
    "EntityMention",
    "Sentence",
    "required_entities",
    "split_sentences",
]
