"""Django's own ASGI handler, as ``onegrid serve`` ran before requests had a fixed pool of threads: each
request's synchronous code on a thread of its own, with a database connection of its own. The
comparison server of bench/soak.py (``uvicorn _django_asgi:application --app-dir bench``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")

from django.core.asgi import get_asgi_application  # (the settings module must be named first)

application = get_asgi_application()
