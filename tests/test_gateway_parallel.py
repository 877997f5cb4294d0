"""Parallel runs on remote kernels: a jupyter_server started with ``--gateway-url`` (a real
Jupyter Kernel Gateway on 127.0.0.1 with its own working and temporary directories, so
no filesystem is shared with the server for handovers) runs a wide DAG on its project
kernel and worker kernels started through the gateway, handing values over through an
S3 bucket of moto's server (run-scoped STS credentials for the kernels, the run's
prefix emptied afterwards). A kernel that cannot reach the store runs every block in the
project kernel, each block's note saying why. Plus unit tests of the handover stores
and of the kernel side's store functions."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook
from servers import Server, free_port, http, moto_process, stop_process, tail

TOKEN = "gateway-secret"
PREFIX = "nbdag"
#: the server's (long-lived) credentials of moto's S3; kernels must never get them
SERVER_KEY, SERVER_SECRET = "server-key", "server-secret"
AWS_CLEAN = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
             "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}

# the wide DAG: one source, 4 independent ~1 s branches computing from it, one join
WIDE = [
    "import time\nbase = list(range(100_000))\ndef scale(v, k):\n    return v * k\nprint('base', len(base))",
    *[f"time.sleep(1)\nb{i} = scale(sum(base), {i + 1})\nprint('b{i}', b{i})" for i in range(4)],
    "total = b0 + b1 + b2 + b3\nprint('total', total)",
]
BRANCHES = ["c1", "c2", "c3", "c4"]


# ---- fixtures -------------------------------------------------------------------------


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=SERVER_KEY, aws_secret_access_key=SERVER_SECRET)


def objects(endpoint: str, bucket: str, prefix: str) -> list[str]:
    out: list[str] = []
    for page in s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory):
    """``http://127.0.0.1:<port>`` of moto's server (S3 and STS) in a process of its own."""
    pytest.importorskip("moto")
    with moto_process() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(moto_endpoint) -> str:
    name = f"nbdag-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=name)
    return name


