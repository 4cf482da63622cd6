"""Load test of the study database: N simulated workers writing what real workers write.

    python benchmarks/bench_db_load.py [--storage URL] [--workers 8 32 128] [--seconds 20]
                                       [--mode flat|paced] [--pool auto|small|null]

Each simulated worker is a separate process (multiprocessing, spawn; it imports Optuna and
``automl_sparse.storage``, never torch) that opens the database through ``open_storage`` and
repeats a trial's life as a real worker (and the coordinator's ask) writes it:

    create_new_trial, --params x set_trial_param            (the coordinator's ask)
    set_trial_user_attr(worker)                              (worker: trial start)
    per epoch: epoch_s/heartbeat_s x record_heartbeat, set_trial_intermediate_value,
               get_trial (the read the worker's stopper makes)
    set_trial_user_attrs(15 metrics, one transaction), set_trial_state_values(COMPLETE)

``--mode flat`` (the default) runs each worker flat out in that mix, to measure capacity;
``--mode paced`` sleeps between calls at ``--heartbeat-s`` and ``--epoch-s`` (``--warmup``
leaves the start-up burst out of the figures). All workers of one N start together and stop
after ``--seconds``; the table gives writes/s (all workers), latency per write (p50, p99,
max, including any wait for a connection), reads/s, errors and where the CPU went. Then it
derives how many real workers the database serves at the stated report rate.

Connections: each process keeps one connection (``pool_size=1, max_overflow=1``: Optuna's
storage needs a second one only while it opens; the product's default is 2 + 4 overflow).
PostgreSQL allows ``max_connections`` (100 by default) in all, and other users share the
server, so with ``--pool auto`` an N that needs more connections than are free (less
``--spare-connections``) runs with ``NullPool`` (a connection per call) behind a
cross-process semaphore capping the connections held at once, as a pooler would; that row is
labelled ``null<=K``. Memory is checked first (about 90 MiB per process). Studies created are
deleted at the end; a PostgreSQL restart during a run is detected and spoils that row.
Everything stops by itself (start-up up to 300 s, then ``--warmup`` + ``--seconds``).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing as mp
import os
import queue
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import psutil
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_STUDY_PREFIX = "bench-db-load-"
_MIB = 2**20
_PROCESS_MIB = 90
"""Resident memory budgeted per worker process (Optuna + SQLAlchemy + psycopg: ~60-70 MiB)."""
_METRICS = 15
_READY_TIMEOUT_S = 300.0
"""128 processes importing Optuna on a busy 2-core machine take minutes to be ready."""
_CALL_RETRY_S = 5.0
"""Children retry a lost connection for this long (the product's 120 s would outlast a run)."""


@dataclass
class Result:
    """What one worker process measured."""

    writes: int = 0
    reads: int = 0
    trials: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    rss_mib: float = 0.0


def _worker(
    index: int, opts: dict[str, Any], gate: Any, slots: Any, out: Any
) -> None:  # pragma: no cover - runs in the child processes
    """One simulated worker: open storage, wait for the start, write until the deadline."""
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState
    from sqlalchemy.pool import NullPool

    import automl_sparse.storage._open as opening
    import automl_sparse.storage._retry as retrying

    retrying.RETRY_FOR_S = _CALL_RETRY_S
    if opts["pool"] == "null":
        engine_kwargs: dict[str, Any] = {"poolclass": NullPool}
    else:
        engine_kwargs = {"pool_size": 1, "max_overflow": 1}
    opening._engine_kwargs = lambda _url: engine_kwargs  # pool of one per process
    held = slots if slots is not None else contextlib.nullcontext()
    result = Result()
    rng = random.Random(index)
    try:
        with held:
            storage = opening.open_storage(opts["url"], heartbeat_interval=5, grace_period=30)
            study_id = storage.get_study_id_from_name(opts["study"])
    except Exception as error:
        out.put(("ready", index, f"{type(error).__name__}: {error}"))
        return
    out.put(("ready", index, None))
    gate.wait(_READY_TIMEOUT_S + 60)
    start = opts["start_at"].value
    measure_from = start + opts["warmup"]
    deadline = measure_from + opts["seconds"]
    time.sleep(max(0.0, start - time.monotonic()))
    paced = opts["mode"] == "paced"
    beats = max(1, round(opts["epoch_s"] / opts["heartbeat_s"]))
    next_at = time.monotonic() + (rng.random() * opts["epoch_s"] if paced else 0.0)
    dist = FloatDistribution(0.0, 1.0)
    metrics = {f"metric_{k}": rng.random() for k in range(_METRICS)}

    class Stop(Exception):
        pass

    def call(read: bool, fn: Any, *args: Any) -> Any:
        nonlocal next_at
        if paced and not read:
            time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= deadline:
            raise Stop
        began = time.monotonic()
        try:
            with held:
                value = fn(*args)
        except Exception as error:
            result.errors += 1
            if result.first_error is None:
                cause = error.__cause__ or error
                result.first_error = f"{fn.__name__}: {type(cause).__name__}: {cause}"[:300]
            raise Stop from None
        ended = time.monotonic()
        if began < measure_from:
            return value  # warm-up: neither counted nor timed
        if ended <= deadline:
            if read:
                result.reads += 1
            else:
                result.writes += 1
        if not read:
            result.latencies.append(ended - began)
        return value

    try:
        while True:
            trial_id = call(False, storage.create_new_trial, study_id)
            for p in range(opts["params"]):
                call(False, storage.set_trial_param, trial_id, f"p{p}", rng.random(), dist)
            call(False, storage.set_trial_user_attr, trial_id, "worker", f"bench:{os.getpid()}")
            for epoch in range(opts["epochs"]):
                for _ in range(beats):
                    next_at += opts["heartbeat_s"]
                    call(False, storage.record_heartbeat, trial_id)
                call(False, storage.set_trial_intermediate_value, trial_id, epoch, rng.random())
                call(True, storage.get_trial, trial_id)
            call(False, storage.set_trial_user_attrs, trial_id, metrics)
            call(False, storage.set_trial_state_values, trial_id, TrialState.COMPLETE, [0.5])
            result.trials += 1
    except Stop:
        pass
    finally:
        result.rss_mib = psutil.Process().memory_info().rss / _MIB
        with contextlib.suppress(Exception):
            storage.engine.dispose()
        out.put(("done", index, result))


def _connections(engine: sa.Engine) -> tuple[int, int]:
    """PostgreSQL's connection limit for ordinary users, and the connections in use now."""
    with engine.connect() as connection:
        limit = int(connection.execute(sa.text("show max_connections")).scalar_one())
        reserved = int(
            connection.execute(sa.text("show superuser_reserved_connections")).scalar_one()
        )
        used = int(
            connection.execute(
                sa.text(
                    "select count(*) from pg_stat_activity where backend_type = 'client backend'"
                )
            ).scalar_one()
        )
    return limit - reserved, used


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """CPU seconds used so far by each of ``pids`` and by every PostgreSQL process."""
    used = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.pid in pids or (proc.info["name"] or "").startswith("postgres"):
            times = proc.info["cpu_times"]
            if times is not None:  # a server process's exited children count for it
                used[proc.pid] = times.user + times.system
                if proc.pid not in pids:
                    used[proc.pid] += times.children_user + times.children_system
    return used


def _server_started(engine: sa.Engine) -> str | None:
    """When the PostgreSQL server started (a restart during a run spoils that run)."""
    if engine.dialect.name != "postgresql":
        return None
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("select pg_postmaster_start_time()")).scalar())
    except sa.exc.SQLAlchemyError:
        return "unreachable"


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_level(n: int, args: argparse.Namespace, engine: sa.Engine) -> dict[str, Any]:
    """Run ``n`` workers against a fresh study; return the row of the table."""
    from automl_sparse.storage import open_storage

    available = psutil.virtual_memory().available / _MIB
    if n * _PROCESS_MIB > 0.8 * available:
        return {"n": n, "skipped": f"needs ~{n * _PROCESS_MIB} MiB, {available:.0f} free"}
    pool, cap = args.pool, n
    if engine.dialect.name == "postgresql":
        limit, used = _connections(engine)
        free = limit - used - args.spare_connections
        if pool == "auto":
            pool = "small" if n <= free else "null"
        if pool == "small" and n > free:
            return {
                "n": n,
                "skipped": f"needs {n} connections, {limit - used} free of {limit}",
            }
        cap = max(1, min(n, free))
    elif pool == "auto":
        pool = "small"
    server_started = _server_started(engine)
    name = f"{_STUDY_PREFIX}{n}-{uuid.uuid4().hex[:8]}"
    storage = open_storage(args.storage)
    storage.create_new_study([optuna_direction()], name)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    gate = ctx.Event()
    slots = ctx.BoundedSemaphore(cap) if pool == "null" else None
    start_at = ctx.Value("d", 0.0)
    opts = {
        "url": args.storage,
        "study": name,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "mode": args.mode,
        "pool": pool,
        "params": args.params,
        "epochs": args.epochs,
        "heartbeat_s": args.heartbeat_s,
        "epoch_s": args.epoch_s,
        "start_at": start_at,
    }
    procs = [ctx.Process(target=_worker, args=(i, opts, gate, slots, out)) for i in range(n)]
    results: list[Result] = []
    ready_errors: list[str] = []
    cpu_busy = cpu_workers = cpu_server = load = math.nan
    try:
        for proc in procs:
            proc.start()
        ready, give_up = 0, time.monotonic() + _READY_TIMEOUT_S
        while ready + len(ready_errors) < n and time.monotonic() < give_up:
            with contextlib.suppress(queue.Empty):
                _kind, _index, error = out.get(timeout=1.0)
                if error is None:
                    ready += 1
                else:
                    ready_errors.append(error)
        if ready < n:
            print(f"  N={n}: {ready} of {n} workers ready after {_READY_TIMEOUT_S:.0f} s; going on")
        start_at.value = time.monotonic() + 1.0
        gate.set()
        time.sleep(1.0 + args.warmup)
        load = os.getloadavg()[0]
        mine = {proc.pid for proc in procs if proc.pid is not None}
        psutil.cpu_percent(None)
        before = _cpu_seconds(mine)
        time.sleep(args.seconds)
        cpu_busy = psutil.cpu_percent(None)
        after = _cpu_seconds(mine)
        ncpu = (psutil.cpu_count() or 1) * args.seconds / 100
        spent = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
        cpu_workers = sum(v for pid, v in spent.items() if pid in mine) / ncpu
        cpu_server = sum(v for pid, v in spent.items() if pid not in mine) / ncpu
        finish_by = time.monotonic() + _CALL_RETRY_S + 30
        while len(results) < ready and time.monotonic() < finish_by:
            with contextlib.suppress(queue.Empty):
                kind, _index, payload = out.get(timeout=1.0)
                if kind == "done":
                    results.append(payload)
    finally:
        for proc in procs:
            proc.join(timeout=5.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5.0)
        with contextlib.suppress(Exception):
            storage.delete_study(storage.get_study_id_from_name(name))
        storage.engine.dispose()
    latencies = [lat for r in results for lat in r.latencies]
    errors = (
        sum(r.errors for r in results) + len(ready_errors) + (n - len(ready_errors) - len(results))
    )
    first = next((r.first_error for r in results if r.first_error), None) or next(
        iter(ready_errors), None
    )
    return {
        "n": n,
        "pool": "small(1)" if pool == "small" else f"null<={cap}",
        "writes_s": sum(r.writes for r in results) / args.seconds,
        "reads_s": sum(r.reads for r in results) / args.seconds,
        "trials": sum(r.trials for r in results),
        "p50": 1000 * _percentile(latencies, 0.50),
        "p99": 1000 * _percentile(latencies, 0.99),
        "max": 1000 * max(latencies, default=math.nan),
        "errors": errors,
        "first_error": first,
        "rss": statistics.mean(r.rss_mib for r in results) if results else math.nan,
        "cpu": cpu_busy,
        "cpu_workers": cpu_workers,
        "cpu_server": cpu_server,
        "load": load,
        "restarted": _server_started(engine) != server_started,
    }


