"""Escalation in Slack: "More ▸ Escalate…" and `/cq escalate CQ-1042` open the form; on
submit the person who escalated sees at once what to tell the patient. The page's (and the
escalated card's) buttons: View the full context, Acknowledge, Resolve, Not clinical."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ephemeral import notice
from blocks.escalation import rule_label
from blocks.ids import ActionId, FieldId, More, ViewId, parse_escalation_value
from blocks.modals.escalate import (
    context_modal,
    escalate_form_from_view,
    escalate_modal,
    guidance_message,
    resolve_errors,
    resolve_form_from_view,
    resolve_modal,
)
from blocks.modals.form import item_metadata, metadata_key, metadata_value
from blocks.modals.status import message_modal, notice_modal
from bot.deps import ListenerDeps
from bot.domain.items import Action, Item, Refusal
from bot.services.base import Done
from handlers.deadline import answer_card_action, answer_submission
from handlers.forms import FormTrigger, open_item_form, open_modal
from handlers.menu import card_menu

log = logging.getLogger(__name__)

NOT_ESCALATED = "Not escalated: choose a reason from the list."
NOT_CLINICAL = "not_clinical"


def register(app: AsyncApp) -> None:
    card_menu(app).add(More.ESCALATE, open_escalate_form)
    app.view(ViewId.ESCALATE)(on_escalate_submitted)
    app.action(ActionId.ESCALATION_VIEW)(on_view_clicked)
    app.action(ActionId.ESCALATION_ACKNOWLEDGE)(on_acknowledge_clicked)
    app.action(ActionId.ESCALATION_RESOLVE)(on_resolve_clicked)
    app.action(ActionId.ESCALATION_NOT_CLINICAL)(on_resolve_clicked)
    app.view(ViewId.ESCALATION_RESOLVE)(on_resolve_submitted)
    app.action(ActionId.RED_FLAG_ESCALATE)(on_red_flag_escalate)
    app.action(ActionId.RED_FLAG_DISMISS)(on_red_flag_dismiss)


async def open_escalate_form(
    client: AsyncWebClient, deps: ListenerDeps, trigger: FormTrigger, key: str
) -> None:
    """The Escalate form, from the card's menu or `/cq escalate KEY`."""
    rules = list(deps.practice.escalation.rules.values())

    def form(item: Item) -> View:
        if not rules:
            return notice_modal(key, "The practice file lists no escalation reasons.")
        metadata = item_metadata(key, channel=trigger.channel or "")
        return escalate_modal(item, rules, metadata)

    await open_item_form(client, deps, trigger, key, Action.ESCALATE, form)


async def on_escalate_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    rule, context = escalate_form_from_view(view)
    if deps.practice.escalation.rule(rule) is None:
        await ack(response_action="errors", errors={FieldId.ESCALATION_RULE: NOT_ESCALATED})
        return
    user = body["user"]["id"]
    key = metadata_key(view)
    work = partial(deps.escalations.escalate, item_key=key, actor=user, rule=rule, context=context)
    result = await answer_submission(
        ack, body, client, deps, work, refused_under=FieldId.ESCALATION_RULE
    )
    if isinstance(result, Done):
        chosen = deps.practice.escalation.rule(rule)
        escalation = await deps.escalations.current(result.item.key)  # merged: where it went
        assert chosen is not None
        paged = escalation.paged if escalation is not None else ()
        message = guidance_message(result.item, chosen, paged).to_payload()
        await _guide(client, metadata_value(view, "channel"), user, message)


async def on_view_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """The full context of the escalation, for the person looking at the page (audited)."""
    await ack()
    key = str(action.get("value", ""))
    user = body["user"]["id"]

    async def form() -> View:
        escalation = await deps.escalations.current(key)
        item = await deps.services.view_details(item_key=key, actor=user)
        if isinstance(item, Refusal):
            return message_modal(key, deps.renderer.refusal(item))
        if escalation is None:
            return notice_modal(key, f"{key} has no escalation to show.")
        label = rule_label(escalation.rule, deps.practice.escalation.rules)
        return context_modal(item, escalation, label, deps.practice.timezone)

    await open_modal(client, deps, FormTrigger.of(body), key, form)


