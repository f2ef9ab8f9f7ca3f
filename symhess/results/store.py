"""The results database: one SQLite file, one row per computed point, safe to kill.

Layout (schema version :data:`SCHEMA_VERSION`; ``sqlite3 results.sqlite .schema`` prints it):

* ``meta(key, value)``: ``format = symhess-results``, ``schema``, ``created``,
  ``symhess_version`` of the creator. The file also carries ``PRAGMA application_id`` =
  :data:`APPLICATION_ID` ("SYMH") and ``PRAGMA user_version`` = :data:`SCHEMA_VERSION`.
* ``sweeps``: one row per sweep run (what was asked, where, when, how it ended). A row in
  state ``running`` whose process is alive is the *sweep lock*: a second sweep on the same
  file waits or is refused. A killed sweep's row is found dead (its pid is gone or reused)
  and marked ``killed`` by the next sweep.
* ``points``: one row per (activation, biases, d, h, teacher, seed, method, dps), the UNIQUE
  key; rank, route, certification, status, best prediction, timing, worker, version. The
  methods are ``float``, ``mpmath``, ``exact`` and ``certified`` (ball arithmetic, the ReLU
  family); ``dps`` is the method's precision: decimal digits for ``mpmath``, bits of the
  balls for ``certified``, 0 otherwise. ``rank`` is NULL exactly when the status is
  ``UNDECIDED``: the certified method could not prove a rank (``detail`` says why).
* ``predictions``: each prediction at each point, with whether it holds (NULL without a
  rank).
* views ``results`` (points with one ``pred_<name>`` column per prediction and
  ``deficit = best_value - rank``), ``disagreements`` (points whose methods give different
  ranks) and ``bias_gain`` (a point with biases next to the same point without: the same
  ``W, v`` at the same seed; ``gain`` = rank with - rank without, and ``paper_plus_one``
  whether it is the seed paper's "+1").

Each point is written in its own ``BEGIN IMMEDIATE`` transaction (row and predictions
together), in WAL mode with ``synchronous = NORMAL``: a ``kill -9`` loses at most the points
being computed, never a committed one, and never leaves half a point. Readers never block the
writer. A file that is not SQLite, or an SQLite file of another program, is refused after a
read-only look and never modified.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from ..activation import activation
from ..errors import SymhessError
from ..rank.measure import METHODS, ROUTES
from ..rank.theory import PREDICTION_NAMES
from .points import PRECISE, STATUSES, PointKey, PointResult, symhess_version

APPLICATION_ID = 0x53594D48  # "SYMH"
SCHEMA_VERSION = 1
FORMAT = "symhess-results"
BUSY_TIMEOUT_MS = 30_000
SWEEP_STATES = ("running", "done", "interrupted", "failed", "killed")


def _q(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


TABLES = f"""
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sweeps (
    id       INTEGER PRIMARY KEY,
    state    TEXT NOT NULL CHECK (state IN ({_q(SWEEP_STATES)})),
    command  TEXT NOT NULL,           -- what was asked, in words
    engine   TEXT NOT NULL,           -- "pool, 2 processes", "dask tcp://...", ...
    host     TEXT NOT NULL,
    pid      INTEGER NOT NULL,
    pid_token TEXT,                   -- boot id and start time of pid (Linux), against reuse
    planned  INTEGER NOT NULL,        -- points the sweep asked for
    todo     INTEGER NOT NULL,        -- of which not stored when it started
    computed INTEGER NOT NULL DEFAULT 0,
    started  TEXT NOT NULL,           -- ISO 8601, UTC
    finished TEXT,
    symhess_version TEXT NOT NULL
);

