"""The WSGI application for gunicorn (or any WSGI server)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
_patterns = get_resolver().url_patterns  # import the URLconf, views and serializers now

# What loading Django and Tend made (modules, classes, settings: some 100,000 objects) lives as long
# as the process. Frozen, it is left out of the cyclic collector's full collections, which every few
# hundred requests otherwise scanned it all and paused the request at hand for up to 100 ms: the
# review queue's p99 went from 127 to 53 ms (in-process, 5,000 patients). It also keeps those pages
# shared between a preloading server's workers.
gc.collect()
gc.freeze()
