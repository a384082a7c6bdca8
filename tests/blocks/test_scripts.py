"""Patient-facing scripts: per lane and language, overridable, and unable to say anything but
the patient's first name, the practice's name and the practice's callback number."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from jinja2 import Environment, StrictUndefined, TemplateNotFound, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from blocks.scripts import (
    SCRIPTS_FOLDER,
    Script,
    find_script,
    first_name_of,
    folder_name,
    render_script,
    script_paths,
)
from blocks.templating import PACKAGED_TEMPLATES, build_environment
from tests.blocks.conftest import WORDING

SCRIPTS = PACKAGED_TEMPLATES / SCRIPTS_FOLDER
SHIPPED = sorted(str(p.relative_to(PACKAGED_TEMPLATES)) for p in SCRIPTS.rglob("*.j2"))
VOICEMAILS = [name for name in SHIPPED if name.endswith(f"/{Script.VOICEMAIL}.j2")]

# What a patient record holds that no script may ever say.
DATE_OF_BIRTH = "1961-04-09"
CLINICAL_NOTE = "metformin 500 mg, A1c 9.1, chest pain since Sunday"
PHONE = "(555) 201-4477"
PRACTICE_NUMBER = "(555) 201-0000"
MEDICAL_WORDS = (
    "appointment",
    "prescription",
    "refill",
    "result",
    "medication",
    "doctor",
    "nurse",
    "clinical",
    "referral",
    "insurance",
    "cita",
    "receta",
    "resultado",
    "medicamento",
    "enfermer",
)


def render(name: str, env: Environment | None = None, **where: str) -> str:
    options = {
        "lane": "scheduling",
        "language": "English",
        "callback_number": PRACTICE_NUMBER,
        **where,
    }
    return render_script(
        env or WORDING,
        name,
        first_name="Jane",
        practice_name="Riverside Family Medicine",
        **options,
    )


def test_every_script_is_shipped_in_english_and_spanish() -> None:
    for language in ("english", "spanish"):
        for script in Script:
            assert f"{SCRIPTS_FOLDER}/default/{language}/{script}.j2" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_script_uses_only_the_first_name_and_the_practices_name_and_number(
    name: str,
) -> None:
    env = WORDING
    source = (PACKAGED_TEMPLATES / name).read_text()
    allowed = {"first_name", "practice_name", "callback_number"}
    assert meta.find_undeclared_variables(env.parse(source)) <= allowed
    for first_name in ("Jane", ""):
        for number in (PRACTICE_NUMBER, ""):
            text = env.get_template(name).render(
                first_name=first_name, practice_name="Riverside", callback_number=number
            )
            if "practice_name" in source:
                assert "Riverside" in text
            assert "{{" not in text and "{%" not in text and " ," not in text and " ." not in text


def test_the_rendering_function_takes_no_other_template_variables() -> None:
    parameters = inspect.signature(render_script).parameters
    assert set(parameters) == {
        "env",
        "name",
        "lane",
        "language",
        "first_name",
        "practice_name",
        "callback_number",
        "default_language",
    }
    kinds = {p.kind for p in parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert inspect.Parameter.VAR_POSITIONAL not in kinds


@pytest.mark.parametrize("name", VOICEMAILS)
def test_a_shipped_voicemail_says_who_called_and_nothing_medical(name: str) -> None:
    text = WORDING.get_template(name).render(
        first_name="Jane", practice_name="RFM", callback_number=PRACTICE_NUMBER
    )
    assert "Jane" in text and "RFM" in text
    lowered = text.lower()
    assert not [word for word in MEDICAL_WORDS if word in lowered], text
    for secret in (DATE_OF_BIRTH, CLINICAL_NOTE, PHONE):
        assert secret not in text


@pytest.mark.parametrize(
    ("language", "call_back"),
    [("English", "Please call us back at"), ("Spanish", "devuélvanos la llamada al")],
)
def test_the_voicemail_gives_the_practices_callback_number_and_only_the_first_name(
    language: str, call_back: str
) -> None:
    text = render_script(
        WORDING,
        Script.VOICEMAIL,
        lane="scheduling",
        language=language,
        first_name=first_name_of("Jane Q. Doe"),
        practice_name="Riverside Family Medicine",
        callback_number=PRACTICE_NUMBER,
    )
    assert f"{call_back} {PRACTICE_NUMBER}" in text
    assert "Riverside Family Medicine" in text and "Jane" in text
    assert "Doe" not in text and "Q." not in text and PHONE not in text


@pytest.mark.parametrize("language", ["English", "Spanish"])
def test_without_a_callback_number_the_voicemail_still_asks_for_a_call_back(language: str) -> None:
    text = render(Script.VOICEMAIL, language=language, callback_number="")
    assert "Riverside Family Medicine" in text and not any(ch.isdigit() for ch in text)
    assert "call us back" in text or "devuélvanos la llamada" in text


@pytest.mark.parametrize(
    "source",
    [
        "Hi {{ first_name }}, about {{ summary }}",
        "Hi {{ first_name }}, born {{ item.patient.date_of_birth }}",
        "Hi {{ first_name }} ({{ date_of_birth }})",
        "Call us about {{ clinical_note }}",
        "Reach us at {{ phone }}",
        "{{ patient }}",
    ],
)
def test_an_override_cannot_put_patient_details_into_a_voicemail(
    tmp_path: Path, source: str
) -> None:
    folder = tmp_path / SCRIPTS_FOLDER / "default" / "english"
    folder.mkdir(parents=True)
    (folder / "voicemail.j2").write_text(source)
    env = build_environment(tmp_path)
    with pytest.raises(UndefinedError):
        render(Script.VOICEMAIL, env)


def test_an_override_cannot_reach_into_python_internals(tmp_path: Path) -> None:
    folder = tmp_path / SCRIPTS_FOLDER / "default" / "english"
    folder.mkdir(parents=True)
    (folder / "voicemail.j2").write_text("{{ first_name.__class__.__mro__ }}")
    with pytest.raises(SecurityError):
        render(Script.VOICEMAIL, build_environment(tmp_path))


def test_scripts_render_in_a_sandboxed_strict_environment() -> None:
    env = build_environment(None)
    assert isinstance(env, SandboxedEnvironment) and env.undefined is StrictUndefined


def test_the_clinical_boundary_is_the_approved_sentence() -> None:
    text = render(Script.CLINICAL_BOUNDARY, lane="clinical")
    assert text.startswith(
        "I'm not able to give medical advice, but I am passing your question to our clinical "
        "team now."
    )
    spanish = render(Script.CLINICAL_BOUNDARY, language="Spanish")
    assert spanish.startswith("No puedo darle consejo médico")


@pytest.mark.parametrize(
    ("language", "stay"), [("English", "stay on the line"), ("Spanish", "Me quedaré en la línea")]
)
def test_the_emergency_line_says_call_911_while_staff_stay_on_the_line(
    language: str, stay: str
) -> None:
    # The practice's policy: tell the patient to call 911 now and stay on the line with them
    # until they have; never "hang up and call 911".
    text = render(Script.CLINICAL_BOUNDARY, language=language)
    assert "911" in text and stay in text


@pytest.mark.parametrize("name", SHIPPED)
def test_no_shipped_script_says_hang_up_or_promises_a_nurse_today(name: str) -> None:
    # Nothing pages a nurse or enforces a time, so no script may promise one.
    source = (PACKAGED_TEMPLATES / name).read_text().lower()
    for words in ("hang up", "cuelgue", "nurse today", "hoy mismo"):
        assert words not in source, f"{name} says {words!r}"


def test_the_opening_greets_by_first_name_and_asks_to_verify_identity() -> None:
    text = render(Script.OPENING, lane="insurance")
    assert text.startswith("Hello, may I speak with Jane?")
    assert "Riverside Family Medicine" in text and "date of birth" in text
    anonymous = render_script(
        WORDING,
        Script.OPENING,
        lane="insurance",
        language="English",
        first_name="",
        practice_name="RFM",
    )
    assert anonymous.startswith("Hello, may I speak with the person who called us?")


def test_a_lanes_own_script_wins_over_the_default_one() -> None:
    assert "care team" in render(Script.OPENING, lane="clinical")
    assert "medical advice" in render(Script.OPENING, lane="clinical")
    assert "appointment request" in render(Script.OPENING, lane="scheduling")
    assert "returning your call" in render(Script.OPENING, lane="billing")
    assert render(Script.VOICEMAIL, lane="clinical") == render(Script.VOICEMAIL, lane="billing")


def test_the_patients_language_then_the_practice_default() -> None:
    env = WORDING
    spanish = find_script(
        env, Script.OPENING, lane="billing", language="Spanish", first_name="Ana", practice_name="R"
    )
    assert spanish.language == "Spanish" and spanish.text.startswith(
        "Hola, ¿podría hablar con Ana?"
    )
    tagalog = find_script(
        env, Script.OPENING, lane="billing", language="Tagalog", first_name="Ana", practice_name="R"
    )
    assert tagalog.language == "English" and tagalog.text.startswith("Hello")
    spanish_practice = find_script(
        env,
        Script.VOICEMAIL,
        lane="billing",
        language="Tagalog",
        first_name="Ana",
        practice_name="R",
        default_language="Spanish",
    )
    assert spanish_practice.language == "Spanish" and spanish_practice.text.startswith("Hola")


def test_paragraphs_are_kept_and_lines_within_them_joined() -> None:
    text = render(Script.OPENING, lane="billing")
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 2 and all("\n" not in p for p in paragraphs)


def test_a_practice_override_wins_and_can_add_a_language(tmp_path: Path) -> None:
    english = tmp_path / SCRIPTS_FOLDER / "default" / "english"
    english.mkdir(parents=True)
    (english / "voicemail.j2").write_text(
        "Hi {{ first_name }}, it's {{ practice_name }}.\nPlease call us back.\n"
    )
    vietnamese = tmp_path / SCRIPTS_FOLDER / "default" / "vietnamese"
    vietnamese.mkdir(parents=True)
    (vietnamese / "opening.j2").write_text("Xin chào {{ first_name }}.")
    env = build_environment(tmp_path)
    assert (
        render(Script.VOICEMAIL, env)
        == "Hi Jane, it's Riverside Family Medicine. Please call us back."
    )
    assert render(Script.OPENING, env, language="Vietnamese") == "Xin chào Jane."
    assert render(Script.ACKNOWLEDGMENT, env).startswith("Thank you, Jane.")


def test_lane_and_language_cannot_climb_out_of_the_scripts_folder() -> None:
    assert folder_name("../../templates") == "templates"
    assert folder_name("Haitian Creole") == "haitian_creole"
    assert folder_name("") == "_"
    for path in script_paths(Script.OPENING, lane="../..", language="/etc/passwd"):
        assert ".." not in path and path.count("/") == 3


def test_an_unknown_script_name_is_refused() -> None:
    with pytest.raises(ValueError):
        render("diagnosis")


def test_a_missing_script_in_every_language_says_so() -> None:
    with pytest.raises(TemplateNotFound):
        render(Script.OPENING, language="Tagalog", default_language="Tagalog")


@pytest.mark.parametrize(
    ("full_name", "first"),
    [("Jane Q. Doe", "Jane"), ("Doe, Jane", "Jane"), ("  María José  ", "María"), ("", "")],
)
def test_first_name_of(full_name: str, first: str) -> None:
    assert first_name_of(full_name) == first
