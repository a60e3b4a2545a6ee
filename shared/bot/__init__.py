"""The Telegram bot: commands and their HTML replies, access rules, state, sending.

- ``commands``: one function per command, registered in one table, and ``dispatch``;
- ``webhook``: one update in, Bot API method calls out (``handle_update``);
- ``formatting``: escaping and number formats for HTML parse mode;
- ``access``: who may use what, and the per-chat rate limit;
- ``state``: subscriptions, watches and handled update ids in the Store;
- ``messenger``: python-telegram-bot's ExtBot with AIORateLimiter on one event loop;
- ``notifications``: the digest, watch alerts and the admin alert after a collection.
"""
