//! What learners see of their rewards (XP, level, streak, badges, certificates), opt-in
//! leaderboards, public certificate verification, and revocation by admins.

use super::achievements::AchievementService;
use super::enrolment::learner;
use crate::AppError;
use crate::audit::{Caller, Record};
use nexus_domain::access::{Actor, Permission};
use nexus_domain::learning::certificate::{Certificate, CertificateId, parse_code};
use nexus_domain::learning::enrolment::{CohortId, CohortRole};
use nexus_domain::learning::gamification::{
    self as game, BadgeRule, Contender, LevelInfo, Row, Streak, Visibility, XpEntry,
};
use nexus_domain::paging::PageRequest;
use nexus_domain::{TenantId, UserId};
use nexus_store::StoreError;
use serde_json::json;
use time::OffsetDateTime;

/// Most rows a leaderboard shows.
pub const MAX_LEADERBOARD: usize = 100;

/// Largest cohort a cohort leaderboard ranks (members beyond it are not read).
const MAX_COHORT: u32 = 5_000;

/// A learner's rewards at a glance.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Total XP.
    pub xp: u64,
    /// Level and progress to the next.
    pub level: LevelInfo,
    /// Daily streak in the tenant's time zone.
    pub streak: Streak,
    /// Every badge, with when it was earned (`None`: not yet).
    pub badges: Vec<(BadgeRule, Option<OffsetDateTime>)>,
    /// The latest awards, newest first (at most 20).
    pub recent: Vec<XpEntry>,
    /// Whether they appear on leaderboards by name.
    pub leaderboard_opt_in: bool,
}

/// What the public verification page shows: validity, name, course and date; nothing
/// else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Issued and not revoked.
    pub valid: bool,
    /// The holder's name.
    pub holder_name: String,
    /// The course.
    pub course_title: String,
    /// The day it was issued, in the tenant's time zone (`YYYY-MM-DD`).
    pub issued_on: String,
}

fn store_err(e: StoreError) -> AppError {
    AppError::from_store("learner", e)
}

impl AchievementService {
    /// The caller's XP, level, streak, badges and recent awards.
    pub async fn summary(&self, caller: &Caller, tenant: TenantId) -> Result<Summary, AppError> {
        let user = learner(caller, tenant)?;
        let store = self.db.achievements();
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        let ledger = store
            .xp_entries(tx.as_mut(), tenant, user)
            .await
            .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        let tz = self.time_zone(tenant).await?;
        let now = self.now();
        let activity: Vec<OffsetDateTime> = ledger.iter().map(|e| e.at).collect();
        let earned = store.badges(tenant, user).await.map_err(store_err)?;
        let xp: u64 = ledger.iter().map(|e| u64::from(e.amount)).sum();
        let mut recent = ledger;
        recent.reverse();
        recent.truncate(20);
        Ok(Summary {
            xp,
            level: game::level_for(xp),
            streak: game::streak(&activity, &tz, now),
            badges: self
                .badges
                .iter()
                .map(|b| {
                    let at = earned.iter().find(|(k, _)| *k == b.key).map(|(_, at)| *at);
                    (b.clone(), at)
                })
                .collect(),
            recent,
            leaderboard_opt_in: store
                .leaderboard_opt_in(tenant, user)
                .await
                .map_err(store_err)?,
        })
    }

    /// Opts the caller in to (or out of) leaderboards.
    pub async fn set_leaderboard(
        &self,
        caller: &Caller,
        tenant: TenantId,
        opt_in: bool,
    ) -> Result<(), AppError> {
        let user = learner(caller, tenant)?;
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        self.db
            .achievements()
            .set_leaderboard_opt_in(tx.as_mut(), tenant, user, opt_in, self.now())
            .await
            .map_err(store_err)?;
        tx.commit().await.map_err(store_err)
    }

