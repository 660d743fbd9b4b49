"""Noun phrases to coded actors: dictionaries, agent words, demonyms, ethnicity, context.

"Serbian Prime Minister Ana Brnabic" -> SRBGOV (dictionary, dated), "Kosovar police officer" ->
XKXCOP (demonym + agent), "ethnic-Serb locals" -> XKXCVLSRB (ethnic attribute, country from the
place the story is about), "NATO's Kosovo Force (KFOR)" -> the IGO KFOR.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from spacy.tokens import Doc, Span, Token

from powderkeg.coder import taxonomy
from powderkeg.coder.dictionaries import Dictionaries, split_code
from powderkeg.model import Actor

# dependency labels of a noun's left modifiers that belong to its phrase
_PHRASE_LEFT = {"compound", "amod", "nmod", "poss", "det", "nummod", "quantmod", "punct", "case", "advmod", "npadvmod"}
_ETHNIC_MARKERS = {"ethnic", "ethnically"}
_MAJORITY = {"majority", "dominated", "populated", "minority"}
_PRONOUNS_PLURAL = {"they", "them", "their"}
_PRONOUNS_SINGULAR = {"it", "its", "he", "him", "his", "she", "her"}
_PERSONAL = {"he", "him", "his", "she", "her"}
_IMPERSONAL = {"it", "its"}


# CAMEO "country" codes that are no place: international organisations, NGOs, multinationals and
# international militarised groups (the Islamic State); never a context country
NOT_PLACES = frozenset({"IGO", "NGO", "MNC", "IMG"})
# a document's dictionary matches, kept on the spaCy Doc (matching a whole text is not cheap)
_DOC_MATCHES = "powderkeg.actor_matches"


@dataclass
class Match:
    start: int  # token index within the document
    end: int
    country: str | None
    sector: str | None
    org: str | None
    code: str | None
    kind: str  # "actor" or "agent"
    alternatives: tuple[str, ...] = ()  # other countries a place's name may stand for ("[LBN/USA]")
    qualified: bool = False  # a place's name whose country the name after it settles ("Athens, Georgia")

    @property
    def place_name(self) -> bool:
        """A country's, state's or town's name, coded as the country alone (no sector, no organisation)."""
        return self.kind == "actor" and self.country not in (None, *NOT_PLACES) and self.code == self.country


@dataclass
class PlaceRun:
    """A place name the geoparser resolved: its tokens, country and lower-cased words."""

    start: int
    end: int
    country: str
    name: str


@dataclass
class Geography:
    """Where a document's places lie, for names that are a country's and also a place's elsewhere."""

    runs: list[PlaceRun]
    demonyms: frozenset[str]  # countries the document names by a demonym ("Lebanese")
    qualified: dict[str, str]  # names the text places, to their country ("lebanon": "USA" for "Lebanon, Indiana")


@dataclass
class ArticleContext:
    """What the coder knows about the whole article while coding one sentence."""

    published: date | None
    countries: Counter[str] = field(default_factory=Counter)  # country mentions in the article
    previous: list[Actor] = field(default_factory=list)  # actors of the previous sentence
    sentence_countries: dict[int, Counter[str]] = field(default_factory=dict)  # by sentence start
    token_places: dict[int, str] | None = None  # token index -> ISO3 country of the place name it is in
    geography: Geography | None = None  # made with token_places

    def dominant_country(self, exclude: Iterable[str] = ()) -> str | None:
        skip = set(exclude) | NOT_PLACES
        for country, _ in self.countries.most_common():
            if country not in skip:
                return country
        return None


