//! SQLite custom roles and grants; every statement filters by `tenant_id`.

use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::access::{CustomRole, CustomRoleId, Permission};
use nexus_domain::{TenantId, UserId};
use nexus_store::{RoleStore, StoreError, Tx, downcast};
use sqlx::{Row, SqlitePool};
use std::collections::BTreeSet;
use time::OffsetDateTime;

pub(crate) struct SqliteRoles {
    pub(crate) pool: SqlitePool,
}

fn err(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| map_err(context, e)
}

fn perms_json(p: &BTreeSet<Permission>) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "[]".into())
}

fn decode(row: &sqlx::sqlite::SqliteRow) -> Result<CustomRole, StoreError> {
    let parse = || -> Result<CustomRole, Box<dyn std::error::Error + Send + Sync>> {
        Ok(CustomRole {
            id: CustomRoleId::from_uuid(row.try_get("tenant_role_id")?),
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            permissions: serde_json::from_str(row.try_get("permissions")?)?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a role", e))
}

#[async_trait]
impl RoleStore for SqliteRoles {
    async fn create(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        r: &CustomRole,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into tenant_role (tenant_id, tenant_role_id, name, description, permissions, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )
        .bind(tenant.as_uuid())
        .bind(r.id.as_uuid())
        .bind(&r.name)
        .bind(&r.description)
        .bind(perms_json(&r.permissions))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(err("creating a role"))?;
        Ok(())
    }

    async fn update(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        r: &CustomRole,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let n = sqlx::query(
            "update tenant_role set name = ?3, description = ?4, permissions = ?5, updated_at = ?6 \
             where tenant_id = ?1 and tenant_role_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(r.id.as_uuid())
        .bind(&r.name)
        .bind(&r.description)
        .bind(perms_json(&r.permissions))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(err("updating a role"))?
        .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn delete(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CustomRoleId,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query("delete from user_role where tenant_id = ?1 and role = ?2")
            .bind(tenant.as_uuid())
            .bind(format!("custom:{id}"))
            .execute(&mut *tx)
            .await
            .map_err(err("deleting a role"))?;
        let n = sqlx::query("delete from tenant_role where tenant_id = ?1 and tenant_role_id = ?2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(err("deleting a role"))?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get(&self, tenant: TenantId, id: CustomRoleId) -> Result<CustomRole, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let row = sqlx::query("select tenant_role_id, name, description, permissions from tenant_role where tenant_id = ?1 and tenant_role_id = ?2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .map_err(err("loading a role"))?;
        tx.commit().await.map_err(err("loading a role"))?;
        decode(&row)
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<CustomRole>, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let rows = sqlx::query("select tenant_role_id, name, description, permissions from tenant_role where tenant_id = ?1 order by name")
            .bind(tenant.as_uuid())
            .fetch_all(&mut *tx)
            .await
            .map_err(err("listing roles"))?;
        tx.commit().await.map_err(err("listing roles"))?;
        rows.iter().map(decode).collect()
    }

    async fn set_grants(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        roles: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query("delete from user_role where tenant_id = ?1 and app_user_id = ?2")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(err("granting roles"))?;
        for role in roles {
            sqlx::query("insert into user_role (tenant_id, app_user_id, role, granted_at) values (?1, ?2, ?3, ?4) on conflict do nothing")
                .bind(tenant.as_uuid())
                .bind(user.as_uuid())
                .bind(role)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(err("granting roles"))?;
        }
        Ok(())
    }

    async fn grants(&self, tenant: TenantId, user: UserId) -> Result<Vec<String>, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let roles = sqlx::query_scalar(
            "select role from user_role where tenant_id = ?1 and app_user_id = ?2 order by role",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(err("reading grants"))?;
        tx.commit().await.map_err(err("reading grants"))?;
        Ok(roles)
    }

    async fn holders(&self, tenant: TenantId, key: &str) -> Result<Vec<UserId>, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let users: Vec<uuid::Uuid> = sqlx::query_scalar(
            "select app_user_id from user_role where tenant_id = ?1 and role = ?2 order by app_user_id",
        )
        .bind(tenant.as_uuid())
        .bind(key)
        .fetch_all(&mut *tx)
        .await
        .map_err(err("reading role holders"))?;
        tx.commit().await.map_err(err("reading role holders"))?;
        Ok(users.into_iter().map(UserId::from_uuid).collect())
    }
}
