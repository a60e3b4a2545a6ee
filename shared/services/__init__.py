"""Services: the collection, the read side, the trading account and the bot's stored state."""
