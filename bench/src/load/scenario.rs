//! A simulated learner: sessions of log in, dashboard, lessons, quotes, an order and
//! the portfolio, a quiz, log out, with think time between every step, until the run
//! ends or its request budget is spent.

use super::client::{Answer, Conn};
use hyper::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// A request type in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `POST /v1/auth/login`.
    Login,
    /// `GET /v1/me/enrolments`: the dashboard's courses in progress.
    Dashboard,
    /// `GET /v1/courses/{id}/content/lessons/{lesson}`.
    Lesson,
    /// `POST /v1/courses/{id}/lessons/{lesson}/progress`.
    Progress,
    /// `GET /v1/sim/instruments`: the quote board.
    Quotes,
    /// `POST /v1/sim/orders`: a one-share market buy.
    Order,
    /// `GET /v1/sim/portfolios/practice`.
    Portfolio,
    /// `POST /v1/courses/{id}/quizzes/{quiz}/attempts`.
    QuizStart,
    /// `POST /v1/quiz-attempts/{attempt}/submission`.
    QuizSubmit,
    /// `POST /v1/auth/logout`.
    Logout,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Self; 10] = [
        Self::Login,
        Self::Dashboard,
        Self::Lesson,
        Self::Progress,
        Self::Quotes,
        Self::Order,
        Self::Portfolio,
        Self::QuizStart,
        Self::QuizSubmit,
        Self::Logout,
    ];

    /// The report's row label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Login => "log in",
            Self::Dashboard => "dashboard",
            Self::Lesson => "open a lesson",
            Self::Progress => "lesson progress",
            Self::Quotes => "check quotes",
            Self::Order => "place an order",
            Self::Portfolio => "view portfolio",
            Self::QuizStart => "start a quiz",
            Self::QuizSubmit => "answer the quiz",
            Self::Logout => "log out",
        }
    }

    /// Index into [`Kind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What learners work on, found on the server before the run.
#[derive(Debug, Clone)]
pub struct Course {
    /// The course's ID.
    pub id: String,
    /// Its lessons' IDs.
    pub lessons: Vec<String>,
    /// Its quizzes' IDs.
    pub quizzes: Vec<String>,
    /// Instrument symbols to buy.
    pub symbols: Vec<String>,
}

/// The run every learner follows.
pub struct Plan {
    /// Sent as `X-Tenant`.
    pub tenant: String,
    /// Every learner's password.
    pub password: String,
    /// Makes client order IDs unique across runs on one server.
    pub run_id: String,
    /// The course.
    pub course: Course,
    /// Think time between steps, uniform in this range (seconds).
    pub think: (f64, f64),
    /// Lesson-and-trade rounds per session.
    pub loops: u32,
    /// When the run began and how learners are spread over the ramp-up.
    pub started: Instant,
    /// The ramp-up.
    pub ramp: Duration,
    /// Learners in this run.
    pub users: usize,
    /// When every learner stops.
    pub until: Instant,
    /// Requests sent so far, across learners.
    pub sent: AtomicU64,
    /// The bounded total: no learner sends more once this many were sent.
    pub max_requests: u64,
    /// The connections learners use: one each, or (past the machine's open-file limit)
    /// learner `n` shares `conns[n % len]`, as browsers behind an ingress share its
    /// keep-alive upstream connections. Waiting for a shared one counts as latency.
    pub conns: Vec<Arc<tokio::sync::Mutex<Conn>>>,
}

/// One request's result: kind, latency in microseconds, and whether it succeeded.
pub type Sample = (Kind, u32, bool);

/// What one learner did.
#[derive(Default)]
pub struct Outcome {
    /// Every request.
    pub samples: Vec<Sample>,
    /// The first few failures, for the report.
    pub errors: Vec<String>,
    /// Sessions completed through log-out.
    pub sessions: u32,
}

/// SplitMix64: a per-learner deterministic stream, so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[allow(clippy::cast_precision_loss)]
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, from: &'a [String]) -> &'a str {
        let i = usize::try_from(self.next() % from.len().max(1) as u64).unwrap_or(0);
        from.get(i).map_or("", String::as_str)
    }
}

struct Learner {
    n: usize,
    plan: Arc<Plan>,
    conn: Arc<tokio::sync::Mutex<Conn>>,
    ip: String,
    rng: Rng,
    out: Outcome,
}

/// Longest wait for an answer before the request counts as failed.
const ANSWER_TIMEOUT: Duration = Duration::from_mins(1);

impl Learner {
    /// The run is over, or its request budget spent.
    fn done(&self) -> bool {
        Instant::now() >= self.plan.until
            || self.plan.sent.load(Ordering::Relaxed) >= self.plan.max_requests
    }

