//! The demo tenant's simulator: the demo learner's funded practice portfolio, and a
//! running class competition ("Demo Cup", 30 days from the first start) that the
//! learner has joined.

use super::SimService;
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::learning::enrolment::CohortId;
use nexus_domain::sim::{CompetitionDraft, PortfolioRecord};
use nexus_domain::{TenantId, UserId};
use rust_decimal::Decimal;

/// How long the demo competition runs from the first start.
const DEMO_DAYS: i64 = 30;

impl SimService {
    /// Opens `learner`'s practice portfolio and creates the demo competition for
    /// `cohort` with `learner` entered. Run by the system at first start.
    pub async fn seed_demo(
        &self,
        tenant: TenantId,
        learner: UserId,
        cohort: CohortId,
    ) -> Result<(PortfolioRecord, PortfolioRecord), AppError> {
        let practice = self.practice_portfolio(tenant, learner).await?;
        let now = self.now();
        let draft = CompetitionDraft::parse(
            cohort,
            "Demo Cup",
            now,
            now + time::Duration::days(DEMO_DAYS),
            Decimal::new(10_000, 0),
            &[],
            "return",
        )?;
        let competition = self
            .create_competition(&Caller::system(), tenant, draft)
            .await?;
        let entry = self
            .open(
                tenant,
                learner,
                Some(competition.competition.id),
                competition.competition.starting_cash,
            )
            .await?;
        Ok((practice, entry))
    }
}
