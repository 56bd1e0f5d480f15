"""Backups of the database and the media files, and their restore (等保 2.0: data backup and recovery).

A backup is one uncompressed tar file, ``jiangbei-backup-<UTC time>.tar``, that holds one folder
of the same name (``tar xf`` gives that folder, which ``restore`` accepts too):

    database.sqlite3 | database.pgdump   SQLite's online backup, or ``pg_dump --format=custom``
    media/…                              every file under MEDIA_ROOT: photos, and the import
                                         uploads (private storage lives under MEDIA_ROOT too)
    manifest.json                        format, times, versions, rows per table, SHA-256 and
                                         size of every file above
    manifest.json.sha256                 the manifest's own checksum

The row counts are those of the dump itself: SQLite's are counted in the copied file, PostgreSQL's
in the snapshot ``pg_dump`` reads (exported from a repeatable-read transaction), so a restore
can be compared with them exactly while the application keeps running during the backup.

A restore verifies every checksum before it changes anything, refuses another vendor's dump and
a non-empty target unless asked, restores the database, then the media files, then counts the
rows of every table again and compares them with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import parse_qsl, unquote, urlsplit

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler

FORMAT = "jiangbei-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.json.sha256"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDORS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MEDIA = "media"
CHUNK = 1024 * 1024
# libpq parameters taken over from OPTIONS or a URL's query string (the password never: PGPASSWORD).
LIBPQ_PARAMETERS = {
    "application_name", "channel_binding", "connect_timeout", "gssencmode", "options", "passfile",
    "service", "sslcert", "sslcrl", "sslkey", "sslmode", "sslrootcert", "target_session_attrs",
}

Log = Callable[[str], None]


class BackupError(Exception):
    """A message for the operator; raised before anything (more) was changed."""


def _quiet(message: str) -> None:
    pass


# --- Databases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A database to back up or to restore into: Django connection settings and their vendor."""

    vendor: str
    settings: dict

    @classmethod
    def current(cls) -> Database:
        return cls(connection.vendor, dict(connection.settings_dict))

    @classmethod
    def from_url(cls, url: str) -> Database:
        """``postgres://user:password@host:port/name?sslmode=…`` or ``sqlite:////absolute/path``."""
        scheme, _, rest = url.partition("://")
        scheme = scheme.lower()
        if scheme == "sqlite":
            name = rest[1:] if rest.startswith("/") else rest
            if name in ("", ":memory:"):
                raise BackupError("--database-url: a SQLite target must name a file (sqlite:////path/to/file)")
            return cls("sqlite", {"ENGINE": "django.db.backends.sqlite3", "NAME": name})
        if scheme in ("postgres", "postgresql", "pgsql"):
            parts = urlsplit(url)
            try:
                port = parts.port
            except ValueError:
                raise BackupError("--database-url has an invalid port") from None
            return cls("postgresql", {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": unquote(parts.path.lstrip("/")),
                "USER": unquote(parts.username or ""),
                "PASSWORD": unquote(parts.password or ""),
                "HOST": unquote(parts.hostname or ""),
                "PORT": str(port or ""),
                "OPTIONS": dict(parse_qsl(parts.query)),
            })
        # Never echo the URL: it may hold a password.
        raise BackupError(f"--database-url must start with postgres:// or sqlite:// (got {scheme}://…)")

    def describe(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite file {self.settings['NAME']}"
        host = self.settings.get("HOST") or "the local socket"
        port = self.settings.get("PORT") or 5432
        return f"PostgreSQL database {self.settings.get('NAME')!r} on {host}:{port}"

    @contextmanager
    def connect(self) -> Iterator[BaseDatabaseWrapper]:
        """A Django connection of its own (not one of ``settings.DATABASES``), closed afterwards."""
        handler = ConnectionHandler({"default": {**self.settings, "CONN_MAX_AGE": 0}})
        try:
            yield handler["default"]
        finally:
            handler.close_all()

    def libpq(self) -> tuple[str, dict[str, str]]:
        """A libpq connection string without the password, and the environment that carries it."""
        values = self.settings
        parameters = {"dbname": values.get("NAME"), "user": values.get("USER"), "host": values.get("HOST"),
                      "port": values.get("PORT")}
        parameters |= {key: value for key, value in (values.get("OPTIONS") or {}).items() if key in LIBPQ_PARAMETERS}
        conninfo = " ".join(
            f"{key}={_libpq_quote(str(value))}" for key, value in parameters.items() if value not in (None, "")
        )
        environment = dict(os.environ)
        if values.get("PASSWORD"):
            environment["PGPASSWORD"] = str(values["PASSWORD"])
        return conninfo, environment

    def tables(self) -> list[str]:
        """The tables the database holds already; none for a SQLite file that does not exist."""
        if self.vendor == "sqlite" and not Path(self.settings["NAME"]).exists():
            return []
        try:
            with self.connect() as target, target.cursor() as cursor:
                return target.introspection.table_names(cursor)
        except DatabaseError as error:
            raise BackupError(f"Cannot open the {self.describe()}: {error}") from None


def _libpq_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def model_tables() -> list[str]:
    """The table of every installed model (many-to-many tables included), and Django's migrations."""
    tables = {MigrationRecorder.Migration._meta.db_table}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def count_rows(database: BaseDatabaseWrapper, tables: Iterable[str]) -> dict[str, int]:
    """Rows of each of these tables that exists in the database."""
    with database.cursor() as cursor:
        present = set(database.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            if table in present:
                cursor.execute(f"SELECT COUNT(*) FROM {database.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
    return counts


def _tool(name: str, server_version: int | None = None) -> str:
    path = shutil.which(name)
    if path is None:
        major = f"-{server_version // 10000}" if server_version else ""
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the server's major "
            f"version (Debian: apt-get install postgresql-client{major}) or add them to PATH."
        )
    return path


def _run(arguments: list[str], environment: dict[str, str], what: str) -> None:
    result = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit status {result.returncode}):\n{result.stderr.strip()}")


def _dump_sqlite(destination: Path) -> dict[str, int]:
    """SQLite's online backup: a consistent copy while the application keeps writing."""
    connection.ensure_connection()
    copy = sqlite3.connect(destination)
    try:
        connection.connection.backup(copy)  # every page in one step, under one read transaction
    finally:
        copy.close()
    with Database("sqlite", {"ENGINE": "django.db.backends.sqlite3", "NAME": destination}).connect() as dumped:
        return count_rows(dumped, model_tables())


def _dump_postgresql(destination: Path) -> dict[str, int]:
    """``pg_dump --format=custom`` of a snapshot, and the rows of that same snapshot."""
    database = Database.current()
    connection.ensure_connection()
    pg_dump = _tool("pg_dump", connection.pg_version)
    conninfo, environment = database.libpq()
    with database.connect() as source, source.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={destination}",
              f"--dbname={conninfo}"], environment, "pg_dump")
        counts = count_rows(source, model_tables())
        cursor.execute("COMMIT")
    return counts


