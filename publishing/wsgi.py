from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from config.tracing import tracing_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "publishing.settings")
tracing_setup(service="publishing")  # before the app loads: it adds the tracing middleware
application = get_wsgi_application()