def optuna_direction() -> Any:
    from optuna.study import StudyDirection

    return StudyDirection.MAXIMIZE


def writes_per_worker(args: argparse.Namespace) -> float:
    """Writes per second of one real worker at the stated report rate."""
    per_trial = args.params + 4  # create, params, worker attr, metrics, final state
    return 1 / args.heartbeat_s + 1 / args.epoch_s + per_trial / (args.epochs * args.epoch_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default=os.environ.get("BENCH_DB_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per N")
    parser.add_argument("--mode", choices=["flat", "paced"], default="flat")
    parser.add_argument(
        "--warmup", type=float, default=0.0, help="seconds run before measuring (paced: spread)"
    )
    parser.add_argument("--pool", choices=["auto", "small", "null"], default="auto")
    parser.add_argument("--spare-connections", type=int, default=20, help="left for others")
    parser.add_argument("--heartbeat-s", type=float, default=5.0)
    parser.add_argument("--epoch-s", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=10, help="epochs per trial")
    parser.add_argument("--params", type=int, default=8, help="parameters per trial")
    parser.add_argument("--p99-ms", type=float, default=500.0, help="acceptable p99")
    parser.add_argument("--headroom", type=float, default=0.5, help="planned load fraction")
    args = parser.parse_args()

    from automl_sparse.storage import quiet_optuna, redact

    quiet_optuna()
    engine = sa.create_engine(args.storage, poolclass=sa.pool.NullPool)
    print(f"storage {redact(args.storage)}; {psutil.cpu_count()} CPUs (shared by the server and")
    print(
        f"the workers); mode {args.mode}; {args.seconds:g} s per N after {args.warmup:g} s "
        f"warm-up; pool {args.pool}"
    )
    if engine.dialect.name == "postgresql":
        limit, used = _connections(engine)
        print(f"connections: {limit} for ordinary users, {used} in use before the test")
    rows = []
    for n in args.workers:
        row = run_level(n, args, engine)
        rows.append(row)
        if "skipped" in row:
            print(f"N={n}: skipped, {row['skipped']}", flush=True)
            continue
        print(
            f"N={n}: {row['writes_s']:.0f} writes/s, p99 {row['p99']:.1f} ms, "
            f"{row['errors']} errors",
            flush=True,
        )
        if row["first_error"]:
            print(f"  first error: {row['first_error']}")
        if row["restarted"]:
            print("  the server restarted during this run: its figures are spoiled")
    engine.dispose()

    print()
    print(
        "    N  pool        writes/s  reads/s  p50 ms  p99 ms  max ms  errors  trials"
        "  CPU% = wkr + pg + other  load  RSS MiB"
    )
    for row in rows:
        if "skipped" in row:
            print(f"{row['n']:5d}  skipped: {row['skipped']}")
            continue
        other = row["cpu"] - row["cpu_workers"] - row["cpu_server"]
        print(
            f"{row['n']:5d}  {row['pool']:10s}  {row['writes_s']:8.0f}  {row['reads_s']:7.0f}  "
            f"{row['p50']:6.1f}  {row['p99']:6.1f}  {row['max']:6.0f}  {row['errors']:6d}  "
            f"{row['trials']:6d}  {row['cpu']:4.0f} = {row['cpu_workers']:3.0f} + "
            f"{row['cpu_server']:3.0f} + {max(0.0, other):5.0f}  {row['load']:4.1f}  "
            f"{row['rss']:7.0f}"
        )
    x = writes_per_worker(args)
    print()
    print(
        f"one real worker writes {x:.3f}/s: a heartbeat every {args.heartbeat_s:g} s, an "
        f"epoch report every {args.epoch_s:g} s, {args.params + 4} writes per trial of "
        f"{args.epochs} epochs (plus {1 / args.epoch_s:.2f} reads/s)"
    )
    good = [
        r
        for r in rows
        if "skipped" not in r
        and r["errors"] == 0
        and not r["restarted"]
        and r["p99"] <= args.p99_ms
    ]
    if args.mode == "paced":
        for r in good:
            print(f"N={r['n']}: {r['writes_s']:.1f} writes/s measured, {r['n'] * x:.1f} expected")
        return
    if not good:
        print(f"no flat-out row with p99 <= {args.p99_ms:g} ms and no errors: no capacity derived")
        return
    best = max(good, key=lambda r: r["writes_s"])
    server_ms = [
        1000 * r["cpu_server"] * (psutil.cpu_count() or 1) / 100 / (r["writes_s"] + r["reads_s"])
        for r in good
        if r["writes_s"] > 0
    ]
    print(
        f"PostgreSQL spent {min(server_ms):.2f}-{max(server_ms):.2f} ms of CPU per call "
        f"(all server processes, other users included): one free server core would take "
        f"about {1000 / max(server_ms):.0f} calls/s before the clients' CPU is counted"
    )
    print(
        f"capacity: {best['writes_s']:.0f} writes/s with p99 {best['p99']:.1f} ms <= "
        f"{args.p99_ms:g} ms (N={best['n']}), so one database serves about "
        f"{int(best['writes_s'] / x)} such workers at saturation, "
        f"{int(args.headroom * best['writes_s'] / x)} at {100 * args.headroom:.0f}% load"
    )


if __name__ == "__main__":
    main()
