# One image for all four services; DJANGO_SETTINGS_MODULE (publishing.settings,
# moderation.settings, notifications.settings, search_indexer.settings) picks the service and the
# command picks the process. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer stays cached until requirements.txt changes. Only what the services
# run: the test, benchmark and browser-test tools (requirements-dev.txt) never enter the image.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The code is owned by root and read-only for the service user; only var/ (Celery beat's
# schedule file, collected static files, var/metrics: a service's metrics volume in compose) is
# writable, and /definitions, where the compose job broker-definitions writes RabbitMQ's definitions
# (a new named volume mounted there takes this directory's owner). bin/identities.py imports
# config.eventbus from /app, its parent's parent.
COPY manage.py gunicorn.conf.py ./
COPY bin/ bin/
COPY config/ config/
COPY publishing/ publishing/
COPY moderation/ moderation/
COPY notifications/ notifications/
COPY search_indexer/ search_indexer/
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/var/metrics /definitions \
    && chown app:app /app/var /app/var/metrics /definitions

USER app

EXPOSE 8001 8002 8003 8004

CMD ["sh", "-c", "echo 'Usage: set DJANGO_SETTINGS_MODULE to publishing.settings, moderation.settings, notifications.settings or search_indexer.settings, then run one of:'; echo '  python manage.py migrate --noinput && python manage.py topology --exchanges  # once per release, every service'; echo '  python manage.py topology                                         # then, every service: queues, bindings'; echo '  gunicorn <service>.wsgi -b 0.0.0.0:<port> --workers 2             # web (8001..8004)'; echo '  python manage.py consume                                          # event consumer'; echo '  python manage.py relay                                            # outbox relay'; echo '  celery -A config.celery worker -Q <service>.tasks --loglevel INFO  # background jobs'; echo '  celery -A config.celery beat --loglevel INFO                      # scheduler'; echo 'Broker users: python bin/identities.py definitions --out FILE --admin admin  (no DJANGO_SETTINGS_MODULE needed)'; echo 'e.g. docker compose up  (see docker-compose.yml)'"]
