"""Uploaded zips go to the filesystem by default and to an S3-compatible bucket when PORTAL_S3_BUCKET is
set (no bucket can be reached from here, so this checks the storage Django builds from the settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHOW_STORAGE = """
import json
from django.core.files.storage import storages
store = storages["default"]
print(json.dumps({"class": type(store).__module__ + "." + type(store).__name__,
                  "bucket": getattr(store, "bucket_name", None), "endpoint": getattr(store, "endpoint_url", None),
                  "location": getattr(store, "location", None), "overwrite": getattr(store, "file_overwrite", None)}))
"""


def storage_with(tmp_path, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_S3_")}
    environ.update(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_VAR_DIR=str(tmp_path), **env)
    environ.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", SHOW_STORAGE], cwd=ROOT, env=environ,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_zips_are_stored_on_the_filesystem_by_default(tmp_path):
    assert storage_with(tmp_path) == {
        "class": "django.core.files.storage.filesystem.FileSystemStorage", "bucket": None, "endpoint": None,
        "location": str(tmp_path / "uploads"), "overwrite": None}


def test_a_bucket_named_in_the_environment_stores_the_zips_in_s3(tmp_path):
    assert storage_with(tmp_path, PORTAL_S3_BUCKET="contest-uploads",
                        PORTAL_S3_ENDPOINT_URL="https://minio.example.org:9000") == {
        "class": "storages.backends.s3.S3Storage", "bucket": "contest-uploads",
        "endpoint": "https://minio.example.org:9000", "location": "uploads", "overwrite": False}
