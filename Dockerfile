FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# A headless Java runtime for MPXJ, which reads .mpp, Primavera P6 and other plan files in the
# Celery worker (projects/imports/jvm.py; MPXJ needs Java 11 or later). The man directory is
# missing from slim images and the JRE's post-install step needs it.
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
RUN pip install .
COPY . .
# collectstatic needs a key only to import settings; the real one comes from the environment.
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --home /app slate && chown -R slate /app
USER slate
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