class ActorResolver:
    """Resolves the noun phrase headed by a token into coded actors."""

    def __init__(
        self,
        dictionaries: Dictionaries,
        partitives: Iterable[str] = (),
        place_index: Callable[[Doc], dict[int, str]] | None = None,
        international: Iterable[str] = (),
        intergovernmental: Iterable[str] = (),
        installations: Iterable[str] = (),
    ) -> None:
        self.installations = frozenset(installations)
        self.dicts = dictionaries
        self.partitives = frozenset(partitives)
        self.international = frozenset(international)
        self.intergovernmental = frozenset(intergovernmental)
        # a document -> the ISO3 country of each token of the place names the geoparser resolved in it
        self.place_index = place_index

    # -- dictionary matching over token runs ------------------------------------------------

    def matches(self, tokens: list[Token], day: date | None, ctx: ArticleContext | None = None) -> list[Match]:
        """Longest dictionary matches (actors first, then agents) over a run of tokens. With the
        article's context, a place's name stands for the country of the place it names there
        ("Lebanon, Indiana": the USA; see :meth:`_place_name_country`)."""
        words = [t.lower_ for t in tokens]
        found: list[Match] = []
        i = 0
        while i < len(words):
            if _stance(tokens[i]):
                i += 1  # "pro-Russian separatists", "an anti-Syria journalist": an attitude, no nationality
                continue
            hit = self.dicts.actors.match(words, i)
            if hit:
                end, entry = hit
                code = entry.code_on(day)
                if code and end - i == 1 and self._common_word(tokens[i], code):
                    code = None
                if code:
                    country, sector, org = split_code(code, self.dicts.countries)
                    others = tuple(c for alt in entry.alternatives_on(day) if (c := self._bare_country(alt)))
                    found.append(Match(tokens[i].i, tokens[end - 1].i + 1, country, sector, org, code, "actor", others))
                    i = end
                    continue
            agent = self.dicts.agents.match(words, i)
            if agent:
                end, agent_entry = agent
                found.append(Match(tokens[i].i, tokens[end - 1].i + 1, None, agent_entry.code, None, None, "agent"))
                i = end
                continue
            i += 1
        if found:
            _qualified_places(found, tokens[0].doc)
        if ctx is not None and found:
            self._place_names(found, tokens[0].doc, ctx)
        return found

    def _common_word(self, token: Token, code: str) -> bool:
        """A place's name written in lower case is a common word: "us", "male", "turkey"."""
        return token.is_lower and self._bare_country(code) is not None and self.demonym(token) is None

    def _bare_country(self, code: str) -> str | None:
        country, sector, org = split_code(code, self.dicts.countries)
        return country if sector is None and org is None and country not in NOT_PLACES else None

    # -- names of places --------------------------------------------------------------------

    def _place_names(self, found: list[Match], doc: Doc, ctx: ArticleContext) -> None:
        for m in found:
            if not m.place_name or m.qualified or self._is_demonym_match(m, doc[m.start]):
                continue
            country = self._place_name_country(m, doc, ctx)
            if country is not None and country != m.country:
                m.country = m.code = country

    def _place_name_country(self, match: Match, doc: Doc, ctx: ArticleContext) -> str | None:
        """The country a dictionary's place name stands for in this document, one for all its
        mentions: the one the text gives it elsewhere ("Lebanon, Indiana" further down); else the
        one the geoparser resolves most of its mentions to, where that is not the dictionary's
        ("Lebanon Police Department" in a story it places in Indiana, "the Georgia Bureau of
        Investigation" in a story set in Atlanta); else, for a name that is also a place
        elsewhere, the country the article's places lie in (see :meth:`_home_country`)."""
        geography = self.geography(doc, ctx)
        if geography is None or ctx.token_places is None:
            return None
        name = _name_of(doc[match.start : match.end])
        if name in geography.qualified:
            return geography.qualified[name]
        resolved = Counter(r.country for r in geography.runs if r.name == name)
        if resolved:
            most = max(resolved.values())
            leaders = [c for c, n in resolved.items() if n == most]
            if match.country not in leaders:
                here = ctx.token_places.get(match.end - 1)
                return here if here in leaders else leaders[0]
        return self._home_country(match, name, geography)

    def _home_country(self, match: Match, name: str, geography: Geography) -> str | None:
        """The country of the article's places for a name the dictionary gives another country,
        when nothing else in the story is in that country (no other place, no demonym) and the
        name is a place of the article's country: the geoparser put one of its mentions there and
        half the article's places lie there, or the dictionary lists it as a place of that country
        too ("[LBN/USA]") and the article's places clearly lie there (three in four, two of them
        places the dictionaries do not list, such as counties and small towns: local news)."""
        others = [r for r in geography.runs if r.name != name]
        if match.country in geography.demonyms or any(r.country == match.country for r in others):
            return None
        counts = Counter(r.country for r in others)
        if not counts:
            return None
        home, n = counts.most_common(1)[0]
        if any(r.name == name and r.country == home for r in geography.runs) and 2 * n >= len(others):
            return home
        local = {r.name for r in others if r.country == home and not self._listed(r)}
        if home in match.alternatives and 4 * n >= 3 * len(others) and len(local) >= 2:
            return home
        return None

    def _listed(self, run: PlaceRun) -> bool:
        """Whether a place is one the actor dictionaries list (a country, a capital, a big city)."""
        words = run.name.split()
        hit = self.dicts.actors.match(words, 0)
        return hit is not None and hit[0] == len(words)

    def geography(self, doc: Doc, ctx: ArticleContext) -> Geography | None:
        """Where the document's places lie, as the geoparser resolved them (once per document;
        None without a geoparser). The first time, the article's and sentences' country counts
        are made again, with each place's name counted for the country it names there."""
        if self.place_index is None:
            return None
        if ctx.geography is None:
            if ctx.token_places is None:
                ctx.token_places = self.place_index(doc)
            matches = self._doc_matches(doc, ctx.published)
            demonyms = frozenset(c for t in doc if _may_be_demonym(t) and (c := self.demonym(t)))
            ctx.geography = Geography(_place_runs(doc, ctx.token_places), demonyms, _qualified_names(matches, doc))
            dictionary_countries = [m.country for m in matches]
            self._place_names(matches, doc, ctx)
            if [m.country for m in matches] != dictionary_countries:
                mentions = self._count_mentions([t for t in doc if not t.is_space], matches)
                ctx.sentence_countries = {s.start: mentions.get(s.start, Counter()) for s in doc.sents}
                ctx.countries = Counter()
                for counts in mentions.values():
                    ctx.countries.update(counts)
        return ctx.geography

    def _doc_matches(self, doc: Doc, day: date | None) -> list[Match]:
        """The dictionary matches of a whole document (copies: made once per document and day)."""
        key = (id(self.dicts), day)
        cached = doc.user_data.get(_DOC_MATCHES)
        if cached is None or cached[0] != key:
            cached = doc.user_data[_DOC_MATCHES] = (key, self.matches([t for t in doc if not t.is_space], day))
        return [replace(m) for m in cached[1]]

    def demonym(self, token: Token) -> str | None:
        if _stance(token):
            return None
        return self.dicts.countries.country_for_demonym(token.lower_)

    def article_countries(
        self, doc_or_span: Iterable[Token], day: date | None, ctx: ArticleContext | None = None
    ) -> Counter[str]:
        """Country mentions (names and demonyms) in a text, for context."""
        counts: Counter[str] = Counter()
        for by_sentence in self.country_mentions(doc_or_span, day, ctx).values():
            counts.update(by_sentence)
        return counts

    def country_mentions(
        self, doc_or_span: Iterable[Token], day: date | None, ctx: ArticleContext | None = None
    ) -> dict[int, Counter[str]]:
        """Country mentions (names and demonyms) in a text, by the start token of their sentence;
        with ``ctx``, place names count for the country they name there (see :meth:`matches`)."""
        tokens = [t for t in doc_or_span if not t.is_space]
        if not tokens:
            return defaultdict(Counter)
        if isinstance(doc_or_span, Doc):
            matches = self._doc_matches(doc_or_span, day)
            if ctx is not None:
                self._place_names(matches, doc_or_span, ctx)
        else:
            matches = self.matches(tokens, day, ctx)
        return self._count_mentions(tokens, matches)

    def _count_mentions(self, tokens: list[Token], matches: list[Match]) -> dict[int, Counter[str]]:
        found: dict[int, Counter[str]] = defaultdict(Counter)
        doc = tokens[0].doc
        sentence_of = {i: sent.start for sent in doc.sents for i in range(sent.start, sent.end)}
        for m in matches:
            if m.kind == "actor" and m.country and not _part_of_longer_name(m, doc):
                found[sentence_of[m.start]][m.country] += 1
        for t in tokens:
            if _may_be_demonym(t):
                c = self.demonym(t)
                if c:
                    found[sentence_of[t.i]][c] += 1
        return found

    # -- phrases ----------------------------------------------------------------------------

    def resolve(self, head: Token, ctx: ArticleContext, allow_place: bool = False) -> list[Actor]:
        """Actors for the phrase headed by ``head``, one per conjunct ("police and judges").

        With ``allow_place``, a place phrase that names a country ("to Serb-majority towns in
        northern Kosovo") stands for the people there: the country, with any ethnic attribute.
        """
        # a name the parser broke up ("Barack" as subject, "Obama" under it) keeps its conjuncts
        name = _entity(head) if head.ent_type_ in _NAME_ENTITIES else [head]
        heads = [head]
        for part in name:
            heads += [c for c in part.conjuncts if c.i > name[-1].i and _is_conjunct(part, c) and c not in heads]
        actors: list[Actor] = []
        for h in heads:
            actor = self.resolve_one(h, ctx, allow_place)
            if actor is None:
                continue
            if actors:
                # conjuncts share the first one's modifiers: "ethnic Serbian police, judges and officials"
                actor.country = actor.country or actors[0].country
                actor.ethnicity = actor.ethnicity or actors[0].ethnicity
            actors.append(actor)
            for token, country in self._conjoined_demonyms(h):
                # "Hungarian and Romanian officials": one actor per country
                twin = Actor(text=f"{token.text} {h.text}", country=country, sector=actor.sector, org=actor.org,
                             ethnicity=actor.ethnicity, start=token.idx, end=h.idx + len(h))  # fmt: skip
                actors.append(twin)
        # a trailing location ("... and officials in Kosovo") applies back to earlier conjuncts
        located = next((a.country for a in reversed(actors) if a.country), None)
        for actor in actors:
            actor.country = actor.country or located
            if actor.country is None:
                actor.country = self._context_country(head, actor, ctx)
            stale = actor.sector is not None and actor.sector not in (actor.code or "")  # a garrison's sector
            if actor.code is None or actor.ethnicity or stale or not actor.code.startswith(actor.country or "\0"):
                actor.code = compose_code(actor)
        return actors

    def _conjoined_demonyms(self, head: Token) -> list[tuple[Token, str]]:
        out: list[tuple[Token, str]] = []
        for mod in head.lefts:
            if mod.dep_ in ("amod", "compound") and self.demonym(mod):
                out += [(c, country) for c in mod.conjuncts if c.i > mod.i and (country := self.demonym(c))]
        return out

    def context_country_of(self, token: Token, ctx: ArticleContext) -> str | None:
        """The country a token's sentence, else its article, is about."""
        return self._context_country(token, Actor(text=""), ctx)

    def _context_country(self, head: Token, actor: Actor, ctx: ArticleContext) -> str | None:
        """For an actor its phrase does not place: the country the sentence, else the article, is about
        (never the actor's own ethnic homeland: "ethnic-Serb locals" in a Kosovo story are in Kosovo)."""
        exclude = {actor.ethnicity.upper()} if actor.ethnicity else set()
        sent = head.sent
        self.geography(head.doc, ctx)  # place names are counted for the country they name here
        counts = ctx.sentence_countries.get(sent.start)
        if counts is None:  # computed once per sentence, however many actors need it
            counts = ctx.sentence_countries[sent.start] = self.article_countries(sent, ctx.published, ctx)
        for country, _ in counts.most_common():
            if country not in exclude and country not in NOT_PLACES:
                return country
        if ctx.token_places is not None:  # no country named: the places the geoparser found in the sentence
            places = Counter(c for i, c in ctx.token_places.items() if sent.start <= i < sent.end)
            for country, _ in places.most_common():
                if country not in exclude:
                    return country
        named = ctx.dominant_country(exclude)
        if named is not None or ctx.token_places is None:
            return named
        # no country named in the whole story (local news names towns): where its places lie
        whole = Counter(ctx.token_places.values())
        return next((c for c, _ in whole.most_common() if c not in exclude and c not in NOT_PLACES), None)

    def _is_demonym_match(self, match: Match, head: Token) -> bool:
        return match.end - match.start == 1 and self.demonym(head.doc[match.start]) is not None

    def _partitive_object(self, head: Token) -> Token | None:
        """ "thousands of protesters", "a group of gunmen", "members of Hamas": the people are the object."""
        if head.pos_ != "NUM" and head.lemma_.lower() not in self.partitives:
            return None
        for prep in head.rights:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                return next((o for o in prep.children if o.dep_ == "pobj"), None)
        return None

    def _phrase_tokens(self, head: Token) -> list[Token]:
        left = [t for t in head.lefts if t.dep_ in _PHRASE_LEFT]
        tokens: list[Token] = []
        for t in left:
            tokens.extend(t.subtree)
        tokens.append(head)
        if head.ent_type_ in _NAME_ENTITIES:
            tokens.extend(_entity(head))
        for t in head.rights:
            if t.dep_ in ("appos", "compound", "flat") or (t.dep_ == "punct" and t.text in "()"):
                tokens.extend(t.subtree)
        return sorted({t.i: t for t in tokens}.values(), key=lambda t: t.i)

    def resolve_one(self, head: Token, ctx: ArticleContext, allow_place: bool = False) -> Actor | None:
        """The actor a single noun phrase names, placed by its own words only (no context)."""
        if head.pos_ == "PRON":
            return self._pronoun(head, ctx)
        of_phrase = self._partitive_object(head)
        if of_phrase is not None:
            return self.resolve_one(of_phrase, ctx, allow_place)
        tokens = self._phrase_tokens(head)
        group = self._ethnic_group(head, tokens, ctx)
        if group is not None:
            return group
        matches = self.matches(tokens, ctx.published, ctx)
        covering = [m for m in matches if m.start <= head.i < m.end]
        actor_match = next((m for m in covering if m.kind == "actor"), None)
        agent_match = next((m for m in covering if m.kind == "agent"), None)
        name_tail: list[Token] = []
        if actor_match is None and agent_match is None:
            institution = self._institution(head, matches)
            if institution is not None:
                agent_match, name_tail = institution
        if not covering and head.like_num and head.dep_ in ("dobj", "nsubjpass"):
            # "killing one person and arresting 12": a bare number done to is people
            agent_match = Match(head.i, head.i + 1, None, "CVL", None, None, "agent")
        appos = [m for m in matches if m.kind == "actor" and m.start > head.i]
        if actor_match is None and agent_match is None and appos:
            actor_match = appos[0]
        if actor_match is None and agent_match is None:
            # "the al-Qaeda terror network", "the Hamas leadership": the named modifier is the actor
            titled = head.ent_type_ == "PERSON" and any(m.kind == "agent" for m in matches)
            named = [
                m
                for m in matches
                if m.kind == "actor"
                and m.end <= head.i
                and not self._is_demonym_match(m, head)
                and not any(t.pos_ in ("VERB", "AUX") for t in head.doc[m.end : head.i])  # a clause, not a name
                and not _inside_name(m, head)  # "Omar Hassan al-Bashir" is not a "Hassan"
                and not (titled and m.place_name)  # "New York Attorney General Letitia James": the title
            ]
            if named:
                actor_match = named[-1]
        adopted = False
        if actor_match is None and agent_match is not None and _member_of_named(agent_match.sector):
            # "Hezbollah forces", "Taliban fighters", "Islamic State group extremists": the named group
            # acts (its supporters, victims or critics would not be it)
            groups = [
                m
                for m in matches
                if m.kind == "actor"
                and m.end <= agent_match.start
                and _names_a_group(m)
                and not _inside_name(m, head)
                and not any(t.pos_ in ("VERB", "AUX", "ADP") for t in head.doc[m.end : agent_match.start])
            ]
            if groups:
                actor_match = groups[-1]
                adopted = True
        if actor_match is None and agent_match is None:
            if head.ent_type_ == "PERSON":
                # a named person we have no entry for: a title word may still give the sector
                agent_match = next((m for m in matches if m.kind == "agent"), None)
            if agent_match is None:
                return self._place(head, tokens, ctx) if allow_place else self._unknown_named(head, tokens, ctx)

        named = sorted({t.i: t for t in tokens + name_tail}.values(), key=lambda t: t.i)
        actor = Actor(text=_span_text(named), start=named[0].idx, end=named[-1].idx + len(named[-1]))
        if actor_match is not None:
            actor.country, actor.sector, actor.org = actor_match.country, actor_match.sector, actor_match.org
            actor.code = actor_match.code
            of_country = self._of_country(head, ctx) if actor_match.end - actor_match.start == 1 else None
            if of_country and of_country != actor.country:
                # "King Hassan of Morocco": a one-word name is ambiguous, the text says whose he is
                actor.country, actor.code = of_country, None
            if actor.country is not None and actor.country != "IGO" and agent_match is not None:
                actor.sector = actor.sector or agent_match.sector
            if adopted and agent_match is not None and not _armed_group_sector(actor.sector):
                actor.sector = agent_match.sector  # "UN officials", "al-Qaeda leaders": what the agent word says
        else:
            assert agent_match is not None
            actor.sector = agent_match.sector

        # modifiers: other dictionary names ("Kosovo's government"), demonyms, ethnic markers
        ethnic_marked = any(t.lower_ in _ETHNIC_MARKERS or t.lower_.startswith("ethnic") for t in tokens)
        demonyms: list[tuple[Token, str]] = []
        for t in tokens:
            if t.i == head.i or (actor_match and actor_match.start <= t.i < actor_match.end):
                continue
            if t.dep_ == "conj" and self.demonym(t.head):
                continue  # a second country in "Hungarian and Romanian officials": its own actor
            country = self.demonym(t)
            if country:
                demonyms.append((t, country))
        # named modifiers ("Kosovo's government"); demonyms are weighed separately, as they may be ethnic
        demonym_ids = {t.i for t in tokens if self.demonym(t)}
        modifier_countries = [
            m.country
            for m in matches
            if m.kind == "actor"
            and m is not actor_match
            and m.country
            and m.end <= head.i + 1
            and not set(range(m.start, m.end)) <= demonym_ids
            and not _inside_name(m, head)
        ]
        if actor.country is None or actor_match is None:
            country, ethnicity = self._country_and_ethnicity(demonyms, modifier_countries, ethnic_marked)
            actor.country = actor.country or country
            actor.ethnicity = ethnicity
        if actor.country is None:
            actor.country = self._location_country(head, ctx)
        actor.sector = actor.sector or self._garrison(head, tokens)
        return actor

    def _institution(self, head: Token, matches: list[Match]) -> tuple[Match, list[Token]] | None:
        """The agent an institution's head word is only inside its name, with the rest of the name
        after the head: "the Georgia Bureau of Investigation" (the agent "bureau of investigation"),
        "the Georgia House" (a place's name before a capitalised head reads as "state House")."""
        tail = _name_tail(head)
        if tail:
            hit = self.dicts.agents.match([t.lower_ for t in [head, *tail]], 0)
            if hit is not None and hit[0] > 1:
                used = tail[: hit[0] - 1]
                return Match(head.i, used[-1].i + 1, None, hit[1].code, None, None, "agent"), used
        place = next((m for m in matches if m.place_name and m.end == head.i), None)
        if head.is_title and place is not None and not self._is_demonym_match(place, head):
            hit = self.dicts.agents.match(["state", head.lower_], 0)
            if hit is not None and hit[0] == 2:
                return Match(head.i, head.i + 1, None, hit[1].code, None, None, "agent"), []
        return None

    def _of_country(self, head: Token, ctx: ArticleContext) -> str | None:
        """The country an "of" phrase of the head names ("King Hassan of Morocco")."""
        for prep in head.children:
            if prep.dep_ != "prep" or prep.lower_ != "of":
                continue
            for obj in prep.children:
                for m in self.matches(list(obj.subtree), ctx.published, ctx):
                    named = m.start <= obj.i < m.end  # the object is the country, not "Israeli-occupied"
                    if named and m.kind == "actor" and m.country and not m.org and m.country not in NOT_PLACES:
                        return m.country
        return None

    def _ethnic_group(self, head: Token, tokens: list[Token], ctx: ArticleContext) -> Actor | None:
        """People named by a plural demonym that the phrase places elsewhere or marks as ethnic:
        "Bosnian Serbs" (BIH, srb), "Albanians of southern Serbia" (SRB, alb), "ethnic Turks" (in
        the country the story is about). A plain "Serbs" stays a country actor."""
        if head.tag_ not in ("NNS", "NNPS"):
            return None
        homeland = self.demonym(head)
        if homeland is None:
            return None
        ethnic = any(t.lower_ in _ETHNIC_MARKERS or t.lower_.startswith("ethnic") for t in tokens)
        modifier = next((c for t in tokens if t.i < head.i and (c := self.demonym(t)) and c != homeland), None)
        if modifier is None:  # "Kosovo Albanians": a country's name before the people
            left = [t for t in tokens if t.i < head.i]
            modifier = next(
                (m.country for m in self.matches(left, ctx.published, ctx) if m.country not in (None, homeland, "IGO")),
                None,
            )
        located = self._location_country(head, ctx)
        if not (ethnic or modifier or (located and located != homeland)):
            return None
        country = modifier or located
        text_tokens = tokens + _location_tokens(head)
        actor = Actor(text=_span_text(text_tokens), country=country, sector="CVL", ethnicity=homeland.lower(),
                      start=tokens[0].idx, end=head.idx + len(head))  # fmt: skip
        return actor

    def _place(self, head: Token, tokens: list[Token], ctx: ArticleContext) -> Actor | None:
        demonyms = [(t, c) for t in tokens if (c := self.demonym(t))]
        _, ethnicity = self._country_and_ethnicity(demonyms, [], ethnic_marked=False)
        country = self._location_country(head, ctx) or self.named_place_country(head, ctx)
        garrison = self._garrison(head, tokens)
        if country is None and garrison is not None:
            country = self.context_country_of(head, ctx)  # "attacked a military camp": the story's
        if country is None:
            return None
        return Actor(
            text=_span_text(tokens + _location_tokens(head)),
            country=country,
            sector=garrison,
            ethnicity=ethnicity,
            start=tokens[0].idx,
        )

    def _garrison(self, head: Token, tokens: list[Token]) -> str | None:
        """The armed sector holding a place named by what it is: "a military camp", "an army
        checkpoint", "a police station" (MIL or COP); None for any other place."""
        if head.lemma_.lower() not in self.installations:
            return None
        words = {t.lower_ for t in tokens}
        if words & {"police", "policemen"}:
            return "COP"
        if head.lemma_.lower() in ("camp", "post", "station", "position", "positions", "convoy", "patrol"):
            # a camp or a post may be a refugees' or a trading one: only a military word makes it armed
            return "MIL" if words & {"military", "army", "militia", "rebel", "troop", "soldier"} else None
        return "MIL"

    def _country_and_ethnicity(
        self, demonyms: list[tuple[Token, str]], modifier_countries: list[str | None], ethnic_marked: bool
    ) -> tuple[str | None, str | None]:
        """Country and ethnicity from modifiers. "ethnic Serbian" is an ethnicity; in
        "Albanian-Kosovar" the last demonym is the country and the earlier ones ethnicity."""
        country: str | None = next((c for c in modifier_countries if c), None)
        ethnicity: str | None = None
        majority = [c for t, c in demonyms if any(n.lower_ in _MAJORITY for n in t.head.subtree)]
        plain = [c for t, c in demonyms if c not in majority]
        if ethnic_marked and plain:
            ethnicity = plain[-1].lower()
            return country, ethnicity
        if majority and not plain:
            ethnicity = majority[0].lower()
            return country, ethnicity
        if len(plain) >= 2:
            return country or plain[-1], plain[0].lower()
        if plain:
            return country or plain[0], None
        return country, None

    def _location_country(self, head: Token, ctx: ArticleContext) -> str | None:
        """Country of an "in X" / "from X" modifier of the phrase ("officials in Kosovo"): a place
        the actor dictionaries name, else one the gazetteer knows ("in Avdiivka")."""
        for prep in head.rights:
            if prep.dep_ == "prep" and prep.lower_ in ("in", "from", "of", "at", "inside", "near", "outside", "across"):
                for obj in prep.children:
                    if obj.dep_ != "pobj":
                        continue
                    for m in self.matches(list(obj.subtree), ctx.published, ctx):
                        # a place name, not an adjective: "in Serb-majority towns in Kosovo" is in Kosovo
                        is_demonym = m.end - m.start == 1 and self.demonym(obj.doc[m.start]) is not None
                        if m.kind == "actor" and m.country and m.country != "IGO" and not is_demonym:
                            return m.country
                    for name in (t for t in obj.subtree if t.pos_ == "PROPN"):  # "of Sindh province"
                        country = self.named_place_country(name, ctx)
                        if country:
                            return country
        return None

    def named_place_country(self, token: Token, ctx: ArticleContext) -> str | None:
        """The country of the place name ``token`` is part of, as the geoparser resolved it in
        the document (in context: "Paris, Texas"); None when it is no place name, or no geoparser."""
        if self.place_index is None or token.pos_ != "PROPN":
            return None
        self.geography(token.doc, ctx)  # resolved once per document, when first needed
        return ctx.token_places.get(token.i) if ctx.token_places is not None else None

    def event_place_country(self, trigger: Token, ctx: ArticleContext) -> str | None:
        """The country of the place an event's own words put it in ("were arrested in Lebanon")."""
        return self._location_country(trigger, ctx)

    def _pronoun(self, head: Token, ctx: ArticleContext) -> Actor | None:
        """A pronoun stands for the nearest earlier actor of the same number in its sentence
        ("The army said it had deployed ..."), else for the previous sentence's first actor."""
        word = head.lower_
        if word not in _PRONOUNS_PLURAL | _PRONOUNS_SINGULAR:
            return None
        plural = word in _PRONOUNS_PLURAL
        prior: Actor | None = None
        for tok in reversed(list(head.sent[: head.i - head.sent.start])):
            if tok.dep_ not in ("nsubj", "nsubjpass") or tok.pos_ not in ("NOUN", "PROPN"):
                continue
            if (tok.tag_ in ("NNS", "NNPS")) != plural and tok.ent_type_ not in ("GPE", "ORG", "NORP"):
                continue
            if word in _PERSONAL and tok.ent_type_ in ("GPE", "ORG", "NORP"):
                continue  # "he" is not a country
            prior = self.resolve_one(tok, ctx)
            if prior is not None and word in _IMPERSONAL and tok.ent_type_ == "PERSON" and prior.sector:
                prior = None  # "it" is not a person (but "Jordan", tagged a person, may be the country)
            if prior is not None:
                break
        if prior is None and ctx.previous:
            prior = ctx.previous[0]
        if prior is None:
            return None
        return Actor(
            text=head.text,
            code=prior.code,
            country=prior.country,
            sector=prior.sector,
            org=prior.org,
            ethnicity=prior.ethnicity,
            start=head.idx,
            end=head.idx + len(head),
        )

    def _international(self, head: Token) -> str | None:
        """IGO or NGO for an organisation the dictionaries lack whose name says it is international
        ("the International Labour Office" is an IGO, "the Association of African Jurists" an NGO);
        None for any other, which the context then places."""
        words = {t.lower_ for t in _entity(head)}
        if not words & self.international:
            return None
        return "IGO" if words & self.intergovernmental else "NGO"

    def _unknown_named(self, head: Token, tokens: list[Token], ctx: ArticleContext) -> Actor | None:
        """A named organisation or person with no dictionary entry: kept, uncoded. A place name
        ("the town of Avdiivka", whatever entity type the parser gave it) stands for its country."""
        place = self.named_place_country(head, ctx) if head.ent_type_ not in ("ORG", "NORP") else None
        if place is not None:
            return Actor(text=_span_text(tokens), country=place, start=tokens[0].idx)
        leader = self._led_by(head, ctx)
        if leader is not None:
            # "the Saudi-led coalition", "US-led forces": a military coalition under that country
            actor = Actor(text=_span_text(tokens), country=leader, sector="MIL", start=tokens[0].idx)
            actor.code = compose_code(actor)
            return actor
        if head.ent_type_ in ("PERSON", "ORG", "NORP") and head.pos_ == "PROPN":
            country = self.demonym(head) if head.ent_type_ == "NORP" else None
            if head.ent_type_ == "ORG":
                country = self._international(head)
            actor = Actor(text=_span_text(tokens), country=country, start=tokens[0].idx)
            actor.code = compose_code(actor) if country else None
            return actor
        return None

    def _led_by(self, head: Token, ctx: ArticleContext) -> str | None:
        """The country in "X-led" before a group noun ("the US-led international coalition")."""
        for mod in head.children:
            if mod.lower_ == "led" and mod.i < head.i and mod.i >= 2 and mod.nbor(-1).text == "-":
                leader = mod.nbor(-2)
                country = self.demonym(leader)
                if country is None:
                    found = self.matches([leader], ctx.published, ctx)
                    country = found[0].country if found and found[0].kind == "actor" else None
                if country and country not in ("IGO", "NGO"):
                    return country
        return None


