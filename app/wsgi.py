"""The WSGI object Zappa serves (``app_function: app.wsgi.app``): lazy, so a cold start imports
only what the first request needs (see ``app.create_app``)."""
from app import create_app

app = create_app(lazy=True)
