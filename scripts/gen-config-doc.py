#!/usr/bin/env python3
"""Regenerates docs/CONFIGURATION.md from the settings table in
crates/server/src/config/settings.rs (the single source of every setting).
A test (config::configuration_doc_lists_every_setting) fails when they drift."""
import pathlib, re

root = pathlib.Path(__file__).resolve().parent.parent
src = (root / "crates/server/src/config/settings.rs").read_text()
rows = re.findall(r'Setting \{ key: "([^"]+)", default: "([^"]*)", secret: (true|false), doc: "((?:[^"\\]|\\.)*)" \}', src)
HEAD = '# Configuration\n\nFinAI Nexus reads its settings once at start-up, in three layers; a later layer wins:\n\n1. built-in defaults (below), which give the embedded single-node setup: SQLite under `./data/`, in-process cache, demo tenant;\n2. an optional TOML file, given with `--config FILE` or `NEXUS_CONFIG=FILE`;\n3. environment variables: `NEXUS_` + the key upper-cased with `.` replaced by `_` (e.g. `database.url` → `NEXUS_DATABASE_URL`).\n\nEvery value is validated before anything starts. A bad value stops the process with exit status 2 and one line naming the key, where it came from and what is accepted, e.g.:\n\n```\nnexus: invalid config: http.addr (from env NEXUS_HTTP_ADDR): must be host:port, e.g. 0.0.0.0:8080 (got "nowhere")\n```\n\nAn unknown key in the file is an error. An unknown `NEXUS_*` variable is only a warning, because Kubernetes injects `NEXUS_SERVICE_HOST`-style variables for a Service named `nexus`.\n\n`nexus config check` validates and prints the effective configuration with the source of each value; secret values (marked below) are redacted there, in errors and in logs.\n\nDurations are written `500ms`, `30s`, `5m` or `1h`; sizes as bytes or with `KiB`/`MiB`.\n\n## Example file\n\n```toml\n[http]\naddr = "0.0.0.0:8080"\nbase_domain = "learn.example.com"\ntrusted_proxies = ["10.0.0.0/8"]\nexternal_tls = true\n\n[database]\nurl = "postgres://nexus:secret@db:5432/nexus"\nrun_migrations = false\n\n[redis]\nurl = "redis://cache:6379/0"\n```\n\n'
TAIL = '## Test-only variables\n\nThe test suite (not the server) reads `NEXUS_TEST_DATABASE_URL` (a PostgreSQL URL whose user may create databases; each test creates and drops its own) and `NEXUS_TEST_REDIS_URL`. When set, the suite also runs against PostgreSQL and Redis. `.ci/run` sets both.\n'
out = [HEAD.rstrip("\n"), ""]
sections = {}
for k, d, sec, doc in rows:
    sections.setdefault(k.split(".")[0], []).append((k, d, sec, doc))
for name, items in sections.items():
    out += [f"## [{name}]", "", "| key | variable | default | secret | meaning |", "|---|---|---|---|---|"]
    for k, d, sec, doc in items:
        env = "NEXUS_" + k.replace(".", "_").upper()
        dflt = f"`{d}`" if d else "(unset)"
        doc = doc.replace('\\"', '"').replace("|", "\\|")
        out.append(f"| `{k}` | `{env}` | {dflt} | {'yes' if sec == 'true' else ''} | {doc} |")
    out.append("")
(root / "docs/CONFIGURATION.md").write_text("\n".join(out) + TAIL)
print(f"docs/CONFIGURATION.md: {len(rows)} settings")
