"""Places a model folder (e.g. the output of export.py) into a Hugging Face hub cache, in exactly
the layout huggingface_hub writes, so the server (and Python tools) find it by repo id offline.

    python3 tools/export/install_in_cache.py <folder> <org/name> [--hf-root .] [--revision main]

Blobs are named as the hub's etags are: sha256 for files stored with LFS (ONNX graphs, weights,
anything over 10 MB) and the git blob sha1 for small text files. Snapshot entries are relative
symlinks into blobs/; refs/<revision> holds the commit, with no trailing newline.
"""
import argparse
import hashlib
import os
import shutil

LFS_SUFFIXES = (".onnx", ".onnx_data", ".bin", ".safetensors", ".pt", ".pth", ".npz", ".msgpack", ".h5")


def etag(path, data):
    if path.endswith(LFS_SUFFIXES) or ".onnx_data" in path or len(data) > 10 * 1024 * 1024:
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def install(folder, repo_id, hub, revision="main"):
    repo = os.path.join(hub, "models--" + repo_id.replace("/", "--"))
    files = sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)
    tree = hashlib.sha1()
    entries = []
    for rel in files:
        with open(os.path.join(folder, rel), "rb") as f:
            data = f.read()
        tag = etag(rel, data)
        tree.update(rel.encode() + b"\0" + tag.encode())
        entries.append((rel, data, tag))
    commit = tree.hexdigest()
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    snapshot = os.path.join(repo, "snapshots", commit)
    if os.path.exists(snapshot):
        shutil.rmtree(snapshot)
    for rel, data, tag in entries:
        blob = os.path.join(repo, "blobs", tag)
        if not os.path.exists(blob):
            tmp = blob + ".incomplete"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, blob)
        link = os.path.join(snapshot, rel)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(blob, os.path.dirname(link)), link)
    os.makedirs(os.path.dirname(os.path.join(repo, "refs", revision)), exist_ok=True)
    tmp = os.path.join(repo, "refs", revision + ".tmp")
    with open(tmp, "w") as f:
        f.write(commit)
    os.replace(tmp, os.path.join(repo, "refs", revision))
    return commit


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("repo_id")
    parser.add_argument("--hf-root", default=os.environ.get("HF_ROOT_FOLDER", "."),
                        help="the server's HF_ROOT_FOLDER (the cache is {root}/content/hf_cache/hub)")
    parser.add_argument("--revision", default="main")
    args = parser.parse_args()
    hub = os.path.join(args.hf_root, "content", "hf_cache", "hub")
    commit = install(args.folder, args.repo_id, hub, args.revision)
    print(f"installed {args.folder} as {args.repo_id}@{args.revision} ({commit}) in {hub}")


if __name__ == "__main__":
    main()
