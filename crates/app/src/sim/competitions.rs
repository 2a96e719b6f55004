//! Class competitions: an instructor sets one up for a cohort (window, starting cash,
//! allowed instruments, ranking metric); each learner of the cohort joins with a fresh
//! portfolio; the leaderboard ranks entries by return or Sharpe and shows only those
//! who opted in to leaderboards by name (the learning leaderboard's rule).

use super::{SimService, commit, trader};
use crate::AppError;
use crate::audit::{Caller, Record};
use crate::learning::store_err;
use nexus_domain::TenantId;
use nexus_domain::access::Permission;
use nexus_domain::learning::enrolment::{CohortId, CohortRole};
use nexus_domain::paging::{MAX_LIMIT, PageRequest};
use nexus_domain::sim::{
    Competition, CompetitionDraft, CompetitionId, PortfolioId, PortfolioRecord,
};
use nexus_domain::validation::FieldErrors;
use nexus_trading::analytics::{self, Assumptions, History};
use nexus_trading::competition::{Entry, rank};
use serde_json::json;

/// A competition with whether the caller may join it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetitionView {
    /// The competition.
    pub competition: Competition,
    /// `scheduled`, `running` or `finished`.
    pub phase: &'static str,
}

/// One leaderboard row.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// Rank (equal scores share it).
    pub rank: u32,
    /// The entrant's portfolio, when they opted in or it is the viewer's own.
    pub portfolio: Option<PortfolioId>,
    /// Name, or "Anonymous".
    pub display_name: String,
    /// The metric's value; `None` when undefined (e.g. Sharpe with too little history).
    pub score: Option<f64>,
    /// Total return as a fraction, on rows that show who they are.
    pub total_return: Option<f64>,
    /// Whether it is the viewer's row.
    pub is_you: bool,
}

