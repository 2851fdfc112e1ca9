"""Test settings: the real PostgreSQL and Redis on this machine unless the environment says otherwise."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# The tests' tiny models score fastest on one thread: with more, torch's threads spin against each other
# and against the machine's other processes (tests/engine's evaluate_submission run, on a busy 2-core
# machine: 28 s of CPU with two threads, 9 s with one). Read by torch when it is first imported here,
# and inherited by the processes the tests start.
os.environ.setdefault("OMP_NUM_THREADS", "1")
if "PORTAL_VAR_DIR" not in os.environ:
    _var = tempfile.mkdtemp(prefix="portal-test-var-")
    atexit.register(shutil.rmtree, _var, True)
    os.environ["PORTAL_VAR_DIR"] = _var

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# Threads of the tests (live servers, an in-thread Celery worker) close their connections after each
# request or task, so the test database can be dropped at the end; production keeps them (60 s).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
