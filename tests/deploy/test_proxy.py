"""docker-compose's nginx, run from deploy/nginx/portal.conf.template in front of a real gunicorn on
127.0.0.1 (only the addresses, the certificate and the static folder are changed for the test):
HTTP goes to HTTPS, the portal sees the request as secure, static files come from nginx, and the
body-size limit is exactly the portal's own, both computed from UPLOAD_MAX_COMPRESSED_MB."""

from __future__ import annotations

import html
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
import urllib3
import yaml
from django.db import connection

from portal import errors
from tests import factories, live

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COMPOSE = live.ROOT / "docker-compose.yml"
TEMPLATE = live.ROOT / "deploy" / "nginx" / "portal.conf.template"
ZIP_LIMIT_MB = 20
MiB = 1024 * 1024


def compose_request_limit_mb(zip_limit_mb: int) -> int:
    """What docker-compose's proxy command exports as UPLOAD_MAX_REQUEST_MB, run by sh as compose would."""
    command = yaml.safe_load(COMPOSE.read_text())["services"]["proxy"]["command"][2]
    script = (command.replace("${UPLOAD_MAX_COMPRESSED_MB:-50}", str(zip_limit_mb)).replace("$$", "$")
              .split(" && exec ")[0] + " && echo $UPLOAD_MAX_REQUEST_MB")
    return int(subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout)


def render(variables: dict[str, str]) -> str:
    """envsubst, as the nginx image runs it: only ${NAME} for the names given."""
    text = TEMPLATE.read_text()
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
    assert not re.search(r"\$\{[A-Z_]+\}", text), "a template variable was left unset"
    return text


