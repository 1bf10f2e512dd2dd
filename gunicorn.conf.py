"""gunicorn settings, read from the environment (WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT)."""

import os

wsgi_app = "pwpush.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
accesslog = "-"
# The access log shows paths, and paths hold push tokens: log the method and status only.
access_log_format = '%(h)s "%(m)s" %(s)s %(B)s %(L)ss'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
