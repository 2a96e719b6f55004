//! A quiz's settings and their wire format.
//!
//! ```json
//! {"title": "Interest basics", "bank": "interest", "draw": 5, "pass_mark_percent": 70,
//!  "max_attempts": 3, "time_limit_minutes": 15,
//!  "shuffle_questions": true, "shuffle_options": true}
//! ```
//!
//! `draw`, `max_attempts` and `time_limit_minutes` are optional (absent: all questions,
//! unlimited attempts, no time limit); `pass_mark_percent` defaults to 70 and the
//! shuffles to `false`. `bank` is the bank's key; resolving it is the caller's job.

use super::question::slug;
use crate::learning::outline::parse_title;
use crate::validation::{FieldErrors, invalid};
use serde::{Deserialize, Serialize};
use time::Duration;

/// Most questions one attempt may draw.
pub const MAX_DRAW: u32 = 1000;
/// Most attempts a quiz may allow (beyond that, leave it unlimited).
pub const MAX_ATTEMPTS: u32 = 100;
/// Longest time limit, in minutes (ten hours: an exam, not a course).
pub const MAX_TIME_LIMIT_MINUTES: u32 = 600;
/// The pass mark when none is given.
pub const DEFAULT_PASS_MARK_PERCENT: u8 = 70;

/// A quiz's checked settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizSettings {
    /// 1–200 characters.
    pub title: String,
    /// Questions drawn per attempt, 1–1000 (`None`: the whole bank). More than the bank
    /// holds draws the whole bank.
    pub draw: Option<u32>,
    /// Score needed to pass, 0–100.
    pub pass_mark_percent: u8,
    /// Attempts allowed per learner, 1–100 (`None`: unlimited).
    pub max_attempts: Option<u32>,
    /// Time allowed per attempt, whole minutes from 1 to 600 (`None`: untimed).
    pub time_limit: Option<Duration>,
    /// Present drawn questions in a random order rather than the authored one.
    pub shuffle_questions: bool,
    /// Present single- and multiple-choice options in a random order. (Ordering items
    /// are always shuffled, since their authored order is the answer.)
    pub shuffle_options: bool,
}

/// A quiz's settings as authored. See the [module docs](self) for the JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = QuizSettings,
        description = "A quiz's settings as authored. `draw`, `max_attempts` and `time_limit_minutes` \
            are optional (absent: the whole bank, unlimited attempts, no time limit); \
            `pass_mark_percent` defaults to 70 and the shuffles to `false`."
    )
)]
#[serde(deny_unknown_fields)]
pub struct QuizSettingsSpec {
    /// Title, 1–200 characters.
    #[serde(default)]
    pub title: String,
    /// The key of the course's bank to draw from.
    #[serde(default)]
    pub bank: String,
    /// Questions drawn per attempt, 1–1000; more than the bank holds draws it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<i64>,
    /// Score needed to pass, 0–100; default 70.
    #[serde(default = "default_pass_mark")]
    pub pass_mark_percent: i64,
    /// Attempts allowed per learner, 1–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i64>,
    /// Time allowed per attempt, in whole minutes from 1 to 600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_minutes: Option<i64>,
    /// Shuffle question order.
    #[serde(default)]
    pub shuffle_questions: bool,
    /// Shuffle single- and multiple-choice options (ordering items are always shuffled).
    #[serde(default)]
    pub shuffle_options: bool,
}

fn default_pass_mark() -> i64 {
    i64::from(DEFAULT_PASS_MARK_PERCENT)
}

/// An optional whole number in `1..=max`, reported under `field`.
fn optional(errs: &mut FieldErrors, field: &str, raw: Option<i64>, max: u32) -> Option<u32> {
    let n = raw?;
    errs.check(
        field,
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| invalid("range", format!("must be from 1 to {max}"))),
    )
}

