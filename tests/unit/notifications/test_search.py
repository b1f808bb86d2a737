"""Rules of search: queries, types, phones, invoice numbers, FTS5 prefixes, similarity,
snippets and the merge of the matchers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.notifications.domain import search as rules
from services.notifications.domain.search import Hit
from shared.event_views import ClientData, ContactData, InteractionData, InvoiceData

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_query_and_types() -> None:
    assert rules.normalize_query("  Acme \t Corp\n") == "Acme Corp"
    assert rules.normalize_query(" \n ") == ""
    assert len(rules.normalize_query("x" * 500)) == rules.MAX_QUERY
    assert rules.parse_types(None) == rules.TYPES
    assert rules.parse_types("invoice, client") == ("client", "invoice")
    with pytest.raises(rules.UnknownTypes) as raised:
        rules.parse_types("client,deal,note")
    assert raised.value.args[0] == ["deal", "note"]


@pytest.mark.parametrize(
    "written",
    ["+7 (912) 345-67-89", "89123456789", "8 912 345 67 89", "+79123456789", "+7.912.345.67.89"],
)
def test_a_phone_in_any_common_format_is_its_e164(written: str) -> None:
    assert "+79123456789" in rules.phone_candidates(written)


@pytest.mark.parametrize("query", ["Acme", "12345", "договор 2026", "+7 abc 912"])
def test_not_a_phone(query: str) -> None:
    assert rules.phone_candidates(query) == ()


def test_number_prefix() -> None:
    assert rules.number_prefix("INV-2026-0042") == "inv-2026-0042"
    assert rules.number_prefix("2026/17") == "2026/17"
    assert rules.number_prefix("Acme") is None  # no digit
    assert rules.number_prefix("INV 42") is None  # two words


def test_fts5_prefixes_stand_for_word_forms() -> None:
    assert rules.stem_prefix("договоры") == "догово"
    assert "договор".startswith(rules.stem_prefix("договоры"))
    assert rules.stem_prefix("contracts") == "contract"
    assert rules.stem_prefix("meeting") == "meet"
    assert rules.stem_prefix("is") == "is"
    assert rules.fts5_query('Договоры "contracts"') == '"догово"* AND "contract"*'
    assert rules.fts5_query("  ...  ") is None


def test_similarity_is_pg_trgm() -> None:
    assert rules.similarity("Acme Corporation", "Acme Corporation") == 1.0
    typo = rules.similarity("Acme Corporatoin", "Acme Corporation")
    assert typo >= rules.SIMILARITY_THRESHOLD > rules.similarity("Globex", "Acme Corporation")
    assert rules.similarity("", "Acme") == 0.0
    assert rules.fts5_trigram_query("Acme") == '"acm" OR "cme"'


def test_snippet_is_a_window_around_the_first_match() -> None:
    text = " ".join(f"word{i}" for i in range(60)) + " договор поставки " + "tail " * 40
    cut = rules.snippet(text, "договоры", chars=80)
    assert cut.startswith("…") and cut.endswith("…") and "договор поставки" in cut
    assert len(cut) <= 82
    assert rules.snippet("short text", "nothing") == "short text"
    assert rules.snippet(text, "absent", chars=40).startswith("word0 ")


def test_documents_from_event_data() -> None:
    client_id, invoice_id = uuid.uuid4(), uuid.uuid4()
    data = {"client_id": str(client_id), "invoice_id": str(invoice_id), "status": "paid"}
    draft = InvoiceData.of({**data, "number": None, "added_later": {"x": 1}})
    assert rules.invoice_document(draft, AT) is None
    doc = rules.invoice_document(InvoiceData.of({**data, "number": "INV-7"}), AT)
    assert doc is not None and (doc.number, doc.title) == ("inv-7", "Invoice INV-7")
    listed = {"contact_id": str(uuid.uuid4()), "name": "Ann", "email": "Ann@X.example"}
    contact = rules.contact_document(client_id, ContactData.of(listed), AT)
    assert (contact.email, contact.client_id) == ("ann@x.example", client_id)


def test_an_event_view_reads_what_it_needs_and_names_what_is_missing() -> None:
    client = ClientData.of({"client_id": str(uuid.uuid4()), "name": "Acme", "kind": "b2b"})
    assert (client.name, client.tags, client.contacts) == ("Acme", [], None)
    ids = {"interaction_id": str(uuid.uuid4()), "client_id": str(uuid.uuid4())}
    with pytest.raises(ValidationError, match=r"1 validation error.*\n *occurred_at"):
        InteractionData.of(ids)


def test_merge_sums_the_scores_of_one_document() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def hit(entity: uuid.UUID, score: float, at: datetime = AT) -> Hit:
        return Hit("client", entity, entity, "t", "b", at, score)

    merged = rules.merge(
        [[hit(a, 0.5), hit(b, 0.7)], [hit(a, 0.4), hit(c, 0.7, AT + timedelta(1))]], 2
    )
    assert [(h.entity_id, h.score) for h in merged] == [(a, 0.9), (c, 0.7)]
