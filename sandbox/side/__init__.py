"""Slack's side of the wire: what Slack sends the app when people use it.

``interactions.SlackSide`` is the entry point (slash commands, clicks, modals, shortcuts,
events); ``wire`` signs and delivers each request (HTTP or Socket Mode), ``payloads``
builds the pieces of what Slack sends, and ``elements`` reads Block Kit as a person's
client does (the element acted on, the options, ``view.state.values``).
"""