CREATE TABLE points (
    id         INTEGER PRIMARY KEY,
    activation TEXT NOT NULL,         -- canonical: poly(s0, s1, ...) or symhess's spelling
    label      TEXT NOT NULL,         -- readable, e.g. z**3 + z
    support    TEXT,                  -- degrees with s_k != 0, e.g. 1,3 (NULL: not a polynomial)
    biases     INTEGER NOT NULL CHECK (biases IN (0, 1)),
    d          INTEGER NOT NULL CHECK (d >= 1),
    h          INTEGER NOT NULL CHECK (h >= 1),
    teacher    TEXT NOT NULL,         -- how the teacher is drawn from the seed
    seed       INTEGER NOT NULL CHECK (seed >= 0),
    method     TEXT NOT NULL CHECK (method IN ({_q(METHODS)})),
    dps        INTEGER NOT NULL           -- precision: digits (mpmath), bits (certified), else 0
               CHECK ((method IN ({_q(PRECISE)})) = (dps > 0)),
    params     INTEGER NOT NULL CHECK (params = h * d + h + biases * h),
    rank       INTEGER CHECK (rank BETWEEN 0 AND params),  -- NULL: certified proved none
    decided    INTEGER NOT NULL CHECK (decided IN (0, 1)),
    route      TEXT NOT NULL CHECK (route IN ({_q(ROUTES)})),
    generic    INTEGER NOT NULL CHECK (generic IN (0, 1)),  -- proven = the generic rank
    detail     TEXT NOT NULL,
    gap_ratio  REAL,
    gap_below  INTEGER,
    status     TEXT NOT NULL CHECK (status IN ({_q(STATUSES)})),
    best_name  TEXT NOT NULL,
    best_value INTEGER NOT NULL,
    best_kind  TEXT NOT NULL CHECK (best_kind IN ('exact', 'bound')),
    seconds    REAL NOT NULL,         -- wall time of the rank in the worker
    worker     TEXT NOT NULL,         -- host:pid
    symhess_version TEXT NOT NULL,
    sweep      INTEGER REFERENCES sweeps (id),
    created    TEXT NOT NULL,         -- ISO 8601, UTC
    CHECK ((rank IS NULL) = (status = 'UNDECIDED')),
    CHECK (rank IS NOT NULL OR (method = 'certified' AND decided = 0 AND generic = 0)),
    UNIQUE (activation, biases, d, h, teacher, seed, method, dps)
);
CREATE INDEX points_by_shape ON points (d, h);

CREATE TABLE predictions (
    point  INTEGER NOT NULL REFERENCES points (id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  INTEGER NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('exact', 'bound')),
    holds  INTEGER CHECK (holds IN (0, 1)),  -- NULL: the point has no rank
    source TEXT NOT NULL,
    PRIMARY KEY (point, name)
)
"""

_PRED_COLUMNS = ",\n".join(
    f"    (SELECT value FROM predictions q WHERE q.point = p.id AND q.name = '{n}') AS pred_{n}"
    for n in PREDICTION_NAMES
)

VIEWS = {
    "results": f"""CREATE VIEW results AS
SELECT p.id, p.label, p.activation, p.support, p.biases, p.d, p.h, p.params, p.teacher,
    p.seed, p.method, p.dps, p.rank, p.decided, p.route, p.generic, p.status,
    p.best_name, p.best_value, p.best_kind, p.best_value - p.rank AS deficit,
{_PRED_COLUMNS},
    p.seconds, p.worker, p.symhess_version, p.sweep, p.created, p.detail
FROM points p""",
    "disagreements": """CREATE VIEW disagreements AS
SELECT activation, label, biases, d, h, teacher, seed,
    group_concat(method || '=' || coalesce(rank, '-'), ' ') AS ranks
FROM points
GROUP BY activation, biases, d, h, teacher, seed
HAVING COUNT(DISTINCT rank) > 1""",
    "bias_gain": """CREATE VIEW bias_gain AS
SELECT b.activation, b.label, b.d, b.h, b.seed, b.method, b.dps,
    n.rank AS rank_without, b.rank AS rank_with, b.rank - n.rank AS gain,
    (b.rank - n.rank = 1) AS paper_plus_one
FROM points b JOIN points n
    ON n.activation = b.activation AND n.d = b.d AND n.h = b.h AND n.seed = b.seed
    AND n.method = b.method AND n.dps = b.dps AND n.biases = 0
WHERE b.biases = 1""",
}
"""Views hold no data: a store opened for writing recreates any whose text changed (a new
prediction adds a ``pred_`` column) without a schema version."""

SCHEMA = TABLES.strip() + ";\n\n" + ";\n\n".join(VIEWS.values()) + ";\n"
"""The whole schema, as ``sqlite3 FILE .schema`` prints it."""

_POINT_COLUMNS = (
    "activation label support biases d h teacher seed method dps params rank decided route "
    "generic detail gap_ratio gap_below status best_name best_value best_kind seconds worker "
    "symhess_version sweep created"
).split()
_INSERT_POINT = (
    f"INSERT INTO points ({', '.join(_POINT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_POINT_COLUMNS))}) ON CONFLICT DO NOTHING"
)
_KEY_COLUMNS = "activation, biases, d, h, teacher, seed, method, dps"


def now() -> str:
    """The time in UTC, ISO 8601 with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# ----------------------------------------------------------------------------- liveness
