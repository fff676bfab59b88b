"""RuleStance on hand-labelled pairs built from the seed claims, statement claims included."""

from __future__ import annotations

import pytest

from monitor.stance import Judgement, RuleStance, Stance, StanceModel
from monitor.stance.statements import parse_statement

CONTACT = "Elon Musk has been in regular contact with Vladimir Putin since late 2022."
TAIWAN = "Putin asked Musk not to activate Starlink over Taiwan as a favour to Xi Jinping."
ONE_CALL = "The Kremlin says there was only one call between Musk and Putin."
ROLE = "Donald Trump plans to give Elon Musk a government role."
KIRIYENKO = "Musk has spoken with Sergei Kiriyenko, the Kremlin's first deputy chief of staff."

WSJ_REPORT = (
    "The Wall Street Journal reported that Elon Musk has been in regular contact with Vladimir"
    " Putin since late 2022, citing several current and former officials."
)
PESKOV_DENIAL = (
    "Kremlin spokesman Dmitry Peskov on Friday denied that Musk and Putin talk regularly,"
    " saying there was only one call, about space and technology."
)
KREMLIN_CONFIRMS = (
    "The Kremlin confirmed on Tuesday that Elon Musk and Vladimir Putin have been in regular"
    " contact since late 2022."
)
TESLA_EARNINGS = (
    "Tesla reported a rise in quarterly earnings on Wednesday as deliveries of its cheaper models"
    " picked up. Chief executive Elon Musk told analysts that margins would improve next year."
    " Shares rose 4% in after-hours trading."
)
OWN_VOICE = (
    "Elon Musk has been in regular contact with Vladimir Putin since late 2022. The two men"
    " discussed business, geopolitics and personal matters, and the talks continue."
)
HEDGED = (
    "Elon Musk has allegedly been in regular contact with Vladimir Putin since late 2022."
    " Neither man has commented."
)
RELAYED_WITH_PASSING_DENIAL = (
    "A recent report by the Wall Street Journal revealed that Elon Musk has been in regular"
    " contact with Vladimir Putin since late 2022. The conversations reportedly touched on"
    " business and geopolitics. Observers question the timing of the revelations before the"
    " election. Analysts say the story raises questions about private diplomacy. Trump has praised"
    " Musk many times. Kremlin spokesman Dmitry Peskov downplayed the interactions, stating that"
    " there was only one phone call."
)
DECLINED_TO_CONFIRM = (
    "The Kremlin declined to confirm that Elon Musk and Vladimir Putin have been in regular"
    " contact since late 2022."
)
TAIWAN_REPORTED = (
    "Putin asked Musk not to activate Starlink over Taiwan as a favour to Chinese leader Xi"
    " Jinping, the Journal reported."
)
TAIWAN_OWN_VOICE = (
    "Putin asked Musk not to activate Starlink over Taiwan, as a favour to Xi Jinping. Starlink"
    " has never offered service on the island."
)
PESKOV_ONE_CALL = (
    "Peskov said there was only one call between Putin and Musk, and that it was about space"
    " and technology."
)
ROLE_DENIED = "Donald Trump will not give Elon Musk a government role, his campaign said on Monday."
ROLE_ANNOUNCED = (
    "Donald Trump has officially announced that Elon Musk will take a government role, leading"
    " a new efficiency commission."
)
KIRIYENKO_UNRELATED = (
    "Moscow's mayor opened a new metro line on Saturday. Passengers praised the stations,"
    " and officials said two more lines would open next year."
)

QUOTED_DENIAL = (
    '"We have never had regular contact," Musk said of Putin, adding that the 2022 call was a'
    " one-off."
)
RUMOUR_FALSE = (
    "Rumours that Elon Musk has been in regular contact with Vladimir Putin since late 2022 are"
    " false, his lawyer said."
)
OWN_VOICE_THEN_SAID = (
    "Elon Musk has been in regular contact with Vladimir Putin since late 2022. Officials said"
    " the talks covered Taiwan."
)