_STANCE = {"pro", "anti"}
# entity types whose names the parser may split, while they remain one actor's name ("Barack"
# parsed as the head of "Obama"); an organisation's name may hold other names ("Republic of Korea")
_NAME_ENTITIES = frozenset({"PERSON"})


def _qualified_places(found: list[Match], doc: Doc) -> None:
    """A place's name followed by a comma and the name of its state or country ("Athens, Georgia",
    "Lebanon, Indiana", "Paris, Texas"): both are in the one country both names can stand for
    (not in a list: "Paris, London and Berlin")."""
    for i, (town, region) in enumerate(itertools.pairwise(found)):
        if not (town.place_name and region.place_name) or not _comma_between(town, region, doc):
            continue
        after = found[i + 2] if i + 2 < len(found) else None
        if (after is not None and after.place_name and _comma_between(region, after, doc)) or _in_a_list(region, doc):
            continue
        common = {town.country, *town.alternatives} & {region.country, *region.alternatives}
        if len(common) == 1:
            country = common.pop()
            for m in (town, region):
                m.country = m.code = country
                m.qualified = True


def _qualified_names(matches: list[Match], doc: Doc) -> dict[str, str]:
    """The place names the text itself places, by a state or country after them ("Athens,
    Georgia"), with their country; a name placed in two countries is left out."""
    placed: dict[str, set[str]] = defaultdict(set)
    for m in matches:
        if m.qualified and m.country:
            placed[_name_of(doc[m.start : m.end])].add(m.country)
    return {name: countries.pop() for name, countries in placed.items() if len(countries) == 1}


