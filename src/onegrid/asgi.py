"""ASGI entry point: ``uvicorn onegrid.asgi:application``. Requests run through Django's synchronous
handler on a fixed pool of ``ONEGRID_SERVER_THREADS`` threads per process (see kit.threaded_asgi), so
each thread keeps its database connection between requests."""

import os
import threading

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from onegrid.kit.threaded_asgi import ThreadPoolASGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
application = ThreadPoolASGI(get_wsgi_application(), threads=settings.SERVER_THREADS)

# Build the locate index while the server starts accepting requests (each worker process has its own).
from onegrid.areas.locator import locator  # noqa: E402  (needs the apps loaded above)

threading.Thread(target=locator.warm, name="locate-index-warm", daemon=True).start()