    /// Sends one request (unless the run is over or its budget spent) and records it.
    async fn step(
        &mut self,
        kind: Kind,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Option<Answer> {
        if self.done() {
            return None;
        }
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            ("x-tenant", self.plan.tenant.as_str()),
            ("x-forwarded-for", self.ip.as_str()),
        ];
        if let Some(b) = &bearer {
            headers.push(("authorization", b.as_str()));
        }
        let body = body.map(|b| serde_json::to_vec(&b).unwrap_or_default());
        // A shared connection is waited for before the clock starts: the figure is the
        // server's answer time (and a reconnect's), not the generator's own queue. The
        // run may have ended meanwhile.
        let conn = self.conn.clone();
        let mut conn = conn.lock().await;
        if Instant::now() >= self.plan.until
            || self.plan.sent.fetch_add(1, Ordering::Relaxed) >= self.plan.max_requests
        {
            return None;
        }
        let at = std::time::Instant::now();
        // No answer within this long is a failure, and the run still ends on time.
        let sent = tokio::time::timeout(ANSWER_TIMEOUT, conn.send(method, path, &headers, body));
        let result = if let Ok(r) = sent.await {
            r
        } else {
            conn.drop_connection();
            Err(format!("no answer within {ANSWER_TIMEOUT:?}"))
        };
        drop(conn);
        let micros = u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX);
        let ok = matches!(&result, Ok(a) if (200..300).contains(&a.status));
        self.out.samples.push((kind, micros, ok));
        if !ok && self.out.errors.len() < 3 {
            let what = match &result {
                Ok(a) => {
                    // The problem's code and field errors say why; the rest is noise.
                    let p: Value = serde_json::from_slice(&a.body).unwrap_or_default();
                    format!(
                        "{} {}: {} {}",
                        a.status,
                        kind.label(),
                        p["code"],
                        p["errors"]
                    )
                }
                Err(e) => format!("{}: {e}", kind.label()),
            };
            self.out.errors.push(what);
        }
        result.ok().filter(|a| (200..300).contains(&a.status))
    }

    /// A one-share buy of an instrument from the quote board just read: at market while
    /// the simulated session is open, otherwise a day limit at the bid (a market order
    /// is refused when closed), which waits for the open like a learner's would.
    fn order_for(&mut self, board: Option<&Answer>, client_order_id: &str) -> Value {
        let board: Value = board
            .and_then(|a| serde_json::from_slice(&a.body).ok())
            .unwrap_or_default();
        let quoted: Vec<&Value> = board["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["quote"].is_object())
            .collect();
        let Some(item) =
            quoted.get(usize::try_from(self.rng.next() % quoted.len().max(1) as u64).unwrap_or(0))
        else {
            let symbol = self.rng.pick(&self.plan.course.symbols).to_owned();
            return json!({ "symbol": symbol, "side": "buy", "type": "market",
                "time_in_force": "day", "qty": "1", "client_order_id": client_order_id });
        };
        let q = &item["quote"];
        if q["market_open"].as_bool() == Some(true) {
            json!({ "symbol": item["symbol"], "side": "buy", "type": "market",
                "time_in_force": "day", "qty": "1", "client_order_id": client_order_id })
        } else {
            // Typed as a learner would: the bid in whole cents (quotes carry more
            // decimals than an order's price may).
            let bid: f64 = q["bid"]
                .as_str()
                .and_then(|b| b.parse().ok())
                .unwrap_or(1.0);
            let limit = format!("{:.2}", (bid * 100.0).floor() / 100.0);
            json!({ "symbol": item["symbol"], "side": "buy", "type": "limit", "limit_price": limit,
                "time_in_force": "day", "qty": "1", "client_order_id": client_order_id })
        }
    }

    /// Waits a think time, cut short when the run ends.
    async fn think(&mut self) {
        let (lo, hi) = self.plan.think;
        let secs = lo + (hi - lo) * self.rng.unit();
        // Nothing to wait for once the budget is spent: the learner just stops.
        if self.done() {
            return;
        }
        let wake = (Instant::now() + Duration::from_secs_f64(secs)).min(self.plan.until);
        tokio::time::sleep_until(wake).await;
    }

    async fn session(&mut self, nth: u32) {
        let plan = self.plan.clone();
        let course = &plan.course;
        let email = format!("learner{}@load.example", self.n);
        let login = json!({ "email": email, "password": plan.password });
        let Some(a) = self
            .step(
                Kind::Login,
                Method::POST,
                "/v1/auth/login",
                None,
                Some(login),
            )
            .await
        else {
            self.think().await;
            return;
        };
        let body: Value = serde_json::from_slice(&a.body).unwrap_or_default();
        let token = body["token"].as_str().unwrap_or_default().to_owned();
        let t = Some(token.as_str());
        self.think().await;
        self.step(Kind::Dashboard, Method::GET, "/v1/me/enrolments", t, None)
            .await;
        for l in 0..plan.loops {
            self.think().await;
            let i = (nth * plan.loops + l) as usize % course.lessons.len().max(1);
            let lesson = course.lessons.get(i).map_or("", String::as_str);
            let path = format!("/v1/courses/{}/content/lessons/{lesson}", course.id);
            self.step(Kind::Lesson, Method::GET, &path, t, None).await;
            self.think().await;
            let path = format!("/v1/courses/{}/lessons/{lesson}/progress", course.id);
            let progress = json!({ "seconds": 60, "completed": true });
            self.step(Kind::Progress, Method::POST, &path, t, Some(progress))
                .await;
            self.think().await;
            let board = self
                .step(Kind::Quotes, Method::GET, "/v1/sim/instruments", t, None)
                .await;
            self.think().await;
            let order = self.order_for(
                board.as_ref(),
                &format!("load-{}-{}-{nth}-{l}", plan.run_id, self.n),
            );
            self.step(Kind::Order, Method::POST, "/v1/sim/orders", t, Some(order))
                .await;
            self.think().await;
            let path = "/v1/sim/portfolios/practice";
            self.step(Kind::Portfolio, Method::GET, path, t, None).await;
        }
        self.think().await;
        // Quizzes in turn: three attempts each are allowed, so a learner can sit 15
        // sessions before running out.
        let quiz = course
            .quizzes
            .get(nth as usize % course.quizzes.len().max(1));
        let path = format!(
            "/v1/courses/{}/quizzes/{}/attempts",
            course.id,
            quiz.map_or("", String::as_str)
        );
        if let Some(a) = self
            .step(Kind::QuizStart, Method::POST, &path, t, Some(json!({})))
            .await
        {
            let attempt: Value = serde_json::from_slice(&a.body).unwrap_or_default();
            self.think().await;
            let path = format!(
                "/v1/quiz-attempts/{}/submission",
                attempt["id"].as_str().unwrap_or_default()
            );
            let responses = answers(&attempt["questions"]);
            self.step(
                Kind::QuizSubmit,
                Method::POST,
                &path,
                t,
                Some(json!({ "responses": responses })),
            )
            .await;
        }
        self.think().await;
        if self
            .step(Kind::Logout, Method::POST, "/v1/auth/logout", t, None)
            .await
            .is_some()
        {
            self.out.sessions += 1;
        }
        self.think().await;
    }
}