def nginx_config(tmp_path: Path, *, http_port: int, https_port: int, upstream_port: int) -> Path:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
                   check=True, capture_output=True)
    server = render({"UPLOAD_MAX_REQUEST_MB": str(compose_request_limit_mb(ZIP_LIMIT_MB)),
                     "UPLOAD_MAX_COMPRESSED_MB": str(ZIP_LIMIT_MB), "GUNICORN_TIMEOUT": "120"})
    for old, new in (("server web:8000;", f"server 127.0.0.1:{upstream_port};"),
                     ("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;"),
                     ("listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl default_server;"),
                     ("/etc/nginx/certs/", f"{tmp_path}/"), ("alias /srv/static/;", f"alias {tmp_path}/static/;")):
        assert old in server, old
        server = server.replace(old, new)
    (tmp_path / "portal.conf").write_text(server)
    for folder in ("static", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    (tmp_path / "static" / "probe.txt").write_text("served by nginx")
    main = tmp_path / "nginx.conf"
    main.write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
error_log {tmp_path}/error.log;
pid {tmp_path}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/portal.conf;
}}
""")
    return main


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nginx did not listen on {port} within {timeout} s")


def post_headers_only(port: int, path: str, size: int) -> tuple[int, bytes]:
    """Announce a body of `size` bytes and wait: nginx answers from the Content-Length alone."""
    context = ssl._create_unverified_context()
    connection_ = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        connection_.putrequest("POST", path)
        connection_.putheader("Content-Type", "application/zip")
        connection_.putheader("Content-Length", str(size))
        connection_.endheaders()
        response = connection_.getresponse()
        return response.status, response.read()
    finally:
        connection_.close()


def test_nginx_in_front_of_gunicorn_as_docker_compose_runs_it(tmp_path, contest_tx):
    assert Path(NGINX).exists(), "nginx is missing: scripts/test installs it (apt-get install nginx-light)"
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    assert compose_request_limit_mb(50) == 51
    name = connection.settings_dict["NAME"]
    env = live.laptop_env(tmp_path / "var", DJANGO_SETTINGS_MODULE="tests.settings", DEBUG="false",
                          DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}", TRUSTED_PROXY_COUNT="1",
                          SECRET_KEY="a-test-secret-key-that-is-long-enough-for-the-deploy-check-0123456789",
                          UPLOAD_MAX_COMPRESSED_MB=str(ZIP_LIMIT_MB), PORTAL_STORAGE_DIR=str(tmp_path / "uploads"))
    http_port, https_port = live.free_port(), live.free_port()
    nginx = None
    try:
        with live.gunicorn(env, tmp_path / "gunicorn.log") as web:
            config = nginx_config(tmp_path, http_port=http_port, https_port=https_port, upstream_port=web.port)
            nginx = subprocess.Popen([NGINX, "-c", str(config), "-g", "daemon off;"], stderr=subprocess.PIPE)
            wait_for_port(https_port)
            check_the_proxy(http_port, https_port, contest_tx.slug)
        check_the_portal_stopped(https_port)  # gunicorn has stopped; nginx still answers
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=20)


def check_the_proxy(http_port: int, https_port: int, slug: str) -> None:
    base = f"https://127.0.0.1:{https_port}"
    plain = requests.get(f"http://127.0.0.1:{http_port}/submissions/?page=2", allow_redirects=False, timeout=30)
    assert (plain.status_code, plain.headers["Location"]) == (301, "https://127.0.0.1/submissions/?page=2")

    home = requests.get(base + "/", verify=False, timeout=30)
    assert home.status_code == 200  # secure through X-Forwarded-Proto: no redirect loop
    assert home.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Inverse Scaling Prize" in home.text
    assert requests.get(base + "/static/probe.txt", verify=False, timeout=30).text == "served by nginx"

    user = factories.contestant()
    session = requests.Session()
    session.verify, session.trust_env = False, False  # no CA bundle from the environment: a self-signed test certificate
    page = session.get(f"{base}/accounts/login/", timeout=30)
    logged_in = session.post(f"{base}/accounts/login/", headers={"Referer": f"{base}/accounts/login/"}, data={
        "username": user.username, "password": factories.PASSWORD,
        "csrfmiddlewaretoken": live.csrf_token(page.content)}, allow_redirects=False, timeout=30)
    assert logged_in.status_code == 302  # CSRF and secure cookies work behind the proxy

    limit = (ZIP_LIMIT_MB + 1) * MiB  # the portal's settings.UPLOAD_MAX_REQUEST_BYTES for this limit
    at_limit = requests.post(f"{base}/contests/{slug}/submit/", data=b"0" * limit, verify=False, timeout=60,
                             headers={"Content-Type": "application/octet-stream"}, allow_redirects=False)
    # it passed nginx and the portal's size check: the portal's CSRF check is what refuses it
    assert (at_limit.status_code, errors.CSRF_DETAIL in html.unescape(at_limit.text)) == (403, True)
    status, body = post_headers_only(https_port, f"/contests/{slug}/submit/", limit + 1)
    assert status == 413
    assert "The upload is larger than 20 MB, the limit for a task zip." in body.decode()
    status, body = post_headers_only(https_port, "/api/contests/", limit + 1)
    assert status == 413
    assert body.decode().startswith('{"detail": "The upload is larger than 20 MB, the limit for a task zip.')


UNAVAILABLE = ("The portal is not answering just now: it is restarting or very busy. Wait a minute and reload "
               "the page. If you had sent a form, check whether it was saved before sending it again.")
UNAVAILABLE_API = ("The portal is not answering just now: it is restarting or very busy. Try again in a minute; "
                   "if you had sent something, check whether it arrived before sending it again.")


def check_the_portal_stopped(https_port: int) -> None:
    base = f"https://127.0.0.1:{https_port}"
    page = requests.get(base + "/submissions/", verify=False, timeout=30)
    assert (page.status_code, page.headers["Content-Type"]) == (502, "text/html")
    assert f'<div class="alert alert-danger" id="error-detail">{UNAVAILABLE}</div>' in page.text
    assert '<link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css">' in page.text  # the portal's style
    assert "nginx" not in page.text
    api = requests.get(base + "/api/contests/", verify=False, timeout=30)
    assert (api.status_code, api.headers["Content-Type"], api.json()) == (
        502, "application/json", {"detail": UNAVAILABLE_API})