def _comma_between(first: Match, second: Match, doc: Doc) -> bool:
    return second.start == first.end + 1 and doc[first.end].text == ","


def _in_a_list(match: Match, doc: Doc) -> bool:
    """Whether a name is an item of a list: a conjunct, or followed by "and", ", and", ", or"."""
    following = [t.lower_ for t in doc[match.end : match.end + 2]]
    return (
        doc[match.end - 1].dep_ == "conj"
        or following[:1] in (["and"], ["or"], ["&"], ["/"])
        or (following[:1] == [","] and following[1:] in (["and"], ["or"]))
    )


def _name_tail(head: Token) -> list[Token]:
    """The words of an organisation's name after its head word: "of Investigation" in "the Georgia
    Bureau of Investigation" (an organisation entity, or capitalised words)."""
    entity_end = _entity(head).end if head.ent_type_ == "ORG" else None
    for prep in head.rights:
        if prep.dep_ != "prep" or prep.lower_ != "of":
            continue
        tail = [t for t in prep.subtree if entity_end is None or t.i < entity_end]
        capitalised = all(t.is_title or t.is_stop or t.is_punct for t in tail) and any(t.is_title for t in tail)
        if tail and (entity_end is not None or (head.is_title and capitalised)):
            return tail
    return []


def _may_be_demonym(token: Token) -> bool:
    return token.ent_type_ in ("NORP", "GPE") or token.pos_ in ("ADJ", "PROPN")


