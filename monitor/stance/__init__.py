"""Stance stage: what an article does with a claim (supports, refutes, reports, unrelated). Pure."""

from monitor.stance.base import StanceModel
from monitor.stance.rules import RuleStance
from monitor.stance.types import Judgement, Stance

__all__ = ["Judgement", "RuleStance", "Stance", "StanceModel"]
