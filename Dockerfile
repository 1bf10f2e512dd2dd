# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles
RUN useradd --system --uid 10001 --user-group --home-dir /app pwpush \
    && mkdir -p /data /app && chown pwpush:pwpush /data
COPY --from=build /venv /venv
WORKDIR /app
# The code belongs to root: the app's user can read it, not change it.
COPY . /app
# Static files are collected into the image; the build needs no real secrets.
RUN SECRET_KEY=collectstatic-only DATA_DIR=/tmp/build python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/build
USER pwpush
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys,urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/up', timeout=4).status != 200)"
CMD ["gunicorn", "pwpush.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
