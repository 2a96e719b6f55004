//! The tenant's simulator settings: starting cash, realism preset, and the rules for
//! short selling, margin, the pattern-day-trader example and extended hours. Off by
//! default (a cash account, long only); changing them takes `sim:admin` and is audited.

use super::{SimService, commit};
use crate::AppError;
use crate::audit::{Caller, Record};
use crate::learning::store_err;
use nexus_domain::TenantId;
use nexus_domain::access::Permission;
use nexus_domain::sim::SimSettings;
use nexus_domain::validation::FieldErrors;
use nexus_trading::realism::Realism;
use nexus_trading::rules::Rules;
use rust_decimal::Decimal;
use serde_json::json;

/// Settings as typed by an admin.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    /// Starting cash of new practice portfolios.
    pub starting_cash: Decimal,
    /// `frictionless`, `standard` or `realistic`.
    pub realism: String,
    /// The rules.
    pub rules: Rules,
}

fn view(s: &SimSettings) -> serde_json::Value {
    json!({
        "starting_cash": s.starting_cash.to_string(),
        "realism": s.realism.as_str(),
        "allow_short": s.rules.allow_short,
        "margin": s.rules.margin,
        "pattern_day_trader": s.rules.pattern_day_trader,
        "allow_extended_hours": s.rules.allow_extended_hours,
    })
}

impl SimService {
    /// The tenant's settings, or the defaults.
    /// Cached for a few seconds (see `SETTINGS_TTL`): every order needs them.
    pub(super) async fn settings_of(&self, tenant: TenantId) -> Result<SimSettings, AppError> {
        if let Some(s) = self.cached_settings(tenant) {
            return Ok(s);
        }
        let settings = self
            .store
            .settings(tenant)
            .await
            .map_err(store_err("tenant"))?
            .unwrap_or_default();
        self.remember_settings(tenant, &settings);
        Ok(settings)
    }

    /// The settings, for anyone who may trade or administer the simulator.
    pub async fn settings(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<SimSettings, AppError> {
        if !caller.actor.can(tenant, Permission::SimTrade) {
            caller.require(tenant, Permission::SimAdmin)?;
        }
        self.settings_of(tenant).await
    }

    /// Saves new settings. They apply to orders placed from now on and to portfolios
    /// opened from now on (existing portfolios keep their cash). Audited with before
    /// and after.
    pub async fn put_settings(
        &self,
        caller: &Caller,
        tenant: TenantId,
        input: SettingsInput,
    ) -> Result<SimSettings, AppError> {
        caller.require(tenant, Permission::SimAdmin)?;
        let mut errors = FieldErrors::new();
        if input.starting_cash <= Decimal::ZERO
            || input.starting_cash > Decimal::new(1_000_000_000, 0)
        {
            errors.push(
                "starting_cash",
                "out_of_range",
                "must be more than 0 and at most 1,000,000,000",
            );
        } else if input.starting_cash.normalize().scale() > 2 {
            errors.push("starting_cash", "too_precise", "at most 2 decimal places");
        }
        let realism = Realism::parse(&input.realism);
        if realism.is_none() {
            errors.push(
                "realism",
                "invalid_realism",
                "must be frictionless, standard or realistic",
            );
        }
        let Some(realism) = realism.filter(|_| errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let after = SimSettings {
            starting_cash: input.starting_cash,
            realism,
            rules: input.rules,
        };
        // Straight from the store, not the cache: the audit records what was stored.
        let before = self
            .store
            .settings(tenant)
            .await
            .map_err(store_err("tenant"))?
            .unwrap_or_default();
        let mut tx = self.begin(tenant).await?;
        self.store
            .put_settings(tx.as_mut(), tenant, &after, self.now())
            .await
            .map_err(store_err("tenant"))?;
        self.audit
            .record_in(
                tx.as_mut(),
                caller,
                Record {
                    tenant: Some(tenant),
                    action: "sim.settings.update",
                    target: format!("tenant:{tenant}"),
                    diff: Some(json!({ "before": view(&before), "after": view(&after) })),
                },
            )
            .await?;
        commit(tx).await?;
        self.remember_settings(tenant, &after);
        Ok(after)
    }
}
