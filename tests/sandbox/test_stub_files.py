"""The stub answers Slack's external file upload as slack_sdk's files_upload_v2 drives it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.stub.conformance import load_required_params
from sandbox.stub.server import SlackStub


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with SlackStub() as running:
        yield running


def client_of(stub: SlackStub) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=stub.base_url)


async def test_files_upload_v2_shares_the_file_in_the_channel_with_its_comment(
    stub: SlackStub,
) -> None:
    channel = stub.add_channel("cq-managers")

    response = await client_of(stub).files_upload_v2(
        channel=channel,
        file=b"\x89PNG fake image",
        filename="chart.png",
        title="First response",
        initial_comment="This week's chart",
    )

    assert response["ok"] and response["file"]["title"] == "First response"
    (shared,) = stub.files_in(channel)
    assert shared.data == b"\x89PNG fake image" and shared.filename == "chart.png"
    (message,) = stub.messages(channel)
    assert message.text == "This week's chart"
    assert message.files[0]["id"] == shared.id
    assert [c.method for c in stub.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    url = stub.root_url + message.files[0]["url_private"]
    async with aiohttp.ClientSession() as session, session.get(url) as shown:
        assert shown.status == 200 and await shown.read() == b"\x89PNG fake image"
    stub.assert_no_problems()


async def test_completing_an_upload_that_never_happened_is_refused(stub: SlackStub) -> None:
    client = client_of(stub)
    reserved = await client.files_getUploadURLExternal(filename="a.png", length=10)

    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(
            files=[{"id": reserved["file_id"], "title": "a"}], channel_id="C0000001"
        )

    assert refused.value.response["error"] == "file_upload_size_mismatch"


async def test_getting_an_upload_url_without_a_length_is_a_problem(stub: SlackStub) -> None:
    with pytest.raises(SlackApiError):
        await client_of(stub).api_call("files.getUploadURLExternal", params={"filename": "a"})

    assert stub.take_problems() == [
        "files.getUploadURLExternal: missing required argument 'length'"
    ]


def test_the_upload_methods_newer_than_the_spec_have_their_required_arguments() -> None:
    table = load_required_params()

    assert table["files.getUploadURLExternal"] == ("filename", "length")
    assert table["files.completeUploadExternal"] == ("files",)
    assert table["chat.postMessage"] == ("channel",)
