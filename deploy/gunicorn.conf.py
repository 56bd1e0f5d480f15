"""gunicorn for 江北党员教育, behind deploy/nginx/jiangbei.conf (used by jiangbei-web.service).

Options given on the command line win over these (the front-server test binds its own port).
"""

import multiprocessing
import os

# Loopback only: nginx in front terminates TLS and sets X-Forwarded-Proto and X-Real-IP.
bind = "127.0.0.1:8000"
# Sync workers, gunicorn's recommendation of 2 × cores + 1; WEB_CONCURRENCY overrides.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
# A request may run this long before its worker is replaced (exports and reports are the longest);
# nginx's proxy_read_timeout is a little longer, so this one decides.
timeout = 60
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200
# Access log to stdout (the journal); errors to stderr.
accesslog = "-"
access_log_format = '%({x-real-ip}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss'
errorlog = "-"
