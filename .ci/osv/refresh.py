"""Build the offline OSV database that `.ci/audit` scans against.

osv-scanner (run by `.ci/audit` with `--offline-vulnerabilities`) reads the
advisories of one ecosystem from `<db>/osv-scalibr/PyPI/all.zip`, a zip of
OSV JSON files. This script makes that zip from local copies of the two
advisory repositories for PyPI and writes `<db>/SNAPSHOT.md` (sources, their
commits and dates), which `.ci/audit` prints so a reader knows how old the
data is.

Only advisories are taken from those repositories: their data, no code.

To refresh, on a machine that reaches GitHub:

    git clone --depth 1 https://github.com/pypa/advisory-database pypa-adv
    git clone --depth 1 https://github.com/github/advisory-database ghsa-adv
    .venv/bin/python .ci/osv/refresh.py --pypa pypa-adv --ghsa ghsa-adv --out DIR

then put DIR where `.ci/audit` looks (`ARCHIVE_OSV_DB`, default
`../shared/osv` beside the checkout). Either source may be left out (at least
one is needed); each may be a work tree or a bare git directory (its HEAD is
read). `--packages FILE` (a `pip freeze` output) keeps only the advisories
for those packages; without it every PyPI advisory is kept, so a newly added
dependency is covered too. A machine that reaches osv.dev's bucket can
instead download its `PyPI/all.zip` into `DIR/osv-scalibr/PyPI/`.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

ECOSYSTEM = "PyPI"


def normalize(name):
    """PEP 503 form of a package name: lower case, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader (libyaml's if there) that keeps timestamps as strings, as OSV JSON has them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def git_files(repo, prefix, suffix):
    """(path, bytes) of every file under prefix ending in suffix at repo's HEAD.

    repo is a work tree or a bare git directory; files are read from git, so
    a work tree's uncommitted edits are not taken."""
    git = ["git", "-C", str(repo)]
    names = subprocess.run(
        [*git, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", prefix],
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    names = [n.decode() for n in names if n.endswith(suffix.encode())]
    batch = subprocess.Popen(
        [*git, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        for name in names:
            batch.stdin.write(f"HEAD:{name}\n".encode())
            batch.stdin.flush()
            header = batch.stdout.readline().split()
            size = int(header[2])
            data = batch.stdout.read(size)
            batch.stdout.read(1)  # the newline after each object
            yield name, data
    finally:
        batch.stdin.close()
        batch.wait()


def head_info(repo):
    """(commit id, commit date) of repo's HEAD."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%H %cI"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[0], out[1]


def affects_pypi(advisory, wanted):
    """Whether the advisory names a PyPI package (one of wanted, if given)."""
    for affected in advisory.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != ECOSYSTEM:
            continue
        if wanted is None or normalize(package.get("name", "")) in wanted:
            return True
    return False


def pypa_advisories(repo):
    """OSV dicts from the PyPA advisory database (vulns/<package>/*.yaml)."""
    for _, data in git_files(repo, "vulns", ".yaml"):
        advisory = yaml.load(data, Loader=_Loader)
        if isinstance(advisory, dict) and advisory.get("id"):
            yield advisory


def ghsa_advisories(repo):
    """OSV dicts from GitHub's advisory database (reviewed advisories only)."""
    for _, data in git_files(repo, "advisories/github-reviewed", ".json"):
        advisory = json.loads(data)
        if not advisory.get("withdrawn"):
            yield advisory


def read_packages(path):
    """Normalized names of the packages in a `pip freeze` style file."""
    names = set()
    for line in Path(path).read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|@)", line)
        if match:
            names.add(normalize(match.group(1)))
    return names


def build(out, sources, wanted=None):
    """Write out/osv-scalibr/PyPI/all.zip and out/SNAPSHOT.md.

    sources: (label, repo path, advisory iterator function) tuples. An id met
    twice keeps its first copy (PyPA's come first). Returns {label: count}."""
    out = Path(out)
    target = out / "osv-scalibr" / ECOSYSTEM / "all.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".zip.tmp")
    seen, counts, lines = set(), {}, []
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for label, repo, advisories in sources:
            commit, date = head_info(repo)
            counts[label] = 0
            for advisory in advisories(repo):
                if advisory["id"] in seen or not affects_pypi(advisory, wanted):
                    continue
                seen.add(advisory["id"])
                zf.writestr(f"{advisory['id']}.json", json.dumps(advisory, sort_keys=True))
                counts[label] += 1
            lines.append(f"| {label} | {repo} | {commit} | {date} | {counts[label]} |")
    os.replace(tmp, target)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    scope = "every PyPI package" if wanted is None else f"{len(wanted)} packages (--packages)"
    (out / "SNAPSHOT.md").write_text(
        "# OSV snapshot for `.ci/audit`\n\n"
        f"Built: {now} by .ci/osv/refresh.py; scope: {scope}; "
        f"{sum(counts.values())} advisories in osv-scalibr/{ECOSYSTEM}/all.zip "
        f"({target.stat().st_size} bytes).\n\n"
        "| format | read from | commit | commit date | advisories |\n"
        "|---|---|---|---|---|\n" + "\n".join(lines) + "\n"
    )
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pypa", help="pypa/advisory-database (work tree or git dir)")
    parser.add_argument("--ghsa", help="github/advisory-database (work tree or git dir)")
    parser.add_argument("--packages", help="pip freeze output: keep only these packages")
    parser.add_argument("--out", required=True, help="database folder to write")
    args = parser.parse_args(argv)
    sources = []
    if args.pypa:
        sources.append(("pypa/advisory-database", args.pypa, pypa_advisories))
    if args.ghsa:
        sources.append(("github/advisory-database", args.ghsa, ghsa_advisories))
    if not sources:
        parser.error("give --pypa, --ghsa or both")
    wanted = read_packages(args.packages) if args.packages else None
    counts = build(args.out, sources, wanted)
    sys.stderr.write(f"refresh: {counts}; see {Path(args.out) / 'SNAPSHOT.md'}\n")


if __name__ == "__main__":
    main()