def app_version() -> str:
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        try:
            return metadata.version("jiangbei-education")
        except metadata.PackageNotFoundError:
            return "unknown"


# --- Writing a backup --------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile and hashes exactly the bytes that went into the archive."""

    def __init__(self, file: IO[bytes]):
        self.file = file
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.hash.update(data)
        return data


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(datetime.now(UTC).timestamp())
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict:
    with open(path, "rb") as source:
        info = _tar_info(name, os.fstat(source.fileno()).st_size)
        reader = _HashingReader(source)
        try:
            tar.addfile(info, reader)
        except OSError as error:
            raise BackupError(f"{path} changed while it was being backed up ({error}); run the backup again") from None
    return {"sha256": reader.hash.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_tar_info(name, len(data)), BytesIO(data))


def _regular_files(root: Path) -> Iterator[Path]:
    """Every regular file under MEDIA_ROOT, in a stable order; links are not followed."""
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                yield path


@dataclass
class Backup:
    path: Path
    manifest: dict


def create_backup(output: Path, log: Log = _quiet) -> Backup:
    """Write ``<output>/jiangbei-backup-<UTC time>.tar``; it appears only once complete."""
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}")
    output = Path(output).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if output == media_root or media_root in output.parents:
        raise BackupError(f"The output folder {output} is inside MEDIA_ROOT: choose a folder outside it")
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = datetime.now(UTC).replace(microsecond=0)
    name = "jiangbei-backup-" + created.strftime("%Y%m%dT%H%M%SZ")
    final = output / f"{name}.tar"
    if final.exists():
        raise BackupError(f"{final} exists already: wait a second and run the backup again")

    # Staged next to the result (same file system, private folder), renamed into place when done.
    with tempfile.TemporaryDirectory(dir=output, prefix=f".{name}.") as staging:
        dump = Path(staging) / DATABASE_FILES[vendor]
        log(f"Dumping the {VENDORS[vendor]} database …")
        counts = _dump_sqlite(dump) if vendor == "sqlite" else _dump_postgresql(dump)
        partial = Path(staging) / final.name
        files: dict[str, dict] = {}
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                files[dump.name] = _add_file(tar, f"{name}/{dump.name}", dump)
                log(f"Adding the media files of {media_root} …")
                for path in _regular_files(media_root):
                    relative = f"{MEDIA}/{path.relative_to(media_root).as_posix()}"
                    files[relative] = _add_file(tar, f"{name}/{relative}", path)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": created.isoformat().replace("+00:00", "Z"),
                    "app_version": app_version(),
                    "django_version": django.get_version(),
                    "database": {
                        "vendor": vendor,
                        "file": dump.name,
                        "server_version": sqlite3.sqlite_version if vendor == "sqlite" else connection.pg_version,
                    },
                    "tables": counts,
                    "files": files,
                }
                body = json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"
                _add_bytes(tar, f"{name}/{MANIFEST}", body)
                _add_bytes(tar, f"{name}/{MANIFEST_CHECKSUM}", f"{_sha256(body)}  {MANIFEST}\n".encode())
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, final)
    return Backup(final, manifest)


