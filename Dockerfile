FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events ./events
COPY feeds ./feeds
COPY web ./web
COPY service ./service
RUN pip install --no-cache-dir .
ENV ALLIANCES_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
CMD ["alliances", "serve", "--host", "0.0.0.0", "--port", "8000"]
