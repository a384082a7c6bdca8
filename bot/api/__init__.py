"""The intake API: phone systems, portals and web forms post patient requests over HTTP, on
the app's own aiohttp server (also when Slack runs over Socket Mode). The contract is
bot/api/openapi.json, served at /api/v1/openapi.json."""