# --- Reading a backup --------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Archive:
    """The backup's files by name (relative to its folder): from the .tar, or from its extracted folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tar: tarfile.TarFile | None = None
        self.sizes: dict[str, int] = {}
        self.problems: list[str] = []
        if self.path.is_dir():
            for file in _regular_files(self.path):
                self.sizes[file.relative_to(self.path).as_posix()] = file.stat().st_size
            return
        if not self.path.is_file():
            raise BackupError(f"{self.path} does not exist; nothing was changed")
        try:
            self.tar = tarfile.open(self.path, "r:*")
            members = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise BackupError(
                f"{self.path} is not a readable backup (damaged or truncated?): {error}; nothing was changed"
            ) from None
        self.members: dict[str, tarfile.TarInfo] = {}
        for member in members:
            parts = PurePosixPath(member.name).parts
            if member.isdir() and len(parts) == 1:
                continue
            if len(parts) < 2 or not member.isfile():
                self.problems.append(f"{member.name}: not a file in the backup's folder")
                continue
            relative = PurePosixPath(*parts[1:]).as_posix()
            self.members[relative] = member
            self.sizes[relative] = member.size
        if len({PurePosixPath(member.name).parts[0] for member in members}) > 1:
            self.problems.append("the archive holds more than one folder")

    def open(self, name: str) -> IO[bytes]:
        if self.tar is None:
            return open(self.path / name, "rb")
        file = self.tar.extractfile(self.members[name])
        assert file is not None  # members are regular files
        return file

    def read(self, name: str) -> bytes:
        with self.open(name) as file:
            return file.read()

    def digest(self, name: str) -> str:
        hashed = hashlib.sha256()
        with self.open(name) as file:
            while chunk := file.read(CHUNK):
                hashed.update(chunk)
        return hashed.hexdigest()

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()


@contextmanager
def open_backup(path: Path) -> Iterator[_Archive]:
    archive = _Archive(path)
    try:
        yield archive
    finally:
        archive.close()


def _plain_relative(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def verify(archive: _Archive) -> dict:
    """The manifest, once every file matches its size and SHA-256; otherwise BackupError."""
    if MANIFEST not in archive.sizes or MANIFEST_CHECKSUM not in archive.sizes:
        raise BackupError(
            f"{archive.path} has no {MANIFEST}: the backup is incomplete or truncated; nothing was changed"
        )
    try:
        body = archive.read(MANIFEST)
        recorded = archive.read(MANIFEST_CHECKSUM).decode("ascii", "replace").split()
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{MANIFEST} cannot be read (truncated?): {error}; nothing was changed") from None
    if not recorded or recorded[0] != _sha256(body):
        raise BackupError(f"{MANIFEST} does not match its checksum: the backup is damaged; nothing was changed")
    try:
        manifest = json.loads(body)
        files: dict[str, dict] = manifest["files"]
        if manifest["format"] != FORMAT or manifest["format_version"] != FORMAT_VERSION:
            raise BackupError(
                f"{archive.path} is a {manifest['format']} backup of format version {manifest['format_version']}; "
                f"this version of the application reads {FORMAT} version {FORMAT_VERSION}"
            )
        if manifest["database"]["vendor"] not in DATABASE_FILES or manifest["database"]["file"] not in files:
            raise BackupError(f"{MANIFEST} names no database file of SQLite or PostgreSQL")
        checks = [(name, entry["size"], entry["sha256"]) for name, entry in sorted(files.items())]
        if not all(isinstance(rows, int) for rows in manifest["tables"].values()):
            raise TypeError("row counts must be integers")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"{MANIFEST} is malformed ({error!r}); nothing was changed") from None

    problems = list(archive.problems)
    for name, size, digest in checks:
        if not _plain_relative(name) or name in (MANIFEST, MANIFEST_CHECKSUM):
            problems.append(f"{name}: not a plain relative path")
        elif name not in archive.sizes:
            problems.append(f"{name}: missing")
        elif archive.sizes[name] != size:
            problems.append(f"{name}: {archive.sizes[name]} bytes, the manifest says {size}")
        else:
            try:
                if archive.digest(name) != digest:
                    problems.append(f"{name}: SHA-256 differs from the manifest")
            except (tarfile.TarError, OSError) as error:
                problems.append(f"{name}: cannot be read ({error})")
    for name in sorted(set(archive.sizes) - set(files) - {MANIFEST, MANIFEST_CHECKSUM}):
        problems.append(f"{name}: not in the manifest")
    if problems:
        raise BackupError(
            f"{archive.path} failed verification; nothing was changed:\n  " + "\n  ".join(problems)
        )
    return manifest


# --- Restoring ---------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict
    counts: dict[str, int]
    differences: list[str]
    media_files: int
    media_not_in_backup: list[str]


def _extract(archive: _Archive, name: str, destination: Path, digest: str) -> None:
    """Copy one file out (to a temporary name, renamed when complete), checking its SHA-256 again."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.restoring")
    hashed = hashlib.sha256()
    with archive.open(name) as source, open(partial, "wb") as target:
        while chunk := source.read(CHUNK):
            hashed.update(chunk)
            target.write(chunk)
    if hashed.hexdigest() != digest:
        partial.unlink()
        raise BackupError(f"{name} changed since it was verified: restore stopped")
    os.replace(partial, destination)


