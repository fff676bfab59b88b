"""EncoderStance: the shipped stance model, a fine-tuned MiniLM cross-encoder run with ONNX. Pure
(reads its packaged weights once, lazily).

How it judges a (claim, article) pair:
1. The rule baseline's relatedness (lexical overlap, `RuleStance.read_cues`) settles clearly
   off-topic pairs cheaply: under `related_floor` the article is unrelated and the encoder never
   runs. An article of at most `short_words` words (a headline, a brief) has its own floor,
   `short_floor`: it carries fewer of a claim's words even when on topic.
2. Otherwise the encoder reads the claim with the article's most claim-like sentences
   (`passage.select_passage`) and gives probabilities for agree / disagree / discuss /
   unrelated (FNC-1's labels: supports / refutes / reports / unrelated here). Claims that are
   attributed statements ("the Kremlin says ...") go the same way; the rules' statement reading
   (`statements`) is their cue in step 3. Where the model's card has a `negation` reading
   (`Negation`), pairs the encoder finds about agreement or denial are read a second time with
   the claim negated, and both readings are mixed.
3. Calibration chosen on a dev split of FNC-1 train (held out by story, never a test set),
   stored in the model's `model.json`: a bias per label added to the log-probabilities; a bonus
   added to the label the rule baseline's cue words point to (`rule_bonus`); a shift of the
   unrelated score that grows with the relatedness above the floor (`unrelated_slope`: the more
   of the claim's words an article carries, the less the encoder's "unrelated" is trusted: on
   FNC-1 dev it called 78 articles with relatedness 0.6 or more unrelated, and 58 of them
   discuss the claim, 14 agree with it, one disagrees); then a floor on
   the probability of supports and refutes below which the verdict is "reports" (or
   "unrelated", when the encoder itself gives unrelated more than even odds: the rules' cue
   words alone lifted the label, as for an article that names the claim's people and speaks
   of something else).
4. The guards, which turn "supports" into "reports": the quote negates a claim word ("Trump
   will not give Musk a role") or carries a denial cue ("... are false") and the claim is not
   itself negative (the small encoder reads such a quote, full of the claim's words, as
   agreement); or the claim is about what someone says and the article does not carry that
   statement (the project's stance contract: "the Kremlin confirmed the calls" does not
   support "Peskov says they spoke only once").
5. The denying lead: when the article's first sentence of prose denies the claim and carries
   most of its words ("Peskov denied that Musk and Putin are in regular contact", "Reports that
   ... are false"), its central news is the denial (the project's stance contract), and a
   supports or reports verdict becomes "refutes". FNC-1 labels most such articles "discuss",
   so this costs a little on FNC-1 dev (see the model card, model/README.md).

The quote is the article sentence that shares the most words with the claim. Inference batches
pairs (`judge_many`) over `threads` worker threads (default: one per core), one pair per run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from monitor.stance.kernels import exact_storage
from monitor.stance.lexical import ArticleText
from monitor.stance.passage import MAX_WORDS, select_passage
from monitor.stance.rules import CueReading, RuleStance
from monitor.stance.types import Judgement, Stance

LABEL_STANCES = (Stance.SUPPORTS, Stance.REFUTES, Stance.REPORTS, Stance.UNRELATED)
# A supports / refutes under the alert floor is "unrelated" when the encoder gives "unrelated"
# more than this, else "reports".
OFF_TOPIC = 0.5
ARTICLE_CACHE = 128  # articles kept split and tokenized (about 50 KB each)
BATCH_ARTICLE_CACHE = 1024  # for batch jobs over many pairs (`monitor stance --pairs`)
log = logging.getLogger(__name__)
# One loaded runtime per (model directory, worker threads) per process: every watchlist shares it.
_RUNTIMES: dict[tuple[Path, int | None], _Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def packaged_model_dir() -> Path:
    return Path(str(resources.files("monitor.stance") / "model"))


@dataclass(frozen=True)
class Negation:
    """The encoder's second reading of a pair: the claim negated ("It is false that ..."), read
    against the same passage. Its agree is evidence of a denial and its disagree of agreement,
    so its probabilities, agree and disagree swapped, are mixed into the first reading's with
    `weight`. Only pairs whose first reading gives agree + disagree at least `gate` are read
    twice: the rest are about something else or only report the claim.

    Why: the small encoder reads a denial full of the claim's words ("Peskov denied that Musk and
    Putin are in regular contact") as agreement more often than as disagreement, and FNC-1 train
    has few denials (8% of related pairs). The negated claim turns a denial into agreement,
    which the encoder learned from far more examples. Measured on FNC-1 dev (cross-validated by
    story; see the model card, model/README.md), it lifted disagree F1 from 0.305 to 0.327."""

    prefix: str
    weight: float
    gate: float

    def claim(self, claim: str) -> str:
        """The claim as the second reading reads it (the tokenizer is uncased)."""
        return self.prefix + claim.strip()

    def gated(self, probabilities: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Which rows (of first-reading probabilities, one row per pair) are read twice."""
        result: np.ndarray[Any, Any] = probabilities[:, 0] + probabilities[:, 1] >= self.gate
        return result

    def mix(
        self, plain: np.ndarray[Any, Any], negated: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Both readings' probabilities of the same pairs, as one (rows of four, summing to 1)."""
        swapped = negated[:, [1, 0, 2, 3]]
        result: np.ndarray[Any, Any] = (1.0 - self.weight) * plain + self.weight * swapped
        return result

    def card_fields(self) -> dict[str, Any]:
        return {"negation": {"prefix": self.prefix, "weight": self.weight, "gate": self.gate}}


@dataclass(frozen=True)
class ModelCard:
    """model.json: what the model is, where it came from, and its calibration."""

    version: str
    onnx_sha256: str
    max_length: int
    related_floor: float
    label_bias: tuple[float, float, float, float]
    alert_floor: float  # minimum probability for supports / refutes, else reports
    rule_bonus: tuple[float, float, float, float]  # added to the rule baseline's label's score
    max_words: int = MAX_WORDS  # article words in the passage the encoder reads (as in training)
    # Added to the unrelated score per unit of relatedness above `related_floor` (0: none).
    unrelated_slope: float = 0.0
    negation: Negation | None = None  # the second reading, when the model has one
    # Articles of at most `short_words` words (a headline, a brief) have their own relatedness
    # floor: they carry fewer of a claim's words even when on topic (0: no such articles).
    short_words: int = 0
    short_floor: float = 0.0

    @classmethod
    def read(cls, directory: Path) -> ModelCard:
        data = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        return cls(
            version=data["version"],
            onnx_sha256=data["onnx_sha256"],
            max_length=int(data["max_length"]),
            related_floor=float(data["related_floor"]),
            label_bias=tuple(float(b) for b in data["label_bias"]),  # type: ignore[arg-type]
            alert_floor=float(data["alert_floor"]),
            rule_bonus=tuple(float(b) for b in data.get("rule_bonus", (0.0,) * 4)),  # type: ignore[arg-type]
            max_words=int(data.get("max_words", MAX_WORDS)),
            unrelated_slope=float(data.get("unrelated_slope", 0.0)),
            negation=(
                Negation(
                    prefix=str(data["negation"]["prefix"]),
                    weight=float(data["negation"]["weight"]),
                    gate=float(data["negation"]["gate"]),
                )
                if data.get("negation")
                else None
            ),
            short_words=int(data.get("short_words", 0)),
            short_floor=float(data.get("short_floor", data["related_floor"])),
        )

    def floor(self, article: ArticleText) -> float:
        """The relatedness under which `article` is unrelated to a claim without the encoder."""
        return self.short_floor if article.words <= self.short_words else self.related_floor

    def unrelated_shift(self, relatedness: float) -> float:
        """What `decide_label` adds to the unrelated score of a pair with this relatedness: none
        under `related_floor` (a short article's pair past its own floor)."""
        return self.unrelated_slope * max(relatedness - self.related_floor, 0.0)


def model_feed(encoding: Any, inputs: set[str]) -> dict[str, np.ndarray[Any, Any]]:
    """The model's inputs for one tokenized pair (a batch of one, unpadded), those of `inputs`
    that the graph takes."""
    feed = {
        "input_ids": np.array([encoding.ids], dtype=np.int64),
        "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
    }
    return {name: value for name, value in feed.items() if name in inputs}


class _Runtime:
    """The ONNX session and tokenizer, loaded together on first use.

    Every pair runs alone (batch of one, no padding): dynamic int8 quantization scales each input
    tensor as a whole, so a pair batched with others would get slightly different probabilities
    depending on its batch mates. `workers` threads share the session, each running one pair on
    one core; measured on 2 cores this is also about twice as fast as padded batches.
    """

    def __init__(self, directory: Path, card: ModelCard, workers: int | None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        weights = (directory / "model.onnx").read_bytes()
        digest = hashlib.sha256(weights).hexdigest()
        if digest != card.onnx_sha256:
            raise RuntimeError(
                f"stance model {directory}: sha256 {digest} is not {card.onnx_sha256}"
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.onnx_sha256 = digest
        # The same numbers on every CPU, on its fastest exact integer kernel (`kernels`).
        weights, self.kernel = exact_storage(weights)
        self.session = onnxruntime.InferenceSession(
            weights, options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.enable_truncation(card.max_length, strategy="only_second")
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="stance")
        log.info(
            "stance model loaded",
            extra={"model": card.version, "kernel": self.kernel, "threads": self.workers},
        )

    def _run(self, encoding: Any) -> np.ndarray[Any, Any]:
        (logits,) = self.session.run(None, model_feed(encoding, self.inputs))
        row: np.ndarray[Any, Any] = logits[0]
        return row

    def read(
        self, pairs: Sequence[tuple[str, str]], negation: Negation | None
    ) -> np.ndarray[Any, Any]:
        """The probabilities of (claim, passage) pairs in float64, with the negated claim's reading
        mixed in where `negation` gates it: what `EncoderStance` decides on, and what the
        calibration replays (`export.read_dev`)."""
        probabilities = self.probabilities(pairs).astype(np.float64)
        if negation is not None:
            rows = [int(r) for r in np.flatnonzero(negation.gated(probabilities))]
            if rows:
                negated = self.probabilities(
                    [(negation.claim(pairs[r][0]), pairs[r][1]) for r in rows]
                )
                probabilities[rows] = negation.mix(probabilities[rows], negated)
        return probabilities

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray[Any, Any]:
        """Softmax over the four labels, one row per (claim, passage) pair."""
        if not pairs:
            return np.zeros((0, len(LABEL_STANCES)))
        encodings = self.tokenizer.encode_batch(list(pairs))
        logits = np.stack(list(self._pool.map(self._run, encodings)))
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: np.ndarray[Any, Any] = exp / exp.sum(axis=1, keepdims=True)
        return result


class EncoderInput(NamedTuple):
    """A pair past the first stage (`EncoderStance.screen`): what the encoder reads and what
    the decision after it needs."""

    position: int  # of the pair, in the caller's order
    claim: str
    passage: str  # the article's most claim-like sentences (`select_passage`)
    quote: str
    cue: int  # the rules' label (index into LABEL_STANCES)
    reading: CueReading  # what the rules read in the pair


class EncoderStance:
    """The product's stance model; see the module docstring."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        threads: int | None = None,
        article_cache: int = ARTICLE_CACHE,
    ) -> None:
        self.directory = directory or packaged_model_dir()
        self.card = ModelCard.read(self.directory)
        self._threads = threads
        self._runtime: _Runtime | None = None
        # Recently judged articles, split and tokenized: one article is judged against many
        # claims, in one call (the pipeline) or across calls (`monitor stance --pairs`).
        self._articles: OrderedDict[str, ArticleText] = OrderedDict()
        self._article_cache = article_cache
        self._articles_lock = threading.Lock()
        self._rules = RuleStance(related_threshold=self.card.related_floor)

    @property
    def version(self) -> str:
        return self.card.version

    def _loaded(self) -> _Runtime:
        if self._runtime is None:
            key = (self.directory.resolve(), self._threads)
            with _RUNTIMES_LOCK:
                runtime = _RUNTIMES.get(key)
                if runtime is None or runtime.onnx_sha256 != self.card.onnx_sha256:
                    runtime = _Runtime(self.directory, self.card, self._threads)
                    _RUNTIMES[key] = runtime
            self._runtime = runtime
        return self._runtime

    def judge(self, claim: str, article: str) -> Judgement:
        return self.judge_many([(claim, article)])[0]

    def judge_many(self, pairs: Sequence[tuple[str, str]]) -> list[Judgement]:
        """Judge many pairs at once (batched inference); results in input order."""
        results, pending = self.screen(pairs)
        if pending:
            probabilities = self._probabilities([(p.claim, p.passage) for p in pending])
            for item, row in zip(pending, probabilities, strict=True):
                judgement = self._decide(
                    [float(p) for p in row], item.cue, item.reading, item.quote
                )
                results[item.position] = judgement
        return [r for r in results if r is not None]

    def screen(
        self, pairs: Sequence[tuple[str, str]]
    ) -> tuple[list[Judgement | None], list[EncoderInput]]:
        """The cheap first stage (step 1 of the module docstring): the verdicts of the pairs
        under their relatedness floor, in input order (None for the rest), and what the encoder
        is to read of the rest. Needs no runtime."""
        results: list[Judgement | None] = [None] * len(pairs)
        pending: list[EncoderInput] = []
        for index, (claim, raw) in enumerate(pairs):
            article = self._article(raw)
            floor = self.card.floor(article)
            reading = self._rules.read_cues(claim, article, floor=floor)
            if reading.stance is None:
                shortfall = 1.0 - reading.relatedness / floor if floor > 0 else 0.0
                results[index] = Judgement(
                    Stance.UNRELATED, round(0.5 + 0.4 * shortfall, 3), "", self.version
                )
                continue
            passage = select_passage(claim, article, max_words=self.card.max_words)
            cue = LABEL_STANCES.index(reading.stance)
            pending.append(
                EncoderInput(index, claim, passage.text, passage.best_sentence, cue, reading)
            )
        return results, pending

    def _probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray[Any, Any]:
        return self._loaded().read(pairs, self.card.negation)

    @property
    def loaded(self) -> bool:
        """Whether the ONNX runtime has been loaded (on the first pair that reaches it)."""
        return self._runtime is not None

    @property
    def articles_cached(self) -> int:
        return len(self._articles)

    def _article(self, raw: str) -> ArticleText:
        with self._articles_lock:
            article = self._articles.get(raw)
            if article is not None:
                self._articles.move_to_end(raw)
                return article
        article = ArticleText.read(raw)
        with self._articles_lock:
            self._articles[raw] = article
            while len(self._articles) > self._article_cache:
                self._articles.popitem(last=False)
        return article

    def _decide(
        self, probabilities: list[float], cue: int, reading: CueReading, quote: str
    ) -> Judgement:
        card = self.card
        shift = card.unrelated_shift(reading.relatedness)
        label = decide_label(probabilities, cue, card.label_bias, card.rule_bonus, shift)
        stance = LABEL_STANCES[label]
        confidence = probabilities[label]
        weak = label < 2 and confidence < self.card.alert_floor
        if weak and probabilities[3] > OFF_TOPIC:
            # Only the rules' cue words lifted this label; the encoder reads another subject.
            stance, confidence = Stance.UNRELATED, probabilities[3]
        elif weak or (label == 0 and reading.blocks_support):
            stance, confidence = Stance.REPORTS, probabilities[2] + probabilities[label]
        if reading.lead_denial and stance in (Stance.SUPPORTS, Stance.REPORTS):
            stance, confidence = Stance.REFUTES, 1.0 - probabilities[3]
        if stance is Stance.UNRELATED:
            quote = ""
        return Judgement(stance, round(min(max(confidence, 0.0), 1.0), 3), quote, self.version)


def decide_label(
    probabilities: Sequence[float],
    cue: int,
    bias: Sequence[float],
    rule_bonus: Sequence[float],
    unrelated_shift: float = 0.0,
) -> int:
    """The label (index into LABEL_STANCES) with the best calibrated score."""
    scores = [math.log(max(p, 1e-9)) + b for p, b in zip(probabilities, bias, strict=True)]
    scores[cue] += rule_bonus[cue]
    scores[3] += unrelated_shift
    return max(range(len(scores)), key=scores.__getitem__)
