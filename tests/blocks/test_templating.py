"""The wording templates: every one renders, strictly, safely, and a practice's override wins."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import StrictUndefined, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from blocks.ephemeral import refusal_message
from blocks.templating import PACKAGED_TEMPLATES, build_environment, render
from bot.domain.items import Action, Refusal, RefusalCode
from tests.blocks.conftest import TZ, WORDING

# One representative value for every variable any packaged template uses.
REPRESENTATIVE_CONTEXT = {
    "key": "CQ-1042",
    "into": "CQ-1001",  # a merged item's refusal: the item it was merged into
    "request_type": "Scheduling help",
    "action": "claim",
    "action_verb": "claim",
    "status": "claimed",
    "status_label": "Claimed",
    "resolved": False,
    "overdue": True,
    "due": "Mon 2:30 PM",
    "owner_mention": "<@U1>",
    "actor_mention": "<@U2>",
    "closed_by_mention": "<@U1>",
    "closed_at": "<!date^1795444920^{time}|Mon Nov 23 9:42 AM EST>",
    "since": "<!date^1795444920^{time}|Mon Nov 23 9:42 AM EST>",
    "at": "10:42 AM",
    "resolution": "appointment booked",
    "origin_phrase": "from a voicemail",
    "reference": "7KQ2",
    # Working an item (issue 4): thread entries, notices and the moved card.
    "lane_name": "Scheduling help",
    "from_lane_name": "Referrals",
    "channel": "<#C0REFER>",
    "attempt": 2,
    "attempts": 3,
    "dead": 2,  # the dead-letter notice: Slack writes held back
    "outcome": "Reached",
    "identity_verified": True,
    "final": "",
    "next_due": "Tue 10:30 AM",
    "promise_due": "Tue 3:00 PM",
    "check_back": "Thu 9:00 AM",
    "waiting_on": "payer",
    "repeat_count": 2,
    "from_key": "CQ-1043",
    "merged_key": "CQ-1043",
    "into_key": "CQ-1001",
    "related_key": "CQ-1001",
    "language": "Spanish",
    # Escalation (issue 12).
    "rule": "emergency",
    "paged_mentions": "<@U0NURSE01>, <@U0NURSE02>",
    "ack_due": "Mon 10:47 AM",
    "appropriate": True,
    "rule_label": "Medical emergency",
    "urgency_label": "Immediate",
    "target": "provider on call",
    "template": "escalation_page",
    # Clinical safety (issue 12): a merge that went the other way, a "Not clinical" move,
    # a clinical request language routing kept, an unreachable clinical patient's review.
    "kept": "CQ-1002",
    "folded": "CQ-1001",
    "not_clinical": True,
    "clinician_mentions": "<@U0NURSE02>",
    "clinical": True,
    # The red-flag prompt: to whoever logged the request, or the clinical channel.
    "in_channel": True,
    "flag_words": "chest pain",
    "escalates_at": "<!date^1795444920^{time}|9:42 AM>",
    "answered": "",
    "dismissed_by_mention": "<@U1>",
    # Aging and promise alerts (issue 13): what the alert is about and why it no longer holds.
    "kind": "breach",
    "cleared": "claimed",
    "by_mention": "<@U1>",
    "now_due": "Tue 10:30 AM",
    # Roles and permissions (issue 14): the role a refusal names.
    "needed_role": "staff",
    # Hardening (issue 14): what an older version's button, form or shortcut was.
    "what": "button",
}

TEMPLATE_NAMES = sorted(path.name for path in PACKAGED_TEMPLATES.glob("*.j2"))


def test_the_template_folder_is_not_empty() -> None:
    assert len(TEMPLATE_NAMES) >= 15


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_template_renders_one_line_under_strict_undefined(name: str) -> None:
    env = WORDING
    source = (PACKAGED_TEMPLATES / name).read_text()
    used = meta.find_undeclared_variables(env.parse(source))
    assert used <= REPRESENTATIVE_CONTEXT.keys(), (
        f"{name} uses {used - REPRESENTATIVE_CONTEXT.keys()}"
    )
    text = render(env, name, **REPRESENTATIVE_CONTEXT)
    assert text
    assert "\n" not in text
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("code", list(RefusalCode))
def test_every_refusal_code_has_its_own_template(code: RefusalCode) -> None:
    assert f"refusal.{code.value}.j2" in TEMPLATE_NAMES


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_a_thread_entry_template(action: Action) -> None:
    assert f"thread.{action.value}.j2" in TEMPLATE_NAMES


def test_the_environment_is_sandboxed_and_strict() -> None:
    env = WORDING
    assert isinstance(env, SandboxedEnvironment)
    assert env.undefined is StrictUndefined
    assert env.autoescape is False
    with pytest.raises(UndefinedError):
        render(env, "refusal.needs_claim.j2")


def test_the_sandbox_refuses_reaching_into_python_internals(tmp_path: Path) -> None:
    (tmp_path / "refusal.not_found.j2").write_text("{{ key.__class__.__mro__ }}")
    env = build_environment(tmp_path)
    with pytest.raises(SecurityError):
        render(env, "refusal.not_found.j2", key="CQ-1")


def test_the_slack_filter_escapes_only_ampersand_and_angle_brackets() -> None:
    env = WORDING
    assert env.from_string("{{ x|slack }}").render(x='<!here> & "q"') == '&lt;!here&gt; &amp; "q"'


def test_a_practice_override_wins_and_the_rest_fall_back_to_the_packaged_wording(
    tmp_path: Path,
) -> None:
    (tmp_path / "refusal.needs_claim.j2").write_text(
        "Please claim {{ key|slack }} first, then close it.\n"
    )
    env = build_environment(tmp_path)
    assert (
        render(env, "refusal.needs_claim.j2", key="CQ-7")
        == "Please claim CQ-7 first, then close it."
    )
    assert render(env, "refusal.not_found.j2", key="CQ-7") == "There is no item CQ-7."
    message = refusal_message(Refusal(RefusalCode.NEEDS_CLAIM, item_key="CQ-7"), TZ, env=env)
    assert message.text == "Please claim CQ-7 first, then close it."
