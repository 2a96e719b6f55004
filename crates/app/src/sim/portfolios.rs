//! Portfolios: opening (funded through the ledger), valuation at current quotes, the
//! performance history, risk and return analytics, and "explain my portfolio".
//!
//! The history is rebuilt from the fills and the deterministic price path rather than
//! kept in a table: the prices of any past instant are reproducible, so replaying the
//! fills gives the exact equity at each session's close without a daily job.

use super::{SimService, commit, rollback, trader};
use crate::AppError;
use crate::audit::Caller;
use crate::learning::store_err;
use nexus_domain::sim::{CompetitionId, FillRecord, PortfolioId, PortfolioRecord};
use nexus_domain::{TenantId, UserId};
use nexus_store::StoreError;
use nexus_trading::account::Portfolio;
use nexus_trading::analytics::{self, Assumptions, DayPoint, History, IndexClose, Report};
use nexus_trading::composition::{self, Composition, Thresholds, Warning};
use nexus_trading::explain::{self, Insight};
use rust_decimal::Decimal;

/// Longest history rebuilt, in sessions (about two years).
const MAX_HISTORY_DAYS: u32 = 520;

/// A holding valued at the current quote.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionView {
    /// Instrument.
    pub symbol: String,
    /// Signed quantity.
    pub qty: Decimal,
    /// Total cost of the open quantity.
    pub cost_basis: Decimal,
    /// Last price.
    pub price: Option<Decimal>,
    /// Quantity × price (cost basis when there is no price).
    pub market_value: Decimal,
    /// Market value − cost basis.
    pub unrealized_pnl: Decimal,
}

/// A portfolio valued now.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioView {
    /// The stored portfolio.
    pub record: PortfolioRecord,
    /// Its positions.
    pub positions: Vec<PositionView>,
    /// Positions at market.
    pub market_value: Decimal,
    /// Cash + market value.
    pub equity: Decimal,
    /// Unrealized profit and loss.
    pub unrealized_pnl: Decimal,
    /// What new orders may still spend (before open-order reservations).
    pub buying_power: Decimal,
}

/// Equity at one session's close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPoint {
    /// Session number.
    pub day: u32,
    /// The session's date.
    pub date: time::Date,
    /// Cash + positions at the close (or now, for a session in progress).
    pub equity: Decimal,
    /// Cash at the close.
    pub cash: Decimal,
    /// Fees paid that session.
    pub fees: Decimal,
}

/// Analytics and their plain-language explanation.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Risk and return measures.
    pub report: Report,
    /// Weights and concentration, when the portfolio has positive equity.
    pub composition: Option<Composition>,
    /// Rule-based warnings.
    pub warnings: Vec<Warning>,
    /// "Explain my portfolio", ending with the disclaimer.
    pub insights: Vec<Insight>,
}

