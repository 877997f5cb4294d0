"""Server configuration for the notebook_dag UI tests (Galata).

!! Never use this configuration in production: it opens the server to the
world and exposes JupyterLab's JavaScript objects on the global window.

The server runs in a fresh temporary root folder with its own SQLite database,
so the tests never touch the user's notebooks or projects.
"""

import os
from pathlib import Path
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# Fixed port (see playwright.config.js); not galata's 8888, to keep clear of a
# JupyterLab the developer may have running.
c.ServerApp.port = int(os.environ.get("NOTEBOOK_DAG_UI_PORT", "8899"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821

# Root folder: galata's temporary one unless JUPYTERLAB_GALATA_ROOT_DIR is set.
_state = Path(mkdtemp(prefix="notebook-dag-ui-"))
c.NotebookDagApp.db_url = "sqlite:///" + str(_state / "notebook_dag.db")  # noqa: F821

# With jupyter-collaboration installed (the second pass of the live-document tests, see
# scripts/run-tests.sh): its stores in the state folder too, not in the working directory.
c.SQLiteYStore.db_path = str(_state / "ystore.db")  # noqa: F821
c.BaseFileIdManager.db_path = str(_state / "file_id.db")  # noqa: F821

# Keep the test output readable; set NOTEBOOK_DAG_UI_LOG=DEBUG to see more.
c.ServerApp.log_level = os.environ.get("NOTEBOOK_DAG_UI_LOG", "WARN")  # noqa: F821

# A run of more than 30 s notifies its user (notifications.spec.ts runs one of 31 s);
# the other specs' runs are shorter, so they see no notification toasts.
c.NotificationService.run_threshold = 30  # noqa: F821
# The dataset import spec imports from an HTTP server it starts on 127.0.0.1: a private
# address, refused by default (server-side request forgery, see docs/dataset-imports.md).
c.DatasetService.import_allow_private_addresses = True  # noqa: F821

# jupyter-scheduler (installed for tests/test_scheduling.py): its server extension runs, with
# its database in the state folder, so "Schedule…" works in the UI tests; its labextension
# (a toolbar button and launcher cards that would change the screenshots) is disabled in the
# page config. (Disabling its server extension through c.ServerApp.jpserver_extensions
# here also dropped jupyter-collaboration's in the collaboration pass.)
c.SchedulerApp.db_url = "sqlite:///" + str(_state / "scheduler.sqlite")  # noqa: F821
c.Scheduler.staging_path = str(_state / "scheduler_staging")  # noqa: F821


def _without_scheduler(handler, page_config):
    page_config["disabledExtensions"] = [*page_config.get("disabledExtensions", []), "@jupyterlab/scheduler"]
    return page_config


c.ServerApp.tornado_settings.update({"page_config_hook": _without_scheduler})  # noqa: F821
