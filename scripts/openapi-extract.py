#!/usr/bin/env python3
"""Extract the GitHub REST operations packetgate uses from npm @octokit/openapi.

The fake GitHub in tests/support/github/ checks every request it receives against GitHub's
published OpenAPI description (beside the slices in ../shared/contracts/github). The whole
description is 13 MB; this script keeps only the operations the fake serves and packetgate
calls, each exactly as published, plus every `components` entry they reference, directly
or through other components. Nothing is rewritten: the Rust side turns OpenAPI's
`nullable` into JSON Schema when it loads the file.

    npm pack @octokit/openapi@23.0.2          # -> octokit-openapi-23.0.2.tgz
    python3 scripts/openapi-extract.py octokit-openapi-23.0.2.tgz
    python3 scripts/openapi-extract.py --check octokit-openapi-23.0.2.tgz   # committed file up to date?

The tarball must be the pinned version with the pinned sha256: a new version is a
deliberate change of VERSION and TARBALL_SHA256 here (and of the file name the tests load,
`PUBLISHED_FILE` in tests/support/github/fixtures.rs). Python 3 standard library only.
"""

import argparse
import hashlib
import json
import re
import sys
import tarfile
from pathlib import Path

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
# sha256 of the tarball `npm pack @octokit/openapi@23.0.2` downloads (its sha1 is the
# registry's dist.shasum 743435033357133786d56271b48a67991a614b0a).
TARBALL_SHA256 = "71a18407dd5e8464f4e0525daf03deabbe65abd9287d6adc7b5d98f516cd0d0c"
# The api.github.com description with its `$ref`s kept (the `.deref.json` sibling inlines
# them and is 73 MB).
MEMBER = "package/generated/api.github.com.json"

# (operationId, method, path template): what tests/support/github/routes.rs dispatches,
# which includes every call in src/github/ (check runs, PR files and head, file contents,
# issue comments, reviews; for the remote audit: org repositories, a repository, its
# tarball, and the packet health issue).
OPERATIONS = [
    ("checks/create", "post", "/repos/{owner}/{repo}/check-runs"),
    ("checks/update", "patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("repos/get-content", "get", "/repos/{owner}/{repo}/contents/{path}"),
    ("issues/list-comments", "get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("issues/create-comment", "post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("issues/update-comment", "patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("issues/delete-comment", "delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("pulls/get", "get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("pulls/list-files", "get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("pulls/list-reviews", "get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("pulls/create-review", "post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("pulls/update-review", "put", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"),
    (
        "pulls/dismiss-review",
        "put",
        "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
    ),
    ("repos/list-for-org", "get", "/orgs/{org}/repos"),
    ("repos/get", "get", "/repos/{owner}/{repo}"),
    ("repos/download-tarball-archive", "get", "/repos/{owner}/{repo}/tarball/{ref}"),
    ("issues/list-for-repo", "get", "/repos/{owner}/{repo}/issues"),
    ("issues/create", "post", "/repos/{owner}/{repo}/issues"),
    ("issues/update", "patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
]

ROOT = Path(__file__).resolve().parent.parent
ROUTES = ROOT / "tests/support/github/routes.rs"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def fail(message):
    print(f"openapi-extract: {message}", file=sys.stderr)
    sys.exit(1)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_member(tar, name):
    member = tar.extractfile(name)
    if member is None:
        fail(f"{name} is not a file in the tarball")
    return member.read()


def check_routes_listed():
    """Every operation the fake dispatches must be extracted (when routes.rs is there)."""
    if not ROUTES.is_file():
        return
    dispatched = set(re.findall(r'^\s*"([a-z-]+/[a-z-]+)" =>', ROUTES.read_text(), re.M))
    missing = sorted(dispatched - {op for op, _, _ in OPERATIONS})
    if missing:
        fail(f"{ROUTES.relative_to(ROOT)} dispatches {missing}: add them to OPERATIONS")


def unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def refs_in(value, out):
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            out.append(ref)
        for v in value.values():
            refs_in(v, out)
    elif isinstance(value, list):
        for v in value:
            refs_in(v, out)


def component_closure(doc, roots):
    """The (kind, name) of every component reachable from `roots` through `$ref`s."""
    todo = []
    refs_in(roots, todo)
    seen = set()
    while todo:
        ref = todo.pop()
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"]:
            fail(f"unsupported $ref {ref!r} (only #/components/KIND/NAME)")
        key = (unescape(parts[2]), unescape(parts[3]))
        if key in seen:
            continue
        try:
            target = doc["components"][key[0]][key[1]]
        except KeyError:
            fail(f"dangling $ref {ref!r}")
        seen.add(key)
        refs_in(target, todo)
    return seen


def extract(tarball):
    actual = sha256_of(tarball)
    if actual != TARBALL_SHA256:
        fail(
            f"{tarball}: sha256 {actual}, expected {TARBALL_SHA256} ({PACKAGE}@{VERSION}); "
            "a new version needs VERSION and TARBALL_SHA256 changed here"
        )
    with tarfile.open(tarball, "r:gz") as tar:
        manifest = json.loads(read_member(tar, "package/package.json"))
        raw = read_member(tar, MEMBER)
    if (manifest.get("name"), manifest.get("version")) != (PACKAGE, VERSION):
        fail(f"tarball holds {manifest.get('name')}@{manifest.get('version')}")
    doc = json.loads(raw)

    by_id = {}
    for template, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS and isinstance(op, dict) and "operationId" in op:
                by_id[op["operationId"]] = (method, template)
    wanted = {}
    for op_id, method, template in OPERATIONS:
        if by_id.get(op_id) != (method, template):
            fail(f"{op_id}: published as {by_id.get(op_id)}, expected {(method, template)}")
        wanted.setdefault(template, set()).add(method)

    paths = {}
    for template, item in doc["paths"].items():
        if template not in wanted:
            continue
        # Path-level keys (shared `parameters`, summary) stay; other methods go.
        paths[template] = {
            k: v for k, v in item.items() if k not in METHODS or k in wanted[template]
        }
    keep = component_closure(doc, paths)
    components = {}
    for kind, entries in doc["components"].items():
        kept = {name: v for name, v in entries.items() if (kind, name) in keep}
        if kept:
            components[kind] = kept

    return {
        "_source": {
            "package": PACKAGE,
            "version": VERSION,
            "tarball_sha256": TARBALL_SHA256,
            "file": MEMBER.removeprefix("package/"),
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "license": f"{manifest.get('license')} ({manifest.get('repository')}; the "
            "descriptions come from github/rest-api-description)",
            "extracted_by": "scripts/openapi-extract.py",
            "operations": [op_id for op_id, _, _ in OPERATIONS],
            "note": "each operation exactly as published (its path item without the other "
            "methods), and every components entry it references, transitively; nothing "
            "else from the description",
        },
        "openapi": doc["openapi"],
        "info": doc["info"],
        "paths": paths,
        "components": components,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tarball", help=f"npm pack {PACKAGE}@{VERSION}")
    parser.add_argument(
        "-o",
        "--output",
        default=str(ROOT / f"tests/fixtures/openapi/octokit-openapi-{VERSION}.json"),
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the output file, write nothing"
    )
    args = parser.parse_args()
    check_routes_listed()
    text = json.dumps(extract(args.tarball), indent=1, ensure_ascii=False) + "\n"
    out = Path(args.output)
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            fail(f"{out} is not what {PACKAGE}@{VERSION} gives: run without --check")
        print(f"{out}: up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{out}: {len(OPERATIONS)} operations, {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