    /// The tenant's (or a cohort's) leaderboard by XP. Learners who have not opted in
    /// appear as "Anonymous", without an ID, except to themselves. A cohort's board is
    /// open to its members and to holders of `report:read`.
    pub async fn leaderboard(
        &self,
        caller: &Caller,
        tenant: TenantId,
        cohort: Option<CohortId>,
        limit: usize,
    ) -> Result<Vec<Row>, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let viewer = match &caller.actor {
            Actor::User {
                tenant: t, user, ..
            } if *t == tenant => Some(*user),
            _ => None,
        };
        let users = match cohort {
            None => None,
            Some(c) => Some(self.cohort_learners(caller, tenant, c, viewer).await?),
        };
        let standings = self
            .db
            .achievements()
            .standings(tenant, users.as_deref())
            .await
            .map_err(store_err)?;
        let contenders = standings
            .into_iter()
            .map(|s| Contender {
                user: s.user,
                display_name: s.display_name,
                xp: s.xp,
                opted_in: s.opted_in,
            })
            .collect();
        Ok(game::rank(
            contenders,
            Visibility::Anonymous,
            viewer,
            limit.clamp(1, MAX_LEADERBOARD),
        ))
    }

    async fn cohort_learners(
        &self,
        caller: &Caller,
        tenant: TenantId,
        cohort: CohortId,
        viewer: Option<UserId>,
    ) -> Result<Vec<UserId>, AppError> {
        let store = self.db.enrolments();
        // Only report readers learn whether a cohort exists; anyone else gets the same
        // 403 for a cohort they are not in and for one that does not exist.
        let reader = caller.actor.can(tenant, Permission::ReportRead);
        if reader {
            store
                .cohort(tenant, cohort)
                .await
                .map_err(|e| AppError::from_store("cohort", e))?;
        }
        let mut members = Vec::new();
        let mut offset = 0u64;
        loop {
            let page = PageRequest::new(Some(200), Some(offset))
                .map_err(|e| AppError::invalid_field("offset", e))?;
            let got = store
                .members(tenant, cohort, None, page)
                .await
                .map_err(store_err)?;
            let n = got.items.len();
            members.extend(got.items);
            offset += n as u64;
            if n == 0 || offset >= got.total || offset >= u64::from(MAX_COHORT) {
                break;
            }
        }
        let is_member = viewer.is_some_and(|v| members.iter().any(|m| m.user == v));
        if !is_member && !reader {
            return Err(AppError::Forbidden("members of the cohort or report:read"));
        }
        Ok(members
            .into_iter()
            .filter(|m| m.role == CohortRole::Learner)
            .map(|m| m.user)
            .collect())
    }

    /// The caller's certificates, newest first.
    pub async fn my_certificates(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<Certificate>, AppError> {
        let user = learner(caller, tenant)?;
        self.db
            .achievements()
            .certificates(tenant, user)
            .await
            .map_err(store_err)
    }

    /// Public verification of a code within the tenant: anyone may ask, and learns
    /// validity, name, course and date (in the tenant's time zone) only. Unknown codes
    /// are 404.
    pub async fn verify(&self, tenant: TenantId, code: &str) -> Result<Verification, AppError> {
        let not_found = AppError::NotFound {
            resource: "certificate",
        };
        let code = parse_code(code).ok_or(not_found)?;
        let cert = self
            .db
            .achievements()
            .certificate_by_code(tenant, &code)
            .await
            .map_err(store_err)?
            .ok_or(AppError::NotFound {
                resource: "certificate",
            })?;
        let tz = self.time_zone(tenant).await?;
        Ok(Verification {
            valid: cert.revoked_at.is_none(),
            holder_name: cert.holder_name,
            course_title: cert.course_title,
            issued_on: game::local_day(cert.issued_at, &tz).to_string(),
        })
    }

    /// Revokes a certificate. Needs `certificate:revoke`; audited with the reason.
    pub async fn revoke(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CertificateId,
        reason: &str,
    ) -> Result<Certificate, AppError> {
        caller.require(tenant, Permission::CertificateRevoke)?;
        let reason = reason.trim();
        if !(1..=500).contains(&reason.chars().count()) {
            return Err(AppError::invalid_field(
                "reason",
                nexus_domain::validation::invalid("length", "must be 1 to 500 characters"),
            ));
        }
        let store = self.db.achievements();
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        store
            .revoke_certificate(tx.as_mut(), tenant, id, reason, self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => AppError::Conflict {
                    code: "certificate_revoked",
                    message: "the certificate is already revoked",
                },
                e => AppError::from_store("certificate", e),
            })?;
        let record = Record {
            tenant: Some(tenant),
            action: "certificate.revoke",
            target: format!("certificate:{id}"),
            diff: Some(json!({ "after": { "revoked": true, "reason": reason } })),
        };
        self.audit.record_in(tx.as_mut(), caller, record).await?;
        tx.commit().await.map_err(store_err)?;
        store.certificate(tenant, id).await.map_err(store_err)
    }
}
