"""What ships for operators (deploy.md): the container recipe, the Kubernetes manifests and
the Compose file, checked offline.

Base images cannot be pulled here, so the recipe is parsed (dockerfile-parse) and its two pip
commands are run for real, in a fresh virtualenv standing for the image: the build stage's
wheels, then the final stage's index-less install of them. The manifests are validated against
the Kubernetes schemas that kubernetes-validate ships, the Compose file against the Compose
specification's schema that check-jsonschema ships.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "Containerfile"
MANIFESTS = ROOT / "deploy" / "kubernetes"
COMPOSE = ROOT / "compose.yaml"
KUBERNETES_VERSION = "1.30.0"  # the oldest Kubernetes the manifests are meant for
COMPILERS = ("gcc", "g++", "clang", "build-essential", "cc ", "make ")
INSTALL_TIMEOUT = 900


def _stages() -> list[list[dict[str, Any]]]:
    """The recipe's instructions, one list per stage (each starts with its FROM)."""
    with RECIPE.open("rb") as recipe:
        structure = DockerfileParser(fileobj=recipe).structure
    stages: list[list[dict[str, Any]]] = []
    for instruction in structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _values(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [str(i["value"]) for i in stage if i["instruction"] == name]


def test_the_recipe_builds_in_one_stage_and_runs_in_a_slim_one_as_non_root() -> None:
    with RECIPE.open("rb") as recipe:
        parser = DockerfileParser(fileobj=recipe)
        base = parser.baseimage
    assert base is not None and "/python:3." in base and "-slim" in base
    build, final = _stages()
    assert "AS build" in _values(build, "FROM")[0]
    assert any("pip wheel" in run for run in _values(build, "RUN"))
    assert _values(final, "COPY") == ["--from=build /wheels /wheels"]
    for run in _values(final, "RUN"):
        assert not any(compiler in run + " " for compiler in COMPILERS), run
        assert "apt-get" not in run  # nothing installed from the distribution, no compiler
    (user,) = _values(final, "USER")
    assert user.split(":")[0] not in ("root", "0")
    assert _values(final, "ENTRYPOINT") == ['["handoff"]']


def _recipe_command(run: str, python: Path, wheels: Path) -> list[str]:
    """A RUN line of the recipe, as this machine runs it: the virtualenv's python, and the
    wheel directory in a temporary place."""
    command = run.replace("python -m pip", f"{shlex.quote(str(python))} -m pip")
    return ["sh", "-c", command.replace("/wheels", shlex.quote(str(wheels)))]


@pytest.mark.e2e
def test_the_recipe_s_wheels_install_without_an_index_and_run(tmp_path: Path) -> None:
    build, final = _stages()
    source = tmp_path / "src-copy"
    source.mkdir()
    for copy in _values(build, "COPY"):
        *names, _target = copy.split()
        for name in names:
            origin = ROOT / name
            if origin.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
                shutil.copytree(origin, source / name, ignore=ignore)
            else:
                shutil.copy2(origin, source / name)
    image = tmp_path / "image"
    venv.EnvBuilder(with_pip=True).create(image)
    python, wheels = image / "bin" / "python", tmp_path / "wheels"
    (wheel_run,) = [r for r in _values(build, "RUN") if "pip wheel" in r]
    (install_run,) = [r for r in _values(final, "RUN") if "pip install" in r]
    for run, cwd in ((wheel_run, source), (install_run, tmp_path)):
        done = subprocess.run(
            _recipe_command(run, python, wheels),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert not wheels.exists()  # the final stage removes them
    answer = subprocess.run(
        [str(image / "bin" / "handoff"), "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert "--health-port" in answer.stdout


def _documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def _named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in _documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def test_every_manifest_is_valid_for_kubernetes() -> None:
    documents = _documents()
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_an_invalid_manifest_is_caught() -> None:
    """The check can fail: a probe with a misspelt field."""
    broken = _named("Deployment", "handoff-api")
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_the_deployments_probe_their_endpoints_and_request_resources() -> None:
    api, worker = _named("Deployment", "handoff-api"), _named("Deployment", "handoff-worker")
    for deployment, port in ((api, "http"), (worker, "health")):
        container = _container(deployment)
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        env = {e["name"]: e for e in container["env"]}
        assert env["HANDOFF_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == (
            "handoff-database"
        )
        # The pod is killed only after the process's own shutdown deadline.
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > int(env["HANDOFF_SHUTDOWN_SECONDS"]["value"])
    assert _container(worker)["args"] == ["worker", "--health-port", "8081"]
    assert _container(worker)["ports"] == [{"name": "health", "containerPort": 8081}]
    assert _container(api)["args"] == ["api"]


def test_a_migration_job_a_secret_and_disruption_budgets_ship() -> None:
    job = _named("Job", "handoff-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert "url" in _named("Secret", "handoff-database")["stringData"]
    budgets = [d for d in _documents() if d["kind"] == "PodDisruptionBudget"]
    covered = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for b in budgets}
    assert covered == {"api", "worker"}


def _check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    checker = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_is_valid_and_runs_migrate_two_apis_and_two_workers(tmp_path: Path) -> None:
    checked = _check_compose(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert set(services) == {"postgres", "migrate", "api-1", "api-2", "worker-1", "worker-2"}
    for name in ("api-1", "api-2", "worker-1", "worker-2"):
        waits = services[name]["depends_on"]["migrate"]["condition"]
        assert waits == "service_completed_successfully"
    assert [services[n]["command"][0] for n in ("api-1", "api-2")] == ["api", "api"]
    assert services["worker-2"]["command"] == ["worker", "--health-port", "8081"]
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("restart: unless-stopped", "restart: 3"))
    assert _check_compose(broken).returncode != 0  # the check can fail
