# Threshold in a container: `docker build -t threshold .`, then `docker compose up` (compose.yaml).
# The SQLite file lives on the /data volume; settings come from the environment (compose.yaml
# reads .env). The image never holds a token.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies come pinned with their hashes from requirements.lock (made from pyproject.toml
# by `make lock`), the build backend included, so nothing unhashed is downloaded; then the
# sources are copied to a build folder, installed without fetching anything more, and removed.
WORKDIR /src
COPY requirements.lock requirements-reader.txt pyproject.toml README.md ./
RUN pip install --require-hashes --no-deps -r requirements.lock -r requirements-reader.txt
COPY dialogs ./dialogs
COPY bot ./bot
COPY adapters ./adapters
RUN pip install --no-deps --no-build-isolation . \
    && rm -rf /src

RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home threshold \
    && mkdir /data \
    && chown threshold:threshold /data

ENV DATABASE_URL=sqlite:////data/threshold.db \
    HEALTH_PORT=8080 \
    HEALTH_HOST=0.0.0.0

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["threshold", "healthcheck"]

STOPSIGNAL SIGTERM
CMD ["threshold", "run"]