def _place_runs(doc: Doc, token_places: dict[int, str]) -> list[PlaceRun]:
    """The place names of a document: runs of adjacent tokens the geoparser put in one country."""
    runs: list[PlaceRun] = []
    for i in sorted(token_places):
        last = runs[-1] if runs else None
        if last is not None and last.end == i and last.country == token_places[i]:
            last.end = i + 1
        else:
            runs.append(PlaceRun(i, i + 1, token_places[i], ""))
    for run in runs:
        run.name = _name_of(doc[run.start : run.end])
    return runs


def _name_of(span: Span) -> str:
    return " ".join(t.lower_ for t in span if not t.is_punct)


def _stance(token: Token) -> bool:
    """Whether a name is the object of a stance: "pro-Russian", "anti-Syria"."""
    doc, i = token.doc, token.i
    return i >= 2 and doc[i - 1].text == "-" and doc[i - 2].lower_ in _STANCE


def _entity(token: Token) -> Span:
    """The named entity ``token`` is part of (itself alone when it is in none)."""
    doc = token.doc
    start, end = token.i, token.i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[start:end]


# agent sectors whose members are the named group they serve ("Hezbollah forces"), unlike its
# supporters or critics
_MEMBER_SECTORS = frozenset({"MIL", "REB", "UAF", "RAD", "PRM", "GOV", "COP", "SPY", "INS"})