# Claims that are themselves statements: what the speaker says, carried or not.
PESKOV_SAYS = (
    "Kremlin spokesman Dmitry Peskov says Musk and Putin have spoken only once, in a phone call"
    " about space technology."
)
PESKOV_SAYS_BRIEF = (
    "Kremlin spokesman Dmitry Peskov says there was only one phone call between Musk and Putin,"
    " about space technology."
)
KREMLIN_SAYS = "The Kremlin says there was only one phone call between Musk and Putin."
CONTACT_RUSSIAN_PRESIDENT = (
    "Elon Musk has been in regular contact with Russian President Vladimir Putin since late 2022."
)
PESKOV_FRIDAY = (
    "Kremlin spokesman Dmitry Peskov on Friday denied that Elon Musk and Vladimir Putin are in"
    " regular contact. Peskov said there had been only one phone call between Putin and Musk,"
    " about space and future technologies. He dismissed the report as false."
)
KREMLIN_SPOKESMAN_TOLD = (
    "Moscow rejected the Wall Street Journal's account on Friday. Kremlin spokesman Dmitry Peskov"
    " told reporters there had been only one phone call between Putin and Musk, and called the"
    " rest of the story a fabrication."
)
PESKOV_NEVER_SAID = (
    "A quote circulating online is fake. Peskov never said there was only one phone call between"
    " Musk and Putin about space technology, the Kremlin's press office said on Monday."
)
PESKOV_SAYS_THEY_SPOKE = "Peskov says Musk and Putin have spoken by phone about space technology."
PESKOV_SAYS_NEVER_SPOKE = (
    "Asked about the report, Peskov said Musk and Putin had never spoken by phone, about space"
    " technology or anything else."
)
CASES = [
    ("wsj reported -> reports", CONTACT, WSJ_REPORT, Stance.REPORTS),
    ("peskov denied, only one call -> refutes", CONTACT, PESKOV_DENIAL, Stance.REFUTES),
    ("kremlin confirmed -> supports", CONTACT, KREMLIN_CONFIRMS, Stance.SUPPORTS),
    ("tesla earnings naming musk -> unrelated", CONTACT, TESLA_EARNINGS, Stance.UNRELATED),
    ("asserted in own voice -> supports", CONTACT, OWN_VOICE, Stance.SUPPORTS),
    ("allegedly -> reports", CONTACT, HEDGED, Stance.REPORTS),
    ("quoted first-hand denial -> refutes", CONTACT, QUOTED_DENIAL, Stance.REFUTES),
    ("rumours are false -> refutes", CONTACT, RUMOUR_FALSE, Stance.REFUTES),
    ("own voice, said nearby -> supports", CONTACT, OWN_VOICE_THEN_SAID, Stance.SUPPORTS),
    ("denial in passing -> reports", CONTACT, RELAYED_WITH_PASSING_DENIAL, Stance.REPORTS),
    ("declined to confirm -> reports", CONTACT, DECLINED_TO_CONFIRM, Stance.REPORTS),
    ("negative claim, reported -> reports", TAIWAN, TAIWAN_REPORTED, Stance.REPORTS),
    ("negative claim, own voice -> supports", TAIWAN, TAIWAN_OWN_VOICE, Stance.SUPPORTS),
    ("claim about a statement, carried -> supports", ONE_CALL, PESKOV_ONE_CALL, Stance.SUPPORTS),
    ("negation before the claim verb -> refutes", ROLE, ROLE_DENIED, Stance.REFUTES),
    ("officially announced -> supports", ROLE, ROLE_ANNOUNCED, Stance.SUPPORTS),
    ("nothing in common -> unrelated", KIRIYENKO, KIRIYENKO_UNRELATED, Stance.UNRELATED),
    ("statement carried despite denials -> supports", PESKOV_SAYS, PESKOV_FRIDAY, Stance.SUPPORTS),
    ("statement, brief wording -> supports", PESKOV_SAYS_BRIEF, PESKOV_FRIDAY, Stance.SUPPORTS),
    (
        "same article, regular contact -> refutes",
        CONTACT_RUSSIAN_PRESIDENT,
        PESKOV_FRIDAY,
        Stance.REFUTES,
    ),
    ("config claim, same article -> refutes", CONTACT, PESKOV_FRIDAY, Stance.REFUTES),
    (
        "kremlin says, spokesman quoted -> supports",
        KREMLIN_SAYS,
        KREMLIN_SPOKESMAN_TOLD,
        Stance.SUPPORTS,
    ),
    ("kremlin says, peskov named later -> supports", KREMLIN_SAYS, PESKOV_FRIDAY, Stance.SUPPORTS),
    ("speaker never said it -> refutes", PESKOV_SAYS_BRIEF, PESKOV_NEVER_SAID, Stance.REFUTES),
    (
        "speaker says the opposite -> refutes",
        PESKOV_SAYS_THEY_SPOKE,
        PESKOV_SAYS_NEVER_SPOKE,
        Stance.REFUTES,
    ),
    (
        "statement, unrelated article -> unrelated",
        PESKOV_SAYS,
        KIRIYENKO_UNRELATED,
        Stance.UNRELATED,
    ),
    ("statement, earnings article -> unrelated", KREMLIN_SAYS, TESLA_EARNINGS, Stance.UNRELATED),
]


