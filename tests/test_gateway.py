"""Runs on remote kernels: a jupyter_server started with ``--gateway-url`` pointing at a
real Jupyter Kernel Gateway (token-protected, on 127.0.0.1) runs a project's DAG
through the REST API; its kernels are the gateway's children, not the server's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import types

import pytest

from conftest import blocks_by_id, stdout_of, write_notebook
from servers import Server, free_port, http, stop_process, tail
from stub_llm import SECRETS, Reply, fenced, key_env, stub, stub_server  # noqa: F401

pytest.importorskip("kernel_gateway", reason="jupyter_kernel_gateway is not installed (pip install '.[test]')")
pytestmark = pytest.mark.deployment

TOKEN = "gateway-secret"


@pytest.fixture
def gateway(tmp_path):
    """A Jupyter Kernel Gateway on 127.0.0.1 that requires ``TOKEN``; yields its URL."""
    port = free_port()
    log_path = tmp_path / "gateway.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kernel_gateway", "--KernelGatewayApp.ip=127.0.0.1", f"--KernelGatewayApp.port={port}",
         "--KernelGatewayApp.port_retries=0", f"--KernelGatewayApp.auth_token={TOKEN}",
         "--JupyterWebsocketPersonality.list_kernels=True"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if http("GET", f"{url}/api/kernelspecs", headers={"Authorization": f"token {TOKEN}"}, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.time() < deadline, f"the kernel gateway did not start:\n{tail(log_path)}"
            time.sleep(0.2)
        assert http("GET", f"{url}/api/kernelspecs")[0] in (401, 403), "the gateway must require its token"
        proc.url = url
        yield proc
    finally:
        stop_process(proc)
        log.close()


def _gateway_kernels(gateway) -> list[str]:
    code, kernels = http("GET", f"{gateway.url}/api/kernels", headers={"Authorization": f"token {TOKEN}"})
    assert code == 200, kernels
    return [k["id"] for k in kernels]


def _wait_running(server, run_id, block_id, timeout=60):
    deadline = time.time() + timeout
    while blocks_by_id(server.call("GET", f"runs/{run_id}"))[block_id]["status"] != "running":
        assert time.time() < deadline, f"{block_id} never started"
        time.sleep(0.1)


def test_dag_runs_on_gateway_kernels(tmp_path, db_url, gateway):
    root = tmp_path / "root"
    write_notebook(root, "remote.ipynb", [
        "import os\nx = 20\nprint('x', x)",      # c0
        "y = x * 2 + 2\nprint('y', y)",          # c1
        "print('parent', os.getppid())",         # c2
        "y / 0",                                 # c3 fails, then is fixed
        "print('after', y)",                     # c4 (manual edge from c3)
        "z = 'independent'\nprint(z)",           # c5
        "import time\ntime.sleep(60)",           # c6 is cancelled
    ])
    with Server(root, db_url, args=[f"--gateway-url={gateway.url}", f"--GatewayClient.auth_token={TOKEN}"],
                name="gateway-client") as server:
        p = server.call("POST", "projects", {"name": "remote", "notebook_path": "remote.ipynb"})
        pid = p["id"]
        server.call("POST", f"projects/{pid}/edges", {"source": "c3", "target": "c4"})
        failed = server.wait(server.call("POST", f"projects/{pid}/runs", {"mode": "downstream", "block_id": "c0"})["id"], 120)
        by = blocks_by_id(failed)
        assert failed["status"] == "failed" and "ZeroDivisionError" in failed["reason"], failed
        assert stdout_of(by["c0"]) == "x 20\n" and stdout_of(by["c1"]) == "y 42\n"
        assert by["c3"]["status"] == "failed" and by["c3"]["error"].startswith("ZeroDivisionError")
        assert any(o["output_type"] == "error" and o["ename"] == "ZeroDivisionError" for o in by["c3"]["outputs"])
        assert by["c4"]["status"] == "skipped", "downstream of the failure"

        # the kernel is the gateway's: listed there, and the gateway process is its parent
        kid = failed["kernel_id"]
        assert kid in _gateway_kernels(gateway)
        code, local = http("GET", f"{server.url}/api/kernels", headers={"Authorization": f"token {server.token}"})
        assert code == 200 and [k["id"] for k in local] == [kid], "the server's kernels are the gateway's"
        one = server.wait(server.call("POST", f"projects/{pid}/runs", {"mode": "block", "block_id": "c2"})["id"], 60)
        assert one["status"] == "succeeded" and stdout_of(one["blocks"][0]) == f"parent {gateway.pid}\n"

        # fixed: a run of everything executes only what is not up to date in the remote
        # kernel (its variables live on between runs); cancelling interrupts it remotely
        server.call("PATCH", f"projects/{pid}/blocks/c3", {"source": "w = y / 2\nprint('w', w)"})
        run = server.call("POST", f"projects/{pid}/runs", {"mode": "all"})
        _wait_running(server, run["id"], "c6")
        assert server.call("POST", f"runs/{run['id']}/cancel")["status"] == "cancelling"
        run = server.wait(run["id"], 60)
        by = blocks_by_id(run)
        assert run["status"] == "cancelled" and run["kernel_id"] == kid, run
        assert {b: by[b]["status"] for b in ("c0", "c1", "c2")} == dict.fromkeys(("c0", "c1", "c2"), "up_to_date")
        assert stdout_of(by["c3"]) == "w 21.0\n" and stdout_of(by["c4"]) == "after 42\n"
        assert stdout_of(by["c5"]) == "independent\n" and by["c6"]["status"] == "cancelled"
        again = server.wait(server.call("POST", f"projects/{pid}/runs", {"mode": "block", "block_id": "c4"})["id"], 60)
        assert again["status"] == "succeeded" and stdout_of(again["blocks"][0]) == "after 42\n", "the kernel lives on"

    # the server stopped: its project kernel was shut down on the gateway too
    deadline = time.time() + 30
    while kid in _gateway_kernels(gateway):
        assert time.time() < deadline, "the project kernel outlived the server"
        time.sleep(0.2)


def test_ai_context_from_a_gateway_kernel(tmp_path, db_url, gateway, stub, monkeypatch):
    """AI generation reads the types of the names bound in the project's kernel, also
    when that kernel is the gateway's (its client's ``start_channels`` is a coroutine)."""
    root = tmp_path / "root"
    write_notebook(root, "ai.ipynb", ["n = 5\nwords = ['a', 'b']", "total = n * len(words)"])
    cfg = tmp_path / "cfg"  # the Server's JUPYTER_CONFIG_DIR
    cfg.mkdir(exist_ok=True)
    (cfg / "jupyter_server_config.json").write_text(json.dumps({"AIService": {
        "providers": [{"name": "primary", "kind": "openai", "model": "gpt-stub-1", "base_url": f"{stub.url}/a/v1",
                          "api_key_env": key_env("primary")}],
        "rate_limit": 0, "introspection_timeout": 30.0,
    }}))
    monkeypatch.setenv(key_env("primary"), SECRETS["primary"])
    with Server(root, db_url, args=[f"--gateway-url={gateway.url}", f"--GatewayClient.auth_token={TOKEN}"],
                name="gateway-ai") as server:
        p = server.call("POST", "projects", {"name": "ai", "notebook_path": "ai.ipynb"})
        # a parallel run asked for on a gateway's kernel runs sequentially (handovers need a
        # filesystem shared with the kernels): no worker kernels, every block on the project kernel
        run = server.wait(server.call("POST", f"projects/{p['id']}/runs", {"mode": "all", "max_parallel": 2})["id"], 120)
        assert run["status"] == "succeeded" and run["max_parallel"] == 2, run
        assert [b["kernel"] for b in run["blocks"]] == [None, None]
        code, kernels = http("GET", f"{server.url}/api/kernels", headers={"Authorization": f"token {server.token}"})
        assert code == 200 and len(kernels) == 1, kernels
        stub.script("a", Reply(fenced("print(total)")))
        out = server.call("POST", "ai/generate", {"project_id": p["id"], "prompt": "show the total", "after_block_id": "c1"})
        assert out["context"]["names_source"] == "kernel", (out["context"], tail(server.log_path))
        prompt = [r for r in stub.requests if r.tag == "a"][-1].body["messages"][-1]["content"]
        assert "- n: int" in prompt and "- words: list" in prompt, prompt
        again = server.wait(server.call("POST", f"projects/{p['id']}/runs", {"mode": "block", "block_id": "c1"})["id"], 60)
        assert again["status"] == "succeeded" and again["blocks"][0]["execution_count"] == 3, again


def test_gateway_websocket_acknowledges_at_once():
    """The gateway client's websocket sets TCP_QUICKACK before each read, so the
    gateway's Nagle-delayed replies are not held up by delayed ACKs (40 ms each)."""
    import socket

    from notebook_dag.gateway import _quick_acks

    if not hasattr(socket, "TCP_QUICKACK"):
        pytest.skip("TCP_QUICKACK is Linux-only")
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    try:
        ws = types.SimpleNamespace(sock=client, recv=lambda: client.recv(5))
        _quick_acks(ws)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 0
        peer.sendall(b"hello")
        assert ws.recv() == b"hello"
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1
        _quick_acks(types.SimpleNamespace(sock=None, recv=None))  # not connected: left alone
    finally:
        for s in (peer, client, server):
            s.close()
