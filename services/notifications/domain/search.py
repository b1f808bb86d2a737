"""Rules of search (``GET /api/v1/search``): what a query means and what each entity is as a
search document. Pure: no I/O, the same in both modes.

A query is matched four ways, each scored, the scores of one document summed
(:func:`merge`): its words by full text (PostgreSQL: the ``russian`` and ``english``
configurations; SQLite FTS5: word prefixes, :func:`fts5_query`), names by trigram similarity
(typos), a phone number in any common format by its E.164 (:func:`phone_candidates`), and an
invoice number exactly or by prefix (:func:`number_prefix`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, get_args

import phonenumbers

from shared.event_views import ClientData, ContactData, InteractionData, InvoiceData

SearchType = Literal["client", "contact", "invoice", "interaction", "meeting_report"]
TYPES: tuple[SearchType, ...] = get_args(SearchType)
NAMED: tuple[SearchType, ...] = ("client", "contact")  # the types matched by similar names
MAX_QUERY = 200  # characters of a query kept
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
SNIPPET_CHARS = 160
# A name this similar (pg_trgm's similarity, 0..1) to the query is a match (pg_trgm's default).
SIMILARITY_THRESHOLD = 0.3
# Where a number without a country code is read (a national format such as 8 912 345-67-89):
# each that reads it as a valid number gives a candidate E.164.
NATIONAL_REGIONS = ("RU", "DE", "GB", "US", "FR")
# A score added to a document found by an exact key (a phone's E.164, an invoice number):
# ahead of what its words alone would score.
EXACT_SCORE, PREFIX_SCORE = 2.0, 1.0

_SPACES = re.compile(r"\s+")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"^[\w\-/.]*\d[\w\-/.]*$", re.UNICODE)


class UnknownTypes(ValueError):
    """``types`` names a type search does not know; ``args[0]`` lists them."""


def normalize_query(raw: str) -> str:
    """The query as searched: whitespace collapsed, at most :data:`MAX_QUERY` characters
    ("" when nothing is left: the API answers 422)."""
    return _SPACES.sub(" ", raw).strip()[:MAX_QUERY].strip()


def parse_types(raw: str | None) -> tuple[SearchType, ...]:
    """``types=client,invoice`` (comma-separated, any order; empty or absent: every type)."""
    if raw is None or not raw.strip():
        return TYPES
    given = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = sorted({t for t in given if t not in TYPES})
    if unknown:
        raise UnknownTypes(unknown)
    return tuple(t for t in TYPES if t in given)


def phone_candidates(query: str, regions: Iterable[str] = NATIONAL_REGIONS) -> tuple[str, ...]:
    """The E.164 numbers a query may mean when it looks like a phone number (digits with
    ``+``, spaces, brackets, dots, dashes or slashes): the international form as written, a
    national one read in each of ``regions``; () for any other query."""
    if not _PHONE.match(query) or sum(c.isdigit() for c in query) < 6:
        return ()
    readings = [None] if query.startswith("+") else list(regions)
    found: list[str] = []
    for region in readings:
        try:
            number = phonenumbers.parse(query, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return tuple(found)


def number_prefix(query: str) -> str | None:
    """The query as the start of an invoice number (lowercase) when it can be one: one token
    of letters, digits, ``-``, ``/`` or ``.`` with at least one digit."""
    return query.lower() if " " not in query and _NUMBER.match(query) else None


def words(query: str) -> list[str]:
    """The query's words, lowercase, each once, in order."""
    seen: list[str] = []
    for word in _WORD.findall(query.lower()):
        if word not in seen:
            seen.append(word)
    return seen


_EN_SUFFIXES = ("ing", "ed", "es", "s")


def stem_prefix(word: str) -> str:
    """A prefix standing for the word's forms, for FTS5 (no Russian stemmer there): a Latin
    word without a common English ending (contracts -> contract, meeting -> meet); a word in
    another script (Cyrillic) without its last two letters when longer than five
    (договоры -> догово, matching договор, договора, договорам). Never under three letters."""
    if word.isascii():
        for suffix in _EN_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)]
        return word
    return word[:-2] if len(word) > 5 else word


