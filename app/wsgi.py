"""The WSGI object Zappa serves (``app_function: app.wsgi.app``), built once per Lambda container."""
from app import create_app

app = create_app()
