"""The practice's renderer: every wording CareQueue sends, in the practice's words.

One per practice (bot/deps.py builds it): the outbox renders cards, thread entries and
notices with it, and listeners render their direct replies (refusals, errors, forms) with
the same instance, so a `templates_dir` override reaches everything Slack shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment
from slack_sdk.models.views import View

from blocks.alerts import alert_message
from blocks.card import item_card
from blocks.chart import chart_filename, first_response_chart
from blocks.digest import Audience, digest_message
from blocks.ephemeral import (
    error_message,
    form_not_opened,
    merged_into_clinical,
    outdated,
    refusal_message,
)
from blocks.escalation import TEMPLATES as ESCALATION_NOTICES
from blocks.escalation import escalation_notice, red_flag_prompt, rule_label
from blocks.home import home_view
from blocks.message import Message
from blocks.metrics import metrics_message, qa_sample_message
from blocks.modals.attempt import AttemptDraft, attempt_modal
from blocks.morning import morning_message
from blocks.moved_card import moved_card
from blocks.notices import notice_message, operations_notice
from blocks.templating import build_environment
from blocks.thread import thread_entry
from bot.domain.aging import AlertNotice
from bot.domain.digest import Digest
from bot.domain.escalation import RED_FLAG_PROMPT
from bot.domain.events import Event
from bot.domain.item_history import Breakdown, Period, Times
from bot.domain.items import Item, Refusal
from bot.domain.metrics import MetricsReport
from bot.domain.morning import MorningSummary
from bot.domain.practice import Practice
from bot.domain.views import CardView, HomeData


class PracticeRenderer:
    """Renders with the practice's privacy level, lanes, time zone and template overrides.

    The outbox's methods return `chat.*` arguments; the listeners' return the Message or
    View their Slack call takes. Pure: no clock, no database, no network.
    """

    def __init__(self, practice: Practice) -> None:
        self.practice = practice
        # Built once: the practice's folder first, then the packaged templates.
        self.env: Environment = build_environment(practice.templates_dir)

    # --- for the outbox -----------------------------------------------------------------

    def card(self, view: CardView, now: datetime) -> dict[str, Any]:
        item = view.item
        if view.moved_to_lane is not None:
            moved = moved_card(item, self.practice.lane(view.moved_to_lane), self.env)
            return moved.to_payload()
        message = item_card(
            item,
            self.practice.lane(item.lane),
            self.practice.privacy,
            now,
            self.practice.timezone,
            self.env,
            promise=view.promise,
            cadence_attempts=self.practice.lane(item.lane).cadence.attempts,
            history_link=view.history_link,
            calendar=self.practice.calendar,
            escalation=view.escalation,
            escalation_label=(
                rule_label(view.escalation.rule, self.practice.escalation.rules)
                if view.escalation is not None
                else ""
            ),
            default_language=self.practice.languages[0] if self.practice.languages else "",
        )
        return message.to_payload()

    def message(self, template: str, item: Item, params: dict[str, Any]) -> dict[str, Any]:
        lane = self.practice.lane(item.lane)
        if template == RED_FLAG_PROMPT:
            tz = self.practice.timezone
            rule = self.practice.red_flag_rule(item.red_flags)
            privacy = self.practice.privacy
            return red_flag_prompt(item, params, privacy, lane, tz, self.env, rule)
        if template in ESCALATION_NOTICES:
            return escalation_notice(
                template,
                item,
                lane,
                self.practice.escalation.rules,
                params,
                self.practice.privacy,
                self.practice.timezone,
                self.env,
            )
        return notice_message(template, item, lane, params, self.practice.timezone, self.env)

    def operations_notice(self, template: str, params: dict[str, Any]) -> dict[str, Any]:
        return operations_notice(template, params, self.env)

    def digest(self, digest: Digest, workspace_url: str | None) -> dict[str, Any]:
        return digest_message(digest, self._audience(workspace_url)).to_payload()

    def morning(self, summary: MorningSummary, workspace_url: str | None) -> dict[str, Any]:
        return morning_message(summary, self._audience(workspace_url)).to_payload()

    def _audience(self, workspace_url: str | None) -> Audience:
        """The managers' summaries are written in the practice's lane names, privacy level,
        time zone and escalation reasons."""
        return Audience(
            self.practice.lanes,
            self.practice.privacy,
            self.practice.timezone,
            workspace_url,
            {key: rule.label for key, rule in self.practice.escalation.rules.items()},
        )

    def alert(self, notice: AlertNotice) -> dict[str, Any]:
        return alert_message(
            notice, self.practice.lane(notice.lane), self.practice.timezone, self.env
        )

    def metrics(self, report: MetricsReport) -> dict[str, Any]:
        message = metrics_message(report, self.practice.lanes, self.practice.timezone)
        return message.to_payload()

    def qa_sample(self, sample: list[tuple[str, str]]) -> dict[str, Any]:
        return qa_sample_message(sample, self.practice.lanes).to_payload()

    def chart(self, series: tuple[tuple[Period, Breakdown[Times]], ...]) -> tuple[bytes, str]:
        """The first-response chart as PNG bytes, with its file name."""
        png = first_response_chart(series, self.practice.lanes, self.practice.timezone)
        return png, chart_filename(series[-1][0])

    def home(self, data: HomeData) -> dict[str, Any]:
        view = home_view(data, self.practice)
        return view.to_dict()

    def thread_entry(self, event: Event, item: Item) -> dict[str, Any]:
        message = thread_entry(
            event,
            item,
            self.practice.privacy,
            self.practice.timezone,
            self.env,
            lanes=self.practice.lanes,
        )
        return message.to_payload()

    # --- for the listeners' direct replies ----------------------------------------------

    def refusal(self, refusal: Refusal) -> Message:
        """Why an action was not done, with times in the practice's zone."""
        return refusal_message(
            refusal, self.practice.timezone, self.env, lane_name=self._lane_name(refusal)
        )

    def refusal_text(self, refusal: Refusal, owner_name: str | None = None) -> str:
        """The same words as plain text, for a form's error: the owner as "@ana" (or not
        named), times written out."""
        message = refusal_message(
            refusal,
            self.practice.timezone,
            self.env,
            plain=True,
            owner_name=owner_name,
            lane_name=self._lane_name(refusal),
        )
        return message.text

    def _lane_name(self, refusal: Refusal) -> str:
        """The name of the lane a role refusal is about (empty for other refusals)."""
        return self.practice.lane(refusal.lane).name if refusal.lane else ""

    def merged_into_clinical(self, kept: str, folded: str) -> Message:
        """A merge went the other way, so the clinical item stays open: say so."""
        return merged_into_clinical(kept, folded, self.env)

    def error(self, reference: str) -> Message:
        """Something failed that is not a refusal: the logged reference."""
        return error_message(reference, self.env)

    def form_not_opened(self) -> Message:
        """Slack would not open a form: nothing was changed."""
        return form_not_opened(self.env)

    def outdated(self, what: str) -> Message:
        """A button, form, shortcut or command this version no longer knows."""
        return outdated(what, self.env)

    def attempt_modal(
        self, item: Item, private_metadata: str, draft: AttemptDraft | None = None
    ) -> View:
        """The Log call form, with the lane's scripts in the practice's words for the moment
        `draft` is at (before the outcome, or after the one chosen), keeping what it holds."""
        return attempt_modal(
            item,
            self.practice.lane(item.lane),
            practice_name=self.practice.name,
            default_language=self.practice.default_language,
            env=self.env,
            private_metadata=private_metadata,
            tz=self.practice.timezone,
            callback_number=self.practice.callback_number,
            draft=draft,
        )
