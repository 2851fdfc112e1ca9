"""Real server processes for the tests that need one (accounts, uploads, deployment, concurrent edits):
`manage.py runserver` (the laptop default) or gunicorn (production), started on 127.0.0.1 with a given
environment, and HTTP clients for them."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def laptop_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh clone: no DATABASE_URL or REDIS_URL, so SQLite and a filesystem broker."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "PORTAL_STORAGE_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(var_dir),
                "PYTHONPATH": str(ROOT), **extra})
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 180) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def query(env: dict[str, str], code: str):
    """Run ORM code in a separate process on the server's database; it prints one JSON value."""
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


@contextlib.contextmanager
def serve(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[Server]:
    """Start `command` (with {port} in it) on a free port; wait until it answers; stop it afterwards."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([part.format(port=port) for part in command], env=env, cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def runserver(env: dict[str, str], log: Path):
    return serve([sys.executable, str(ROOT / "manage.py"), "runserver", "127.0.0.1:{port}", "--noreload"],
                 env=env, log=log)


def gunicorn(env: dict[str, str], log: Path):
    return serve([sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", "127.0.0.1:{port}",
                  "--workers", "1", "--timeout", "120"], env=env, log=log)


def _wait_until_up(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            requests.get(server.url + "/", timeout=5, allow_redirects=False)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not answer within {timeout} s:\n{server.log_text()}")


def csrf_token(page: bytes) -> str:
    match = CSRF_FIELD.search(page)
    assert match, page[:2000]
    return match.group(1).decode()


def logged_in(server: Server, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/accounts/login/", timeout=30)
    answer = session.post(f"{server.url}/accounts/login/", timeout=30, allow_redirects=False, data={
        "username": username, "password": password, "csrfmiddlewaretoken": csrf_token(page.content)})
    assert answer.status_code == 302, answer.text[:2000]
    return session


def post_streamed(server: Server, path: str, *, cookies: dict[str, str], fields: dict[str, str],
                  file_field: str, file_name: str, file_chunks: Iterable[bytes], file_size: int,
                  timeout: float = 300) -> tuple[int, bytes]:
    """POST a multipart form whose file is sent chunk by chunk (never held whole by this process). Like a
    browser, it reads an answer the server sends before the body is all sent (and stops sending)."""
    boundary = "----portal-test-boundary-7d1f"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
             "Content-Type: application/zip\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head) + file_size + len(tail)))
        connection.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        connection.endheaders()
        try:
            connection.send(head)
            for chunk in file_chunks:
                connection.send(chunk)
            connection.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (a 413 from the Content-Length) and closed: read that answer
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
