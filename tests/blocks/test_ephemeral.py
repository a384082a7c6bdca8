"""What a person reads when their action was refused or failed: friendly, specific, no traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jinja2 import Environment

from blocks.ephemeral import error_message, notice, refusal_message
from bot.domain.items import Action, Refusal, RefusalCode, Status
from tests.blocks.conftest import NOW, TZ, WORDING, assert_valid_message

SINCE = NOW - timedelta(minutes=12)


def say(refusal: Refusal) -> str:
    payload = assert_valid_message(refusal_message(refusal, TZ, WORDING))
    assert payload["blocks"][0]["text"]["text"] == payload["text"]
    assert payload["blocks"][0]["text"]["verbatim"] is True
    return payload["text"]


def test_a_lost_claim_names_the_current_owner_and_since_when() -> None:
    text = say(
        Refusal(RefusalCode.ALREADY_OWNED, "CQ-1042", Action.CLAIM, Status.CLAIMED, "U1", SINCE)
    )
    at = int(SINCE.timestamp())
    assert text == (
        f"CQ-1042 is already owned by <@U1> since "
        f"<!date^{at}^{{date_short_pretty}} at {{time}}|Mon Nov 23 10:42 AM EST>."
    )


@pytest.mark.parametrize(
    ("owner_name", "expected"),
    [
        ("ana", "CQ-1042 is already owned by @ana since Mon Nov 23 10:42 AM EST."),
        (None, "CQ-1042 is already owned by someone else since Mon Nov 23 10:42 AM EST."),
    ],
)
def test_plain_text_names_the_owner_readably_and_writes_the_time_out(
    owner_name: str | None, expected: str
) -> None:
    refusal = Refusal(
        RefusalCode.ALREADY_OWNED, "CQ-1042", Action.CLAIM, Status.CLAIMED, "U1", SINCE
    )

    text = refusal_message(refusal, TZ, WORDING, plain=True, owner_name=owner_name).text

    assert text == expected
    assert "<" not in text


def test_a_lost_claim_without_a_time_still_names_the_owner() -> None:
    assert say(Refusal(RefusalCode.ALREADY_OWNED, "CQ-1042", owner="U1")) == (
        "CQ-1042 is already owned by <@U1>."
    )


def test_acting_on_someone_elses_item_names_the_owner() -> None:
    assert say(Refusal(RefusalCode.NOT_OWNER, "CQ-1042", Action.RELEASE, owner="U1")) == (
        "Only the owner (<@U1>) or a manager can do that."
    )


def test_closing_an_unclaimed_item_asks_to_claim_it_first() -> None:
    assert say(Refusal(RefusalCode.NEEDS_CLAIM, "CQ-1042", Action.CLOSE)) == (
        "Claim CQ-1042 before you close it."
    )


def test_closing_a_clinical_item_explains_the_acknowledgment() -> None:
    assert say(Refusal(RefusalCode.NEEDS_CLINICAL_ACK, "CQ-1042", Action.CLOSE)) == (
        "CQ-1042 is in a clinical lane: a clinician must acknowledge it before it can be closed."
    )


def test_an_unknown_key_is_named() -> None:
    assert say(Refusal(RefusalCode.NOT_FOUND, "CQ-9999")) == "There is no item CQ-9999."


def test_a_closed_item_suggests_reopening() -> None:
    text = say(Refusal(RefusalCode.ALREADY_CLOSED, "CQ-1042", Action.CLAIM, Status.RESOLVED))
    assert text == "CQ-1042 is already closed. Reopen it first if there is more to do."


def test_an_action_the_state_does_not_allow_names_the_status() -> None:
    text = say(Refusal(RefusalCode.NOT_ALLOWED_IN_STATE, "CQ-1042", Action.RELEASE, Status.NEW))
    assert text == "You can't release CQ-1042 while it is new."


def test_a_stale_card_asks_to_check_and_try_again() -> None:
    assert "changed while you were looking" in say(Refusal(RefusalCode.STALE, "CQ-1042"))


def test_reassigning_to_the_current_owner_says_so() -> None:
    assert say(Refusal(RefusalCode.SAME_OWNER, "CQ-1042", owner="U1")) == (
        "CQ-1042 is already owned by <@U1>."
    )


@pytest.mark.parametrize("code", list(RefusalCode))
def test_every_refusal_reads_as_a_sentence_even_with_nothing_but_its_code(
    code: RefusalCode,
) -> None:
    text = say(Refusal(code))
    assert text[0].isupper()
    assert text.endswith(".")
    assert "None" not in text


def test_a_key_with_markup_cannot_ping_anyone() -> None:
    assert say(Refusal(RefusalCode.NOT_FOUND, "<!channel>")) == "There is no item &lt;!channel&gt;."


def test_an_error_gives_its_reference_and_says_nothing_was_saved(wording: Environment) -> None:
    payload = assert_valid_message(error_message("7KQ2", wording))
    assert payload["text"] == (
        "Something went wrong — ref 7KQ2. Your change was not saved; please try again."
    )


def test_a_notice_is_shown_as_given() -> None:
    payload = assert_valid_message(notice("CQ-1042 is yours."))
    assert payload["text"] == "CQ-1042 is yours."
    assert payload["blocks"][0]["text"]["text"] == "CQ-1042 is yours."
