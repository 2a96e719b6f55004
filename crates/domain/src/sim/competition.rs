//! Class competitions: a cohort trades fresh portfolios over a window and is ranked.

use super::{CompetitionId, Symbol};
use crate::learning::enrolment::CohortId;
use crate::validation::FieldErrors;
pub use nexus_trading::competition::Metric;
use rust_decimal::Decimal;
use time::OffsetDateTime;

/// A competition.
#[derive(Debug, Clone, PartialEq)]
pub struct Competition {
    /// Identity.
    pub id: CompetitionId,
    /// The class competing.
    pub cohort: CohortId,
    /// Title.
    pub name: String,
    /// Trading opens.
    pub starts_at: OffsetDateTime,
    /// Trading closes and the ranking is final.
    pub ends_at: OffsetDateTime,
    /// Every entrant's starting cash.
    pub starting_cash: Decimal,
    /// Tradeable instruments; empty means all.
    pub allowed_symbols: Vec<Symbol>,
    /// Ranking metric.
    pub metric: Metric,
    /// Created.
    pub created_at: OffsetDateTime,
}

impl Competition {
    /// Whether orders may be placed at `now`.
    pub fn is_running(&self, now: OffsetDateTime) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
    /// Whether `symbol` may be traded in it.
    pub fn allows(&self, symbol: &Symbol) -> bool {
        self.allowed_symbols.is_empty() || self.allowed_symbols.contains(symbol)
    }
}

/// A validated request to create a competition.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetitionDraft {
    /// The class.
    pub cohort: CohortId,
    /// Title.
    pub name: String,
    /// Opens.
    pub starts_at: OffsetDateTime,
    /// Closes.
    pub ends_at: OffsetDateTime,
    /// Starting cash.
    pub starting_cash: Decimal,
    /// Allowed instruments (empty: all).
    pub allowed_symbols: Vec<Symbol>,
    /// Ranking metric.
    pub metric: Metric,
}

impl CompetitionDraft {
    /// Checks the fields, reporting every problem at once. Whether the symbols are listed
    /// is checked by the caller against the market.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        cohort: CohortId,
        name: &str,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
        starting_cash: Decimal,
        symbols: &[String],
        metric: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push("name", "invalid_length", "must be 1 to 120 characters");
        }
        if ends_at <= starts_at {
            errors.push("ends_at", "before_start", "must be after starts_at");
        }
        if starting_cash <= Decimal::ZERO || starting_cash > Decimal::new(1_000_000_000, 0) {
            errors.push(
                "starting_cash",
                "out_of_range",
                "must be more than 0 and at most 1,000,000,000",
            );
        } else if starting_cash.scale() > 2 {
            errors.push("starting_cash", "too_precise", "at most 2 decimal places");
        }
        let mut allowed = Vec::new();
        for (i, raw) in symbols.iter().enumerate() {
            if let Some(s) = errors.check(&format!("allowed_symbols[{i}]"), Symbol::parse(raw))
                && !allowed.contains(&s)
            {
                allowed.push(s);
            }
        }
        let metric = Metric::parse(metric).ok();
        if metric.is_none() {
            errors.push("metric", "invalid_metric", "must be return or sharpe");
        }
        errors.finish(|| {
            Some(Self {
                cohort,
                name: name.to_owned(),
                starts_at,
                ends_at,
                starting_cash,
                allowed_symbols: allowed,
                metric: metric?,
            })
        })
    }
}
