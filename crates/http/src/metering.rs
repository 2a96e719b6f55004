//! Metering one request at the gateway: who called, which route, what came of it.
//!
//! A [`Metering`] guard is made once the tenant and caller are known and records the
//! request exactly once: with its status when a response leaves, or, if the request
//! future is dropped first (the timeout layer fired, the client went away, a handler
//! panicked), on drop, as 503 when the request ran out its deadline and 499 otherwise.
//! Only API-key requests that did not fail on our side are charged units: sessions are
//! the product's own UI, paid for by seats, and anonymous requests could name any tenant.

use crate::ratelimit::{Checked, Verified};
use nexus_app::usage::{Meter, Metered, QuotaExhausted};
use nexus_domain::TenantId;
use nexus_domain::tenancy::Plan;
use nexus_domain::usage::Caller;
use std::time::{Duration, Instant};

/// Records one request when finished or dropped.
pub(crate) struct Metering<'a> {
    /// Borrowed from the app's state for the request's life (no shared reference count
    /// to bump and drop on every request).
    meter: &'a Meter,
    tenant: TenantId,
    plan: Plan,
    caller: Caller,
    route: String,
    started: Instant,
    deadline: Duration,
    cost: u64,
    reserved: u64,
    recorded: bool,
}

impl<'a> Metering<'a> {
    /// A guard for a request to `checked`'s tenant; `None` when no tenant was found
    /// (counted as unattributed: there is no one to report it to).
    pub(crate) fn start(
        meter: &'a Meter,
        checked: Option<&Checked>,
        route: String,
        started: Instant,
        deadline: Duration,
        cost: u32,
    ) -> Option<Self> {
        let Some(c) = checked else {
            metrics::counter!("nexus_usage_unattributed_total").increment(1);
            return None;
        };
        let caller = match &c.verified {
            Some(Verified::Key(k)) => Caller::Key(k.key.id),
            Some(Verified::Session(_)) => Caller::Session,
            None => Caller::Anonymous,
        };
        Some(Self {
            meter,
            tenant: c.tenant.id,
            plan: c.tenant.plan,
            caller,
            route,
            started,
            deadline,
            cost: u64::from(cost),
            reserved: 0,
            recorded: false,
        })
    }

    /// Checks the monthly quota for a chargeable request, reserving its units.
    pub(crate) async fn admit(&mut self) -> Result<(), QuotaExhausted> {
        if !matches!(self.caller, Caller::Key(_)) {
            return Ok(());
        }
        self.meter
            .check_quota(self.tenant, self.plan, self.cost)
            .await?;
        self.reserved = self.cost;
        Ok(())
    }

    /// Records a response we sent; `served` is false for a refusal (429, 503 from the
    /// limiter), which is counted but never charged.
    pub(crate) fn finish(mut self, status: u16, served: bool) {
        let charged = served && status < 500 && matches!(self.caller, Caller::Key(_));
        self.record(status, charged);
    }

    fn record(&mut self, status: u16, charged: bool) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        if matches!(self.caller, Caller::Key(_)) {
            self.meter.count_api_call(self.plan);
        }
        self.meter.record(Metered {
            tenant: self.tenant,
            caller: self.caller,
            route: std::mem::take(&mut self.route),
            status,
            micros: u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX),
            units: if charged { self.cost } else { 0 },
            reserved: self.reserved,
        });
    }
}

impl Drop for Metering<'_> {
    fn drop(&mut self) {
        // The timeout layer answers 503 `request_timeout`; anything else that drops a
        // request is the client leaving (nginx's 499) or a panic, answered elsewhere.
        let status = if self.started.elapsed() >= self.deadline {
            503
        } else {
            499
        };
        self.record(status, false);
    }
}