@pytest.mark.parametrize(
    ("claim", "article", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_stance_of_labelled_pairs(claim: str, article: str, expected: Stance) -> None:
    judgement = RuleStance().judge(claim, article)
    assert judgement.stance is expected
    assert 0.0 <= judgement.confidence <= 1.0
    assert judgement.model_version == "rules-v1"


def test_quote_is_the_best_matching_sentence() -> None:
    judgement = RuleStance().judge(CONTACT, RELAYED_WITH_PASSING_DENIAL)
    assert judgement.quote == (
        "A recent report by the Wall Street Journal revealed that Elon Musk has been in regular"
        " contact with Vladimir Putin since late 2022."
    )


def test_unrelated_has_no_quote() -> None:
    assert RuleStance().judge(CONTACT, TESLA_EARNINGS).quote == ""


@pytest.mark.parametrize("article", ["", "   \n\n  ", "!!! ..."])
def test_empty_or_wordless_article_is_unrelated(article: str) -> None:
    assert RuleStance().judge(CONTACT, article).stance is Stance.UNRELATED


def test_more_overlap_gives_more_confidence() -> None:
    model = RuleStance()
    partial = "Elon Musk has been in contact with Putin, the Journal reported."
    assert model.judge(CONTACT, WSJ_REPORT).confidence > model.judge(CONTACT, partial).confidence


def test_threshold_decides_relatedness() -> None:
    assert RuleStance(related_threshold=0.0).judge(CONTACT, TESLA_EARNINGS).stance is not (
        Stance.UNRELATED
    )
    assert RuleStance(related_threshold=1.0).judge(CONTACT, OWN_VOICE).stance is Stance.SUPPORTS
    partial = "Musk has been in contact with Putin."
    assert RuleStance(related_threshold=1.0).judge(CONTACT, partial).stance is Stance.UNRELATED


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_unit_interval_is_refused(threshold: float) -> None:
    with pytest.raises(ValueError, match="related_threshold"):
        RuleStance(related_threshold=threshold)


def test_rule_stance_is_a_stance_model() -> None:
    model: StanceModel = RuleStance()
    assert model.version == "rules-v1"
    assert isinstance(model.judge(CONTACT, OWN_VOICE), Judgement)


def test_statement_claim_quotes_the_carrying_sentence() -> None:
    judgement = RuleStance().judge(PESKOV_SAYS, PESKOV_FRIDAY)
    assert judgement.quote == (
        "Peskov said there had been only one phone call between Putin and Musk, about space and"
        " future technologies."
    )


@pytest.mark.parametrize(
    ("claim", "speaker", "content"),
    [
        (PESKOV_SAYS, "Kremlin spokesman Dmitry Peskov", "Musk and Putin have spoken only once"),
        (KREMLIN_SAYS, "The Kremlin", "there was only one phone call"),
        ("According to the Kremlin, the call was about space.", "the Kremlin", "the call was"),
        ("There was only one call, Peskov said.", "Peskov", "There was only one call"),
        ("Peskov told reporters that there was one call.", "Peskov", "there was one call"),
    ],
)
def test_statement_claims_are_read_as_speaker_and_content(
    claim: str, speaker: str, content: str
) -> None:
    statement = parse_statement(claim)
    assert statement is not None
    assert statement.speaker == speaker
    assert statement.content.startswith(content)


@pytest.mark.parametrize(
    "claim",
    [
        CONTACT,
        TAIWAN,
        ROLE,
        "United Nations asked to investigate claims of organ harvesting by ISIS.",
        "Sources say Musk and Putin spoke in 2022.",
        "Florida woman claims to have a third arm.",
    ],
)
def test_other_claims_are_not_statements(claim: str) -> None:
    assert parse_statement(claim) is None


@pytest.mark.parametrize("article", [PESKOV_DENIAL, KREMLIN_CONFIRMS, WSJ_REPORT, TESLA_EARNINGS])
def test_read_cues_agrees_with_relatedness_and_an_unthresholded_judgement(article: str) -> None:
    reading = RuleStance().read_cues(CONTACT, article, floor=0.0)
    assert reading.relatedness == RuleStance().relatedness(CONTACT, article)
    assert reading.stance is RuleStance(related_threshold=0.0).judge(CONTACT, article).stance


def test_read_cues_stops_under_the_floor() -> None:
    reading = RuleStance().read_cues(CONTACT, TESLA_EARNINGS, floor=0.99)
    assert reading.stance is None and not reading.contradicted
    assert reading.relatedness == RuleStance().relatedness(CONTACT, TESLA_EARNINGS)


def test_read_cues_sees_a_negated_claim_word_but_not_a_negative_claim() -> None:
    denied = "Donald Trump will not give Elon Musk a government role, his campaign said."
    assert RuleStance().read_cues(ROLE, denied, floor=0.0).contradicted
    assert not RuleStance().read_cues(ROLE, KREMLIN_CONFIRMS, floor=0.0).contradicted
    negative_claim = "Donald Trump will not give Elon Musk a government role."
    assert not RuleStance().read_cues(negative_claim, denied, floor=0.0).contradicted


def test_read_cues_sees_a_denial_in_the_quote_unless_the_claim_is_itself_a_denial() -> None:
    debunked = (
        "The claim that Elon Musk has been in regular contact with Vladimir Putin since late "
        "2022 is false, the Kremlin said."
    )
    assert RuleStance().read_cues(CONTACT, debunked, floor=0.0).contradicted
    assert not RuleStance().read_cues(CONTACT, KREMLIN_CONFIRMS, floor=0.0).contradicted
    hoax_claim = "Reports that Elon Musk talks to Vladimir Putin are a hoax."
    assert not RuleStance().read_cues(hoax_claim, debunked, floor=0.0).contradicted
    not_denied = (
        "The Kremlin did not deny that Elon Musk has been in regular contact with Vladimir Putin "
        "since late 2022."
    )
    assert not RuleStance().read_cues(CONTACT, not_denied, floor=0.0).contradicted


DENYING_LEAD = (
    "Kremlin spokesman Dmitry Peskov on Friday denied that Elon Musk and Vladimir Putin are in "
    "regular contact. He said there had been only one call."
)


@pytest.mark.parametrize(
    ("claim", "article", "expected"),
    [
        (CONTACT, DENYING_LEAD, True),
        # The denial is not the news: it comes after a lead that relays the claim.
        (
            CONTACT,
            "Elon Musk has been in regular contact with Vladimir Putin since late 2022, the Wall "
            "Street Journal reported. The Kremlin denied that the two men are in regular contact.",
            False,
        ),
        # A negated denial is no denial.
        (
            CONTACT,
            "The Kremlin did not deny that Elon Musk and Vladimir Putin have been in regular "
            "contact since late 2022.",
            False,
        ),
        # A denial of something else, with few of the claim's words.
        (CONTACT, "The Kremlin denied that Musk visited Moscow. It said nothing more.", False),
        # The claim is itself negative: a denying lead agrees with it.
        ("Musk and Putin are not in regular contact.", DENYING_LEAD, False),
        # A headline line (no final punctuation) is not the lead.
        (
            CONTACT,
            "Kremlin denies Elon Musk and Vladimir Putin are in regular contact since late 2022\n"
            "The Kremlin spoke on Friday about many things.",
            False,
        ),
    ],
)
def test_read_cues_sees_a_lead_that_denies_the_claim(
    claim: str, article: str, expected: bool
) -> None:
    assert RuleStance().read_cues(claim, article, floor=0.0).lead_denial is expected


PESKOV_SAYS = (
    "Kremlin spokesman Dmitry Peskov says Musk and Putin have spoken only once, in a phone call "
    "about space technology."
)


def test_read_cues_says_whether_a_statement_claim_is_carried() -> None:
    carried = (
        "Kremlin spokesman Dmitry Peskov said on Friday that Musk and Putin have spoken only "
        "once, in a phone call about space technology."
    )
    confirmed = (
        "Officials confirmed that Musk and Putin have spoken many times. The Kremlin confirmed "
        "the calls, spokesman Dmitry Peskov said."
    )
    assert RuleStance().read_cues(PESKOV_SAYS, carried, floor=0.0).statement_carried is True
    assert RuleStance().read_cues(PESKOV_SAYS, confirmed, floor=0.0).statement_carried is False
    assert RuleStance().read_cues(CONTACT, carried, floor=0.0).statement_carried is None