impl SimService {
    /// The learner's practice portfolio, opened and funded on first use.
    pub(super) async fn practice_portfolio(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<PortfolioRecord, AppError> {
        if let Some(p) = self.find(tenant, user, None).await? {
            self.remember_practice(tenant, user, p.id);
            return Ok(p);
        }
        let cash = self.settings_of(tenant).await?.starting_cash;
        let p = self.open(tenant, user, None, cash).await?;
        self.remember_practice(tenant, user, p.id);
        Ok(p)
    }

    /// The learner's practice portfolio ID, remembered after the first lookup (an
    /// order needs only the ID; its row is read under lock in the order's transaction).
    pub(super) async fn practice_id(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<PortfolioId, AppError> {
        if let Some(id) = self.cached_practice(tenant, user) {
            return Ok(id);
        }
        Ok(self.practice_portfolio(tenant, user).await?.id)
    }

    async fn find(
        &self,
        tenant: TenantId,
        user: UserId,
        competition: Option<CompetitionId>,
    ) -> Result<Option<PortfolioRecord>, AppError> {
        self.store
            .find_portfolio(tenant, user, competition)
            .await
            .map_err(store_err("portfolio"))
    }

    /// Opens a portfolio funded with `cash` (a balanced funding transaction). A
    /// concurrent first use opens one: the loser reads the winner's.
    pub(super) async fn open(
        &self,
        tenant: TenantId,
        user: UserId,
        competition: Option<CompetitionId>,
        cash: Decimal,
    ) -> Result<PortfolioRecord, AppError> {
        let now = self.now();
        let mut books = Portfolio::default();
        let postings = books.fund(cash);
        let record = PortfolioRecord {
            id: PortfolioId::generate(self.clock.as_ref()),
            user,
            competition,
            cash: books.cash,
            starting_cash: books.cash,
            realized_pnl: Decimal::ZERO,
            fees_paid: Decimal::ZERO,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.begin(tenant).await?;
        match self
            .store
            .create_portfolio(tx.as_mut(), tenant, &record)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                rollback(tx).await?;
                return self
                    .find(tenant, user, competition)
                    .await?
                    .ok_or(AppError::NotFound {
                        resource: "portfolio",
                    });
            }
            Err(e) => {
                rollback(tx).await?;
                return Err(AppError::from_store("portfolio", e));
            }
        }
        self.post(tx.as_mut(), tenant, record.id, &postings, None, now)
            .await?;
        commit(tx).await?;
        Ok(record)
    }

    /// The caller's portfolios: the practice one (opened on first use) and competition
    /// entries.
    pub async fn my_portfolios(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<PortfolioRecord>, AppError> {
        let user = trader(caller, tenant)?;
        self.practice_portfolio(tenant, user).await?;
        self.store
            .portfolios_of(tenant, user)
            .await
            .map_err(store_err("portfolio"))
    }

    /// A portfolio of the caller valued at current quotes.
    pub async fn portfolio(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: Option<PortfolioId>,
    ) -> Result<PortfolioView, AppError> {
        let record = self.own_portfolio(caller, tenant, id).await?;
        self.value(tenant, record).await
    }

    /// The portfolio row and its positions from one moment: the row is read again
    /// after the positions and the pair retried if an order changed it in between
    /// (otherwise the old cash could be shown with the new position).
    async fn consistent(
        &self,
        tenant: TenantId,
        mut record: PortfolioRecord,
    ) -> Result<(PortfolioRecord, Vec<nexus_domain::sim::PositionRecord>), AppError> {
        for _ in 0..3 {
            let positions = self
                .store
                .positions(tenant, record.id)
                .await
                .map_err(store_err("portfolio"))?;
            let again = self
                .store
                .portfolio(tenant, record.id)
                .await
                .map_err(store_err("portfolio"))?;
            if again.updated_at == record.updated_at {
                return Ok((record, positions));
            }
            record = again;
        }
        Err(AppError::Unavailable(
            "the portfolio kept changing while it was being valued; try again".into(),
        ))
    }

    pub(super) async fn value(
        &self,
        tenant: TenantId,
        record: PortfolioRecord,
    ) -> Result<PortfolioView, AppError> {
        let (record, positions) = self.consistent(tenant, record).await?;
        let now = self.clock.now();
        let settings = self.settings_of(tenant).await?;
        let books = super::books::books_of(&record, &positions);
        let prices = self.prices(books.positions.keys().cloned(), now);
        let valuation = books.valuation(&prices);
        let views = positions
            .into_iter()
            .map(|p| {
                let price = prices.get(p.symbol.as_str()).copied();
                let market_value = price.map_or(p.cost_basis, |x| (p.qty * x).round_dp(2));
                PositionView {
                    symbol: p.symbol.as_str().to_owned(),
                    qty: p.qty,
                    cost_basis: p.cost_basis,
                    price,
                    market_value,
                    unrealized_pnl: market_value - p.cost_basis,
                }
            })
            .collect();
        Ok(PortfolioView {
            buying_power: books.buying_power(&prices, &settings.rules),
            record,
            positions: views,
            market_value: valuation.market_value,
            equity: valuation.equity,
            unrealized_pnl: valuation.unrealized_pnl,
        })
    }

    /// Equity at each session's close since the portfolio opened (the session in
    /// progress valued now), at most about two years.
    pub async fn history(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: Option<PortfolioId>,
    ) -> Result<Vec<HistoryPoint>, AppError> {
        let record = self.own_portfolio(caller, tenant, id).await?;
        Ok(self
            .rebuild(tenant, &record, record.created_at, self.clock.now())
            .await?
            .0)
    }

    /// The history up to `until`, with the analytics' extra columns (flows, trading
    /// volume).
    ///
    /// The history starts at the session of `from` (the portfolio's opening, or a
    /// competition's start if the entrant joined early). The analytics' days begin with
    /// a point at the starting cash before that session's close, so the first
    /// session's gain or loss counts as a return.
    pub(super) async fn rebuild(
        &self,
        tenant: TenantId,
        record: &PortfolioRecord,
        from: time::OffsetDateTime,
        until: time::OffsetDateTime,
    ) -> Result<(Vec<HistoryPoint>, Vec<DayPoint>), AppError> {
        let fills = self
            .store
            .all_fills(tenant, record.id)
            .await
            .map_err(store_err("portfolio"))?;
        let now = until;
        let last = self.hub.current_day(now);
        let first = self
            .hub
            .current_day(from.max(record.created_at))
            .max(last.saturating_sub(MAX_HISTORY_DAYS));
        let mut books = Portfolio {
            cash: record.starting_cash,
            ..Portfolio::default()
        };
        let mut pending = fills.iter().peekable();
        let (mut points, mut days) = (Vec::new(), Vec::new());
        days.push(DayPoint {
            day: i64::from(first) - 1,
            equity: record.starting_cash,
            cash: record.starting_cash,
            net_flow: Decimal::ZERO,
            fees: Decimal::ZERO,
            traded: Decimal::ZERO,
        });
        for day in first..=last {
            let close = self.hub.session_close(day).map_or(now, |c| c.min(now));
            let (mut fees, mut traded) = (Decimal::ZERO, Decimal::ZERO);
            while let Some(f) = pending.next_if(|f: &&FillRecord| f.created_at <= close) {
                books.apply(f.symbol.as_str(), f.side, &f.fill);
                fees += f.fill.fee;
                traded += f.fill.gross;
            }
            let prices = self.prices(books.positions.keys().cloned(), close);
            let equity = books.valuation(&prices).equity.max(Decimal::ZERO);
            let date = nexus_market::Calendar::market_date(close);
            points.push(HistoryPoint {
                day,
                date,
                equity,
                cash: books.cash,
                fees,
            });
            days.push(DayPoint {
                day: i64::from(day),
                equity,
                cash: books.cash.max(Decimal::ZERO),
                net_flow: Decimal::ZERO,
                fees,
                traded,
            });
        }
        Ok((points, days))
    }

    /// Risk and return measures, warnings and "explain my portfolio".
    pub async fn analysis(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: Option<PortfolioId>,
    ) -> Result<Analysis, AppError> {
        let record = self.own_portfolio(caller, tenant, id).await?;
        self.analyse(tenant, record).await
    }

    pub(super) async fn analyse(
        &self,
        tenant: TenantId,
        record: PortfolioRecord,
    ) -> Result<Analysis, AppError> {
        let (_, days) = self
            .rebuild(tenant, &record, record.created_at, self.clock.now())
            .await?;
        let history = History::new(days.clone())
            .map_err(|e| AppError::Internal(format!("rebuilt history is invalid: {e:?}").into()))?;
        let index = self.index_closes(&days);
        let report = analytics::analyse(&history, Some(&index), Assumptions::default());
        let view = self.value(tenant, record).await?;
        let holdings = composition::Holdings {
            cash: view.record.cash.max(Decimal::ZERO),
            // Composition describes what is owned: short positions are left out.
            positions: view
                .positions
                .iter()
                .filter(|p| p.market_value > Decimal::ZERO)
                .filter_map(|p| {
                    let inst = self.hub.instrument(&p.symbol)?;
                    Some(composition::Position {
                        symbol: p.symbol.clone(),
                        class: composition::AssetClass::parse(inst.class.as_str())?,
                        sector: sector_of(inst),
                        market_value: p.market_value,
                    })
                })
                .collect(),
        };
        let composition = composition::compose(&holdings);
        let warnings = composition.as_ref().map_or_else(Vec::new, |c| {
            composition::warnings(c, &history, &report, &Thresholds::default())
        });
        let insights = explain::explain(&report, composition.as_ref(), &warnings);
        Ok(Analysis {
            report,
            composition,
            warnings,
            insights,
        })
    }

    /// The index fund's close on each history day.
    fn index_closes(&self, days: &[DayPoint]) -> Vec<IndexClose> {
        let now = self.clock.now();
        let index = self.hub.index_symbol().to_owned();
        days.iter()
            .filter_map(|d| {
                let day = u32::try_from(d.day).ok()?;
                let at = self.hub.session_close(day).map_or(now, |c| c.min(now));
                Some(IndexClose {
                    day: d.day,
                    close: self.hub.quote(&index, at)?.last,
                })
            })
            .collect()
    }
}

/// A single company's sector, for the concentration rules; funds and crypto have none.
fn sector_of(inst: &nexus_market::instruments::Instrument) -> Option<String> {
    use nexus_market::instruments::AssetClass;
    (inst.class == AssetClass::Stock).then(|| inst.industry.as_str().to_owned())
}
