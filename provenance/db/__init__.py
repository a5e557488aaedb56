"""The SQLite schema as numbered SQL migration files, and the code that applies them.

Migrations live in ``provenance/db/migrations/NNNN_name.sql`` and are applied in order,
each in its own transaction. The schema version of a database is its ``PRAGMA
user_version``: the number of the last migration applied (0 for a new file).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import sqlite_utils

_MIGRATION_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")


class MigrationError(Exception):
    """The migrations are inconsistent, or the database cannot be brought up to date."""


class SchemaTooNewError(MigrationError):
    """The database was written by a newer provenance than this one."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(directory: Path | Traversable | None = None) -> list[Migration]:
    """The migrations in ``directory`` (default: the packaged ones), ordered by version.

    Versions must run 1, 2, 3, ... without gaps or repeats: a gap would mean a lost file.
    """
    folder = directory if directory is not None else resources.files(__name__) / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {migration.name}: expected version {expected:04d} "
                f"(versions must be numbered 0001, 0002, ... without gaps)"
            )
    return found


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, migrations: list[Migration] | None = None) -> int:
    """Apply the migrations ``db`` lacks, in order; return the resulting schema version.

    Raises SchemaTooNewError when the database is ahead of the known migrations, so
    older code never writes into a schema it does not understand.

    Safe when several processes open a new file at once: the version is read again under
    SQLite's write lock (BEGIN IMMEDIATE; the others wait for it, see the connection's
    busy timeout), so each migration is applied by exactly one of them.
    """
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    if _check_version(db, latest) == latest:
        return latest  # the common case: nothing to do, no lock taken
    # SQLite's table rebuild (create new, copy, drop old, rename) must run with foreign
    # keys off, or dropping the old table would cascade into its children; the pragma is
    # a no-op inside a transaction, so it is set here and the keys are checked before
    # COMMIT instead.
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        return _migrate_locked(db, migrations, latest)
    finally:
        db.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")


def _migrate_locked(db: sqlite_utils.Database, migrations: list[Migration], latest: int) -> int:
    db.execute("BEGIN IMMEDIATE")
    try:
        current = _check_version(db, latest)
        for migration in migrations[current:]:
            # One savepoint per migration: the schema change and the new version number
            # land together or not at all; those before a failing one stay applied.
            db.execute("SAVEPOINT migration")
            try:
                for statement in _statements(migration.sql):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {migration.version}")
            except Exception as exc:  # sqlite3 errors, mostly; say which file failed
                db.execute("ROLLBACK TO SAVEPOINT migration")
                db.execute("RELEASE SAVEPOINT migration")
                db.execute("COMMIT")
                raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
            db.execute("RELEASE SAVEPOINT migration")
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            table, rowid, parent, _ = broken[0]
            raise MigrationError(
                f"migrations left {len(broken)} row(s) that break a foreign key "
                f"(first: {table} row {rowid} -> {parent}); nothing was changed"
            )
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    return schema_version(db)


def _check_version(db: sqlite_utils.Database, latest: int) -> int:
    current = schema_version(db)
    if current > latest:
        raise SchemaTooNewError(
            f"database schema version {current} is newer than this provenance supports "
            f"(version {latest}); upgrade provenance to open it"
        )
    return current


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3's executescript would COMMIT first and
    so drop the lock that makes concurrent migration safe). ``complete_statement`` knows
    about strings, comments and trigger bodies, so a ";" inside them does not split."""
    statements, start = [], 0
    for position, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start : position + 1]):
            statements.append(sql[start : position + 1])
            start = position + 1
    if sql[start:].strip():
        statements.append(sql[start:])
    return statements
