"""ASGI entry point: ``uvicorn onegrid.asgi:application``."""

import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
application = get_asgi_application()

# Build the locate index while the server starts accepting requests (each worker process has its own).
from onegrid.areas.locator import locator  # noqa: E402  (needs the apps loaded above)

threading.Thread(target=locator.warm, name="locate-index-warm", daemon=True).start()