impl SimService {
    fn phase(&self, c: &Competition) -> &'static str {
        let now = self.clock.now();
        if now < c.starts_at {
            "scheduled"
        } else if now < c.ends_at {
            "running"
        } else {
            "finished"
        }
    }

    fn view(&self, competition: Competition) -> CompetitionView {
        CompetitionView {
            phase: self.phase(&competition),
            competition,
        }
    }

    /// Creates a competition. Needs `competition:write`; symbols must be listed.
    /// Audited.
    pub async fn create_competition(
        &self,
        caller: &Caller,
        tenant: TenantId,
        draft: CompetitionDraft,
    ) -> Result<CompetitionView, AppError> {
        caller.require(tenant, Permission::CompetitionWrite)?;
        let mut errors = FieldErrors::new();
        for (i, s) in draft.allowed_symbols.iter().enumerate() {
            if self.hub.instrument(s.as_str()).is_none() {
                errors.push(
                    format!("allowed_symbols[{i}]"),
                    "unknown_symbol",
                    format!("no simulated instrument is called {s}"),
                );
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let competition = Competition {
            id: CompetitionId::generate(self.clock.as_ref()),
            cohort: draft.cohort,
            name: draft.name,
            // Stored to the microsecond on both backends, so what is returned is what
            // a later read gives.
            starts_at: crate::learning::to_micros(draft.starts_at),
            ends_at: crate::learning::to_micros(draft.ends_at),
            starting_cash: draft.starting_cash,
            allowed_symbols: draft.allowed_symbols,
            metric: draft.metric,
            created_at: self.now(),
        };
        let mut tx = self.begin(tenant).await?;
        self.store
            .create_competition(tx.as_mut(), tenant, &competition)
            .await
            .map_err(store_err("cohort"))?;
        self.audit
            .record_in(
                tx.as_mut(),
                caller,
                Record {
                    tenant: Some(tenant),
                    action: "competition.create",
                    target: format!("competition:{}", competition.id),
                    diff: Some(json!({ "after": {
                        "name": competition.name,
                        "cohort_id": competition.cohort,
                        "starts_at": competition.starts_at.unix_timestamp(),
                        "ends_at": competition.ends_at.unix_timestamp(),
                        "starting_cash": competition.starting_cash.to_string(),
                        "allowed_symbols": competition.allowed_symbols,
                        "metric": competition.metric.as_str(),
                    }})),
                },
            )
            .await?;
        commit(tx).await?;
        Ok(self.view(competition))
    }

    /// Competitions (of one cohort), newest first: staff see all, learners those of
    /// their cohorts.
    pub async fn competitions(
        &self,
        caller: &Caller,
        tenant: TenantId,
        cohort: Option<CohortId>,
        page: PageRequest,
    ) -> Result<Vec<CompetitionView>, AppError> {
        let staff = caller.actor.can(tenant, Permission::CompetitionWrite);
        let user = if staff {
            None
        } else {
            Some(trader(caller, tenant)?)
        };
        let list = self
            .store
            .competitions(tenant, cohort, page)
            .await
            .map_err(store_err("cohort"))?;
        let mut out = Vec::with_capacity(list.len());
        for c in list {
            if let Some(user) = user
                && !self.is_member(tenant, c.cohort, user).await?
            {
                continue;
            }
            out.push(self.view(c));
        }
        Ok(out)
    }

    /// One competition, for staff or a member of its cohort.
    pub async fn competition(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CompetitionId,
    ) -> Result<CompetitionView, AppError> {
        // Permission first, so a caller who may see no competition is refused alike
        // whether or not the ID exists.
        let member = if caller.actor.can(tenant, Permission::CompetitionWrite) {
            None
        } else {
            Some(trader(caller, tenant)?)
        };
        let c = self
            .store
            .competition(tenant, id)
            .await
            .map_err(store_err("competition"))?;
        if let Some(user) = member
            && !self.is_member(tenant, c.cohort, user).await?
        {
            return Err(AppError::NotFound {
                resource: "competition",
            });
        }
        Ok(self.view(c))
    }

    async fn is_member(
        &self,
        tenant: TenantId,
        cohort: CohortId,
        user: nexus_domain::UserId,
    ) -> Result<bool, AppError> {
        // Cohorts larger than one page are checked page by page.
        let mut offset = 0u64;
        loop {
            let page = self
                .db
                .enrolments()
                .members(
                    tenant,
                    cohort,
                    Some(CohortRole::Learner),
                    PageRequest::new(Some(MAX_LIMIT), Some(offset)).unwrap_or_default(),
                )
                .await
                .map_err(store_err("cohort"))?;
            if page.items.iter().any(|m| m.user == user) {
                return Ok(true);
            }
            offset += u64::from(MAX_LIMIT);
            if offset >= page.total {
                return Ok(false);
            }
        }
    }

    /// Joins the caller to a competition of their cohort with a fresh portfolio funded
    /// with its starting cash. Joining twice returns the same portfolio.
    pub async fn join(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CompetitionId,
    ) -> Result<PortfolioRecord, AppError> {
        let user = trader(caller, tenant)?;
        let c = self.competition(caller, tenant, id).await?.competition;
        if !self.is_member(tenant, c.cohort, user).await? {
            return Err(AppError::Forbidden(
                "only learners of the competition's cohort can join",
            ));
        }
        if self.clock.now() >= c.ends_at {
            return Err(AppError::Conflict {
                code: "competition_finished",
                message: "the competition has ended",
            });
        }
        self.open(tenant, user, Some(c.id), c.starting_cash).await
    }

    /// The leaderboard, ranked by the competition's metric over its window.
    pub async fn leaderboard(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CompetitionId,
    ) -> Result<Vec<Standing>, AppError> {
        let c = self.competition(caller, tenant, id).await?.competition;
        let viewer = match &caller.actor {
            nexus_domain::access::Actor::User { user, .. } => Some(*user),
            _ => None,
        };
        let entrants = self
            .store
            .entrants(tenant, id)
            .await
            .map_err(store_err("competition"))?;
        let mut entries = Vec::with_capacity(entrants.len());
        let mut returns = std::collections::BTreeMap::new();
        for e in entrants {
            // Standings freeze at the end: later price moves do not count.
            let until = self.clock.now().min(c.ends_at);
            let (_, days) = self
                .rebuild(tenant, &e.portfolio, c.starts_at, until)
                .await?;
            let history = History::new(days).map_err(|err| {
                AppError::Internal(format!("rebuilt history is invalid: {err:?}").into())
            })?;
            let report = analytics::analyse(&history, None, Assumptions::default());
            let total_return = report.time_weighted_return.unwrap_or(0.0);
            returns.insert(e.portfolio.user, (e.portfolio.id, total_return));
            entries.push(Entry {
                participant: e.portfolio.user,
                opted_in: e.opted_in,
                display_name: Some(e.display_name),
                total_return,
                sharpe: report.sharpe,
            });
        }
        Ok(rank(entries, c.metric, viewer.as_ref())
            .into_iter()
            .map(|s| {
                let own = s.participant.and_then(|u| returns.get(&u).copied());
                Standing {
                    rank: s.rank,
                    portfolio: own.map(|(p, _)| p),
                    display_name: s.display_name,
                    score: s.score,
                    total_return: own.map(|(_, r)| r),
                    is_you: s.is_you,
                }
            })
            .collect())
    }
}