impl QuizSettingsSpec {
    /// Parses every member, reporting all problems at once. The bank key is checked for
    /// format only.
    pub fn parse(&self) -> Result<QuizSettings, FieldErrors> {
        let mut errs = FieldErrors::new();
        let title = errs.check("title", parse_title(&self.title));
        errs.check("bank", slug(&self.bank));
        let draw = optional(&mut errs, "draw", self.draw, MAX_DRAW);
        let max_attempts = optional(&mut errs, "max_attempts", self.max_attempts, MAX_ATTEMPTS);
        let minutes = optional(
            &mut errs,
            "time_limit_minutes",
            self.time_limit_minutes,
            MAX_TIME_LIMIT_MINUTES,
        );
        let pass_mark = errs.check(
            "pass_mark_percent",
            u8::try_from(self.pass_mark_percent)
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| invalid("range", "must be from 0 to 100")),
        );
        errs.finish(|| {
            Some(QuizSettings {
                title: title?,
                draw,
                pass_mark_percent: pass_mark?,
                max_attempts,
                time_limit: minutes.map(|m| Duration::minutes(i64::from(m))),
                shuffle_questions: self.shuffle_questions,
                shuffle_options: self.shuffle_options,
            })
        })
    }

    /// The spec of `settings` drawing from the bank keyed `bank`; `parse` of it gives the
    /// settings back.
    pub fn from_settings(settings: &QuizSettings, bank: &str) -> QuizSettingsSpec {
        QuizSettingsSpec {
            title: settings.title.clone(),
            bank: bank.to_owned(),
            draw: settings.draw.map(i64::from),
            pass_mark_percent: i64::from(settings.pass_mark_percent),
            max_attempts: settings.max_attempts.map(i64::from),
            time_limit_minutes: settings.time_limit.map(Duration::whole_minutes),
            shuffle_questions: settings.shuffle_questions,
            shuffle_options: settings.shuffle_options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> QuizSettingsSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_full_spec_parses_and_round_trips() {
        let json = r#"{"title":"Interest basics","bank":"interest","draw":5,"pass_mark_percent":80,"max_attempts":3,"time_limit_minutes":15,"shuffle_questions":true,"shuffle_options":true}"#;
        let s = spec(json);
        let settings = s.parse().unwrap();
        assert_eq!(
            settings,
            QuizSettings {
                title: "Interest basics".into(),
                draw: Some(5),
                pass_mark_percent: 80,
                max_attempts: Some(3),
                time_limit: Some(Duration::minutes(15)),
                shuffle_questions: true,
                shuffle_options: true,
            }
        );
        let back = QuizSettingsSpec::from_settings(&settings, "interest");
        assert_eq!(back, s);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn defaults_apply_and_round_trip() {
        let s = spec(r#"{"title":"Quick check","bank":"budgets"}"#);
        let settings = s.parse().unwrap();
        assert_eq!(settings.pass_mark_percent, 70);
        assert_eq!(
            (settings.draw, settings.max_attempts, settings.time_limit),
            (None, None, None)
        );
        assert!(!settings.shuffle_questions && !settings.shuffle_options);
        assert_eq!(QuizSettingsSpec::from_settings(&settings, "budgets"), s);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"title":"Quick check","bank":"budgets","pass_mark_percent":70,"shuffle_questions":false,"shuffle_options":false}"#
        );
    }

    #[test]
    fn every_bad_member_is_reported_at_once() {
        let s = spec(
            r#"{"title":" ","bank":"Not a key","draw":0,"pass_mark_percent":101,"max_attempts":101,"time_limit_minutes":601}"#,
        );
        let errs = s.parse().unwrap_err();
        let fields: Vec<&str> = errs.as_slice().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "bank",
                "draw",
                "max_attempts",
                "time_limit_minutes",
                "pass_mark_percent"
            ]
        );
        let edges = spec(
            r#"{"title":"t","bank":"b","draw":1000,"pass_mark_percent":0,"max_attempts":100,"time_limit_minutes":600}"#,
        );
        assert!(edges.parse().is_ok());
        let negative = spec(r#"{"title":"t","bank":"b","pass_mark_percent":-1}"#);
        assert_eq!(negative.parse().unwrap_err().as_slice()[0].code, "range");
    }

    #[test]
    fn unknown_members_are_refused() {
        let err =
            serde_json::from_str::<QuizSettingsSpec>(r#"{"title":"t","bank":"b","shuffle":true}"#);
        assert!(err.is_err());
    }
}
