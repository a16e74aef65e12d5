# The CRM (and, with another command, a simulated gateway). Not built on the development
# machines (no Docker engine there): see README.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --system --home /app balise

COPY pyproject.toml README.md alembic.ini ./
COPY eddystone eddystone
COPY beacon_gateway beacon_gateway
COPY crm crm
COPY roadbook roadbook
COPY partners partners
COPY migrations migrations
RUN pip install --no-cache-dir '.[server,gateway]'

USER balise
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
CMD ["sh", "-c", "crm migrate && crm serve --host 0.0.0.0 --port 8000 --workers 2"]
