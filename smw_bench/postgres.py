"""A throwaway local PostgreSQL server for the benchmark's peer run.

``initdb`` into a temporary folder, ``pg_ctl start`` listening on a Unix socket only (no TCP
port to collide with), and ``pg_ctl stop`` at the end. PostgreSQL refuses to run as root, so
under root the server runs as the ``postgres`` user that Debian's package creates (else
``nobody``), through ``runuser``.

The server is set up as a throwaway analytics box, the way one would tune a peer for a fair
race on this machine: durability off (fsync, synchronous_commit, full_page_writes: nothing here
survives the run anyway), memory sized for two cores and 24 GB (shared_buffers 2 GB,
work_mem 256 MB), parallel query on (PostgreSQL's default of 2 workers per gather).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Where Debian's package puts the server binaries (they are not on PATH there).
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PREFERRED_MAJOR = "15"

SERVER_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "2GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "16GB",
    "max_wal_size": "8GB",
    "max_parallel_workers_per_gather": "2",
    "jit": "off",
}


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed here."""


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl (Debian's versioned folder first, then PATH)."""
    candidates = sorted(Path("/").glob(DEBIAN_BIN_GLOB.lstrip("/")), reverse=True)
    candidates.sort(key=lambda p: p.parent.name != PREFERRED_MAJOR)
    for d in candidates:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql "
        "package (apt-get install -y postgresql)"
    )


def _server_user() -> str | None:
    """The user the server runs as: ourselves, or under root an unprivileged system user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither user postgres nor nobody exists")


@dataclass
class PostgresServer:
    """A running throwaway server; use as a context manager (stops and deletes it on exit)."""

    root: Path
    bin_dir: Path
    user: str | None
    port: int = 5432
    dbname: str = "smw"
    superuser: str = "smw"
    version: str = ""
    log: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)

    @classmethod
    def start(cls, port: int = 5432) -> PostgresServer:
        bin_dir = find_bin_dir()
        user = _server_user()
        # in the system's temporary folder, which the server user can always reach
        root = Path(tempfile.mkdtemp(prefix="smw-pg-"))
        server = cls(root=root, bin_dir=bin_dir, user=user, port=port)
        server.socket_dir.mkdir()
        if user:
            info = pwd.getpwnam(user)
            for p in (root, server.socket_dir):
                os.chown(p, info.pw_uid, info.pw_gid)
        try:
            server._run(
                [
                    "initdb",
                    "-D",
                    str(server.data_dir),
                    "-U",
                    server.superuser,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",  # byte order for text, as DuckDB sorts
                    "--no-sync",
                ]
            )
            options = " ".join(
                [f"-p {port}", f"-k {server.socket_dir}"]
                + [f"-c {k}={v}" for k, v in SERVER_SETTINGS.items()]
            )
            server._run(
                [
                    "pg_ctl",
                    "-D",
                    str(server.data_dir),
                    "-l",
                    str(server.log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
            server._wait_ready()
            server._run(
                [
                    "createdb",
                    "-h",
                    str(server.socket_dir),
                    "-p",
                    str(port),
                    "-U",
                    server.superuser,
                    server.dbname,
                ]
            )
            server.version = server.query("show server_version")[0][0]
        except subprocess.CalledProcessError as e:
            detail = (e.stderr or e.stdout or "").strip()
            if server.log_file.exists():
                detail += "\n" + server.log_file.read_text(errors="replace")[-2000:]
            server.stop()
            raise RuntimeError(f"could not start PostgreSQL ({' '.join(e.cmd)}): {detail}") from e
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            r = subprocess.run(
                [
                    str(self.bin_dir / "pg_isready"),
                    "-h",
                    str(self.socket_dir),
                    "-p",
                    str(self.port),
                ],
                capture_output=True,
            )
            if r.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not become ready in {seconds:.0f} s")

    def connect(self):
        import psycopg2

        return psycopg2.connect(
            host=str(self.socket_dir), port=self.port, user=self.superuser, dbname=self.dbname
        )

    def query(self, sql: str) -> list[tuple]:
        con = self.connect()
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            con.close()

    def dbt_env(self, schema: str = "public") -> dict[str, str]:
        """Environment variables that point the dbt profile's ``postgres`` target here."""
        return {
            "SMW_DBT_TARGET": "postgres",
            "SMW_PG_HOST": str(self.socket_dir),
            "SMW_PG_PORT": str(self.port),
            "SMW_PG_USER": self.superuser,
            "SMW_PG_PASSWORD": "",
            "SMW_PG_DBNAME": self.dbname,
            "SMW_PG_SCHEMA": schema,
        }

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
            except subprocess.CalledProcessError:
                self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