def _member_of_named(sector: str | None) -> bool:
    return bool(sector) and sector[:3] in _MEMBER_SECTORS  # type: ignore[index]


def _armed_group_sector(sector: str | None) -> bool:
    return bool(sector) and taxonomy.sector_role(sector[:3]) in ("nonstate", "armed")  # type: ignore[index]


def _names_a_group(match: Match) -> bool:
    """A dictionary name of an organisation or armed group, not of a country or person."""
    return bool(match.org) or match.country in NOT_PLACES or _armed_group_sector(match.sector)


def _inside_name(match: Match, head: Token) -> bool:
    """Whether a dictionary match lies inside the person's name that ``head`` ends."""
    if head.ent_type_ != "PERSON":
        return False
    return all(t.ent_type_ == "PERSON" for t in head.doc[match.start : head.i + 1])


def _part_of_longer_name(match: Match, doc: Doc) -> bool:
    """Whether a dictionary match is a piece of a longer person's name ("Hassan" in "Omar Hassan
    al-Bashir"), not the name itself."""
    if any(doc[i].ent_type_ != "PERSON" for i in range(match.start, match.end)):
        return False
    return match.end < len(doc) and doc[match.end].ent_iob_ == "I" and doc[match.end].ent_type_ == "PERSON"


def _location_tokens(head: Token) -> list[Token]:
    return [t for prep in head.rights if prep.dep_ == "prep" and prep.lower_ in ("in", "of") for t in prep.subtree]


def compose_code(actor: Actor) -> str | None:
    """CAMEO-style code: country + sector (+ ethnicity), e.g. XKXCVLSRB."""
    parts = [actor.country or "", actor.sector or "", (actor.ethnicity or "").upper()]
    code = "".join(parts)
    return code or None


def _span_text(tokens: list[Token]) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    span: Span = doc[tokens[0].i : tokens[-1].i + 1]
    return span.text.strip(" ,")


def _is_conjunct(head: Token, other: Token) -> bool:
    """Whether ``other`` is a real second conjunct of ``head`` ("police and judges"), not a piece of
    a long name the parser split ("Sheikh Hamad bin Khalifa al-Thani")."""
    if other.pos_ not in ("NOUN", "PROPN", "PRON") or other.is_punct:
        return False
    between = head.doc[head.i + 1 : other.i]
    return any(t.dep_ == "cc" or t.text in (",", ";", "&") for t in between)