def fts5_query(query: str) -> str | None:
    """The SQLite FTS5 query of a search: every word by its stem prefix (``"догово"*``), all
    required; None when the query has no word."""
    terms = [f'"{stem_prefix(w)}"*' for w in words(query)]
    return " AND ".join(terms) if terms else None


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of a text: each word lowercase, padded with two spaces before and
    one after, cut in three-character pieces."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity``: shared trigrams over all trigrams of the two texts."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def fts5_trigram_query(query: str) -> str | None:
    """A query of the FTS5 ``trigram`` table of names: any three-letter piece of any of the
    query's words (candidates, then ranked by :func:`similarity`)."""
    pieces = sorted({w[i : i + 3] for w in words(query) for i in range(len(w) - 2)})
    return " OR ".join(f'"{p}"' for p in pieces) if pieces else None


def snippet(text: str, query: str, chars: int = SNIPPET_CHARS) -> str:
    """A window of about ``chars`` characters of ``text`` around the first word that starts
    like one of the query's words (its stem prefix), cut at word boundaries, with ``…`` where
    text is left out; the start of the text when no word matches."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= chars:
        return text
    prefixes = [stem_prefix(w) for w in words(query)]
    found = next(
        (m.start() for m in _WORD.finditer(text) if m.group().lower().startswith(tuple(prefixes))),
        0,
    )
    start = max(0, found - chars // 4)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < found else start
    end = min(len(text), start + chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class Document:
    """One entity as search finds it: its words (``title`` weighs more than ``body``) and the
    keys matched exactly."""

    type: SearchType
    entity_id: uuid.UUID
    client_id: uuid.UUID
    title: str
    body: str
    at: datetime
    phone: str | None = None
    email: str | None = None
    number: str | None = None


def _text(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p not in (None, "", []))


# The parts of the consumed events a search document is made of (shared.event_views: the views
# of a client, an invoice and an interaction are shared with the scorecard's projection).


class ContactEventData(ContactData):
    client_id: uuid.UUID


def client_document(client: ClientData, at: datetime) -> Document:
    return Document(
        "client",
        client.client_id,
        client.client_id,
        client.name,
        _text(client.segment, *client.tags, client.country),
        at,
    )


def contact_document(client_id: uuid.UUID, contact: ContactData, at: datetime) -> Document:
    """A contact from a contact event or from the ``contacts`` of a client event."""
    email = contact.email
    return Document(
        "contact",
        contact.contact_id,
        client_id,
        contact.name,
        _text(contact.position, email, contact.phone),
        at,
        phone=contact.phone,
        email=email.lower() if email else None,
    )


def invoice_document(invoice: InvoiceData, at: datetime) -> Document | None:
    """An invoice once it has a number (issued); a draft is not searched."""
    if not invoice.number:
        return None
    return Document(
        "invoice",
        invoice.invoice_id,
        invoice.client_id,
        f"Invoice {invoice.number}",
        _text(invoice.client_name, invoice.status, invoice.total, invoice.currency),
        at,
        number=invoice.number.lower(),
    )


def interaction_document(interaction: InteractionData) -> Document:
    return Document(
        "interaction",
        interaction.interaction_id,
        interaction.client_id,
        interaction.subject or interaction.type or "interaction",
        interaction.summary or "",
        interaction.occurred_at,
    )


def meeting_report_document(report: InteractionData) -> Document:
    return Document(
        "meeting_report",
        report.interaction_id,
        report.client_id,
        report.subject or "Meeting report",
        _text(report.summary, *report.decisions, *report.next_steps),
        report.occurred_at,
    )


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Hit:
    """A document found by one matcher, with its score there."""

    type: str
    entity_id: uuid.UUID
    client_id: uuid.UUID
    title: str
    body: str
    at: datetime
    score: float


def merge(matches: Iterable[Iterable[Hit]], limit: int) -> list[Hit]:
    """The documents of every matcher once, each with the sum of its scores, best first
    (then newest, then by id: a stable order), at most ``limit``."""
    best: dict[tuple[str, uuid.UUID], Hit] = {}
    for hits in matches:
        for hit in hits:
            key = (hit.type, hit.entity_id)
            seen = best.get(key)
            best[key] = hit if seen is None else replace(seen, score=seen.score + hit.score)
    ranked = sorted(
        best.values(), key=lambda h: (-h.score, -h.at.timestamp(), h.type, str(h.entity_id))
    )
    return ranked[:limit]
