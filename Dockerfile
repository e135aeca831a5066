# One image for every role: `alliances serve` (the default: UI and pollers in one process), `alliances serve
# --no-pollers` (web), `alliances worker`, `alliances db upgrade` (see docker-compose.yml and the README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events ./events
COPY feeds ./feeds
COPY web ./web
COPY service ./service
RUN pip install . \
 && useradd --system --uid 10001 --user-group --home-dir /data --create-home --shell /usr/sbin/nologin alliances \
 && install -d -o alliances -g alliances -m 0700 /keys

# Settings come from ALLIANCES_* variables (README, "Configuration"); these suit a container.
ENV ALLIANCES_DATA_DIR=/data ALLIANCES_HOST=0.0.0.0 ALLIANCES_PORT=8000
USER alliances
VOLUME ["/data"]
EXPOSE 8000

# The web process answers on ALLIANCES_PORT; a worker overrides this with `python -m service.probe --database`.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-m", "service.probe"]
CMD ["alliances", "serve"]
