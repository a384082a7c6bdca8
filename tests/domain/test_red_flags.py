"""Red-flag phrases: what the shipped list flags and leaves alone in English and Spanish,
how phrases match (case, accents, punctuation, word endings, gaps), and its recall and
false-flag rate on held-out messages it was never tuned on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.config import EXAMPLE_PRACTICE, load_practice
from bot.domain.red_flags import (
    RedFlagHit,
    RedFlagMatcher,
    _ascii_words,
    _unicode_words,
    normalise,
    phrase_problems,
    stem,
)

SHIPPED = load_practice(EXAMPLE_PRACTICE).red_flags
MATCHER = RedFlagMatcher(SHIPPED)
DATA = Path(__file__).resolve().parents[1] / "data"


def message_set(name: str) -> dict[str, list[str]]:
    """A labelled set from tests/data: `flag` (a person must look now) and `routine`."""
    loaded: dict[str, list[str]] = yaml.safe_load((DATA / f"red_flags_{name}.yml").read_text())
    return loaded


# Each set was committed before the matcher was run on it. A to E were then tuned on (A
# barely, E for the concept phrases); F is held out. Their headers record the first,
# blind numbers.
TUNED_ON = ("heldout", "heldout_b", "heldout_c", "heldout_d", "heldout_e")
HELD_OUT = "heldout_f"
RECALL_TARGET, FALSE_FLAG_TARGET = 0.95, 0.15


CURLY, ACUTE = "\u2019", "\u00b4"  # a curly apostrophe; a Spanish keyboard's acute accent


def flagged(text: str) -> bool:
    return bool(MATCHER.find(text))


# The tuning table: messages the shipped list was chosen against. The held-out file is
# scored below but never used to pick phrases.
SHOULD_FLAG = [
    # English, as patients write
    "chest pain since this morning",
    "Chest pains on and off all day",
    "sharp pain in my chest when I lie down",
    "my chest and left arm pain started an hour ago",
    "My chest feels really tight",
    "pressure in my chest, feels like an elephant sitting on it",
    "I think I'm having a heart attack",
    "can't breathe",
    "CANT BREATH",
    f"I can{CURLY}t breathe well",
    "i cannot breathe when i lie flat",
    "can not really breathe",
    "my son is having trouble breathing",
    "It's hard to breathe today",
    "shortness of breath climbing stairs",
    "cant catch my breath",
    "he stopped breathing for a few seconds",
    "dad might be having a stroke",
    "her face is drooping on one side",
    "his speech sounds slurred",
    "numbness on one side of my body",
    "I passed out at work",
    "fainted in the shower",
    "my daughter had a seizure",
    "severe bleeding from a cut",
    "the bleeding will not stop",
    "coughing up blood",
    "pregnant and bleeding",
    "newborn with a fever",
    "allergic reaction to the new pills",
    "my throat is swelling up",
    "I think he took an overdose",
    "took too many of my pain pills",
    "suicide",
    "I feel suicidal",
    "I want to kill myself",
    "killing myself seems like the only way",
    "I want to end my life",
    "I just want to die",
    "I don't want to live anymore",
    "I keep wanting to hurt myself",
    "I'm calling my lawyer",
    "my attorney will contact you",
    "I'm going to sue the practice",
    "I will sue you",
    "I want to file a formal complaint",
    # Negations still flag: a person reads them
    "not suicidal, just sad",
    "no chest pain, just a cough",
    "I'm not having trouble breathing, I need a refill",
    # Español
    "dolor de pecho",
    "Tengo dolor de pécho desde ayer",
    "me duele el pecho",
    "dolor fuerte en el pecho",
    "no puedo respirar",
    "No puedo respirar bien desde anoche",
    "mi hijo no puede respirar",
    "me falta el aire",
    "me quiero morir",
    "quiero matarme",
    "quiero morirme",
    "pienso en el suicidio",
    "mi abuela se desmayó",
    "mi esposo tuvo convulsiones",
    "estoy sangrando mucho",
    "reacción alérgica fuerte",
    "voy a llamar a mi abogado",
    "quiero poner una queja formal",
    "no tengo dolor de pecho pero estoy preocupado",
    # Concepts: a body or system word near a symptom word; typos; others than "myself"
    "her left leg went weak an hour ago",
    "my heart keeps skipping and I feel awful",
    "he is not responding to us",
    "the baby has not moved since last night",
    "took extra of his blood pressure pills by mistake",
    "my infant's temp is 101",
    "I don't think life is worth living",
    "he says he wants to end it",
    "my brother has been cutting himself",
    "cheast pain since lunch",
    "I feel suicdal",
    "I'm havng trouble breathign",
    "quiero hacerme daño",
    "mi bebé de 3 meses tiene calentura",
    "tengo el peor dolor de cabeza de repente",
    "dolor intenso en el estómago",
]

SHOULD_NOT_FLAG = [
    # English near-misses: words inside words, routine admin, look-alike words
    "I was painting the chest of drawers",
    "paint fumes in the waiting room",
    "I need a referral to the pain clinic",
    "Please refill my inhaler",
    "Where is parking for the clinic?",
    "Can I reschedule my breathing test?",
    "I need my records sent to my new doctor",
    "Sue at the front desk said to message you",
    "Is there an issue with my bill?",
    "The issue was resolved, thanks",
    "What time is my appointment tomorrow?",
    "Can't make it Tuesday, please move me",
    "I can't find my insurance card",
    "Update my emergency contact please",
    "My son needs a sports physical",
    "Please send the prescription to CVS",
    "Does Dr. Kim see kids?",
    "Chester called about my appointment",
    "The heart of the matter is my bill",
    "I'm feeling much better, thanks!",
    "Following up about my blood work results",
    "Can I have a copy of my chest x-ray report?",
    "Lawson Street office or Main Street?",
    "My pharmacy says the refill is ready",
    # Español
    "quiero cambiar mi cita",
    "necesito una receta",
    "¿dónde me estaciono?",
    "necesito mis registros médicos",
    "tengo una pregunta sobre mi factura",
    "no puedo ir el martes",
    "quiero pintar la clínica de otro color",
    "mi mamá necesita una cita para su chequeo",
    "gracias por todo",
    "¿cuál es el horario del laboratorio?",
    "necesito resurtir la receta del inhalador",
    # Look-alikes of the concept phrases and of typo forgiveness
    "I'm confused about my bill, can you explain it?",
    "My leg brace needs a new prescription",
    "I heard from the pharmacy today",
    "Is the paint dry in the new exam rooms?",
    "The chestnut tree outside the clinic fell",
    "Necesito una cita para mi bebé de 2 meses",
]


@pytest.mark.parametrize("text", SHOULD_FLAG)
def test_a_red_flag_message_is_flagged(text: str) -> None:
    assert MATCHER.find(text), text


@pytest.mark.parametrize("text", SHOULD_NOT_FLAG)
def test_a_routine_message_is_not_flagged(text: str) -> None:
    assert MATCHER.find(text) == (), text


def test_the_tuning_table_has_at_least_sixty_phrases_in_both_languages() -> None:
    assert len(SHOULD_FLAG) + len(SHOULD_NOT_FLAG) >= 60
    assert sum("¿" in t or " el " in t or " de " in t or "mi " in t for t in SHOULD_FLAG) >= 10
    assert sum("¿" in t or " mi " in t or "quiero" in t for t in SHOULD_NOT_FLAG) >= 5


@dataclass(frozen=True)
class Score:
    missed: list[str]
    false_flags: list[str]
    recall: float
    false_flag_rate: float  # routine messages flagged / routine messages
    share_false: float  # flags that were false / all flags


def score(*names: str) -> Score:
    should_flag = [text for name in names for text in message_set(name)["flag"]]
    routine = [text for name in names for text in message_set(name)["routine"]]
    missed = [text for text in should_flag if not flagged(text)]
    false_flags = [text for text in routine if flagged(text)]
    caught = len(should_flag) - len(missed)
    return Score(
        missed,
        false_flags,
        recall=caught / len(should_flag),
        false_flag_rate=len(false_flags) / len(routine),
        share_false=len(false_flags) / max(1, caught + len(false_flags)),
    )


def test_the_sets_tuned_on_meet_the_targets_together() -> None:
    result = score(*TUNED_ON)
    assert result.recall >= RECALL_TARGET, result.missed
    assert result.false_flag_rate <= FALSE_FLAG_TARGET, result.false_flags
    assert result.share_false <= FALSE_FLAG_TARGET, result.false_flags


def test_the_held_out_set_keeps_its_blind_score() -> None:
    """F measured once blind with the phrase list of main 6bd8359: recall 71/84, false flags
    5/55. A change to the matcher or the list must not make it worse."""
    result = score(HELD_OUT)
    assert result.recall >= 71 / 84, result.missed
    assert result.false_flag_rate <= 5 / 55, result.false_flags


def test_the_held_out_set_meets_the_targets() -> None:
    """F measured once after the concept phrases and typo forgiveness: recall 81/84 (0.964),
    false flags 5/55 (9.1%). Its blind misses were seen in the blind run (see its header):
    counting as misses the three hits that rest on words added after that run, recall is
    78/84 (0.929). Write a new set before trusting a further change."""
    result = score(HELD_OUT)
    assert result.recall >= RECALL_TARGET, result.missed
    assert result.false_flag_rate <= FALSE_FLAG_TARGET, result.false_flags
    assert result.share_false <= FALSE_FLAG_TARGET, result.false_flags


# How a phrase matches


def test_normalise_ignores_case_accents_punctuation_and_spacing() -> None:
    assert normalise("  Dolor de PÉCHO!!\n\tya ") == "dolor de pecho ya"
    assert normalise("short-of-breath") == "short of breath"
    assert normalise("¿Qué?") == "que"


def test_contractions_with_any_apostrophe_read_as_two_words() -> None:
    expected = "i can not breathe"
    for text in ("I can't breathe", f"I can{CURLY}t breathe", "I cant breathe", "I cannot breathe"):
        assert normalise(text) == expected
    assert normalise(f"I can{ACUTE}t breathe") == expected  # a Spanish keyboard's acute accent
    assert normalise("it won't stop") == "it will not stop"


def test_a_phrase_matches_whole_words_only() -> None:
    matcher = RedFlagMatcher(("pain", "sue"))
    assert matcher.find("paint and painting") == ()
    assert matcher.find("there is an issue") == ()
    assert [hit.phrase for hit in matcher.find("pain, then Sue")] == ["pain", "sue"]


def test_common_word_endings_do_not_matter() -> None:
    assert stem("breathing") == stem("breathe") == stem("breath") == stem("breathes")
    assert stem("suicidal") == stem("suicide") == stem("suicidio")
    assert stem("killing") == stem("kill") == stem("killed")
    assert stem("sangrando") == stem("sangrado") == stem("sangre")
    assert stem("paint") != stem("pain")
    matcher = RedFlagMatcher(("kill myself",))
    assert matcher.find("I keep thinking of killing myself")


def test_a_gap_lets_the_parts_stand_in_either_order_up_to_four_words_apart() -> None:
    matcher = RedFlagMatcher(("chest ... pain",))
    assert matcher.find("chest pain")
    assert matcher.find("chest and left arm pain")
    assert matcher.find("pain on the left of chest")  # four words between
    assert matcher.find("chest x-ray next week, no more pain") == ()  # five words between


def test_one_typo_is_forgiven_in_a_word_of_five_letters_or_more() -> None:
    matcher = RedFlagMatcher(("chest ... pain", "suicidal", "faint", "sue you"))
    assert matcher.find("cheast pain")  # a letter added
    assert matcher.find("chst pain") == ()  # four letters left: too short to guess
    assert matcher.find("chets pain")  # neighbours swapped
    assert matcher.find("I feel suicdal")  # a letter dropped
    assert matcher.find("I feel suicifal")  # a letter changed
    assert matcher.find("cehts pain") == ()  # two typos
    assert matcher.find("paint fumes") == ()  # another first letter: another word
    assert matcher.find("sew you") == ()  # short words are never guessed


def test_choices_for_one_word() -> None:
    matcher = RedFlagMatcher(("lips|tongue ... swollen|swelling", "sue you|the"))
    assert matcher.find("my tongue is swelling")
    assert matcher.find("swollen lips after the shot")
    assert matcher.find("I will sue the clinic")
    assert matcher.find("Sue from billing called") == ()
    assert phrase_problems(["can't|cannot breathe"]) == [
        (0, "has \"can't|cannot\": each choice around '|' must be one word")
    ]


def test_hits_come_in_text_order_once_per_phrase_with_their_spans() -> None:
    matcher = RedFlagMatcher(("suicide", "chest pain", "lawyer"))
    text = "Lawyer here. Chest  Pain again, chest pain, and my lawyer says"
    assert matcher.find(text) == (
        RedFlagHit("lawyer", 0, 6),
        RedFlagHit("chest pain", 13, 24),
    )
    assert text[13:24] == "Chest  Pain"


def test_a_span_covers_the_original_apostrophes_and_accents() -> None:
    text = f"Ayer: ¡NO PUÉDO respirár! y can{CURLY}t breathe"
    spans = {text[hit.start : hit.end] for hit in MATCHER.find(text)}
    assert spans == {"NO PUÉDO respirár", f"can{CURLY}t breathe"}


def test_phrases_without_words_misplaced_gaps_and_repeats_are_problems() -> None:
    phrases = ["chest pain", "?!", "... pain", "Chest-Pain", "suicidal", "suicide"]
    problems = phrase_problems(phrases)
    assert problems == [
        (1, "has no words (only spaces or punctuation)"),
        (2, "has '...' at its start or end; it must stand between two words"),
        (3, "matches exactly what 'chest pain' already matches"),
        (5, "matches exactly what 'suicidal' already matches"),
    ]
    with pytest.raises(ValueError, match="has no words"):
        RedFlagMatcher(("chest pain", "   "))


def test_the_shipped_list_has_no_problems_and_covers_the_issue_examples() -> None:
    assert phrase_problems(SHIPPED) == []
    for example in (
        "chest pain",
        "can't breathe",
        "suicide",
        "kill myself",
        "dolor de pecho",
        "no puedo respirar",
        "me quiero morir",
        "lawyer",
        "abogado",
    ):
        assert flagged(example), example


# Properties

NO_DEADLINE = settings(deadline=None)  # a loaded test machine must not fail a correct match

WORDS = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)
FILLER = st.lists(
    st.sampled_from(["the", "my", "doctor", "appointment", "tomorrow", "please", "y", "mi"])
    | WORDS,
    max_size=6,
).map(" ".join)
PHRASES = st.sampled_from(SHIPPED)


def _example_of(phrase: str) -> str:
    """Text the phrase is written to match: its first choice of each word, a word per gap."""
    return re.sub(r"\|\S*", "", phrase).replace("...", "really")


@NO_DEADLINE
@given(PHRASES, FILLER, FILLER)
def test_a_phrase_is_found_amid_any_other_words(phrase: str, before: str, after: str) -> None:
    text = f"{before} {_example_of(phrase)} {after}"
    assert phrase in {hit.phrase for hit in MATCHER.find(text)}


@NO_DEADLINE
@given(PHRASES, st.sampled_from([str.upper, str.lower, str.title, str.swapcase]))
def test_case_does_not_matter(phrase: str, change_case: object) -> None:
    assert callable(change_case)
    text = change_case(_example_of(phrase))
    assert phrase in {hit.phrase for hit in MATCHER.find(text)}


ACCENTED = str.maketrans("aeiounAEIOUN", "áéíóúñÁÉÍÓÚÑ")


@NO_DEADLINE
@given(PHRASES, st.sampled_from([".", ",", "!!", " - ", "\n", "  ", "\t", "…", "?¿"]))
def test_accents_and_punctuation_between_words_do_not_matter(phrase: str, mark: str) -> None:
    text = _example_of(phrase).translate(ACCENTED).replace(" ", f"{mark} ")
    assert phrase in {hit.phrase for hit in MATCHER.find(text)}


@NO_DEADLINE
@given(PHRASES, st.data())
def test_swapping_two_inner_letters_of_a_long_word_keeps_the_hit(
    phrase: str, data: st.DataObject
) -> None:
    words = normalise(_example_of(phrase)).split()
    long_words = [i for i, word in enumerate(words) if len(word) >= 5]
    assume(long_words)
    at = data.draw(st.sampled_from(long_words))
    word = words[at]
    j = data.draw(st.integers(1, len(word) - 2))
    words[at] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    assert phrase in {hit.phrase for hit in MATCHER.find(" ".join(words))}


@NO_DEADLINE
@given(st.text(max_size=120), st.text(max_size=40), st.text(max_size=40))
def test_adding_text_around_a_message_never_removes_a_hit(
    text: str, before: str, after: str
) -> None:
    found = {hit.phrase for hit in MATCHER.find(text)}
    assert found <= {hit.phrase for hit in MATCHER.find(f"{before} {text} {after}")}


@NO_DEADLINE
@given(st.lists(st.sampled_from(SHIPPED) | FILLER, max_size=8).map(" . ".join))
def test_a_hit_span_is_in_the_original_text_and_matches_alone(text: str) -> None:
    for hit in MATCHER.find(text):
        assert 0 <= hit.start < hit.end <= len(text)
        assert text[hit.start].isalnum() and text[hit.end - 1].isalnum()
        alone = RedFlagMatcher((hit.phrase,)).find(text[hit.start : hit.end])
        assert alone == (RedFlagHit(hit.phrase, 0, hit.end - hit.start),)


@NO_DEADLINE
@given(st.text(max_size=200))
def test_hits_are_in_text_order_and_one_per_phrase(text: str) -> None:
    hits = MATCHER.find(text)
    assert list(hits) == sorted(hits, key=lambda hit: (hit.start, hit.end))
    assert len({hit.phrase for hit in hits}) == len(hits)


@NO_DEADLINE
@given(st.text(max_size=80))
def test_normalise_is_idempotent(text: str) -> None:
    assume(text)
    assert normalise(normalise(text)) == normalise(text)


class _EveryPhrase(dict[str, list[int]]):
    """A first-word index that sends every text to every phrase: the matcher as it was
    before it learned to skip phrases whose first word is not in the text."""

    def get(self, key: str, default: object = None) -> list[int]:  # type: ignore[override]
        return list(range(len(SHIPPED)))


TRY_EVERY_PHRASE = RedFlagMatcher(SHIPPED)
TRY_EVERY_PHRASE._starting = _EveryPhrase()


def test_skipping_phrases_whose_first_word_is_absent_misses_nothing_in_the_labelled_sets() -> None:
    texts = [
        text
        for name in (*TUNED_ON, HELD_OUT)
        for messages in message_set(name).values()
        for text in messages
    ]
    assert len(texts) > 100
    assert sum(bool(MATCHER.find(text)) for text in texts) > 20  # not all quiet
    for text in texts:
        assert MATCHER.find(text) == TRY_EVERY_PHRASE.find(text), text


@NO_DEADLINE
@given(st.lists(PHRASES.map(_example_of) | FILLER, max_size=8).map(" ".join))
def test_skipping_phrases_whose_first_word_is_absent_misses_nothing(text: str) -> None:
    assert MATCHER.find(text) == TRY_EVERY_PHRASE.find(text)


# ASCII text is read by a regular expression, any other text character by character: the two
# must agree, or a red flag would be found in a summary typed one way and missed in another.
ASCII_TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ019 '`-.,!\t\nnotcant"), max_size=60
) | st.text(alphabet=st.characters(max_codepoint=127), max_size=60)


@given(ASCII_TEXT)
@settings(max_examples=500)
def test_ascii_text_is_read_into_the_same_words_either_way(text: str) -> None:
    assert _ascii_words(text) == _unicode_words(text)


def test_apostrophes_join_a_word_and_stay_out_of_its_span() -> None:
    text = "'can't'  ``  rock'n'roll x'"
    words = _ascii_words(text)
    assert [(w.text, text[w.start : w.end]) for w in words] == [
        ("can", "can't"),
        ("not", "can't"),
        ("rocknroll", "rock'n'roll"),
        ("x", "x"),
    ]
    assert words == _unicode_words(text)
