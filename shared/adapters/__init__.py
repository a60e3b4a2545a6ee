"""Adapters, named after their technology: storage, the archive layout, market data, Alpaca, Telegram sending."""
