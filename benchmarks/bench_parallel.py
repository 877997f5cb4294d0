"""Benchmark: parallel execution of independent DAG branches on worker kernels.

Everything below is measured in one run of this script, on local kernels
(jupyter_client, no server):

1. Wide DAG: 1 root, ``--blocks`` (8) independent CPU-bound blocks of about 1 s each
   (a pure-Python loop, which holds the GIL), 1 sink. Sequential = :class:`Engine` on
   one kernel. Parallel = :class:`ParallelEngine` with ``max_parallel`` 2 (the project
   kernel and one warm worker) and, for reference, 3 (two workers, project kernel kept
   for pinned blocks only). Reported: medians over ``--repeat`` runs of
   wall ÷ ideal, with ideal = max(critical path, total block time ÷ kernels) from the
   block times of the sequential run, and wall ÷ sequential. Worker start is paid once
   (warm pool) and not timed. On a machine shared with other work, block times of the
   two runs differ; the ideal computed from the parallel run's own block times isolates
   the engine's overhead (scheduling, handovers, bring-back).
2. Handover cost: a float DataFrame of ``--mb`` MB made on a worker and used on the
   project kernel (export + load, measured inside the kernels).
3. ``--subshells``: ipykernel 7 subshells vs worker kernels for two 1-s tasks, GIL-bound
   (pure Python) and GIL-releasing (hashlib over a large buffer).
4. ``--remote``: through jupyter_server's REST API, a wide DAG (1 source, ``--branches``
   (6) independent blocks of 1 s (``time.sleep``) computing from it, 1 join) with
   ``max_parallel`` 3, on (a) local kernels handing over through local files and (b)
   kernels of a Jupyter Kernel Gateway on loopback (own working and temp directories)
   handing over through an S3 bucket of moto's server, with run-scoped STS credentials.
   Reported per set-up: medians of wall ÷ ideal, wall being the run's start to end in
   its record and ideal = max(critical path, total block time ÷ 3) from the same
   set-up's sequential run. Worker start is paid by a warm-up run, not timed.

Usage: python benchmarks/bench_parallel.py [--blocks 8] [--repeat 5] [--mb 80] [--subshells]
       python benchmarks/bench_parallel.py --remote [--branches 6] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from notebook_dag.dag import build_dag, plan_blocks  # noqa: E402
from notebook_dag.engine import Engine  # noqa: E402
from notebook_dag.parallel import LocalKernels, ParallelEngine, WorkerPool  # noqa: E402
from notebook_dag.parallel.kernels import KernelSlot, ready_client  # noqa: E402

LOOP = "s = 0\nfor j in range(N):\n    s += j * j\n"


def notebook(sources: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        cell["id"] = f"c{i:02d}"
        nb.cells.append(cell)
    return nb


def wide_notebook(blocks: int, n: int) -> nbformat.NotebookNode:
    cells = [f"N = {n}"]
    for i in range(blocks):
        cells.append(f"def burn_{i}(n):\n    s = 0\n    for j in range(n):\n        s += j * j\n    return s\n\nr{i} = burn_{i}(N)")
    cells.append("total = " + " + ".join(f"r{i}" for i in range(blocks)) + "\nprint(total % 1000)")
    return notebook(cells)


class Times:
    def __init__(self) -> None:
        self.results: dict = {}

    async def block_started(self, block_id: str) -> None:
        pass

    async def block_finished(self, block_id: str, result) -> None:
        self.results[block_id] = result


def duration(r) -> float:
    return (r.finished_at - r.started_at).total_seconds()


async def calibrate(km: LocalKernels, kid: str, target: float = 1.0) -> int:
    """Loop count for ``target`` seconds of the burn loop inside a kernel."""
    handle = km.get_kernel(kid)
    kc = await ready_client(handle)
    try:
        slot = KernelSlot("calibrate", kid, handle, kc)
        await slot.install("", worker=False)
        n = 2_000_000
        code = (
            "import time as _t\n_t0 = _t.perf_counter()\ndef _burn(n):\n    s = 0\n    for j in range(n):\n        s += j * j\n"
            "    return s\n_burn({n})\n__import__('_notebook_dag_handover').LAST = str(_t.perf_counter() - _t0)\ndel _t, _t0, _burn"
        )
        secs = float(await slot.request(code.format(n=n)))
        n = int(n * target / secs)
        secs = float(await slot.request(code.format(n=n)))
        return int(n * target / secs)
    finally:
        kc.stop_channels()


async def wide_dag(blocks: int, repeat: int) -> None:
    km = LocalKernels()
    work = Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    project = await km.start_kernel(path=str(work))
    pools = {2: WorkerPool(km, 1, path=str(work)), 3: WorkerPool(km, 2, path=str(work))}
    try:
        t0 = time.monotonic()
        await asyncio.gather(*(p.start() for p in pools.values()))
        print(f"worker kernels started (3, concurrently) in {time.monotonic() - t0:.2f} s, once")
        n = await calibrate(km, project)
        nb = wide_notebook(blocks, n)
        dag = build_dag(nb, [])
        plan = plan_blocks(dag, "all")
        seq_walls, ratios = [], {2: [], 3: []}
        own: dict[int, list[float]] = {2: [], 3: []}
        vs_seq: dict[int, list[float]] = {2: [], 3: []}
        ideals: dict[int, list[float]] = {2: [], 3: []}
        for _ in range(repeat):
            t = Times()
            t0 = time.monotonic()
            outcome = await Engine(km.get_kernel(project), nb, dag.graph).run(plan, t)
            seq = time.monotonic() - t0
            assert outcome.status == "succeeded", outcome.reason
            seq_walls.append(seq)
            d = {b: duration(r) for b, r in t.results.items()}
            middle = [d[b] for b in plan[1:-1]]
            for mp, pool in pools.items():
                kernels = mp if mp == 2 else 2  # mp 3 runs the middle blocks on its 2 workers only
                ideal = max(d[plan[0]] + max(middle) + d[plan[-1]], sum(d.values()) / kernels)
                engine = ParallelEngine(km, project, nb, dag.graph, pool=pool, max_parallel=mp, use_project_kernel=mp == 2)
                p = Times()
                t0 = time.monotonic()
                outcome = await engine.run(plan, p)
                wall = time.monotonic() - t0
                assert outcome.status == "succeeded", outcome.reason
                ratios[mp].append(wall / ideal)
                pd_ = {b: duration(r) for b, r in p.results.items()}
                pmid = [pd_[b] for b in plan[1:-1]]
                own[mp].append(wall / max(pd_[plan[0]] + max(pmid) + pd_[plan[-1]], sum(pd_.values()) / kernels))
                vs_seq[mp].append(wall / seq)
                ideals[mp].append(ideal)
                stats = engine.stats
        print(f"\nwide DAG: 1 root, {blocks} independent pure-Python blocks of ~1 s, 1 sink; {repeat} runs, medians")
        print(f"  sequential (Engine, one kernel): {statistics.median(seq_walls):.2f} s")
        for mp in pools:
            label = "project kernel + 1 worker" if mp == 2 else "2 workers (project kernel free)"
            walls = [r * i for r, i in zip(ratios[mp], ideals[mp])]
            print(
                f"  max_parallel={mp} ({label}): wall {statistics.median(walls):.2f} s, ideal {statistics.median(ideals[mp]):.2f} s, "
                f"wall/ideal {statistics.median(ratios[mp]):.3f}, wall/sequential {statistics.median(vs_seq[mp]):.3f}"
            )
            print(f"    wall / ideal from the parallel run's own block times (scheduling + handover overhead): "
                  f"{statistics.median(own[mp]):.3f}")
        print(f"  last parallel run: {stats.exports} exports, {stats.export_bytes} bytes, {stats.loads} loads")
    finally:
        for p in pools.values():
            await p.shutdown()
        await km.shutdown_all()


async def handover(mb: int) -> None:
    km = LocalKernels()
    work = Path(tempfile.mkdtemp(prefix="bench-handover-"))
    project = await km.start_kernel(path=str(work))
    pool = WorkerPool(km, 1, path=str(work))
    rows = mb * 1024 * 1024 // 80
    nb = notebook(
        [
            "import numpy as np\nimport pandas as pd",
            f"df = pd.DataFrame(np.random.default_rng(0).random(({rows}, 10)), columns=[f'c{{i}}' for i in range(10)])",
            "s = float(df['c0'].sum())\nprint(round(s, 3))",
        ]
    )
    try:
        await pool.start()
        dag = build_dag(nb, [])
        plan = plan_blocks(dag, "all")
        exports, loads = [], []
        for _ in range(3):
            engine = ParallelEngine(km, project, nb, dag.graph, pool=pool, max_parallel=2, use_project_kernel=False)
            # the frame is made on the worker; the last block is pinned to the project kernel
            engine.effects[plan[2]] = dataclasses.replace(engine.effects[plan[2]], pin="the benchmark reads it there")
            assert (await engine.run(plan, Times())).status == "succeeded"
            exports.append(engine.stats.export_seconds)
            loads.append(engine.stats.load_seconds)
            size = engine.stats.export_bytes
        print(f"\nhandover of a {size / 1e6:.0f} MB float DataFrame worker -> project (cloudpickle, protocol 5, file), median of 3:")
        print(f"  export {statistics.median(exports) * 1000:.0f} ms, load {statistics.median(loads) * 1000:.0f} ms "
              f"({size / 1e6 / (statistics.median(exports) + statistics.median(loads)):.0f} MB/s end to end)")
    finally:
        await pool.shutdown()
        await km.shutdown_all()


async def subshells() -> None:
    """Two 1-s tasks: one kernel sequentially, one kernel with two subshells, two kernels."""
    km = LocalKernels()
    work = tempfile.mkdtemp(prefix="bench-subshell-")
    kids = [await km.start_kernel(path=work) for _ in range(2)]
    n = await calibrate(km, kids[1])
    clients = [await ready_client(km.get_kernel(k)) for k in kids]
    try:
        kc = clients[0]
        subs: list[str] = []
        for _ in range(2):
            kc.control_channel.send(kc.session.msg("create_subshell_request", {}))
        while len(subs) < 2:
            reply = await kc.control_channel.get_msg(timeout=10)
            if reply["msg_type"] == "create_subshell_reply" and reply["content"].get("subshell_id"):
                subs.append(reply["content"]["subshell_id"])

        async def execute(client, code: str, subshells: list[str | None]) -> None:
            """Send ``code`` once per subshell (None: the main shell), wait for all replies."""
            waiting = set()
            for sub in subshells:
                m = client.session.msg("execute_request", {"code": code, "silent": True, "store_history": False,
                                                           "user_expressions": {}, "allow_stdin": False, "stop_on_error": False})
                if sub is not None:
                    m["header"]["subshell_id"] = sub
                client.shell_channel.send(m)
                waiting.add(m["header"]["msg_id"])
            while waiting:
                r = await client.shell_channel.get_msg(timeout=120)
                if r["parent_header"].get("msg_id") in waiting:
                    assert r["content"]["status"] == "ok", r["content"]
                    waiting.discard(r["parent_header"]["msg_id"])

        setup = ("import hashlib, time\nbuf = bytes(300_000_000)\n"
                 "def gil(n):\n    s = 0\n    for j in range(n):\n        s += j * j\n    return s\n")
        for c in clients:
            await execute(c, setup, [None])
        t0 = time.perf_counter()
        await execute(clients[0], "hashlib.sha256(buf).hexdigest()", [None])
        per_hash = time.perf_counter() - t0
        reps = max(1, round(1.0 / per_hash))
        tasks = {"GIL-bound (pure Python)": f"gil({n})", "GIL-releasing (hashlib)": f"for _ in range({reps}): hashlib.sha256(buf).hexdigest()"}
        print("\ntwo ~1-s tasks (medians of 3 runs):")
        for label, code in tasks.items():
            row = {}
            for mode in ("one kernel, sequential", "one kernel, 2 subshells", "2 kernels"):
                walls = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    if mode == "one kernel, sequential":
                        await execute(clients[0], code, [None, None])
                    elif mode == "one kernel, 2 subshells":
                        await execute(clients[0], code, subs)
                    else:
                        await asyncio.gather(*(execute(c, code, [None]) for c in clients))
                    walls.append(time.perf_counter() - t0)
                row[mode] = statistics.median(walls)
            print(f"  {label}: " + ", ".join(f"{m} {w:.2f} s" for m, w in row.items()))
    finally:
        for c in clients:
            c.stop_channels()
        await km.shutdown_all()


def remote(branches: int, repeat: int) -> None:
    """Part 4 (see the module's docstring)."""
    import datetime
    import json
    import subprocess

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from servers import Server, free_port, stop_process
    from test_gateway_parallel import AWS_CLEAN, SERVER_KEY, SERVER_SECRET, TOKEN, s3_client, start_gateway

    os.environ.update(AWS_CLEAN)
    work = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            s3_client(endpoint).create_bucket(Bucket="bench")
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    mp = 3
    cells = ["import time\nbase = list(range(100_000))\nseed = 0",
             *[f"time.sleep(1)\nb{i} = sum(base) * {i + 1} + seed" for i in range(branches)],
             "total = " + " + ".join(f"b{i}" for i in range(branches)) + "\nprint(total)"]

    def ts(v: str) -> float:
        return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()

    def measure(server: Server, name: str) -> list[float]:
        nb = notebook(cells)
        nbformat.write(nb, server.root / f"{name}.ipynb")
        pid = server.call("POST", "projects", {"name": name, "notebook_path": f"{name}.ipynb"})["id"]

        def run(parallel: int, k: int) -> dict:
            server.call("PATCH", f"projects/{pid}/blocks/{nb.cells[0]['id']}", {"source": cells[0].replace("seed = 0", f"seed = {k}")})
            r = server.wait(server.call("POST", f"projects/{pid}/runs", {"mode": "all", "max_parallel": parallel})["id"], 600)
            assert r["status"] == "succeeded", r
            return r

        run(mp, -1)  # warm-up: starts the worker kernels
        out = []
        for k in range(repeat):
            seq = run(1, 2 * k)
            d = [ts(b["finished_at"]) - ts(b["started_at"]) for b in seq["blocks"]]
            ideal = max(d[0] + max(d[1:-1]) + d[-1], sum(d) / mp)
            par = run(mp, 2 * k + 1)
            assert not any(b["note"] for b in par["blocks"]), [b["note"] for b in par["blocks"]]
            out.append((ts(par["finished_at"]) - ts(par["started_at"])) / ideal)
        return out

    gateway = start_gateway(work / "gateway")
    try:
        results = {}
        root = work / "local" / "root"
        root.mkdir(parents=True)
        with Server(root, work / "local.db", name="local") as server:
            results["local kernels, local-file handover"] = measure(server, "wide")
        root = work / "remote" / "root"
        root.mkdir(parents=True)
        (work / "remote" / "cfg").mkdir()
        (work / "remote" / "cfg" / "jupyter_server_config.json").write_text(json.dumps({"RunService": {
            "handover_storage_url": "s3://bench/nbdag",
            "handover_storage_options": {"endpoint_url": endpoint, "key": SERVER_KEY, "secret": SERVER_SECRET}}}))
        with Server(root, work / "remote.db", name="remote",
                    args=[f"--gateway-url={gateway.url}", f"--GatewayClient.auth_token={TOKEN}"]) as server:
            results["gateway kernels, S3 (moto) handover"] = measure(server, "wide")
        print(f"\nremote: wide DAG, 1 source, {branches} branches of 1 s (sleep), 1 join; max_parallel {mp}; "
              f"{repeat} runs, medians of wall / ideal")
        for label, ratios in results.items():
            print(f"  {label}: wall/ideal {statistics.median(ratios):.3f} (runs: {', '.join(f'{r:.3f}' for r in ratios)})")
        left = s3_client(endpoint).list_objects_v2(Bucket="bench", Prefix="nbdag/handover/").get("KeyCount", 0)
        print(f"  objects left under the handover prefix: {left}")
    finally:
        stop_process(gateway)
        stop_process(moto)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--blocks", type=int, default=8)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--mb", type=int, default=80)
    p.add_argument("--subshells", action="store_true")
    p.add_argument("--remote", action="store_true", help="only part 4: gateway kernels + S3 handover vs local")
    p.add_argument("--branches", type=int, default=6)
    a = p.parse_args()
    if a.remote:
        print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        await asyncio.to_thread(remote, a.branches, a.repeat)
        return
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    await wide_dag(a.blocks, a.repeat)
    await handover(a.mb)
    if a.subshells:
        await subshells()


if __name__ == "__main__":
    asyncio.run(main())