async def on_acknowledge_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    key, escalation_id = parse_escalation_value(str(action.get("value", "")))
    user = body["user"]["id"]
    work = deps.escalations.acknowledge(item_key=key, actor=user, escalation_id=escalation_id)
    channel = body.get("channel", {}).get("id", "")

    async def then(result: Done) -> None:
        if channel.startswith("D"):  # in a DM the page itself says so (the card shows everyone)
            text = f"You acknowledged {result.item.key}. Resolve it from the card or this page."
            await _tell(client, channel, user, text)

    await answer_card_action(ack, body, client, deps, work, then)


async def on_red_flag_escalate(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """ "Escalate" on the red-flag prompt: escalated at once; the guidance follows."""
    user, key = body["user"]["id"], str(action.get("value", ""))
    channel = body["channel"]["id"]
    work = deps.escalations.confirm_red_flag(item_key=key, actor=user)

    async def then(result: Done) -> None:
        escalation = await deps.escalations.current(result.item.key)
        rule = deps.practice.red_flag_rule(result.item.red_flags)
        if escalation is not None:
            rule = deps.practice.escalation.rule(escalation.rule) or rule
        if rule is None:
            return
        paged = escalation.paged if escalation is not None else ()
        message = guidance_message(result.item, rule, paged).to_payload()
        await client.chat_postEphemeral(channel=channel, user=user, **message)

    await answer_card_action(ack, body, client, deps, work, then)


async def on_red_flag_dismiss(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    """ "Not an emergency": recorded with who said so; the card keeps its red-flag mark."""
    work = deps.escalations.dismiss_red_flag(
        item_key=str(action.get("value", "")), actor=body["user"]["id"]
    )
    channel, user = body["channel"]["id"], body["user"]["id"]

    async def then(result: Done) -> None:
        text = f"Noted: {result.item.key} is not an emergency. The red-flag mark stays."
        await _tell(client, channel, user, text)

    await answer_card_action(ack, body, client, deps, work, then)


async def on_resolve_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    await ack()
    key, clicked = parse_escalation_value(str(action.get("value", "")))
    not_clinical = action.get("action_id") == ActionId.ESCALATION_NOT_CLINICAL

    async def form() -> View:
        ended = await deps.escalations.ended(key, clicked)
        if ended is not None:  # a button on an old page: that escalation is over
            return message_modal(key, deps.renderer.refusal(ended))
        escalation = await deps.escalations.current(key)
        item = await deps.services.get(key)
        if item is None or escalation is None or not escalation.state.is_open:
            return notice_modal(key, f"{key} has no open escalation.")
        label = rule_label(escalation.rule, deps.practice.escalation.rules)
        # The form answers the escalation it names, never one opened after it.
        metadata = item_metadata(
            key,
            kind=NOT_CLINICAL if not_clinical else "resolve",
            escalation=str(escalation.id),
        )
        return resolve_modal(item, label, not_clinical=not_clinical, private_metadata=metadata)

    await open_modal(client, deps, FormTrigger.of(body), key, form)


async def on_resolve_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: ListenerDeps,
) -> None:
    decision, told, appropriate = resolve_form_from_view(view)
    errors = resolve_errors(decision, told, appropriate)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    assert appropriate is not None
    work = partial(
        deps.escalations.resolve,
        item_key=metadata_key(view),
        actor=body["user"]["id"],
        decision=decision,
        told_patient=told,
        appropriate=appropriate,
        not_clinical=metadata_value(view, "kind") == NOT_CLINICAL,
        escalation_id=_escalation_id(metadata_value(view, "escalation")),
    )
    await answer_submission(ack, body, client, deps, work, refused_under=FieldId.DECISION)


def _escalation_id(value: str) -> int | None:
    """The escalation a Resolve form was opened for (None: a form opened before it said)."""
    return int(value) if value.isdigit() else None


async def _guide(client: AsyncWebClient, channel: str, user: str, message: dict[str, Any]) -> None:
    """What to tell the patient, to the person who escalated: only to them where they typed
    the command, else (a conversation CareQueue is not in: Slack refuses the ephemeral, and
    the escalation has been made) by direct message. It must reach them either way."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
            return
        except SlackApiError as error:
            log.info(
                "escalation guidance: ephemeral refused (%s); sent by DM",
                error.response.get("error"),
            )
    await client.chat_postMessage(channel=user, **message)


async def _tell(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    """A short confirmation only the person who clicked sees."""
    await client.chat_postEphemeral(channel=channel, user=user, **notice(text).to_payload())
