"""Per-service configuration (``c.RunService.block_timeout`` ...), the deprecated
``c.NotebookDagApp.<old name>`` aliases, and the ``*_service_class`` base classes."""

from __future__ import annotations

import logging

import pytest
from traitlets import TraitError
from traitlets.config import Config

from notebook_dag.app import DEPRECATED_SETTINGS, NotebookDagApp
from notebook_dag.dag import DagService
from notebook_dag.dag_cache import DagCache
from notebook_dag.execution import RunService


class MyRuns(RunService):
    """A pluggable run service: it still reads ``c.RunService``."""


@pytest.fixture
def jp_server_config(db_url, tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"notebook_dag": True}, "allow_unauthenticated_access": False},
        "NotebookDagApp": {"db_url": db_url, "run_service_class": MyRuns,
                           # deprecated names: still honoured, unless the new name is set too
                           "max_parallel": 3, "ai_rate_limit": 7, "block_timeout": 99.0},
        "RunService": {"block_timeout": 30.0, "max_output_bytes": 1234, "server_id": "srv-a"},
        "DatasetService": {"max_upload_bytes": 4096, "report_max_rows": 50, "datasets_dir": str(tmp_path / "ds")},
        "AIService": {"context_chars": 777, "providers": [], "use_jupyter_ai": False},
        "DagCache": {"ttl": 42.0},
        "KernelTokens": {"lifetime": 120.0},
    }


@pytest.fixture
def services(jp_serverapp):
    return jp_serverapp.web_app.settings["notebook_dag_services"]


def test_each_service_reads_its_own_section(services, jp_serverapp):
    runs = services.runs
    assert type(runs) is MyRuns
    assert (runs.block_timeout, runs.max_output_bytes, runs.server_id) == (30.0, 1234, "srv-a")
    ds = services.datasets
    assert (ds.max_upload_bytes, ds.report_max_rows, ds.jobs.report_max_rows) == (4096, 50, 50)
    assert str(ds.files.root).endswith("/ds")
    assert services.ai.context_chars == 777 and services.ai.builder.budget == 777
    assert services.dag_cache.ttl == 42.0
    assert jp_serverapp.web_app.settings["notebook_dag_kernel_tokens"].lifetime == 120.0


def test_deprecated_app_settings_still_apply(services, jp_serverapp):
    assert services.runs.max_parallel == 3  # c.NotebookDagApp.max_parallel
    assert services.ai.limiter.limit == 7  # c.NotebookDagApp.ai_rate_limit
    assert services.runs.block_timeout == 30.0  # the new name wins over the old one
    app = next(iter(jp_serverapp.extension_manager.extension_apps["notebook_dag"]))
    # no trait of the app any more: the alias table is the only place the old names live
    assert not any(app.has_trait(old) for old in DEPRECATED_SETTINGS)
    assert app.has_trait("db_url") and app.has_trait("local_user")


def test_deprecated_app_settings_are_moved_with_one_warning_each(caplog):
    cfg = Config({"NotebookDagApp": {"dag_cache_ttl": 5.0, "datasets_storage_url": "s3://b/p", "block_timeout": 9.0},
                  "RunService": {"block_timeout": 1.0}})
    app = NotebookDagApp(config=cfg)
    app.log = logging.getLogger("test_config.app")
    with caplog.at_level(logging.WARNING, logger="test_config.app"):
        moved = app.move_deprecated_settings()
        assert app.move_deprecated_settings() == []  # once
    assert sorted(moved) == ["block_timeout", "dag_cache_ttl", "datasets_storage_url"]
    assert app.config.DagCache.ttl == 5.0 and app.config.DatasetService.storage_url == "s3://b/p"
    assert app.config.RunService.block_timeout == 1.0  # set under the new name: kept
    msgs = [r.getMessage() for r in caplog.records]
    assert len(msgs) == 3, msgs
    assert "notebook_dag: NotebookDagApp.dag_cache_ttl is deprecated; set DagCache.ttl instead" in msgs
    assert any("NotebookDagApp.block_timeout is deprecated and ignored" in m for m in msgs)
    assert DagCache(parent=app).ttl == 5.0


def test_service_class_traits_refuse_a_wrong_class():
    app = NotebookDagApp()
    app.run_service_class = MyRuns
    with pytest.raises(TraitError):
        app.run_service_class = DagService
    with pytest.raises(TraitError):
        app.dataset_service_class = RunService
    with pytest.raises(TraitError):
        app.ai_service_class = RunService
    with pytest.raises(TraitError):
        app.project_service_class = "notebook_dag.dag.DagService"


def test_command_line_old_and_new_names():
    from traitlets.config.loader import KVArgParseConfigLoader

    from notebook_dag.kernel_auth import KernelTokens

    cfg = KVArgParseConfigLoader(["--NotebookDagApp.dag_cache_ttl=5", "--KernelTokens.lifetime=60"]).load_config()
    app = NotebookDagApp(config=cfg)
    app.log = logging.getLogger("test_config.cli")
    assert app.move_deprecated_settings() == ["dag_cache_ttl"]
    assert DagCache(parent=app).ttl == 5.0  # a command-line string, parsed by the service's trait
    assert KernelTokens(parent=app).lifetime == 60.0
    assert KernelTokens(parent=app, lifetime=1.0).lifetime == 1.0  # a keyword argument wins
