//! Market data for learners: the instrument list, quotes, daily and intraday bars,
//! scenario presets for lessons, and OHLCV data an admin imported from CSV.

use super::{SimService, commit};
use crate::AppError;
use crate::audit::{Caller, Record};
use crate::learning::store_err;
use nexus_domain::TenantId;
use nexus_domain::access::Permission;
use nexus_domain::sim::{ImportedBar, Symbol};
use nexus_domain::validation::FieldErrors;
use nexus_market::instruments::Instrument;
use nexus_market::scenario::Scenario;
use nexus_market::{Quote, TimedBar};
use nexus_store::ImportSummary;
use serde_json::json;

/// Longest bar window served at once, in sessions.
pub const MAX_BAR_DAYS: u32 = 520;

/// An instrument with its current quote.
#[derive(Debug, Clone)]
pub struct InstrumentView {
    /// The instrument.
    pub instrument: Instrument,
    /// Its quote now (`None` before the market's first session).
    pub quote: Option<Quote>,
}

/// A scenario preset with its series for one instrument.
#[derive(Debug, Clone)]
pub struct ScenarioView {
    /// The preset.
    pub scenario: Scenario,
    /// Daily bars of the whole scenario for the instrument asked about (none in lists).
    pub bars: Option<std::sync::Arc<Vec<nexus_market::Bar>>>,
}

impl SimService {
    fn reader(caller: &Caller, tenant: TenantId) -> Result<(), AppError> {
        if caller.actor.can(tenant, Permission::SimTrade) {
            Ok(())
        } else {
            caller.require(tenant, Permission::SimAdmin)
        }
    }

    fn known(&self, raw: &str) -> Result<Symbol, AppError> {
        let symbol = Symbol::parse(raw).map_err(|e| AppError::invalid_field("symbol", e))?;
        if self.hub.instrument(symbol.as_str()).is_none() {
            return Err(AppError::NotFound {
                resource: "instrument",
            });
        }
        Ok(symbol)
    }

    /// `symbol`'s day number at `now`: today's, or its last session's on a day it does
    /// not trade.
    fn today(&self, symbol: &Symbol, now: time::OffsetDateTime) -> Result<u32, AppError> {
        let class = self
            .hub
            .instrument(symbol.as_str())
            .map(|i| i.class)
            .ok_or(AppError::NotFound {
                resource: "instrument",
            })?;
        Ok(self
            .hub
            .calendar()
            .day_index(class, nexus_market::Calendar::market_date(now))
            .unwrap_or_else(|| self.hub.current_day(now)))
    }

