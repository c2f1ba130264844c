#!/usr/bin/env python3
"""Writes a docker-registry filesystem store holding REPOS x TAGS real, distinct images.

Every image is the fixture image (an OCI layout) with its own config blob (a label naming
the repository and tag), so each tag has its own manifest digest while the layers are
shared. Pushing thousands of tags through the API takes far longer than writing the store's
layout directly:

  docker/registry/v2/blobs/sha256/<xx>/<hex>/data
  docker/registry/v2/repositories/<repo>/_layers/sha256/<hex>/link        (layers, config)
  docker/registry/v2/repositories/<repo>/_manifests/revisions/sha256/<hex>/link
  docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/current/link
  docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/index/sha256/<hex>/link

Prints one line per image: repository, tag, manifest digest.
Usage: make-storage.py OCI_LAYOUT STORE_ROOT REPOS TAGS
"""
import hashlib
import json
import os
import shutil
import sys

layout, root, repos, tags = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
v2 = os.path.join(root, "docker", "registry", "v2")


def blob_path(layout_dir, digest):
    return os.path.join(layout_dir, "blobs", *digest.split(":", 1))


def store_blob(data, digest=None):
    digest = digest or "sha256:" + hashlib.sha256(data).hexdigest()
    hex_ = digest.split(":", 1)[1]
    directory = os.path.join(v2, "blobs", "sha256", hex_[:2], hex_)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "data"), "wb") as out:
        out.write(data)
    return digest


def link(path, digest):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "link"), "w") as out:
        out.write(digest)


def store_layer(digest):
    """Layers are hard-linked from the fixture where the file system allows, else copied."""
    hex_ = digest.split(":", 1)[1]
    directory = os.path.join(v2, "blobs", "sha256", hex_[:2], hex_)
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, "data")
    try:
        os.link(blob_path(layout, digest), target)
    except OSError:
        shutil.copyfile(blob_path(layout, digest), target)


index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(blob_path(layout, index["manifests"][0]["digest"])))
config = json.load(open(blob_path(layout, manifest["config"]["digest"])))
layers = [layer["digest"] for layer in manifest["layers"]]
for digest in layers:
    store_layer(digest)

for r in range(repos):
    repository = f"bench/app-{r:03d}"
    repo_dir = os.path.join(v2, "repositories", *repository.split("/"))
    for digest in layers:
        link(os.path.join(repo_dir, "_layers", "sha256", digest.split(":", 1)[1]), digest)
    for t in range(tags):
        tag = f"v{t + 1}"
        config.setdefault("config", {}).setdefault("Labels", {})["bench.image"] = f"{repository}:{tag}"
        config_bytes = json.dumps(config, separators=(",", ":")).encode()
        config_digest = store_blob(config_bytes)
        manifest["config"]["digest"] = config_digest
        manifest["config"]["size"] = len(config_bytes)
        manifest.setdefault("mediaType", "application/vnd.oci.image.manifest.v1+json")
        manifest_digest = store_blob(json.dumps(manifest, separators=(",", ":")).encode())
        hex_config, hex_manifest = config_digest.split(":", 1)[1], manifest_digest.split(":", 1)[1]
        link(os.path.join(repo_dir, "_layers", "sha256", hex_config), config_digest)
        manifests = os.path.join(repo_dir, "_manifests")
        link(os.path.join(manifests, "revisions", "sha256", hex_manifest), manifest_digest)
        link(os.path.join(manifests, "tags", tag, "current"), manifest_digest)
        link(os.path.join(manifests, "tags", tag, "index", "sha256", hex_manifest), manifest_digest)
        print(repository, tag, manifest_digest)
