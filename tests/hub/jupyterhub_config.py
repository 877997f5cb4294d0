"""JupyterHub configuration of tests/test_jupyterhub.py: everything on 127.0.0.1, users
who log in with one shared password, single-user servers started as local processes of
the hub's own OS user with notebook_dag on one shared database and one shared notebook
directory. The test passes the ports, paths and secrets in NBDAG_HUB_* variables.

docs/deploying-on-jupyterhub.md starts from this file for a real deployment.
"""

import os
import sys

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file
env = os.environ
work = env["NBDAG_HUB_DIR"]

# ---- the hub and its proxy (configurable-http-proxy, from npm) ------------------------
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(env["NBDAG_HUB_PORT"])  # the public URL, through the proxy
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["NBDAG_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['NBDAG_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [env["NBDAG_HUB_CHP"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(work, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(work, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(work, "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the single-user servers

# ---- who may log in: any name, with the shared password --------------------------------
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = env["NBDAG_HUB_PASSWORD"]
c.Authenticator.allow_all = True

# an API token with the admin role, for the test to create users, servers and tokens
c.JupyterHub.services = [{"name": "nbdag-test-admin", "api_token": env["NBDAG_HUB_ADMIN_TOKEN"]}]
c.JupyterHub.load_roles = [{"name": "admin", "services": ["nbdag-test-admin"]}]

# ---- single-user servers with notebook_dag ---------------------------------------------
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: no OS account per user
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(work, "home", "{username}")
c.Spawner.cmd = [os.path.join(os.path.dirname(sys.executable), "jupyterhub-singleuser")]
c.Spawner.notebook_dir = env["NBDAG_HUB_NOTEBOOKS"]  # one directory shared by the team
c.Spawner.default_url = "/lab"
c.Spawner.args = [
    "--allow-root",  # CI runs everything as root; the servers run as the hub's user
    "--ServerApp.jpserver_extensions=notebook_dag=True",
    f"--NotebookDagApp.db_url={env['NBDAG_HUB_DB_URL']}",  # one database for every user
]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
