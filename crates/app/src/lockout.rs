//! Ending login locks, as security events: a lock that ran out is recorded when the
//! account next signs in; an administrator can end one early.
//!
//! Locks themselves are set in [`crate::auth`] (passwords) and [`crate::mfa`] (second
//! factors); both record the lock when it starts.

use crate::AppError;
use crate::audit::{Caller, Record};
use crate::auth::AuthService;
use nexus_domain::access::Permission;
use nexus_domain::{TenantId, UserId};
use serde_json::json;

impl AuthService {
    /// Clears a throttle key after a success (in the caller's transaction, which also
    /// carries the success) and, if it had been locked, records that the lock is over.
    pub(crate) async fn clear_after_success(
        &self,
        tx: &mut dyn nexus_store::Tx,
        caller: &Caller,
        tenant: TenantId,
        key: &str,
        scope: &'static str,
        target: &str,
    ) -> Result<(), AppError> {
        let was_locked = self
            .throttles
            .reset(&mut *tx, tenant, key)
            .await
            .map_err(|e| AppError::from_store("throttle", e))?;
        if was_locked {
            tracing::info!(tenant_id = %tenant, scope, "login lock over; signed in again");
            let r = Record {
                tenant: Some(tenant),
                action: "auth.unlocked",
                target: target.to_owned(),
                diff: Some(json!({ "scope": scope, "reason": "expired" })),
            };
            self.audit.record_in(tx, caller, r).await?;
        }
        Ok(())
    }

    /// Ends every password lock on a user's login (for the account and for each IP) and
    /// their second-factor lock. Needs `user:write`. Audited with how many locks (active
    /// or already run out) were cleared.
    pub async fn unlock(
        &self,
        caller: &Caller,
        tenant: TenantId,
        user: UserId,
    ) -> Result<u64, AppError> {
        caller.require(tenant, Permission::UserWrite)?;
        let account = self
            .users
            .get(tenant, user)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        let login = account.email.as_str();
        let store = |e| AppError::from_store("throttle", e);
        let mut tx = self.begin(tenant).await?;
        let mut cleared = u64::from(
            self.throttles
                .reset(tx.as_mut(), tenant, &format!("acct:{login}"))
                .await
                .map_err(store)?,
        );
        cleared += self
            .throttles
            .reset_prefix(tx.as_mut(), tenant, &format!("acct_ip:{login}|"))
            .await
            .map_err(store)?;
        cleared += u64::from(
            self.throttles
                .reset(tx.as_mut(), tenant, &format!("mfa:{user}"))
                .await
                .map_err(store)?,
        );
        tracing::warn!(tenant_id = %tenant, user_id = %user, cleared, "login locks cleared by an administrator");
        let r = Record {
            tenant: Some(tenant),
            action: "auth.unlocked",
            target: format!("user:{user}"),
            diff: Some(json!({ "reason": "admin", "locks_cleared": cleared })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        crate::auth::commit(tx).await?;
        Ok(cleared)
    }
}
