"""`python -m bench.database URL [URL ...]`: create each PostgreSQL database that is missing
(connecting to the server's `postgres` database, in autocommit as CREATE DATABASE needs)."""

from __future__ import annotations

import sys
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql


def ensure_database(url: str) -> bool:
    """Create the database named by `url` unless it exists; True if it was created."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"bench: not a PostgreSQL URL: {url}")
    name = unquote(parts.path.lstrip("/"))
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    connection = psycopg2.connect(server)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def main(urls: list[str]) -> int:
    for url in urls:
        name = urlsplit(url).path.lstrip("/")
        print(f"Database {name}: {'created' if ensure_database(url) else 'exists'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
