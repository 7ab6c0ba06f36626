"""Settings for bench/http_load.py only: production settings plus the baselines mounted under /bench/.

Everything else is production's: DEBUG off, Argon2, the whole middleware stack, HSTS and the HTTPS
redirect. The load generator sends `X-Forwarded-Proto: https`, as the TLS-terminating proxy does in
production (SECURE_PROXY_SSL_HEADER), so SecurityMiddleware answers instead of redirecting; nothing
is switched off for plain HTTP.

Login throttling cannot get in the way: the bench signs in a handful of times with the right
passwords, its cache keys carry the run's prefix (TEND_BENCH_RUN_ID), and the failure limit is out of
reach. Never deploy with these settings: /bench/ has no authentication.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import CACHES

ROOT_URLCONF = "bench.urls"
CACHES["default"]["KEY_PREFIX"] = "tend-bench-" + os.environ.get("TEND_BENCH_RUN_ID", "local")
TEND_LOGIN_MAX_FAILURES = 1_000_000
