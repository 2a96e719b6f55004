#!/usr/bin/env bash
# Validates deploy/observability: Prometheus rules (syntax and unit tests), the
# Alertmanager config and its routing, and the Grafana dashboards (valid JSON, every
# query parses, every metric it names is one the code exports or a rule records).
# Installs promtool and amtool from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/observability
if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then
  echo "[observability] installing prometheus and prometheus-alertmanager from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    prometheus prometheus-alertmanager >/dev/null
fi
promtool check rules "$dir/prometheus/rules.yml"
(cd "$dir/prometheus" && promtool test rules rules_test.yml)
amtool check-config "$dir/alertmanager/alertmanager.yml"
route() {
  got=$(amtool config routes test --config.file="$dir/alertmanager/alertmanager.yml" "$@")
  echo "$got"
}
[ "$(route alertname=NexusHighErrorRate severity=page)" = "pagerduty-page" ] || { echo "pages must go to pagerduty-page"; exit 1; }
[ "$(route alertname=NexusJobBacklog severity=ticket)" = "pagerduty-ticket" ] || { echo "tickets must go to pagerduty-ticket"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$dir" "$tmp/dashboards.yml" <<'PY'
import json, pathlib, re, subprocess, sys
root, out = pathlib.Path(sys.argv[1]), sys.argv[2]
code = subprocess.run(["grep", "-rhoE", r'"nexus_[a-z_]+"', "crates", "--include=*.rs"],
                      capture_output=True, text=True).stdout
exported = {m.strip('"') for m in code.split()}
recorded = set(re.findall(r"record: (\S+)", (root / "prometheus/rules.yml").read_text()))
external = {"ALERTS", "up", "pg_replication_lag_seconds", "probe_ssl_earliest_cert_expiry"}
rules, problems = [], []
for path in sorted((root / "grafana").glob("*.json")):
    d = json.loads(path.read_text())
    for p in d["panels"]:
        for t in p["targets"]:
            e = t["expr"]
            rules.append(e)
            for name in re.findall(r"\b(nexus[:_][a-z0-9_:]+|ALERTS|up)\b", e):
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                if name not in exported | recorded | external and base not in exported:
                    problems.append(f"{path.name} '{p['title']}': unknown metric {name}")
    print(f"[observability] {path.name}: {len(d['panels'])} panels")
for expr in re.findall(r"expr: (.*)", (root / "prometheus/rules.yml").read_text()):
    for name in re.findall(r"\b(nexus_[a-z_]+)", expr):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if base not in exported:
            problems.append(f"rules.yml: unknown metric {name}")
if problems:
    sys.exit("\n".join(problems))
with open(out, "w") as f:
    f.write("groups:\n  - name: dashboards\n    rules:\n")
    for i, e in enumerate(rules):
        f.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(e)}\n")
PY
promtool check rules "$tmp/dashboards.yml" >/dev/null && echo "[observability] every dashboard query parses"
echo "[observability] ok"
