#!/usr/bin/env python3
"""Session validation cost and memory, on the release binary (SQLite, in-process cache).

  python3 bench/auth_http.py [seconds=10] [sessions=10000]

1. Throughput: `wrk` on GET /v1/auth/session with a bearer token (tenant resolution +
   session validation from cache) against GET /v1/tenant with the same tenant and no
   token (the baseline), in the same run: ratio = authenticated / unauthenticated.
2. Memory: server RSS right after start-up (baseline), then after N logins, each
   session validated once so it is in the validation cache: RSS with N live sessions.
   Argon2 is set cheap here (m=64 KiB, t=1) so 10,000 logins take seconds; hashing cost
   does not change steady-state memory.
Loopback only; every loop is bounded by count.
"""
import http.client, json, os, re, shutil, subprocess, sys, tempfile, time

secs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
n_sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(root, "target", "release", "nexus")
if not os.path.exists(binary):
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
if not shutil.which("wrk"):
    sys.exit("auth_http: install wrk (apt-get install wrk)")

work = tempfile.mkdtemp()
port = 18282
env = dict(os.environ, NEXUS_HTTP_ADDR=f"127.0.0.1:{port}", NEXUS_LOG_LEVEL="error", NEXUS_DEMO_SEED="true",
           NEXUS_SECURITY_ARGON2_MEMORY_KIB="64", NEXUS_SECURITY_ARGON2_ITERATIONS="1")
proc = subprocess.Popen([binary], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
password = None
try:
    for line in proc.stdout:
        m = re.search(r"admin@demo\.example  password: (\S+)", line)
        if m:
            password = m.group(1)
            break
    if not password:
        sys.exit("auth_http: no demo password printed")

    def rss_mib():
        with open(f"/proc/{proc.pid}/status") as f:
            kb = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
        return kb / 1024

    conn = http.client.HTTPConnection("127.0.0.1", port)
    def call(method, path, body=None, token=None):
        headers = {"Host": "demo.localhost", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, data

    for _ in range(100):
        try:
            if call("GET", "/readyz")[0] == 200:
                break
        except OSError:
            conn = http.client.HTTPConnection("127.0.0.1", port)
        time.sleep(0.1)
    time.sleep(1)
    rss_start = rss_mib()
    status, data = call("POST", "/v1/auth/login", {"email": "admin@demo.example", "password": password})
    assert status == 200, data
    token = json.loads(data)["token"]

    def wrk(label, path, header):
        out = subprocess.run(["wrk", "-t2", "-c32", f"-d{secs}s", "--latency", "-H", "Host: demo.localhost", "-H", header,
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        print(f"{label:<40} {rps:>10.0f} req/s   p99 {p99:>8}   non-2xx {non2xx.group(1) if non2xx else 0}")
        return rps

    print(f"cores={os.cpu_count()} seconds={secs} connections=32")
    base = wrk("baseline GET /v1/tenant (no auth)", "/v1/tenant", "X-Bench: 1")
    auth = wrk("GET /v1/auth/session (bearer)", "/v1/auth/session", f"Authorization: Bearer {token}")
    print(f"ratio authenticated : unauthenticated   {auth / base:.2f}  (validation costs {100 * (1 - auth / base):.1f}% of throughput)")

    started = time.time()
    for i in range(n_sessions):
        status, data = call("POST", "/v1/auth/login", {"email": "admin@demo.example", "password": password})
        assert status == 200, data
        t = json.loads(data)["token"]
        assert call("GET", "/v1/auth/session", token=t)[0] == 200
    took = time.time() - started
    time.sleep(1)
    rss_end = rss_mib()
    print(f"RSS after start-up (baseline)            {rss_start:>8.1f} MiB")
    print(f"RSS with {n_sessions} live sessions            {rss_end:>8.1f} MiB   (+{rss_end - rss_start:.1f} MiB; {n_sessions} logins in {took:.0f} s)")
finally:
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
