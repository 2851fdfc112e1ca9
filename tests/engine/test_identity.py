"""A model's identity names exactly the weights that produce its numbers (backends/identity.py):
a folder's content, not its file sizes; a hub model's resolved commit, not a branch. Real loading
throughout: tiny models saved to folders and to a local hub cache laid out as huggingface_hub
lays it out, loaded in a fresh process pointed at it with HF_HUB_CACHE (no network)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluation.engine.backends import load_backend, model_identity
from evaluation.engine.backends.hf import HFBackend
from evaluation.engine.backends.identity import HASHES_FILE, folder_fingerprint, scored_files
from evaluation.engine.backends.openai import OpenAIBackend
from evaluation.engine.types import ScoreRequest
from tests.engine.tiny_models import build, save

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = [ScoreRequest("The cat sat on the", " mat."), ScoreRequest("Answer:", " yes")]


def sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in scored_files(folder)}


def age(folder: Path, seconds: float = 3600) -> None:
    """Date the folder's files back, as weights saved long ago are (a fresh file is not remembered)."""
    past = time.time() - seconds
    for p in folder.iterdir():
        os.utime(p, (past, past))


def test_new_weights_of_the_same_shape_saved_in_place_give_a_new_identity_and_new_scores(tmp_path):
    folder, cache = save("gpt2", "xs", tmp_path / "tiny", seed=0), tmp_path / "cache"
    first = load_backend(str(folder), cache_dir=cache, device="cpu")
    assert first.identity == model_identity(str(folder), cache_dir=cache)
    assert first.identity.startswith("local:tiny:") and len(first.identity) == len("local:tiny:") + 16
    before, old_scores = sizes(folder), first.score(REQUESTS)

    save("gpt2", "xs", folder, seed=1)  # the same architecture: every file keeps its size
    assert sizes(folder) == before
    second = load_backend(str(folder), cache_dir=cache, device="cpu")
    assert second.identity == model_identity(str(folder), cache_dir=cache) != first.identity
    new_scores = second.score(REQUESTS)
    assert [s.logprob for s in new_scores] != pytest.approx([s.logprob for s in old_scores], abs=1e-3)

    save("gpt2", "xs", folder, seed=0)  # the first weights again: the first identity again
    assert model_identity(str(folder), cache_dir=cache) == first.identity


def test_the_identity_covers_config_and_tokenizer_but_not_documentation(tmp_path):
    folder, cache = save("gpt2", "xs", tmp_path / "m"), tmp_path / "cache"
    assert [p.name for p in scored_files(folder)] == [
        "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    start = folder_fingerprint(folder, cache_dir=cache)
    (folder / "README.md").write_text("# a model card\n")
    (folder / ".gitattributes").write_text("*.safetensors filter=lfs\n")
    assert folder_fingerprint(folder, cache_dir=cache) == start
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    tokenizer["added_tokens"][0]["content"] = "<|end|>"
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    assert folder_fingerprint(folder, cache_dir=cache) != start


def test_file_hashes_are_remembered_by_stat_so_a_large_folder_is_read_once(tmp_path):
    folder, cache = save("gpt2", "xs", tmp_path / "m"), tmp_path / "cache"
    store = cache / HASHES_FILE
    folder_fingerprint(folder, cache_dir=cache)
    assert not store.exists()  # files written a moment ago are hashed but not remembered
    age(folder)
    true = folder_fingerprint(folder, cache_dir=cache)
    remembered = json.loads(store.read_text())
    weights = str((folder / "model.safetensors").resolve())
    assert sorted(remembered) == sorted(str(p.resolve()) for p in scored_files(folder))
    assert remembered[weights]["sha256"] == hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()

    # while the stat matches, the remembered hash is used as it is (the file is not read again)
    remembered[weights]["sha256"] = "0" * 64
    store.write_text(json.dumps(remembered))
    assert folder_fingerprint(folder, cache_dir=cache) != true
    # a stat that moved (new weights, or here only a new time stamp) makes it read the file again
    os.utime(folder / "model.safetensors", (time.time() - 60, time.time() - 60))
    assert folder_fingerprint(folder, cache_dir=cache) == true
    assert json.loads(store.read_text())[weights]["sha256"] == hashlib.sha256(
        (folder / "model.safetensors").read_bytes()).hexdigest()


def test_a_deleted_files_entry_leaves_the_store_when_it_is_next_written(tmp_path):
    cache = tmp_path / "cache"
    gone, kept = save("gpt2", "xs", tmp_path / "gone"), save("gpt2", "xs", tmp_path / "kept", seed=1)
    age(gone)
    folder_fingerprint(gone, cache_dir=cache)
    for p in gone.iterdir():
        p.unlink()
    age(kept)
    folder_fingerprint(kept, cache_dir=cache)
    assert sorted(json.loads((cache / HASHES_FILE).read_text())) == sorted(
        str(p.resolve()) for p in scored_files(kept))


def test_an_openai_specs_identity_is_the_backends():
    spec = "openai:http://127.0.0.1:9/v1/#served-model?max_length=30"
    assert model_identity(spec) == "openai:http://127.0.0.1:9#served-model"
    backend = OpenAIBackend("http://127.0.0.1:9/v1/", "served-model")
    assert backend.identity == model_identity(spec)
    backend.close()


def test_what_cannot_be_known_before_loading_is_none(tmp_path):
    assert model_identity(str(tmp_path / "no-such-folder")) is None  # read as a hub id, not cached


# --- the hub -----------------------------------------------------------------------------------

COMMIT_MAIN, COMMIT_V2 = "a" * 40, "b" * 40


def hub_snapshot(hub: Path, repo: str, commit: str, *, seed: int) -> None:
    snapshot = hub / f"models--{repo.replace('/', '--')}" / "snapshots" / commit
    save("gpt2", "xs", snapshot, seed=seed)


def hub_ref(hub: Path, repo: str, ref: str, commit: str) -> None:
    refs = hub / f"models--{repo.replace('/', '--')}" / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / ref).write_text(commit)