    /// Every instrument with its quote now.
    pub fn instruments(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<InstrumentView>, AppError> {
        Self::reader(caller, tenant)?;
        let now = self.clock.now();
        Ok(self
            .hub
            .instruments()
            .iter()
            .map(|i| InstrumentView {
                quote: self.hub.quote(&i.symbol, now),
                instrument: i.clone(),
            })
            .collect())
    }

    /// One instrument with its quote now.
    pub fn instrument(
        &self,
        caller: &Caller,
        tenant: TenantId,
        symbol: &str,
    ) -> Result<InstrumentView, AppError> {
        Self::reader(caller, tenant)?;
        let symbol = self.known(symbol)?;
        let instrument =
            self.hub
                .instrument(symbol.as_str())
                .cloned()
                .ok_or(AppError::NotFound {
                    resource: "instrument",
                })?;
        Ok(InstrumentView {
            quote: self.hub.quote(symbol.as_str(), self.clock.now()),
            instrument,
        })
    }

    /// The quote at `at` (for the SSE stream's resume), or now.
    pub fn quote_at(&self, symbol: &str, at: time::OffsetDateTime) -> Option<Quote> {
        self.hub.quote(symbol, at)
    }

    /// Daily bars of the last `days` sessions up to now.
    pub fn daily_bars(
        &self,
        caller: &Caller,
        tenant: TenantId,
        symbol: &str,
        days: u32,
    ) -> Result<Vec<TimedBar>, AppError> {
        Self::reader(caller, tenant)?;
        let symbol = self.known(symbol)?;
        if days == 0 || days > MAX_BAR_DAYS {
            return Err(AppError::invalid_field(
                "days",
                nexus_domain::validation::invalid(
                    "out_of_range",
                    format!("must be between 1 and {MAX_BAR_DAYS}"),
                ),
            ));
        }
        let now = self.clock.now();
        let today = self.today(&symbol, now)?;
        Ok(self
            .hub
            .daily_bars(symbol.as_str(), today.saturating_sub(days - 1), today, now))
    }

    /// The 5-minute bars of the current (or last) session so far.
    pub fn intraday_bars(
        &self,
        caller: &Caller,
        tenant: TenantId,
        symbol: &str,
    ) -> Result<Vec<TimedBar>, AppError> {
        Self::reader(caller, tenant)?;
        let symbol = self.known(symbol)?;
        let now = self.clock.now();
        let day = self.today(&symbol, now)?;
        Ok(self.hub.intraday_bars(symbol.as_str(), day, now))
    }

    /// The scenario presets for lessons.
    pub fn scenarios(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<ScenarioView>, AppError> {
        Self::reader(caller, tenant)?;
        Ok(Scenario::ALL
            .into_iter()
            .map(|scenario| ScenarioView {
                scenario,
                bars: None,
            })
            .collect())
    }

    /// One scenario's daily series for `symbol`: the same on every machine.
    pub fn scenario(
        &self,
        caller: &Caller,
        tenant: TenantId,
        name: &str,
        symbol: &str,
    ) -> Result<ScenarioView, AppError> {
        Self::reader(caller, tenant)?;
        let scenario = Scenario::parse(name).ok_or(AppError::NotFound {
            resource: "scenario",
        })?;
        let symbol = self.known(symbol)?;
        let bars = self
            .hub
            .scenario(scenario, symbol.as_str())
            .ok_or(AppError::NotFound {
                resource: "instrument",
            })?;
        Ok(ScenarioView {
            scenario,
            bars: Some(bars),
        })
    }

    /// Replaces the tenant's imported history for `symbol` with the CSV `text`. Every
    /// bad line is reported with its number and nothing is stored unless all are good.
    /// Needs `sim:admin`; audited.
    pub async fn import_csv(
        &self,
        caller: &Caller,
        tenant: TenantId,
        symbol: &str,
        text: &str,
    ) -> Result<ImportSummary, AppError> {
        caller.require(tenant, Permission::SimAdmin)?;
        let symbol = Symbol::parse(symbol).map_err(|e| AppError::invalid_field("symbol", e))?;
        let bars = nexus_market::csv::parse_ohlcv(text).map_err(|errors| {
            let mut out = FieldErrors::new();
            for e in errors {
                out.push(format!("line {}", e.line), "invalid_row", e.message);
            }
            AppError::Validation(out)
        })?;
        let rows: Vec<ImportedBar> = bars
            .iter()
            .map(|b| ImportedBar {
                day: b.date,
                open: b.bar.open,
                high: b.bar.high,
                low: b.bar.low,
                close: b.bar.close,
                volume: i64::try_from(b.bar.volume).unwrap_or(i64::MAX),
            })
            .collect();
        let mut tx = self.begin(tenant).await?;
        self.store
            .replace_import(tx.as_mut(), tenant, &symbol, &rows, self.now())
            .await
            .map_err(store_err("tenant"))?;
        self.audit
            .record_in(
                tx.as_mut(),
                caller,
                Record {
                    tenant: Some(tenant),
                    action: "sim.import",
                    target: format!("symbol:{symbol}"),
                    diff: Some(json!({ "after": { "bars": rows.len() } })),
                },
            )
            .await?;
        commit(tx).await?;
        Ok(ImportSummary {
            bars: u64::try_from(rows.len()).unwrap_or(u64::MAX),
            first: rows.first().map_or(time::Date::MIN, |b| b.day),
            last: rows.last().map_or(time::Date::MIN, |b| b.day),
            symbol,
        })
    }

    /// What the tenant imported, by symbol.
    pub async fn imports(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<ImportSummary>, AppError> {
        Self::reader(caller, tenant)?;
        self.store
            .imports(tenant)
            .await
            .map_err(store_err("tenant"))
    }

    /// The tenant's imported bars for `symbol`.
    pub async fn imported_bars(
        &self,
        caller: &Caller,
        tenant: TenantId,
        symbol: &str,
    ) -> Result<Vec<ImportedBar>, AppError> {
        Self::reader(caller, tenant)?;
        let symbol = Symbol::parse(symbol).map_err(|e| AppError::invalid_field("symbol", e))?;
        let bars = self
            .store
            .imported_bars(tenant, &symbol)
            .await
            .map_err(store_err("tenant"))?;
        if bars.is_empty() {
            return Err(AppError::NotFound { resource: "import" });
        }
        Ok(bars)
    }
}
