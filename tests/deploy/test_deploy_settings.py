"""Production settings come from the environment and pass Django's deploy check with DEBUG=false
(scripts/test runs the same check in CI)."""

from __future__ import annotations

import subprocess
import sys

from tests import live

SECRET = "ci-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"


def deploy_check(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    env = live.laptop_env(tmp_path / "var", DEBUG="false", SECRET_KEY=SECRET, ALLOWED_HOSTS="portal.example.org",
                          **extra)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          env=env, cwd=live.ROOT, capture_output=True, text=True, timeout=120)


def production_setting(tmp_path, expression: str, **extra: str) -> str:
    env = live.laptop_env(tmp_path / "var", DEBUG="false", SECRET_KEY=SECRET, ALLOWED_HOSTS="portal.example.org",
                          **extra)
    return live.manage(env, "shell", "-c", f"from django.conf import settings as s; print({expression})").splitlines()[-1]


def test_the_deploy_check_passes_with_debug_off(tmp_path):
    done = deploy_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_turning_off_the_https_redirect_behind_a_tls_proxy_is_reported_by_the_check(tmp_path):
    done = deploy_check(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    assert done.returncode == 1
    assert "security.W004" in done.stderr and "security.W008" in done.stderr


def test_production_values(tmp_path):
    assert production_setting(tmp_path, "(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
                                        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
                                        "s.EMAIL_BACKEND)") == (
        "(False, True, 31536000, True, True, ('HTTP_X_FORWARDED_PROTO', 'https'), "
        "'django.core.mail.backends.smtp.EmailBackend')")
    assert production_setting(tmp_path, "s.EMAIL_BACKEND, s.DEFAULT_FROM_EMAIL",
                              EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
                              DEFAULT_FROM_EMAIL="Prize <prize@example.org>") == (
        "django.core.mail.backends.console.EmailBackend Prize <prize@example.org>")


def test_without_a_secret_key_production_refuses_to_start(tmp_path):
    env = live.laptop_env(tmp_path / "var", DEBUG="false", ALLOWED_HOSTS="portal.example.org")
    env.pop("SECRET_KEY", None)
    done = subprocess.run([sys.executable, "manage.py", "check"], env=env, cwd=live.ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "RuntimeError: SECRET_KEY must be set when DEBUG is off." in done.stderr


def test_a_server_database_keeps_its_connections_and_sqlite_does_not(tmp_path):
    expression = '(s.DATABASES["default"]["CONN_MAX_AGE"], s.DATABASES["default"]["CONN_HEALTH_CHECKS"])'
    assert production_setting(tmp_path, expression, DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres") == \
        "(60, True)"
    assert production_setting(tmp_path, expression) == "(0, True)"  # SQLite, the laptop default
    assert production_setting(tmp_path, expression, DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
                              DATABASE_CONN_MAX_AGE="0") == "(0, True)"
