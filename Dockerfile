# The HMIS GraphQL API as a container image: `make docker` builds it (docs/deployment.md).
# It serves production settings only: configure it with HMIS_* variables and run behind a
# TLS-terminating proxy. Migrations run as a separate step: `docker run IMAGE hmis migrate`.
#
# The base is a build argument, python:3.11-slim unless told: where Docker Hub cannot be
# reached, deploy/build-base-image.sh makes a stand-in and `make docker BASE_IMAGE=...` uses it.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HMIS_ENV=production

WORKDIR /app

# The pinned dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
COPY hmis/__init__.py hmis/__init__.py
RUN pip install --editable . && rm -rf /root/.cache

# The package runs from /app (editable install): the migrations and docs are found beside it.
COPY alembic.ini ./
COPY migrations migrations
COPY docs docs
COPY hmis hmis

RUN useradd --system --uid 10001 --home-dir /app hmis && chown -R hmis /app
USER hmis

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Workers: about one per CPU the container may use; set HMIS_WORKERS to change it.
ENV HMIS_WORKERS=2
CMD ["sh", "-c", "exec hmis serve --host 0.0.0.0 --port 8000 --workers \"$HMIS_WORKERS\""]
