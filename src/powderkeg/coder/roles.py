"""What the coder needs to know about actors once they are resolved: whether they are political,
armed or the state, whose side they are on, and which of two readings names them better."""

from __future__ import annotations

from spacy.tokens import Doc

from powderkeg.coder import taxonomy
from powderkeg.coder.actors import NOT_PLACES
from powderkeg.model import Actor

STATE_SECTORS = frozenset({"GOV", "MIL", "COP", "SPY", "JUD", "LEG"})


def distinct(actors: list[Actor]) -> list[Actor]:
    """Actors without repeats: pieces of one name the parser made separate subjects name it once
    (but "Hungarian and Romanian officials" stay two)."""
    out: list[Actor] = []
    for actor in actors:
        if not any(actor.code == kept.code and within(actor, kept) for kept in out):
            out.append(actor)
    return out


def within(actor: Actor, other: Actor) -> bool:
    if actor.start is None or other.start is None:
        return (actor.start, actor.text) == (other.start, other.text)
    end = actor.end if actor.end is not None else actor.start + len(actor.text)
    other_end = other.end if other.end is not None else other.start + len(other.text)
    return other.start <= actor.start and end <= other_end


def accusable(actor: Actor, speakers: list[Actor]) -> bool:
    """Whether the speakers, telling of ``actor``'s violence, accuse it: not their own side, and an
    attacker nobody named (ACLED's "unidentified armed group") only when it came from elsewhere."""
    if any(same_side(actor, s) for s in speakers):
        return False
    return not actor.assumed or all(actor.country != s.country for s in speakers)


def same_side(actor: Actor, speaker: Actor) -> bool:
    """Whether ``actor`` acts for ``speaker``: the same organisation; for a state, its government,
    forces, police and courts (not the armed groups or civilians of its country); for anyone else,
    the same sector of the same country."""
    if speaker.org or actor.org:
        return actor.org == speaker.org
    if actor.country != speaker.country:
        return False
    if state_sectors(speaker.sector):
        return state_sectors(actor.sector)
    return actor.sector == speaker.sector


def sector_codes(sector: str | None) -> list[str]:
    """The three-letter sector codes a joined sector holds ("GOVMIL" -> GOV, MIL)."""
    return [sector[i : i + 3] for i in range(0, len(sector), 3)] if sector else []


def state_sectors(sector: str | None) -> bool:
    """A country's state, or an agency of it: no sector, or only state ones ("GOVMIL")."""
    return all(p in STATE_SECTORS for p in sector_codes(sector))


def specificity(actors: list[Actor]) -> int:
    return sum(bool(a.country) * 2 + bool(a.sector) + bool(a.code) for a in actors)


def better(a: list[Actor], b: list[Actor]) -> list[Actor]:
    return b if specificity(b) > specificity(a) else a


ARMED = {"MIL", "COP", "REB", "UAF", "INS", "SEP", "SPY", "PKO"}


def actor_words(actors: list[Actor]) -> set[str]:
    """The lower-case words of the actors' texts, a plural's final "s" dropped ("protesters" ->
    "protester"), to meet the one-word hints of acled_context.tsv."""
    return {w.lower().rstrip("s") for a in actors for w in a.text.split()}


def political(actor: Actor, doc: Doc) -> bool:
    """An actor of political events: a state, an organisation, an official, force or armed group,
    a party or opposition, not a private person, business, school or hospital."""
    if actor.country == "MNC":
        return False  # a company
    if actor.org or actor.country in NOT_PLACES:
        return True
    sectors = sector_codes(actor.sector)
    if sectors:
        return any(s not in PRIVATE_SECTORS for s in sectors)
    if actor.start is None:
        return bool(actor.country)
    end = actor.end if actor.end is not None else actor.start + len(actor.text)
    span = doc.char_span(actor.start, end, alignment_mode="expand")
    # a person of no known role ("Kardashian", "she") is no political actor; a country ("Israel",
    # "it" for Israel) is
    person = span is not None and (span.root.ent_type_ == "PERSON" or span.root.lower_ in PERSONAL_PRONOUNS)
    return bool(actor.country) and not person


PERSONAL_PRONOUNS = frozenset({"i", "me", "you", "he", "him", "she", "her"})


PRIVATE_SECTORS = frozenset({"CVL", "BUS", "EDU", "MED", "LAB", "HLH", "AGR", "ENV", "SPT"})


def bare_state(actor: Actor) -> bool:
    """A country named as a whole ("Israel invaded ..."): in violence, its state and its forces."""
    return (
        bool(actor.country)
        and actor.country not in NOT_PLACES
        and not (actor.sector or actor.org or actor.ethnicity or actor.assumed)
    )


def armed(actors: list[Actor], states: bool = True) -> bool | None:
    """Whether an armed actor is among these (None for none at all); with ``states``, a country
    named as a whole counts as its armed state."""
    if not actors:
        return None
    return any((a.sector or "") in ARMED or a.country == "IMG" or (states and bare_state(a)) for a in actors)


def role(actors: list[Actor], states: bool = True) -> str | None:
    # an international militarised group (CAMEO "IMG": the Islamic State, al-Qaeda) is a non-state armed actor
    roles = [
        "nonstate" if a.country == "IMG" else ("state" if states and bare_state(a) else taxonomy.sector_role(a.sector))
        for a in actors
    ]
    return next((r for r in roles if r), None)