/// A plausible answer to every question (the first option, `true`, a number, the
/// order as shown): graded like any learner's, right or wrong.
fn answers(questions: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for q in questions.as_array().into_iter().flatten() {
        let n = q["options"].as_array().map_or(0, Vec::len);
        let answer = match q["type"].as_str().unwrap_or_default() {
            "single_choice" => json!(0),
            "multiple_select" => json!([0]),
            "true_false" => json!(true),
            "numeric" => json!(100.0),
            "ordering" => json!((0..n).collect::<Vec<_>>()),
            _ => continue,
        };
        let kind = q["type"].clone();
        if let Some(id) = q["id"].as_str() {
            out.insert(id.to_owned(), json!({ "type": kind, "answer": answer }));
        }
    }
    Value::Object(out)
}

/// Learner `n`: waits for its place in the ramp-up, then runs sessions until the run
/// ends or the request budget is spent.
pub async fn learner(n: usize, plan: Arc<Plan>) -> Outcome {
    #[allow(clippy::cast_precision_loss)]
    let offset = plan.ramp.mul_f64(n as f64 / plan.users.max(1) as f64);
    tokio::time::sleep_until(plan.started + offset).await;
    let k = u32::try_from(n).unwrap_or(u32::MAX);
    let mut me = Learner {
        n,
        conn: plan.conns[n % plan.conns.len()].clone(),
        // A client address per learner, believed because 127.0.0.0/8 is a trusted
        // proxy: each learner has its own per-IP rate limit, as behind an ingress.
        ip: format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255),
        rng: Rng(0x5eed ^ u64::from(k)),
        plan,
        out: Outcome::default(),
    };
    let mut s = 0;
    while !me.done() {
        me.session(s).await;
        s += 1;
    }
    me.out
}
