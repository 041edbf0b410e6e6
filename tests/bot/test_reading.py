"""The safety check's second look: the sentence model on literal messages, its tokenizer on odd
input, the fine-tuned reader against the corpus it was trained on, and a new phrasing through the
terminal chat on the real core."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import Core
from bot.reading import Reader, open_reader
from bot.reading.encoder import MAX_TOKENS, Encoder, model_dir
from bot.reading.reader import TOKEN_BUDGET, TUNED, load_tuning
from dialogs import load_script
from dialogs.answers import clean_text
from dialogs.safety import Finding, assess, by_phrases
from tests.support.clocks import Ticking
from tests.support.console import console_core, typed

pytestmark = pytest.mark.skipif(
    model_dir() is None,
    reason="the sentence model is not installed (make installs it: requirements-reader.txt)",
)

TUNING = Path(__file__).resolve().parents[1] / "dialogs" / "safety_corpus" / "tuning.toml"
START = datetime(2025, 3, 1, 21, 0, tzinfo=UTC)
TO_A_QUESTION = ["Sam", "1", "1 2", "2", "2"]
NEW_PHRASING = "the world would keep turning without me in it"


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    where = model_dir()
    assert where is not None
    return Encoder(where)


@pytest.fixture(scope="module")
def reader() -> Reader:
    found = open_reader("auto", load_script().safety)
    assert found is not None
    return found


def test_the_reader_was_trained_on_the_tuning_corpus_as_it_is_now() -> None:
    tuning = load_tuning()
    assert tuning.source == hashlib.sha256(TUNING.read_bytes()).hexdigest(), (
        "tuning.toml changed: train bot/reading/tuned.npz again with `make reader-train`"
    )
    categories = sorted(c for c in tomllib.loads(TUNING.read_text("utf-8")) if c != "everyday")
    assert tuning.labels == ("none", *categories)
    assert tuning.head.shape == (len(tuning.labels), 384) == (len(tuning.head_bias), 384)
    assert 0.0 < tuning.threshold < 1.0
    # six layers, six weights each, changed by rank-8 matrices
    assert len(tuning.low_rank) == 36
    assert {up.shape[1] for _, up, _ in tuning.low_rank} == {8}


def test_an_adjustment_of_the_wrong_shape_is_refused(encoder: Encoder) -> None:
    where = model_dir()
    assert where is not None
    name = "encoder.layer.0.attention.self.query"
    with pytest.raises(ValueError, match="of shape"):
        Encoder(where, [(name, np.zeros((384, 385), np.float32))])
    with pytest.raises(ValueError, match="no weight"):
        Encoder(where, [("encoder.layer.9.attention.self.query", np.zeros((384, 384), np.float32))])


def test_the_fine_tuning_changes_what_the_model_reads(encoder: Encoder) -> None:
    where = model_dir()
    assert where is not None
    text = ["she reads every text before i am allowed to reply"]
    tuned = Encoder(where, load_tuning().adjust()).encode(text)
    assert not np.allclose(tuned, encoder.encode(text), atol=1e-3)


def test_every_tuning_concern_is_noticed_by_the_rules_or_the_sentence_model(
    reader: Reader,
) -> None:
    rules = replace(load_script().safety, reader=reader, clear=reader.clear)
    corpus = tomllib.loads(TUNING.read_text("utf-8"))
    missed = [
        (category, message)
        for category, table in corpus.items()
        for message in table.get("concern", [])
        if assess(message, rules) is None
    ]
    assert missed == []


@pytest.mark.parametrize(
    "message",
    [
        "watching a documentary about abusive relationships for my psych class",
        "i volunteer at a women's shelter on saturdays, we're fundraising next month",
        "I'd rather die of boredom than go to his band's gig again lol",
        "i used to self harm as a teen but thats 10 years behind me, this breakup is sad but not"
        " that kind of sad",
    ],
)
def test_a_look_alike_told_as_a_story_work_or_a_joke_is_cleared_by_the_model(
    reader: Reader, message: str
) -> None:
    rules = load_script().safety
    assert by_phrases(message, rules) is not None, "the rules leave this alone now"
    assert assess(message, replace(rules, reader=reader, clear=reader.clear)) is None


@pytest.mark.parametrize(
    "message",
    [
        "i want to die lol this is fine",
        "i used to cut and last night i did it again",
        "been googling which buildings downtown have roof access lol",
        "kms lol i mean it this time",
    ],
)
def test_a_concern_told_with_a_laugh_or_a_past_stays_noticed(reader: Reader, message: str) -> None:
    rules = replace(load_script().safety, reader=reader, clear=reader.clear)
    finding = assess(message, rules)
    assert finding is not None and finding.kind == "crisis"


def test_the_reader_file_is_part_of_the_package() -> None:
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8")
    assert '"bot.reading" = ["*.npz"]' in text
    assert TUNED.is_file()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("some days i picture not being here at all", "crisis"),
        ("i looked up how many it would take", "crisis"),
        ("the world would keep turning without me in it", "crisis"),
        ("she reads every text before i'm allowed to reply", "abuse"),
        ("if i talk to my friends he sulks for days so i stopped seeing them", "abuse"),
    ],
)
def test_new_phrasings_the_phrase_rules_miss_are_noticed(
    reader: Reader, message: str, kind: str
) -> None:
    rules = load_script().safety
    assert by_phrases(message, rules) is None, "the rules notice this now; pick a harder one"
    finding = reader(message)
    assert finding is not None and finding.kind == kind


@pytest.mark.parametrize(
    "message",
    [
        "this job is killing me",
        "I gave away my old books",
        "he didn't text me back for two days and I don't know what it means",
        "we had a lovely dinner and then he went quiet again",
    ],
)
def test_everyday_words_are_not_taken_for_a_concern(reader: Reader, message: str) -> None:
    assert reader(message) is None


def test_a_paraphrase_is_nearer_than_an_unrelated_sentence(encoder: Encoder) -> None:
    a, b, c = encoder.encode(
        ["I don't want to live anymore", "I no longer wish to be alive", "the bus was late today"]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_encoding_one_text_or_a_batch_gives_the_same_vector(encoder: Encoder) -> None:
    texts = ["short", "a rather longer sentence than the first one, with a comma"]
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.allclose(alone, encoder.encode(texts), atol=1e-5)


@pytest.mark.parametrize(
    "text",
    [
        "Café NAÏVE résumé",
        "我不想活了",
        "😢😢😢 🫠",
        "\u200b\u200d\ufeff zero widths",
        "x" * 10_000,
        "",
        "\x00\ufffd",
    ],
)
def test_the_tokenizer_on_odd_input_gives_bounded_ids(encoder: Encoder, text: str) -> None:
    ids = encoder.tokens.encode(text)
    assert ids[0] == encoder.tokens.start and ids[-1] == encoder.tokens.end
    assert 2 <= len(ids) <= MAX_TOKENS
    assert all(0 <= i < len(encoder.words) for i in ids)


def test_accents_are_read_as_their_letters(encoder: Encoder) -> None:
    assert encoder.tokens.encode("Café") == encoder.tokens.encode("cafe")


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_reads_without_error_and_within_the_token_budget(text: str) -> None:
    found = open_reader("auto", load_script().safety)
    assert found is not None
    pieces = found._pieces(text)
    assert sum(map(len, pieces)) <= max(TOKEN_BUDGET, MAX_TOKENS)
    finding = found(text)
    assert finding is None or finding.kind in ("crisis", "abuse")


def test_a_ten_thousand_character_message_is_read_to_the_budget_and_its_end_still_counts(
    reader: Reader,
) -> None:
    text = "We talked for a while and then he left. " * 250 + "I just want to disappear."
    pieces = reader._pieces(text)
    assert sum(map(len, pieces)) <= TOKEN_BUDGET
    rules = replace(load_script().safety, reader=reader)
    finding = assess(text, rules)  # the rules read every word, the end included
    assert finding is not None and finding.kind == "crisis"


async def test_prepare_reads_in_a_worker_and_the_turn_finds_it_remembered(
    reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "some days i picture not being here at all"
    await reader.prepare(text)
    calls = []
    original = reader.read

    def counted(message: str) -> Finding | None:
        calls.append(message)
        return original(message)

    monkeypatch.setattr(reader, "read", counted)
    first = reader(text)
    assert calls == [] and first is not None and first.kind == "crisis"


async def test_a_message_with_a_trailing_newline_read_ahead_is_not_read_again_in_the_turn(
    reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = "  everyone would be fine if i just faded out\n"
    await reader.prepare(typed)  # the event's text, as the platform gave it
    calls: list[str] = []
    original = reader.read

    def counted(message: str) -> Finding | None:
        calls.append(message)
        return original(message)

    monkeypatch.setattr(reader, "read", counted)
    reader(clean_text(typed))  # the text the dialog's safety check asks about
    assert calls == []


def test_the_rules_choice_keeps_the_phrase_rules_alone() -> None:
    assert open_reader("rules", load_script().safety) is None


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    async with console_core(tmp_path) as opened:
        yield opened


async def test_a_new_phrasing_gets_the_safety_reply_in_the_terminal_chat(core: Core) -> None:
    assert core.script.safety.reader is not None
    shown = await typed(core, [*TO_A_QUESTION, NEW_PHRASING], Ticking(START))
    assert "Before anything else: are you safe right now?" in shown


async def test_with_rules_only_the_same_phrasing_goes_on_as_an_answer(tmp_path: Path) -> None:
    async with console_core(tmp_path, safety_reader="rules") as core:
        assert core.script.safety.reader is None
        shown = await typed(core, [*TO_A_QUESTION, NEW_PHRASING], Ticking(START))
    assert "Before anything else: are you safe right now?" not in shown
    assert assess("I want to kill myself", core.script.safety) is not None
