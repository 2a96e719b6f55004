//! SQLite webhook endpoints, messages and the delivery log. Times are Unix
//! microseconds; every statement filters by `tenant_id` (the whole of tenant isolation
//! on this backend). Deletes rely on the foreign keys' cascades (enforced: the pool
//! turns `foreign_keys` on).

use crate::jobs::{micros, opt_time, time_of};
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::webhook::{
    Attempt, Endpoint, EndpointUrl, EventType, Message, MessageId, MessageQuery, MessageStatus,
    WebhookId, WebhookSecret,
};
use nexus_domain::{TenantId, UserId};
use nexus_store::webhook::{events_from, events_text};
use nexus_store::{StoreError, Tx, WebhookStore, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteWebhooks {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const ENDPOINT: &str = "select webhook_id, url, events, description, secret, disabled_at, \
     disabled_reason, failed_messages, created_at, updated_at from webhook_endpoint";

const MESSAGE: &str = "select message_id, webhook_id, event, body, subject_user_id, status, \
     attempts, total_attempts, created_at, next_attempt_at, delivered_at from webhook_message";

/// Matches a message against [`MessageQuery`]'s optional filters (`?1` the tenant).
const MESSAGE_FILTER: &str = "where tenant_id = ?1 and (?2 is null or webhook_id = ?2) \
     and (?3 is null or status = ?3) and (?4 is null or event = ?4)";

type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn count(row: &SqliteRow, column: &str) -> Decode<u32> {
    Ok(u32::try_from(row.try_get::<i64, _>(column)?)?)
}

fn into_endpoint(row: &SqliteRow) -> Result<Endpoint, StoreError> {
    let parse = || -> Decode<Endpoint> {
        let url: String = row.try_get("url")?;
        let secret: String = row.try_get("secret")?;
        Ok(Endpoint {
            id: WebhookId::from_uuid(row.try_get("webhook_id")?),
            url: EndpointUrl::from_stored(&url).ok_or("stored URL does not parse")?,
            events: events_from(&row.try_get::<String, _>("events")?)?,
            description: row.try_get("description")?,
            secret: WebhookSecret::parse(&secret).ok_or("stored secret does not parse")?,
            disabled_at: opt_time(row, "disabled_at")?,
            disabled_reason: row.try_get("disabled_reason")?,
            failed_messages: count(row, "failed_messages")?,
            created_at: time_of(row.try_get("created_at")?)?,
            updated_at: time_of(row.try_get("updated_at")?)?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a webhook endpoint", e))
}

fn into_message(row: &SqliteRow) -> Result<Message, StoreError> {
    let parse = || -> Decode<Message> {
        let event: String = row.try_get("event")?;
        let status: String = row.try_get("status")?;
        Ok(Message {
            id: MessageId::from_uuid(row.try_get("message_id")?),
            endpoint: WebhookId::from_uuid(row.try_get("webhook_id")?),
            event: EventType::parse(&event).ok_or_else(|| format!("unknown event {event}"))?,
            body: row.try_get("body")?,
            subject: row
                .try_get::<Option<uuid::Uuid>, _>("subject_user_id")?
                .map(UserId::from_uuid),
            status: MessageStatus::parse(&status)
                .ok_or_else(|| format!("unknown status {status}"))?,
            attempts: count(row, "attempts")?,
            total_attempts: count(row, "total_attempts")?,
            created_at: time_of(row.try_get("created_at")?)?,
            next_attempt_at: opt_time(row, "next_attempt_at")?,
            delivered_at: opt_time(row, "delivered_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a webhook message", e))
}

fn into_attempt(row: &SqliteRow) -> Result<Attempt, StoreError> {
    let parse = || -> Decode<Attempt> {
        Ok(Attempt {
            message: MessageId::from_uuid(row.try_get("message_id")?),
            seq: count(row, "seq")?,
            at: time_of(row.try_get("attempted_at")?)?,
            status_code: row
                .try_get::<Option<i64>, _>("status_code")?
                .map(u16::try_from)
                .transpose()?,
            error: row.try_get("error")?,
            duration_ms: count(row, "duration_ms")?,
            response: row.try_get("response")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a webhook attempt", e))
}

#[async_trait]
impl WebhookStore for SqliteWebhooks {
    async fn create_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        e: &Endpoint,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into webhook_endpoint (tenant_id, webhook_id, url, events, description, \
             secret, disabled_at, disabled_reason, failed_messages, created_at, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(tenant.as_uuid())
        .bind(e.id.as_uuid())
        .bind(e.url.as_str())
        .bind(events_text(&e.events))
        .bind(&e.description)
        .bind(e.secret.expose())
        .bind(e.disabled_at.map(micros))
        .bind(&e.disabled_reason)
        .bind(i64::from(e.failed_messages))
        .bind(micros(e.created_at))
        .bind(micros(e.updated_at))
        .execute(conn)
        .await
        .map_err(|e| crate::course::parent_missing("creating a webhook endpoint", e))?;
        Ok(())
    }

    async fn endpoint(&self, tenant: TenantId, id: WebhookId) -> Result<Endpoint, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{ENDPOINT} where tenant_id = ?1 and webhook_id = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("reading a webhook endpoint", e))?;
        row.as_ref()
            .map(into_endpoint)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn endpoints(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Endpoint>, StoreError> {
        let (limit, offset) = crate::sim::limit_offset(page);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{ENDPOINT} where tenant_id = ?1 order by created_at desc, webhook_id desc \
             limit ?2 offset ?3"
        )))
        .bind(tenant.as_uuid())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing webhook endpoints", e))?;
        let total: i64 =
            sqlx::query_scalar("select count(*) from webhook_endpoint where tenant_id = ?1")
                .bind(tenant.as_uuid())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| map_err("counting webhook endpoints", e))?;
        Ok(Page {
            items: rows.iter().map(into_endpoint).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: page.limit(),
            offset: page.offset(),
        })
    }

    async fn lock_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Endpoint, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        // A no-op write takes SQLite's write lock (as `lock_portfolio` does).
        let row = sqlx::query(
            "update webhook_endpoint set updated_at = updated_at \
             where tenant_id = ?1 and webhook_id = ?2 returning webhook_id, url, events, \
             description, secret, disabled_at, disabled_reason, failed_messages, created_at, \
             updated_at",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(conn)
        .await
        .map_err(|e| map_err("locking a webhook endpoint", e))?;
        row.as_ref()
            .map(into_endpoint)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn update_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        e: &Endpoint,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update webhook_endpoint set url = ?3, events = ?4, description = ?5, secret = ?6, \
             disabled_at = ?7, disabled_reason = ?8, failed_messages = ?9, updated_at = ?10 \
             where tenant_id = ?1 and webhook_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(e.id.as_uuid())
        .bind(e.url.as_str())
        .bind(events_text(&e.events))
        .bind(&e.description)
        .bind(e.secret.expose())
        .bind(e.disabled_at.map(micros))
        .bind(&e.disabled_reason)
        .bind(i64::from(e.failed_messages))
        .bind(micros(e.updated_at))
        .execute(conn)
        .await
        .map_err(|e| map_err("updating a webhook endpoint", e))?;
        crate::error::not_found_if_none(&done)
    }

    async fn delete_endpoint(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        // Messages and their attempts go with it (the foreign keys cascade).
        let done =
            sqlx::query("delete from webhook_endpoint where tenant_id = ?1 and webhook_id = ?2")
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .execute(conn)
                .await
                .map_err(|e| map_err("deleting a webhook endpoint", e))?;
        crate::error::not_found_if_none(&done)
    }

    async fn subscribers_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        event: EventType,
    ) -> Result<Vec<Endpoint>, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{ENDPOINT} where tenant_id = ?1 and disabled_at is null \
             and events like '%,' || ?2 || ',%' order by created_at, webhook_id"
        )))
        .bind(tenant.as_uuid())
        .bind(event.as_str())
        .fetch_all(conn)
        .await
        .map_err(|e| map_err("finding webhook subscribers", e))?;
        rows.iter().map(into_endpoint).collect()
    }

    async fn insert_message(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        m: &Message,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into webhook_message (tenant_id, message_id, webhook_id, event, body, \
             subject_user_id, status, attempts, total_attempts, created_at, next_attempt_at, \
             delivered_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(tenant.as_uuid())
        .bind(m.id.as_uuid())
        .bind(m.endpoint.as_uuid())
        .bind(m.event.as_str())
        .bind(&m.body)
        .bind(m.subject.map(|u| u.as_uuid()))
        .bind(m.status.as_str())
        .bind(i64::from(m.attempts))
        .bind(i64::from(m.total_attempts))
        .bind(micros(m.created_at))
        .bind(m.next_attempt_at.map(micros))
        .bind(m.delivered_at.map(micros))
        .execute(conn)
        .await
        .map_err(|e| crate::course::parent_missing("recording a webhook message", e))?;
        Ok(())
    }

    async fn message(&self, tenant: TenantId, id: MessageId) -> Result<Message, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{MESSAGE} where tenant_id = ?1 and message_id = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("reading a webhook message", e))?;
        row.as_ref()
            .map(into_message)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn messages(
        &self,
        tenant: TenantId,
        query: &MessageQuery,
    ) -> Result<Page<Message>, StoreError> {
        let (limit, offset) = crate::sim::limit_offset(query.page);
        let endpoint = query.endpoint.map(|e| e.as_uuid());
        let status = query.status.map(MessageStatus::as_str);
        let event = query.event.map(EventType::as_str);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{MESSAGE} {MESSAGE_FILTER} order by created_at desc, message_id desc \
             limit ?5 offset ?6"
        )))
        .bind(tenant.as_uuid())
        .bind(endpoint)
        .bind(status)
        .bind(event)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing webhook messages", e))?;
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from webhook_message {MESSAGE_FILTER}"
        )))
        .bind(tenant.as_uuid())
        .bind(endpoint)
        .bind(status)
        .bind(event)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting webhook messages", e))?;
        Ok(Page {
            items: rows.iter().map(into_message).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: query.page.limit(),
            offset: query.page.offset(),
        })
    }

    async fn save_message(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        m: &Message,
        expected_total: u32,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update webhook_message set status = ?3, attempts = ?4, total_attempts = ?5, \
             next_attempt_at = ?6, delivered_at = ?7 \
             where tenant_id = ?1 and message_id = ?2 and total_attempts = ?8",
        )
        .bind(tenant.as_uuid())
        .bind(m.id.as_uuid())
        .bind(m.status.as_str())
        .bind(i64::from(m.attempts))
        .bind(i64::from(m.total_attempts))
        .bind(m.next_attempt_at.map(micros))
        .bind(m.delivered_at.map(micros))
        .bind(i64::from(expected_total))
        .execute(conn)
        .await
        .map_err(|e| map_err("saving a webhook message", e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_attempt(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        a: &Attempt,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into webhook_attempt (tenant_id, message_id, seq, attempted_at, status_code, \
             error, duration_ms, response) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(tenant.as_uuid())
        .bind(a.message.as_uuid())
        .bind(i64::from(a.seq))
        .bind(micros(a.at))
        .bind(a.status_code.map(i64::from))
        .bind(&a.error)
        .bind(i64::from(a.duration_ms))
        .bind(&a.response)
        .execute(conn)
        .await
        .map_err(|e| crate::course::parent_missing("recording a webhook attempt", e))?;
        Ok(())
    }

    async fn attempts(&self, tenant: TenantId, id: MessageId) -> Result<Vec<Attempt>, StoreError> {
        let rows = sqlx::query(
            "select message_id, seq, attempted_at, status_code, error, duration_ms, response \
             from webhook_attempt where tenant_id = ?1 and message_id = ?2 order by seq",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing webhook attempts", e))?;
        rows.iter().map(into_attempt).collect()
    }

    async fn purge_messages(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // Attempts go with their messages (the foreign key cascades).
        let done =
            sqlx::query("delete from webhook_message where tenant_id = ?1 and created_at < ?2")
                .bind(tenant.as_uuid())
                .bind(micros(before))
                .execute(self.writer.pool())
                .await
                .map_err(|e| map_err("purging webhook messages", e))?;
        Ok(done.rows_affected())
    }
}