def _pid_token(pid: int) -> str | None:
    """Boot id and start time of ``pid`` (Linux), so a reused pid is not taken for the holder."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return f"{boot}:{fields[19]}"  # field 22 of stat; fields[0] is field 3 (state)
    except (OSError, IndexError):
        return None


def _alive(host: str, pid: int, token: str | None) -> bool:
    """Whether the process that wrote a ``running`` sweep row still runs.

    Another host cannot be asked: it counts as alive (WAL needs every process on one host
    anyway, so this only arises on a file copied, or shared by a network file system).
    """
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":  # killed, not yet reaped
                return False
    except (OSError, IndexError):
        pass
    return token is None or _pid_token(pid) in (None, token)


# ----------------------------------------------------------------------------- opening
def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def _look(path: Path):
    """``(application_id, user_version, tables, format)`` of an SQLite file, read-only.

    While some connection has the file open in WAL mode its ``-wal`` and ``-shm`` files
    exist, and an ordinary read-only connection reads it consistently (taking read locks).
    Otherwise the file is opened ``immutable``: SQLite then creates no ``-wal``/``-shm``
    beside it (an ordinary read-only open of a WAL database would), so a refused file of
    another program is left exactly as it was, with nothing new next to it.
    """
    side = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    uri = _uri(path, "ro") + ("" if any(p.exists() for p in side) else "&immutable=1")
    conn = sqlite3.connect(uri, uri=True)
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
        fmt = None
        if app == APPLICATION_ID and "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            fmt = row and row[0]
    finally:
        conn.close()
    return app, version, tables, fmt


def inspect(path: str | os.PathLike) -> str:
    """What ``path`` is, judged read-only: ``"missing"``, ``"empty"`` or ``"ours"``.

    Raises
    ------
    SymhessError
        Not a regular file, not SQLite, an SQLite file of another program, or a symhess
        results database of a newer schema. Nothing is written to or beside the file.
    """
    p = Path(path)
    if not os.path.lexists(p):
        return "missing"
    if p.is_symlink() or not p.is_file():
        raise SymhessError(f"{str(path)!r} is not a regular file; refused")
    wal = Path(f"{p}-wal")
    if p.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
        return "empty"
    try:
        app, version, tables, fmt = _look(p)
    except sqlite3.DatabaseError as exc:
        raise SymhessError(
            f"{str(path)!r} is not an SQLite database ({exc}); refused, left as it is"
        ) from None
    if app == 0 and not tables and wal.exists() and wal.stat().st_size:
        raise SymhessError(
            f"{str(path)!r} has changes of another program in {wal.name!r}; refused, left as it is"
        )
    if app == 0 and not tables:
        return "empty"
    if app != APPLICATION_ID or fmt != FORMAT:
        raise SymhessError(
            f"{str(path)!r} is an SQLite database of another program "
            f"(application id {app:#x}, {len(tables)} tables); refused, left as it is"
        )
    if version > SCHEMA_VERSION:
        raise SymhessError(
            f"{str(path)!r} has results schema {version}, newer than this symhess "
            f"({symhess_version()}) reads (schema {SCHEMA_VERSION}); upgrade symhess"
        )
    if version < 1:
        raise SymhessError(f"{str(path)!r} has an unknown results schema {version}; refused")
    return "ours"


class Store:
    """A results database.

    Parameters
    ----------
    path : str or path-like
        The SQLite file (created if missing or empty); ``":memory:"`` for a store that lives
        as long as this object.
    readonly : bool
        Open read-only (``symhess results``): the file must be a symhess results database.

    Raises
    ------
    SymhessError
        See :func:`inspect`; also a read-only open of a missing or empty file.
    """

    def __init__(self, path, *, readonly: bool = False):
        self.path = str(path)
        self.readonly = readonly
        self.memory = self.path == ":memory:"
        if self.memory:
            self.conn = sqlite3.connect(":memory:", isolation_level=None)
            self._initialise()
            self.certified = True
            return
        state = inspect(path)
        if readonly:
            if state != "ours":
                raise SymhessError(
                    f"{self.path!r} does not exist"
                    if state == "missing"
                    else f"{self.path!r} is empty: not a results database yet"
                )
            # A writable file: a read-write connection kept query-only, so that closing it
            # as the last connection checkpoints and removes -wal/-shm as a writer's would.
            mode = "rw" if os.access(path, os.W_OK) else "ro"
            self.conn = sqlite3.connect(_uri(Path(path), mode), uri=True, isolation_level=None)
            self.conn.execute("PRAGMA query_only = ON")
        else:
            folder = Path(path).resolve().parent
            if not folder.is_dir():
                raise SymhessError(f"folder {str(folder)!r} does not exist")
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            self._initialise()
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        row = self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'points'"
        ).fetchone()
        # Schema 1 was changed in place before any release to take certified ranks (and a
        # NULL rank); a file of the first draft keeps the old CHECKs and cannot take them.
        self.certified = row is not None and "'certified'" in row[0]

    def _initialise(self) -> None:
        """Create the schema in an empty file (checked again under the write lock, so that
        of two processes creating one new file only one writes it); refresh changed views.

        The schema is written in rollback-journal mode, before WAL is switched on, so that
        the file's identity is in the main file, not in a ``-wal`` beside it.
        """
        with self._transaction() as c:
            app = c.execute("PRAGMA application_id").fetchone()[0]
            tables = c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app == 0 and tables == 0:
                c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                for statement in TABLES.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("format", FORMAT),
                        ("schema", str(SCHEMA_VERSION)),
                        ("created", now()),
                        ("symhess_version", symhess_version()),
                    ],
                )
            elif app != APPLICATION_ID:
                raise SymhessError(
                    f"{self.path!r} became an SQLite database of another program; refused"
                )
            for name, sql in VIEWS.items():
                row = c.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (name,)
                ).fetchone()
                if row is None or row[0] != sql:
                    c.execute(f"DROP VIEW IF EXISTS {name}")
                    c.execute(sql)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------------- sweep lock
    def begin_sweep(
        self,
        command: str,
        engine: str,
        planned: int,
        *,
        wait: float = 0.0,
        break_lock: bool = False,
    ) -> int:
        """Take the sweep lock: record a ``running`` sweep, once no live sweep holds the file.

        Parameters
        ----------
        command : str
            What was asked, in words.
        engine : str
            Where the points run.
        planned : int
            Points the sweep asks for.
        wait : float
            Seconds to wait for a live sweep to finish before refusing.
        break_lock : bool
            Mark every ``running`` sweep as killed without asking (a sweep on another host
            cannot be checked).

        Returns
        -------
        int
            The sweep's id, recorded with each point it writes.

        Raises
        ------
        SymhessError
            Another live sweep holds the file after ``wait`` seconds.
        """
        deadline = time.monotonic() + wait
        host, pid = socket.gethostname(), os.getpid()
        while True:
            with self._transaction() as c:
                live = []
                for sid, h, p, tok, started in c.execute(
                    "SELECT id, host, pid, pid_token, started FROM sweeps WHERE state = 'running'"
                ).fetchall():
                    if break_lock or not _alive(h, p, tok):
                        c.execute(
                            "UPDATE sweeps SET state = 'killed', finished = ? WHERE id = ?",
                            (now(), sid),
                        )
                    else:
                        live.append((h, p, started))
                sid = None
                if not live:
                    sid = c.execute(
                        "INSERT INTO sweeps (state, command, engine, host, pid, pid_token, "
                        "planned, todo, started, symhess_version) "
                        "VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            command,
                            engine,
                            host,
                            pid,
                            _pid_token(pid),
                            planned,
                            planned,
                            now(),
                            symhess_version(),
                        ),
                    ).lastrowid
            if sid is not None:
                return sid
            if time.monotonic() >= deadline:
                h, p, started = live[0]
                raise SymhessError(
                    f"{self.path!r} is in use by another sweep (pid {p} on {h}, started "
                    f"{started}); wait for it (wait=SECONDS, --wait on the command line) or "
                    "use another database"
                )
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def set_todo(self, sid: int, todo: int) -> None:
        """Record how many of the sweep's points were not stored when it started."""
        with self._transaction() as c:
            c.execute("UPDATE sweeps SET todo = ? WHERE id = ?", (todo, sid))

    def end_sweep(self, sid: int, state: str, computed: int) -> None:
        """Release the lock: the sweep ended ``state`` after writing ``computed`` points."""
        with self._transaction() as c:
            c.execute(
                "UPDATE sweeps SET state = ?, finished = ?, computed = ? WHERE id = ?",
                (state, now(), computed, sid),
            )

    def sweep_states(self) -> list[str]:
        """The state of every sweep run on this store, oldest first."""
        return [r[0] for r in self.conn.execute("SELECT state FROM sweeps ORDER BY id")]

    # ------------------------------------------------------------------------- writing
    def _transaction(self):
        return _Transaction(self.conn)

    def add(self, r: PointResult, sweep: int | None = None) -> bool:
        """Store one point and its predictions in one transaction.

        Returns
        -------
        bool
            False when the key was stored already (by this or another sweep): nothing
            written.
        """
        k = r.key
        if k.method == "certified" and not self.certified:
            raise SymhessError(
                f"{self.path!r} was written by a development version of symhess that did not "
                "store certified ranks yet; use a new results file"
            )
        values = (
            k.activation, r.label, r.support, int(k.biases), k.d, k.h, k.teacher, k.seed,
            k.method, k.dps, r.params, r.rank, int(r.decided), r.route, int(r.generic),
            r.detail, r.gap_ratio, r.gap_below, r.status, *r.best, r.seconds, r.worker,
            r.version, sweep, now(),
        )  # fmt: skip
        with self._transaction() as c:
            cur = c.execute(_INSERT_POINT, values)
            if cur.rowcount != 1:
                return False
            pid = cur.lastrowid
            c.executemany(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (pid, n, v, kind, None if holds is None else int(holds), src)
                    for n, v, kind, holds, src in r.predictions
                ],
            )
        return True

    # ------------------------------------------------------------------------- reading
    def stored(self, keys) -> set[PointKey]:
        """The subset of ``keys`` already in the store."""
        keys = set(keys)
        out = set()
        for act in {k.activation for k in keys}:
            for row in self.conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM points WHERE activation = ?", (act,)
            ):
                k = PointKey(row[0], bool(row[1]), *row[2:])
                if k in keys:
                    out.add(k)
        return out

    def results(self, keys) -> list[PointResult]:
        """The stored :class:`PointResult` of each key in ``keys`` that is stored, by key."""
        keys = set(keys)
        out = []
        for act in sorted({k.activation for k in keys}):
            rows = self.conn.execute(
                f"SELECT id, {_KEY_COLUMNS}, label, support, params, rank, decided, route, "
                "generic, detail, gap_ratio, gap_below, status, best_name, best_value, "
                "best_kind, seconds, worker, symhess_version FROM points WHERE activation = ?",
                (act,),
            ).fetchall()
            for row in rows:
                k = PointKey(row[1], bool(row[2]), *row[3:9])
                if k not in keys:
                    continue
                preds = tuple(
                    (n, v, kind, None if holds is None else bool(holds), src)
                    for n, v, kind, holds, src in self.conn.execute(
                        "SELECT name, value, kind, holds, source FROM predictions "
                        "WHERE point = ? ORDER BY rowid",
                        (row[0],),
                    )
                )
                out.append(_result(k, row[9:], preds))
        return sorted(out, key=lambda r: r.key)

    def timings(self, method: str, limit: int = 5000) -> tuple[list[int], list[float]]:
        """``(params, seconds)`` of the latest points of ``method``: the cost model's data."""
        rows = self.conn.execute(
            "SELECT params, seconds FROM points WHERE method = ? ORDER BY id DESC LIMIT ?",
            (method, limit),
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def count(self) -> int:
        """Points stored."""
        return self.conn.execute("SELECT count(*) FROM points").fetchone()[0]

    def rows(self, where: str = "", order: str = "activation, seed, method, d, h"):
        """Rows of the ``results`` view matching ``where`` (the :func:`parse_where` grammar).

        Returns
        -------
        (columns, rows) : (list of str, list of tuple)
        """
        sql, params = parse_where(where)
        cur = self.conn.execute(
            f"SELECT * FROM results{' WHERE ' + sql if sql else ''} ORDER BY {order}", params
        )
        return [c[0] for c in cur.description], cur.fetchall()


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception (Ctrl-C too)."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, *exc):
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _result(k: PointKey, row, preds) -> PointResult:
    (label, support, params, rank, decided, route, generic, detail, gr, gb, status,
     bn, bv, bk, seconds, worker, version) = row  # fmt: skip
    return PointResult(
        k, label, support, params, rank, bool(decided), route, bool(generic), detail, gr, gb,
        status, preds, (bn, bv, bk), seconds, worker, version,
    )  # fmt: skip


# ----------------------------------------------------------------------------- --where
WHERE_FIELDS = {
    "activation": "activation",
    "label": "label",
    "support": "support",
    "biases": "biases",
    "d": "d",
    "h": "h",
    "params": "params",
    "seed": "seed",
    "method": "method",
    "dps": "dps",
    "rank": "rank",
    "decided": "decided",
    "route": "route",
    "generic": "generic",
    "status": "status",
    "best": "best_value",
    "best_name": "best_name",
    "deficit": "deficit",
    "sweep": "sweep",
    **{f"pred_{n}": f"pred_{n}" for n in PREDICTION_NAMES},
}
"""Fields a ``--where`` condition may name, and the column of the ``results`` view each is."""

_TOKEN = re.compile(
    r"\s*(?:(?P<op><=|>=|!=|=|<|>)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<word>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<num>-?\d+)|(?P<bad>\S))"
)


TEXT_FIELDS = frozenset(
    {"activation", "label", "support", "method", "route", "status", "best_name"}
)
"""Fields holding text; every other field of :data:`WHERE_FIELDS` holds an integer."""


def parse_where(text: str) -> tuple[str, list]:
    """A filter for :meth:`Store.rows`: ``FIELD OP VALUE`` conditions joined by ``and``.

    ``FIELD`` is one of :data:`WHERE_FIELDS`; ``OP`` one of ``= != < <= > >=``. ``VALUE`` is
    an integer (``true``/``false`` for 1/0) for a number field, a bare word or a quoted
    string for a text field (:data:`TEXT_FIELDS`), or another field of the same kind
    (``rank < pred_degree_support``). ``activation = 'z + z**3'`` compares canonical forms
    (any spelling of the same polynomial matches). Example:
    ``status = below and d >= 3 and method = exact``. A point without a rank (status
    ``UNDECIDED``) matches no condition on ``rank`` or ``deficit`` (SQL's NULL); find those
    with ``status = UNDECIDED``.

    Returns
    -------
    (sql, params) : (str, list)
        A parameterised SQL condition: field names come from the whitelist, values are
        parameters; the user's text never becomes SQL.
    """
    text = (text or "").strip()
    if not text:
        return "", []
    toks = []
    for m in _TOKEN.finditer(text):
        if m.group("bad"):
            raise SymhessError(f"where: unexpected {m.group('bad')!r} in {text!r}")
        kind = m.lastgroup
        toks.append((kind, m.group(kind)))
    parts, params = [], []
    i = 0
    while True:
        if i + 3 > len(toks):
            raise SymhessError(f"where: expected FIELD OP VALUE in {text!r}")
        (fk, field), (ok, op), (vk, value) = toks[i : i + 3]
        if fk != "word" or field not in WHERE_FIELDS:
            raise SymhessError(f"where: unknown field {field!r}; fields: {', '.join(WHERE_FIELDS)}")
        if ok != "op":
            raise SymhessError(f"where: expected an operator after {field!r}, got {op!r}")
        if vk == "op":
            raise SymhessError(f"where: expected a value after {field} {op}")
        is_text = field in TEXT_FIELDS
        if vk == "word" and value in WHERE_FIELDS:
            if (value in TEXT_FIELDS) != is_text:
                raise SymhessError(f"where: {field} and {value} hold different kinds of values")
            parts.append(f"{WHERE_FIELDS[field]} {op} {WHERE_FIELDS[value]}")
        else:
            if not is_text:
                if vk == "word" and value in ("true", "false"):
                    value = int(value == "true")
                elif vk != "num":
                    raise SymhessError(f"where: {field} holds integers, not {value!r}")
                value = int(value)
            elif vk == "num":
                raise SymhessError(f"where: {field} holds text; quote {value!r}")
            else:
                value = value[1:-1] if vk == "str" else value
                if field == "activation":
                    value = activation(value).canonical
            parts.append(f"{WHERE_FIELDS[field]} {op} ?")
            params.append(value)
        i += 3
        if i == len(toks):
            break
        if toks[i] != ("word", "and"):
            raise SymhessError(f"where: expected 'and' between conditions in {text!r}")
        i += 1
    return " AND ".join(parts), params
