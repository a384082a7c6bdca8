"""The stub Slack: Slack's Web API, response_urls and Socket Mode on 127.0.0.1, over an
in-memory workspace, for tests and the sandbox.

``server.SlackStub`` is the one entry point; the parts it is made of, one concern each:

- ``records``: the workspace's fixed ids, the records it keeps (Call, StoredMessage, ...)
- ``conformance``: what Slack's spec and Block Kit's limits refuse before a method runs
- ``state``: channels, messages, ephemerals, members and user groups
- ``surfaces``: views, modal stacks, App Home and trigger_ids
- ``response_urls``: response_urls issued and answered
- ``faults``: errors, rate limits and withheld or dropped answers a test asks for
- ``socket_mode``: connections, envelopes and acks
- ``methods/``: the Web API methods, one module per family (chat, conversations, users, views)
"""
