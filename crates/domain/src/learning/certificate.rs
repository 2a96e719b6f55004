//! Certificates of completion, and the rule that earns one.
//!
//! A certificate is a snapshot: the holder's name and the course title as they were at
//! issue, so later renames do not rewrite what was certified. Its public verification
//! code is random (100 bits), not derived from anything guessable.

use super::course::{CourseId, LessonId};
use super::quiz::QuizId;
use crate::UserId;
use serde::Serialize;
use std::collections::BTreeSet;
use time::OffsetDateTime;

crate::define_id!(
    /// Identifies a certificate.
    CertificateId
);

/// Characters of a verification code: Crockford's base32 (no I, L, O, U), so a code
/// read aloud or typed from paper survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of a verification code: 20 characters of 5 bits.
pub const CODE_LEN: usize = 20;

/// A certificate of completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// Identity.
    pub id: CertificateId,
    /// The course completed.
    pub course: CourseId,
    /// The learner.
    pub user: UserId,
    /// Public verification code.
    pub code: String,
    /// The learner's name at issue.
    pub holder_name: String,
    /// The course's title at issue.
    pub course_title: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When an admin revoked it, if they did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Why (shown to admins, not on the public page).
    pub revoked_reason: Option<String>,
}

/// A verification code from 13 random bytes (the last 4 bits unused).
pub fn code_from(random: [u8; 13]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(b);
    }
    (0..CODE_LEN)
        .map(|i| {
            let shift = 4 + 5 * (CODE_LEN - 1 - i);
            char::from(ALPHABET[usize::try_from((bits >> shift) & 31).unwrap_or(0)])
        })
        .collect()
}

/// Normalises a typed code (case, and the look-alikes Crockford allows), or `None` if
/// it cannot be one.
pub fn parse_code(raw: &str) -> Option<String> {
    let code: String = raw
        .trim()
        .chars()
        .filter(|c| *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// A course is complete when every lesson of its published version is complete and
/// every quiz in it has a passed attempt. A course with nothing in it is never
/// complete.
pub fn is_complete(
    lessons: &[LessonId],
    completed: &BTreeSet<LessonId>,
    quizzes: &[QuizId],
    passed: &BTreeSet<QuizId>,
) -> bool {
    !(lessons.is_empty() && quizzes.is_empty())
        && lessons.iter().all(|l| completed.contains(l))
        && quizzes.iter().all(|q| passed.contains(q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[test]
    fn codes_are_base32_and_parse_back_leniently() {
        let code = code_from([0xFF; 13]);
        assert_eq!(code, "ZZZZZZZZZZZZZZZZZZZZ");
        let code = code_from([
            0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0, 1, 2, 3, 4,
        ]);
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(parse_code(&code.to_lowercase()), Some(code.clone()));
        let typed = format!("{}-{}", &code[..10], &code[10..]);
        assert_eq!(parse_code(&typed), Some(code));
        assert_eq!(parse_code("0O1IL").as_deref(), None, "too short");
        assert_eq!(
            parse_code("OOOOOOOOOOIIIIILLLLL").as_deref(),
            Some("00000000001111111111")
        );
        assert_eq!(
            parse_code("UUUUUUUUUUUUUUUUUUUU"),
            None,
            "U is not in the alphabet"
        );
    }

    #[test]
    fn completion_needs_every_lesson_and_every_quiz() {
        let c = ManualClock::at_unix(1);
        let (l1, l2) = (LessonId::generate(&c), LessonId::generate(&c));
        let q = QuizId::generate(&c);
        let done: BTreeSet<_> = [l1, l2].into();
        assert!(!is_complete(&[l1, l2], &done, &[q], &BTreeSet::new()));
        assert!(is_complete(&[l1, l2], &done, &[q], &[q].into()));
        assert!(!is_complete(&[l1, l2], &[l1].into(), &[], &BTreeSet::new()));
        assert!(is_complete(&[l1], &[l1].into(), &[], &BTreeSet::new()));
        assert!(!is_complete(&[], &BTreeSet::new(), &[], &BTreeSet::new()));
    }
}