def _restore_sqlite(dump: Path, database: Database) -> None:
    target = Path(database.settings["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump.as_uri() + "?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # page by page into place, through SQLite's own locking (WAL files included)
    finally:
        copy.close()
        source.close()


def _restore_postgresql(dump: Path, database: Database) -> None:
    pg_restore = _tool("pg_restore")
    conninfo, environment = database.libpq()
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={conninfo}", str(dump)], environment, "pg_restore")


def _restore_media(archive: _Archive, files: dict[str, dict], media_root: Path) -> tuple[int, list[str]]:
    """Every media file of the backup into MEDIA_ROOT; files the backup does not hold stay, listed."""
    restored = set()
    for name, entry in sorted(files.items()):
        if name.startswith(f"{MEDIA}/"):
            relative = PurePosixPath(name).relative_to(MEDIA)
            _extract(archive, name, media_root.joinpath(*relative.parts), entry["sha256"])
            restored.add(relative.as_posix())
    present = [path.relative_to(media_root).as_posix() for path in _regular_files(media_root)]
    return len(restored), [name for name in present if name not in restored]


def restore_backup(path: Path, database: Database, *, replace: bool, media_root: Path,
                   log: Log = _quiet) -> Restored:
    """Verify, refuse what must be refused, then restore the database and the media files and count."""
    with open_backup(path) as archive:
        log(f"Verifying {archive.path} …")
        manifest = verify(archive)
        files = manifest["files"]
        vendor = manifest["database"]["vendor"]
        log(f"Checksums match: {len(files)} files, made {manifest['created_at']} "
            f"by version {manifest['app_version']}.")
        if manifest["app_version"] != app_version():
            log(f"Note: the backup was made by version {manifest['app_version']}; this is {app_version()}. "
                "Run `manage.py migrate` after the restore.")
        if vendor != database.vendor:
            raise BackupError(
                f"This is a {VENDORS[vendor]} backup and the target is a {VENDORS.get(database.vendor, database.vendor)} "
                f"database: restore it into {VENDORS[vendor]} (--database-url); nothing was changed"
            )
        existing = database.tables()
        if existing and not replace:
            raise BackupError(
                f"The target, {database.describe()}, is not empty ({len(existing)} tables). Restoring replaces "
                f"everything in it: run again with --yes to go ahead; nothing was changed"
            )
        connections.close_all()  # the target may be this application's own database
        log(f"Restoring the database into the {database.describe()} …")
        with tempfile.TemporaryDirectory(prefix="jiangbei-restore-") as scratch:
            name = manifest["database"]["file"]
            dump = Path(scratch) / name
            _extract(archive, name, dump, files[name]["sha256"])
            try:
                (_restore_sqlite if vendor == "sqlite" else _restore_postgresql)(dump, database)
            except sqlite3.Error as error:
                raise BackupError(f"The SQLite restore failed: {error}") from None
        log(f"Restoring the media files into {media_root} …")
        media_files, extra = _restore_media(archive, files, Path(media_root))
    expected: dict[str, int] = manifest["tables"]
    with database.connect() as target:
        counts = count_rows(target, expected)
    differences = [
        f"{table}: {expected[table]} rows in the backup, {counts.get(table, 'no table')} restored"
        for table in sorted(expected)
        if counts.get(table) != expected[table]
    ]
    return Restored(manifest, counts, differences, media_files, extra)
