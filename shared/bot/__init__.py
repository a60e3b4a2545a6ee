"""The Telegram bot: commands and their HTML replies, access rules, notifications.

Its stored state is ``shared.services.bot_state``; sending is ``shared.adapters.messenger``.

- ``commands``: one function per command, registered in one table, and ``dispatch``;
- ``webhook``: one update in, Bot API method calls out (``handle_update``);
- ``formatting``: escaping and number formats for HTML parse mode;
- ``access``: who may use what, and the per-chat rate limit;
- ``operations``: the webhook's registration, long polling, replies without Telegram;
- ``notifications``: the digest, watch alerts and the admin alert after a collection.
"""
