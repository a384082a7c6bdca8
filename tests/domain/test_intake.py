"""What a valid patient request is: phone numbers, required fields, lanes, limits."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.domain.intake import (
    CALLBACK_WINDOW_MAX,
    MISSED_CALL_TYPE,
    NAME_MAX,
    REFERENCE_MAX,
    SOURCE_LINK_MAX,
    SUMMARY_MAX,
    UNSTORABLE,
    FieldProblem,
    IntakeDraft,
    IntakeField,
    IntakeRequest,
    check_caller,
    normalize_phone,
    validate_intake,
)
from bot.domain.items import Origin
from bot.domain.lanes import BusinessDuration, Lane

REFILLS = Lane(
    "refills",
    "Refills",
    "C_REFILLS",
    response_target=BusinessDuration.parse("4h"),
    request_types=("Refill request", "Pharmacy question"),
    resolutions=("Sent to pharmacy",),
)
NURSE_LINE = Lane(
    "nurse",
    "Nurse line",
    "C_NURSE",
    response_target=BusinessDuration.parse("30m"),
    request_types=("Symptom question",),
    resolutions=("Advised by nurse",),
    clinical=True,
)
LANES = {lane.key: lane for lane in (REFILLS, NURSE_LINE)}
LANGUAGES = ("English", "Spanish")

VALID = IntakeDraft(
    patient_ref=" MRN-20431 ",
    patient_name="  Jane Q. Doe ",
    phone="555.201.4477",
    origin="voicemail",
    lane="refills",
    request_type="Refill request",
    summary="\n  Needs a lisinopril refill before Friday.  \n",
    language=" Spanish ",
    callback_window=" after 3pm ",
    source_link=" https://portal.example.com/messages/88 ",
)


def problems_with(draft: IntakeDraft) -> list[FieldProblem]:
    result = validate_intake(draft, LANES, LANGUAGES)
    assert isinstance(result, list), f"expected problems, got {result}"
    return result


def accepted(draft: IntakeDraft) -> IntakeRequest:
    result = validate_intake(draft, LANES, LANGUAGES)
    assert isinstance(result, IntakeRequest), f"expected a request, got {result}"
    return result


# --- normalize_phone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("(555) 201-4477", "(555) 201-4477"),
        ("555.201.4477", "(555) 201-4477"),
        ("5552014477", "(555) 201-4477"),
        ("1-555-201-4477", "(555) 201-4477"),
        ("+1 555 201 4477", "(555) 201-4477"),
        ("  555 201 4477  ", "(555) 201-4477"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 (30) 1234-5678", "+493012345678"),
        ("555-201-4477 ext. 12", "(555) 201-4477 ext. 12"),
        ("555-201-4477 EXT 12", "(555) 201-4477 ext. 12"),
        ("555-201-4477 x12", "(555) 201-4477 ext. 12"),
        ("555-201-4477 #4", "(555) 201-4477 ext. 4"),
        ("+44 20 7946 0958 ext 7", "+442079460958 ext. 7"),
    ],
)
def test_phone_numbers_are_accepted_in_the_ways_people_write_them(
    typed: str, normalized: str
) -> None:
    assert normalize_phone(typed) == normalized


@pytest.mark.parametrize(
    "typed",
    [
        "call me",
        "",
        "555-0100",
        "555-201-447",
        "(055) 201-4477",
        "(155) 201-4477",
        "1-055-201-4477",
        "2-555-201-4477",
        "+12",
        "+1234567",
        "+1234567890123456",
        "12345678901234567",
        "555-201-4477 ext. 1234567",
        "555-CALL-NOW",
        "ext. 12",
        "+44 20 7946 0958 or 555 201 4477",
    ],
)
def test_text_that_is_not_a_phone_number_is_refused(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_area_code_starting_with_0_or_1_is_refused_in_international_form_too() -> None:
    assert normalize_phone("+1 055 201 4477") is None


ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in "5552014477")
FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in "5552014477")
SUPERSCRIPT_TWO_AT_THE_END = "555201447\u00b2"


@pytest.mark.parametrize("typed", [ARABIC_INDIC, FULL_WIDTH, SUPERSCRIPT_TWO_AT_THE_END])
def test_only_ascii_digits_make_a_phone_number(typed: str) -> None:
    assert normalize_phone(typed) is None


NANP_AREA = (
    st.integers(2, 9)
    .map(str)
    .flatmap(
        lambda first: st.text("0123456789", min_size=2, max_size=2).map(lambda rest: first + rest)
    )
)
FOUR_DIGITS = st.text("0123456789", min_size=4, max_size=4)
THREE_DIGITS = st.text("0123456789", min_size=3, max_size=3)


@given(
    area=NANP_AREA,
    exchange=THREE_DIGITS,
    line=FOUR_DIGITS,
    template=st.sampled_from(
        ["({a}) {e}-{l}", "{a}.{e}.{l}", "{a}{e}{l}", "1-{a}-{e}-{l}", "+1 {a} {e} {l}"]
    ),
)
def test_every_way_of_writing_a_north_american_number_reads_the_same(
    area: str, exchange: str, line: str, template: str
) -> None:
    typed = template.format(a=area, e=exchange, l=line)
    assert normalize_phone(typed) == f"({area}) {exchange}-{line}"


PHONE_LIKE = st.text(alphabet="0123456789 ()-.+#xXeEtT", max_size=30)


@given(st.one_of(PHONE_LIKE, st.text(max_size=30)))
def test_a_normalized_phone_has_no_letters_except_ext(typed: str) -> None:
    normalized = normalize_phone(typed)

    if normalized is not None:
        assert not any(c.isalpha() for c in normalized.replace(" ext. ", ""))


@given(PHONE_LIKE)
def test_normalizing_a_normalized_phone_changes_nothing(typed: str) -> None:
    normalized = normalize_phone(typed)

    if normalized is not None:
        assert normalize_phone(normalized) == normalized


# --- validate_intake -------------------------------------------------------------------------


def test_valid_draft_becomes_a_request_with_normalized_phone_and_stripped_text() -> None:
    assert accepted(VALID) == IntakeRequest(
        patient_ref="MRN-20431",
        patient_name="Jane Q. Doe",
        phone="(555) 201-4477",
        origin=Origin.VOICEMAIL,
        lane="refills",
        request_type="Refill request",
        summary="Needs a lisinopril refill before Friday.",
        language="Spanish",
        callback_window="after 3pm",
        source_link="https://portal.example.com/messages/88",
    )


def test_blank_language_means_the_practices_first_language() -> None:
    assert accepted(replace(VALID, language="  ")).language == "English"


def test_optional_callback_window_and_source_link_may_be_left_blank() -> None:
    request = accepted(replace(VALID, callback_window="", source_link=""))
    assert (request.callback_window, request.source_link) == ("", "")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient_ref": ""}, IntakeField.PATIENT_REF),
        ({"patient_ref": "MRN 20431"}, IntakeField.PATIENT_REF),
        ({"patient_ref": "-20431"}, IntakeField.PATIENT_REF),
        ({"patient_ref": "M" * (REFERENCE_MAX + 1)}, IntakeField.PATIENT_REF),
        ({"patient_name": ""}, IntakeField.PATIENT_NAME),
        ({"patient_name": "J" * (NAME_MAX + 1)}, IntakeField.PATIENT_NAME),
        ({"summary": ""}, IntakeField.SUMMARY),
        ({"summary": "x" * (SUMMARY_MAX + 1)}, IntakeField.SUMMARY),
        ({"phone": ""}, IntakeField.PHONE),
        ({"phone": "call me"}, IntakeField.PHONE),
        ({"phone": "555-0100"}, IntakeField.PHONE),
        ({"origin": "carrier_pigeon"}, IntakeField.ORIGIN),
        ({"origin": ""}, IntakeField.ORIGIN),
        ({"lane": "billing"}, IntakeField.LANE),
        ({"request_type": "Symptom question"}, IntakeField.REQUEST_TYPE),
        ({"request_type": ""}, IntakeField.REQUEST_TYPE),
        ({"language": "Klingon"}, IntakeField.LANGUAGE),
        ({"callback_window": "w" * (CALLBACK_WINDOW_MAX + 1)}, IntakeField.CALLBACK_WINDOW),
        ({"source_link": "http://portal.example.com/messages/88"}, IntakeField.SOURCE_LINK),
        ({"source_link": "javascript:alert(1)"}, IntakeField.SOURCE_LINK),
        ({"source_link": "https://" + "a" * SOURCE_LINK_MAX}, IntakeField.SOURCE_LINK),
    ],
    ids=lambda value: str(value)[:40],
)
def test_each_problem_is_reported_with_its_field(
    change: dict[str, str], field: IntakeField
) -> None:
    problems = problems_with(replace(VALID, **change))

    assert [problem.field for problem in problems] == [field]
    assert problems[0].message


def test_several_problems_are_reported_together() -> None:
    draft = replace(VALID, patient_name=" ", phone="call me", lane="billing", language="Klingon")

    fields = {problem.field for problem in problems_with(draft)}

    assert fields == {
        IntakeField.PATIENT_NAME,
        IntakeField.PHONE,
        IntakeField.LANE,
        IntakeField.LANGUAGE,
    }


def test_an_empty_draft_reports_every_required_field() -> None:
    fields = {problem.field for problem in problems_with(IntakeDraft())}

    assert fields == {
        IntakeField.PATIENT_REF,
        IntakeField.PATIENT_NAME,
        IntakeField.SUMMARY,
        IntakeField.PHONE,
        IntakeField.ORIGIN,
        IntakeField.LANE,
    }


def test_whitespace_only_summary_counts_as_empty() -> None:
    blank = problems_with(replace(VALID, summary=" \n\t "))
    empty = problems_with(replace(VALID, summary=""))

    assert blank == empty
    assert [problem.field for problem in blank] == [IntakeField.SUMMARY]


def test_summary_of_exactly_the_limit_is_accepted_even_with_surrounding_space() -> None:
    summary = "s" * SUMMARY_MAX
    assert accepted(replace(VALID, summary=f"  {summary}\n")).summary == summary


def test_an_overlong_summary_says_how_long_it_is() -> None:
    (problem,) = problems_with(replace(VALID, summary="x" * (SUMMARY_MAX + 1)))
    assert f"{SUMMARY_MAX + 1:,}" in problem.message


def test_a_missing_phone_and_a_wrong_phone_are_told_apart() -> None:
    (missing,) = problems_with(replace(VALID, phone="  "))
    (wrong,) = problems_with(replace(VALID, phone="call me"))
    assert missing.message != wrong.message


def test_a_request_type_of_the_chosen_lane_is_accepted() -> None:
    draft = replace(VALID, lane="nurse", request_type="Symptom question")
    assert accepted(draft).lane == "nurse"


def test_request_type_is_only_checked_once_the_lane_is_known() -> None:
    draft = replace(VALID, lane="billing", request_type="Anything")
    assert [problem.field for problem in problems_with(draft)] == [IntakeField.LANE]


@given(
    st.one_of(
        st.text(max_size=40),
        st.tuples(
            st.text(" \t\n", max_size=3),
            st.integers(SUMMARY_MAX - 2, SUMMARY_MAX + 2),
            st.characters(),
            st.text(" \t\n", max_size=3),
        ).map(lambda parts: parts[0] + parts[2] * parts[1] + parts[3]),
    )
)
@example("\x00")
@example("\x00" * (SUMMARY_MAX + 1))  # too long and unstorable: two problems, one field
def test_an_accepted_summary_is_stripped_non_empty_and_within_the_limit(summary: str) -> None:
    result = validate_intake(replace(VALID, summary=summary), LANES, LANGUAGES)

    stripped = summary.strip()
    if isinstance(result, IntakeRequest):
        assert result.summary == stripped
        assert 0 < len(result.summary) <= SUMMARY_MAX
    else:
        assert {problem.field for problem in result} == {IntakeField.SUMMARY}
        shows_nothing = all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in stripped)
        # A NUL cannot be stored (PostgreSQL text): refused wherever it is, said so.
        assert shows_nothing or len(stripped) > SUMMARY_MAX or UNSTORABLE in summary


def test_plus_one_needs_exactly_ten_digits_after_it() -> None:
    assert normalize_phone("+1 555 201 447") is None
    assert normalize_phone("+1 555 201 44770") is None


def test_summary_of_only_invisible_characters_counts_as_empty() -> None:
    problems = problems_with(replace(VALID, summary="\u200b\u200b \u2060"))
    assert [p.field for p in problems] == [IntakeField.SUMMARY]


def test_source_link_needs_a_host() -> None:
    problems = problems_with(replace(VALID, source_link="https://"))
    assert [p.field for p in problems] == [IntakeField.SOURCE_LINK]


# --- a missed call: only a phone number ------------------------------------------------------

ONLY_A_NUMBER = IntakeDraft(phone="555 201 4477", origin="missed_call", lane="refills")


def test_a_missed_call_needs_only_a_phone_number_and_reads_as_a_missed_call() -> None:
    request = validate_intake(ONLY_A_NUMBER, LANES, LANGUAGES)
    assert isinstance(request, IntakeRequest)
    assert request.phone == "(555) 201-4477"
    assert (request.patient_ref, request.patient_name, request.summary) == ("", "", "")
    assert request.request_type == MISSED_CALL_TYPE == "Missed call"
    assert request.language == "English"


def test_a_missed_call_without_a_phone_number_is_refused() -> None:
    problems = validate_intake(replace(ONLY_A_NUMBER, phone=" "), LANES, LANGUAGES)
    assert problems == [FieldProblem(IntakeField.PHONE, "Enter a callback phone number.")]


def test_what_a_missed_call_does_give_is_still_checked() -> None:
    draft = replace(ONLY_A_NUMBER, patient_ref="MRN 1!", request_type="Brain surgery")
    problems = validate_intake(draft, LANES, LANGUAGES)
    assert isinstance(problems, list)
    assert {p.field for p in problems} == {IntakeField.PATIENT_REF, IntakeField.REQUEST_TYPE}


def test_only_a_missed_call_may_leave_out_who_called() -> None:
    draft = replace(ONLY_A_NUMBER, origin="voicemail", request_type="Refill request")
    problems = validate_intake(draft, LANES, LANGUAGES)
    assert isinstance(problems, list)
    assert {p.field for p in problems} == {
        IntakeField.PATIENT_REF,
        IntakeField.PATIENT_NAME,
        IntakeField.SUMMARY,
    }


def test_no_other_origin_may_use_the_missed_call_request_type() -> None:
    draft = replace(VALID, request_type=MISSED_CALL_TYPE)
    problems = validate_intake(draft, LANES, LANGUAGES)
    assert isinstance(problems, list)
    assert [p.field for p in problems] == [IntakeField.REQUEST_TYPE]


def test_check_caller_wants_both_a_reference_and_a_name() -> None:
    assert check_caller(" MRN-1 ", " Rosa ") == ("MRN-1", "Rosa", [])
    _, _, problems = check_caller("", "")
    assert {p.field for p in problems} == {IntakeField.PATIENT_REF, IntakeField.PATIENT_NAME}