LOAD_FROM_HUB = """
import json, sys
from evaluation.engine.backends import load_backend, model_identity
from evaluation.engine.types import ScoreRequest
out = {}
for spec in sys.argv[1:]:
    before = model_identity(spec)
    backend = load_backend(spec, device="cpu")
    scores = backend.score([ScoreRequest("The cat sat on the", " mat."), ScoreRequest("Answer:", " yes")])
    out[spec] = {"before": before, "identity": backend.identity, "logprobs": [s.logprob for s in scores]}
out["absent"] = model_identity("org/absent")
print(json.dumps(out))
"""


def test_a_hub_model_is_identified_by_the_commit_its_revision_resolves_to(tmp_path):
    hub = tmp_path / "hub"
    hub_snapshot(hub, "org/tiny", COMMIT_MAIN, seed=0)
    hub_snapshot(hub, "org/tiny", COMMIT_V2, seed=1)
    hub_ref(hub, "org/tiny", "main", COMMIT_MAIN)
    hub_ref(hub, "org/tiny", "v2", COMMIT_V2)
    specs = ["org/tiny", "org/tiny@main", "org/tiny@v2", f"org/tiny@{COMMIT_V2}"]
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
           "HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1", "PORTAL_MODEL_CACHE_DIR": str(tmp_path / "models")}
    proc = subprocess.run([sys.executable, "-c", LOAD_FROM_HUB, *specs], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {spec: (got[spec]["before"], got[spec]["identity"]) for spec in specs} == {
        "org/tiny": (f"hf:org/tiny@{COMMIT_MAIN}",) * 2,
        "org/tiny@main": (f"hf:org/tiny@{COMMIT_MAIN}",) * 2,
        "org/tiny@v2": (f"hf:org/tiny@{COMMIT_V2}",) * 2,
        f"org/tiny@{COMMIT_V2}": (f"hf:org/tiny@{COMMIT_V2}",) * 2,
    }
    assert got["absent"] is None
    # what was loaded is the snapshot the identity names: its scores are those of its weights
    for spec, seed in (("org/tiny", 0), ("org/tiny@v2", 1)):
        model, tokenizer = build("gpt2", "xs", seed=seed)
        want = HFBackend(model, tokenizer, identity="here").score(REQUESTS)
        assert got[spec]["logprobs"] == pytest.approx([s.logprob for s in want], abs=1e-5)
    assert got["org/tiny"]["logprobs"] != pytest.approx(got["org/tiny@v2"]["logprobs"], abs=1e-3)
