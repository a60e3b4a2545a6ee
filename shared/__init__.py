"""dipwatch's shared modules: config, storage, market data, analytics and services."""
