#!/usr/bin/env python3
"""Catalogue listing and lesson fetch against trivial routes, on the release binary.

  python3 bench/learning_http.py [sqlite|postgres] [seconds=10] [connections=32]

Setup (through the API, as the seeded demo admin): 20 published courses, one of them
with 8 lessons of about 2 KB of Markdown each; the demo learner signs in and enrols.
Then `wrk` in one run, each for the same duration and connections:

  baseline  GET /livez                       no tenant, no session, no store
  trivial   GET /v1/auth/session             tenant + session validation, no store
  catalogue GET /v1/courses                  learner view (published metadata), cached
  lesson    GET /v1/courses/{id}/content/lessons/{lesson}   rendered, sanitized, cached

Reported: requests/s, p99 and non-2xx per route, and each learning route's throughput
as a ratio to both trivial routes. Loopback only; bounded by duration.
"""
import http.client, json, os, re, shutil, subprocess, sys, tempfile, time

backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
secs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 32
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(root, "target", "release", "nexus")
if not os.path.exists(binary):
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
if not shutil.which("wrk"):
    sys.exit("learning_http: install wrk (apt-get install wrk)")

work = tempfile.mkdtemp()
port = 18383
env = dict(os.environ, NEXUS_HTTP_ADDR=f"127.0.0.1:{port}", NEXUS_LOG_LEVEL="error", NEXUS_DEMO_SEED="true")
admin_url = os.environ.get("NEXUS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/test")
scratch = f"nexus_bench_learning_{os.getpid()}"
if backend == "postgres":
    subprocess.run(["psql", admin_url, "-qc", f"create database {scratch}"], check=True)
    env["NEXUS_DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + scratch
proc = subprocess.Popen([binary], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def cleanup():
    proc.terminate()
    proc.wait(timeout=30)
    if backend == "postgres":
        subprocess.run(["psql", admin_url, "-qc", f"drop database {scratch} with (force)"], check=False)
    shutil.rmtree(work, ignore_errors=True)


try:
    passwords = {}
    deadline = time.time() + 120
    for line in proc.stdout:
        m = re.search(r"(\S+@demo\.example)  password: (\S+)", line)
        if m:
            passwords[m.group(1)] = m.group(2)
        if len(passwords) == 2 or time.time() > deadline:
            break
    if len(passwords) < 2:
        sys.exit("learning_http: demo passwords were not printed (is the database empty?)")

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(method, path, body=None, token=None, expect=(200, 201)):
        headers = {"Host": "demo.localhost", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        if r.status not in expect:
            sys.exit(f"learning_http: {method} {path} -> {r.status} {data[:300]!r}")
        return json.loads(data) if data else None

    for _ in range(100):
        try:
            conn.request("GET", "/readyz")
            r = conn.getresponse(); r.read()
            if r.status == 200:
                break
        except OSError:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(0.2)

    def login(email):
        return call("POST", "/v1/auth/login", {"email": email, "password": passwords[email]})["token"]

    admin = login("admin@demo.example")
    paragraph = ("A budget is a plan for your money: **income** in, *spending* out, and the "
                 "difference saved or invested. Track it monthly and adjust as life changes. ") * 8
    body = "\n\n".join(f"## Part {i}\n\n{paragraph}\n\n- point one\n- point two" for i in range(3))
    target = None
    for n in range(20):
        course = call("POST", "/v1/courses", {"title": f"Course {n:02}", "summary": "Money skills.",
                                               "level": "beginner", "estimated_minutes": 60,
                                               "tags": ["money"], "self_enrol": True}, admin)
        cid = course["id"]
        module = call("POST", f"/v1/courses/{cid}/modules", {"title": "Basics"}, admin)["id"]
        lessons = []
        for i in range(8 if n == 0 else 1):
            lessons.append(call("POST", f"/v1/courses/{cid}/modules/{module}/lessons",
                                {"title": f"Lesson {i}", "body": body, "estimated_minutes": 10}, admin)["id"])
        call("POST", f"/v1/courses/{cid}/publish", None, admin)
        if n == 0:
            target = (cid, lessons[3])
    learner = login("learner@demo.example")
    call("POST", f"/v1/courses/{target[0]}/enrolment", None, learner)
    lesson_path = f"/v1/courses/{target[0]}/content/lessons/{target[1]}"
    size = len(json.dumps(call("GET", lesson_path, None, learner)))

    def run(label, path, token=None):
        args = ["wrk", "-t2", f"-c{conns}", f"-d{secs}s", "--latency", "-H", "Host: demo.localhost"]
        if token:
            args += ["-H", f"Authorization: Bearer {token}"]
        out = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = int(m.group(1)) if m else 0
        print(f"{label:<46} {rps:>10,.0f} req/s   p99 {p99:>8}   non-2xx {errs}", file=sys.stderr)
        return rps

    print(f"backend={backend} duration={secs}s connections={conns} cores={os.cpu_count()} "
          f"lesson_body_bytes={size} {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}", file=sys.stderr)
    base = run("baseline GET /livez", "/livez")
    trivial = run("trivial GET /v1/auth/session", "/v1/auth/session", learner)
    catalogue = run("GET /v1/courses (learner, 20 published)", "/v1/courses", learner)
    lesson = run("GET …/content/lessons/{lesson} (rendered)", lesson_path, learner)
    for name, v in [("catalogue", catalogue), ("lesson", lesson)]:
        print(f"ratio {name}: to /v1/auth/session {v / trivial:.2f}, to /livez {v / base:.2f}", file=sys.stderr)
finally:
    cleanup()
