"""The Telegram bot: commands and their HTML replies, access rules, paging, notifications.

- ``registry``: the command table, dispatch and friendly errors;
- ``market``, ``account``, ``alerts``: the commands, by purpose;
- ``views``: replies as HTML; ``formatting``: escaping and number formats;
- ``callbacks``: the one encode/decode pair for inline buttons' callback data;
- ``access``: who may use what, and the per-chat rate limit;
- ``webhook``: one update in, Bot API method calls out;
- ``operations``: the webhook's registration, long polling, replies without Telegram;
- ``notifications``: the digest, watch alerts and the admin alert after a collection.

Its stored state is ``shared.services.bot_state``; sending is ``shared.adapters.messenger``.
"""
