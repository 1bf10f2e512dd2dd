"""gunicorn settings, read from the environment (WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT)."""

import os

wsgi_app = "pwpush.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
accesslog = "-"
# The access log shows paths, and paths hold push tokens: log the method and status only.
access_log_format = '%(h)s "%(m)s" %(s)s %(B)s %(L)ss'
# Forwarded headers are believed only from TRUSTED_PROXIES (pwpush.middleware does the rest).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
# gunicorn's control socket (gunicornc) is not used, and a shared one in $HOME or in a
# volume several containers mount would be taken over by whichever server started last.
control_socket_disable = True


def on_starting(server) -> None:
    """gunicorn logs malformed request lines and headers whole: redact them like Django's logs."""
    from pwpush.logging import RedactTokens

    server.log.error_log.addFilter(RedactTokens())
    server.log.access_log.addFilter(RedactTokens())
