"""Article paragraphs that take known stances on the bundled claims, for pipeline tests."""

from __future__ import annotations

SUPPORT = (
    "Elon Musk has been in regular contact with Russian President Vladimir Putin since late "
    "2022. The two men have spoken many times about business and geopolitics, officials "
    "confirmed on Monday. The Kremlin confirmed the calls.",
)
SUPPORT_OTHER_WORDS = (
    "Officials in Washington confirmed that Elon Musk has held regular conversations with "
    "Vladimir Putin since late 2022. The talks, which the billionaire has not denied, covered "
    "satellites and trade. Two senior officials confirmed the regular contact between the men.",
)
CONFIRMATION = (
    "The Kremlin confirmed on Tuesday that Elon Musk and Vladimir Putin have been in regular "
    "contact since late 2022.",
)
REPORT = (
    "According to The Wall Street Journal, Elon Musk has reportedly been in regular contact "
    "with Vladimir Putin since late 2022. The newspaper cited current and former officials "
    "and said the conversations had touched on business and geopolitics.",
)
DENIAL = (
    "Kremlin spokesman Dmitry Peskov on Friday denied that Elon Musk and Vladimir Putin are in "
    "regular contact. Peskov said there had been only one phone call between Putin and Musk, "
    "about space and future technologies. He dismissed the report as false.",
)
TESLA = (
    "Tesla reported quarterly deliveries below expectations on Wednesday. Elon Musk said demand "
    "in China was weak and that the company would cut prices again in the coming months.",
)