def start_gateway(work, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """A token-protected Kernel Gateway on 127.0.0.1 in ``work`` (its own cwd and TMPDIR,
    which its kernels get too, with ``extra_env``), without any AWS credential in its
    (and its kernels') environment; ``.url`` is set."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "tmp").mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CLEAN, TMPDIR=str(work / "tmp"), **(extra_env or {}))
    log_path = work / "gateway.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kernel_gateway", "--KernelGatewayApp.ip=127.0.0.1", f"--KernelGatewayApp.port={port}",
         "--KernelGatewayApp.port_retries=0", f"--KernelGatewayApp.auth_token={TOKEN}",
         "--JupyterWebsocketPersonality.list_kernels=True",
         f"--KernelGatewayApp.env_process_whitelist={json.dumps(['TMPDIR', *(extra_env or {})])}"],
        stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, cwd=work, env=env, start_new_session=True,
    )
    proc.url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if http("GET", f"{proc.url}/api/kernelspecs", headers={"Authorization": f"token {TOKEN}"}, timeout=5)[0] == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            stop_process(proc)
            raise AssertionError(f"the kernel gateway did not start:\n{tail(log_path)}")
        time.sleep(0.2)


def gateway_kernels(gateway) -> list[str]:
    code, kernels = http("GET", f"{gateway.url}/api/kernels", headers={"Authorization": f"token {TOKEN}"})
    assert code == 200, kernels
    return [k["id"] for k in kernels]


def server_for(tmp_path, db_url, gateway, endpoint: str, bucket: str, name: str) -> Server:
    root = tmp_path / "root"
    for nb in ("seq.ipynb", "par.ipynb"):
        write_notebook(root, nb, WIDE)
    cfg = tmp_path / "cfg"  # the Server's JUPYTER_CONFIG_DIR
    cfg.mkdir(exist_ok=True)
    (cfg / "jupyter_server_config.json").write_text(json.dumps({"RunService": {
        "handover_storage_url": f"s3://{bucket}/{PREFIX}",
        "handover_storage_options": {"endpoint_url": endpoint, "key": SERVER_KEY, "secret": SERVER_SECRET},
    }}))
    return Server(root, db_url, name=name,
                  args=[f"--gateway-url={gateway.url}", f"--GatewayClient.auth_token={TOKEN}"])


def run_both(server: Server) -> tuple[dict, dict]:
    """The wide DAG run sequentially (one project) and with max_parallel 3 (another)."""
    out = []
    for nb, parallel in (("seq.ipynb", 1), ("par.ipynb", 3)):
        p = server.call("POST", "projects", {"name": nb, "notebook_path": nb})
        run = server.wait(server.call("POST", f"projects/{p['id']}/runs", {"mode": "all", "max_parallel": parallel})["id"],
                          240)
        assert run["status"] == "succeeded", (run, tail(server.log_path))
        out.append(run)
    return out[0], out[1]


def _t(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# ---- through the gateway ------------------------------------------------------------


@pytest.mark.deployment
def test_wide_dag_runs_in_parallel_on_gateway_kernels_through_s3(tmp_path, db_url, moto_endpoint, bucket, monkeypatch):
    pytest.importorskip("kernel_gateway")
    for k, v in AWS_CLEAN.items():
        monkeypatch.setenv(k, v)
    gateway = start_gateway(tmp_path / "gateway")
    try:
        with server_for(tmp_path, db_url, gateway, moto_endpoint, bucket, "gw-par") as server:
            seq, par = run_both(server)
            s, p = blocks_by_id(seq), blocks_by_id(par)
            assert {b: stdout_of(p[b]) for b in p} == {b: stdout_of(s[b]) for b in s}, "outputs as in a sequential run"
            assert stdout_of(p["c5"]) == f"total {sum(range(100_000)) * 10}\n"
            assert all(not b["note"] for b in par["blocks"]), [b["note"] for b in par["blocks"]]
            kernels = {b: p[b]["kernel"] for b in BRANCHES}
            assert any(k.startswith("worker-") for k in kernels.values()), kernels
            # branches overlapped in time on two different kernels
            spans = {b: (_t(p[b]["started_at"]), _t(p[b]["finished_at"])) for b in BRANCHES}
            overlapping = [(a, b) for a in BRANCHES for b in BRANCHES
                           if a < b and kernels[a] != kernels[b]
                           and spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]]
            assert overlapping, (spans, kernels)
            window = max(e for _, e in spans.values()) - min(st for st, _ in spans.values())
            assert window < 3.5, f"4 branches of 1 s took {window:.1f} s: not parallel"
            # the workers are the gateway's kernels (2 project kernels + 2 workers), not the server's
            on_gateway = gateway_kernels(gateway)
            assert len(on_gateway) == 4, on_gateway
            # the run's handover prefix was emptied (its objects did exist: nothing else is there)
            assert objects(moto_endpoint, bucket, f"{PREFIX}/handover/") == []
            # the project kernel forgot the run's store and credentials
            pid = par["project_id"]
            server.call("PATCH", f"projects/{pid}/blocks/c5",
                        {"source": "import os\nh = __import__('_notebook_dag_handover')\n"
                         "print(h._STORE, os.environ.get('AWS_SECRET_ACCESS_KEY'))"})
            one = server.wait(server.call("POST", f"projects/{pid}/runs", {"mode": "block", "block_id": "c5"})["id"], 60)
            assert one["status"] == "succeeded" and stdout_of(one["blocks"][0]) == "None None\n", one
    finally:
        stop_process(gateway)


@pytest.mark.deployment
def test_kernels_without_the_store_run_every_block_in_the_project_kernel(tmp_path, db_url, moto_endpoint, bucket, monkeypatch):
    """The gateway's kernels cannot import s3fs: the parallel run still succeeds, on the
    project kernel, and each block's note says why."""
    pytest.importorskip("kernel_gateway")
    for k, v in AWS_CLEAN.items():
        monkeypatch.setenv(k, v)
    shadow = tmp_path / "shadow" / "s3fs"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('s3fs is not installed in this environment')\n")
    gateway = start_gateway(tmp_path / "gateway", {"PYTHONPATH": str(shadow.parent)})
    try:
        with server_for(tmp_path, db_url, gateway, moto_endpoint, bucket, "gw-fallback") as server:
            seq, par = run_both(server)
            s, p = blocks_by_id(seq), blocks_by_id(par)
            assert {b: stdout_of(p[b]) for b in p} == {b: stdout_of(s[b]) for b in s}
            assert {b["kernel"] for b in par["blocks"]} == {"project"}, [b["kernel"] for b in par["blocks"]]
            for b in par["blocks"]:
                assert b["note"] == ("ran in the project kernel because the project kernel cannot reach the handover store "
                                     "(ImportError: Install s3fs to access S3)"), b
            assert objects(moto_endpoint, bucket, f"{PREFIX}/handover/") == []
    finally:
        stop_process(gateway)


# ---- the stores ---------------------------------------------------------------------


async def test_local_handover_is_a_private_directory_removed_at_close():
    from notebook_dag.parallel.handover import LocalHandover, handover_for

    store = handover_for("", None, "r1")
    assert isinstance(store, LocalHandover) and isinstance(handover_for("file:///x", None, "r1"), LocalHandover)
    await store.open()
    path = store.path("00001-project.pkl")
    assert os.path.dirname(path) == store.dir and store.kernel_spec() is None and not store.remote
    with open(path, "wb") as f:
        f.write(b"x")
    assert await store.objects() == ["00001-project.pkl"]
    await store.close()
    assert not os.path.exists(store.dir)


async def test_fsspec_handover_prefix_secrets_and_cleanup():
    import fsspec

    from notebook_dag.parallel.handover import FsspecHandover, handover_for

    url = f"memory://bucket-{uuid.uuid4().hex[:8]}/team"
    store = handover_for(url, {}, "run-1")
    assert isinstance(store, FsspecHandover) and store.remote
    other = FsspecHandover(url, {}, "run-2")
    await store.open()  # memory: no credentials to get
    assert store.path("a") == f"{url}/handover/run-1/a"
    fs = fsspec.filesystem("memory")
    fs.pipe_file(store.path("obj1"), b"1")
    fs.pipe_file(other.path("obj2"), b"2")
    fs.pipe_file(f"{url}/datasets/keep", b"3")
    assert [o.rsplit("/", 1)[1] for o in await store.objects()] == ["obj1"]
    await store.close()
    assert await store.objects() == []
    assert fs.cat_file(other.path("obj2")) == b"2" and fs.cat_file(f"{url}/datasets/keep") == b"3", "other prefixes stay"
    await store.close()  # twice, or on an empty prefix: fine
    # secrets stay on the server
    s3 = FsspecHandover("s3://b/p", {"endpoint_url": "http://x", "key": "K", "secret": "S", "client_kwargs": {"a": 1}}, "r")
    assert s3.kernel_spec() == {"protocol": "s3", "prefix": "s3://b/p/handover/r",
                                "options": {"endpoint_url": "http://x", "client_kwargs": {"a": 1}}}


async def test_s3_kernels_get_run_scoped_sts_credentials(moto_endpoint, bucket, monkeypatch):
    import s3fs

    from notebook_dag.parallel.handover import FsspecHandover, HandoverError, session_policy

    for k, v in AWS_CLEAN.items():
        monkeypatch.setenv(k, v)
    store = FsspecHandover(f"s3://{bucket}/{PREFIX}", {"endpoint_url": moto_endpoint, "key": SERVER_KEY,
                                                         "secret": SERVER_SECRET}, "run-7")
    await store.open()
    opts = store.kernel_spec()["options"]
    assert opts["key"] not in (SERVER_KEY, "") and opts["secret"] != SERVER_SECRET and opts["token"], opts
    assert SERVER_SECRET not in json.dumps(store.kernel_spec())
    # the session credentials work for the run's prefix
    fs = s3fs.S3FileSystem(skip_instance_cache=True, **opts)
    fs.pipe_file(store.path("x"), b"hello")
    assert fs.cat_file(store.path("x")) == b"hello"
    await store.close()
    assert objects(moto_endpoint, bucket, f"{PREFIX}/handover/") == []
    policy = session_policy(bucket, f"{PREFIX}/handover/run-7")
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::{bucket}/{PREFIX}/handover/run-7/*"]
    # STS unreachable: the store says so (the engine then runs every block in the project kernel)
    dead = FsspecHandover(f"s3://{bucket}/{PREFIX}", {"endpoint_url": f"http://127.0.0.1:{free_port()}",
                                                      "key": SERVER_KEY, "secret": SERVER_SECRET}, "run-8")
    with pytest.raises(HandoverError, match="no short-lived credentials"):
        await dead.open()


def test_kernel_side_writes_content_addressed_objects_and_reads_them_back():
    import cloudpickle

    from notebook_dag.parallel import kernel_side as ks

    prefix = f"memory://handover-{uuid.uuid4().hex[:8]}/run"
    try:
        ks.use_store({"protocol": "memory", "prefix": prefix, "options": {}})
        assert json.loads(ks.LAST) == {"problems": []} and ks._STORE is not None
        where, size = ks._dump({"a": [1, 2, 3]}, "ignored-name.pkl")
        data = cloudpickle.dumps({"a": [1, 2, 3]}, protocol=ks.PROTOCOL)
        assert where == f"{prefix}/{hashlib.sha256(data).hexdigest()}" and size == len(data)
        with ks._open(where) as f:
            assert ks._Unpickler(f).load() == {"a": [1, 2, 3]}
        assert len(ks._STORE["fs"].find(prefix)) == 1, "the probe object was deleted"
        ks.use_store(None)
        assert ks._STORE is None
        # an unreachable store: problems, and local files stay in use
        ks.use_store({"protocol": "s3", "prefix": "s3://nope/p", "options": {
            "endpoint_url": f"http://127.0.0.1:{free_port()}", "key": "k", "secret": "s",
            "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 2}}})
        problems = json.loads(ks.LAST)["problems"]
        assert len(problems) == 1 and ks._STORE is None, problems
    finally:
        ks._STORE = None


def test_kernel_side_loads_several_objects_of_a_block_at_once(monkeypatch):
    """``load`` with several objects of the store fetches them together (one round trip)
    and assigns every value, in order (a later object's value wins)."""
    import types

    import cloudpickle

    from notebook_dag.parallel import kernel_side as ks

    shell = types.SimpleNamespace(user_ns={"keep": 1}, execution_count=1)
    monkeypatch.setattr(ks, "_shell", lambda: shell)
    prefix = f"memory://handover-{uuid.uuid4().hex[:8]}/run"
    try:
        ks.use_store({"protocol": "memory", "prefix": prefix, "options": {}})
        first, _ = ks._dump({"a": [1, 2], "b": "old"}, "x")
        second, _ = ks._dump({"b": "new", "f": cloudpickle.loads(cloudpickle.dumps(len))}, "y")
        fetched: list[list[str]] = []
        cat_ranges = ks._STORE["fs"].cat_ranges

        def counted(paths, *args, **kwargs):
            fetched.append(list(paths))
            return cat_ranges(paths, *args, **kwargs)

        monkeypatch.setattr(ks._STORE["fs"], "cat_ranges", counted)
        ks.load([[first, ["a", "b"]], [second, ["b", "f"]]], ["keep"], 7)
        assert shell.user_ns == {"a": [1, 2], "b": "new", "f": len} and shell.execution_count == 7
        assert fetched == [[first, second]], "both objects in one request"
        ks.load([[first, ["a"]]])  # one object: read alone
        assert fetched == [[first, second]]
    finally:
        ks._STORE = None


def test_kernel_side_s3_filesystems_share_one_session_across_runs(moto_endpoint, bucket, monkeypatch):
    """Each run's S3 filesystem (new credentials) reuses the kernel's aiobotocore session,
    also after the helper module was installed again (as the project kernel's is every
    run): loading the service models again cost 100-300 ms per run."""
    import importlib.util

    from notebook_dag.parallel import kernel_side as ks

    for k, v in AWS_CLEAN.items():
        monkeypatch.setenv(k, v)
    spec = {"protocol": "s3", "prefix": f"s3://{bucket}/{PREFIX}/handover/r",
            "options": {"endpoint_url": moto_endpoint, "key": SERVER_KEY, "secret": SERVER_SECRET}}
    monkeypatch.setitem(sys.modules, ks.NAME, ks)
    try:
        ks.use_store(spec)
        assert json.loads(ks.LAST) == {"problems": []}
        first = ks._STORE["fs"]
        ks.use_store(spec)
        assert ks._STORE["fs"] is not first and ks._STORE["fs"].session is first.session is ks._SESSIONS["s3"]
        # installed again (a new module object from the same source): the session stays
        again = importlib.util.module_from_spec(importlib.util.spec_from_file_location("again", ks.__file__))
        again.__spec__.loader.exec_module(again)
        assert again._SESSIONS is ks._SESSIONS
        assert objects(moto_endpoint, bucket, f"{PREFIX}/handover/") == [], "probes deleted"
    finally:
        ks._STORE = None
