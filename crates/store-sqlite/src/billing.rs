//! SQLite billing. Times are Unix microseconds; every tenant-owned statement filters by
//! `tenant_id` (the whole of tenant isolation on this backend).

use crate::jobs::{micros, time_of};
use crate::sim::limit_offset;
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::billing::{BillingPlan, DocumentKind, Invoice, InvoiceId, Plan};
use nexus_domain::paging::{Page, PageRequest};
use nexus_store::billing_codec::{lines_from, lines_json, money_from, money_text};
use nexus_store::{BillingStore, StoreError, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteBilling {
    pub(crate) pool: SqlitePool,
}

type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn into_plan(row: &SqliteRow) -> Result<BillingPlan, StoreError> {
    let parse = || -> Decode<BillingPlan> {
        let code: String = row.try_get("code")?;
        Ok(BillingPlan {
            code: Plan::parse(&code).map_err(|_| "unknown plan code")?,
            name: row.try_get("name")?,
            currency: row.try_get("currency")?,
            seat_price: money_from(&row.try_get::<String, _>("seat_price")?)?,
            included_units: u64::try_from(row.try_get::<i64, _>("included_units")?)?,
            overage_per_1000: money_from(&row.try_get::<String, _>("overage_per_1000")?)?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a plan", e))
}

const DOC: &str = "select invoice_id, kind, number, period_start, period_end, plan_code, \
     currency, lines, total, credit_for, reason, issued_at from invoice";

fn into_doc(tenant: TenantId, row: &SqliteRow) -> Result<Invoice, StoreError> {
    let parse = || -> Decode<Invoice> {
        let kind: String = row.try_get("kind")?;
        let plan: String = row.try_get("plan_code")?;
        Ok(Invoice {
            id: InvoiceId::from_uuid(row.try_get("invoice_id")?),
            tenant,
            kind: DocumentKind::parse(&kind).ok_or("unknown kind")?,
            number: row.try_get("number")?,
            period_start: time_of(row.try_get("period_start")?)?,
            period_end: time_of(row.try_get("period_end")?)?,
            plan: Plan::parse(&plan).map_err(|_| "unknown plan code")?,
            currency: row.try_get("currency")?,
            lines: lines_from(&row.try_get::<String, _>("lines")?)?,
            total: money_from(&row.try_get::<String, _>("total")?)?,
            credit_for: row
                .try_get::<Option<uuid::Uuid>, _>("credit_for")?
                .map(InvoiceId::from_uuid),
            reason: row.try_get("reason")?,
            issued_at: time_of(row.try_get("issued_at")?)?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding an invoice", e))
}

#[async_trait]
impl BillingStore for SqliteBilling {
    async fn plans(&self) -> Result<Vec<BillingPlan>, StoreError> {
        let rows = sqlx::query("select * from billing_plan order by position")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing plans", e))?;
        rows.iter().map(into_plan).collect()
    }

    async fn plan(&self, code: Plan) -> Result<BillingPlan, StoreError> {
        let row = sqlx::query("select * from billing_plan where code = ?1")
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("reading a plan", e))?;
        row.as_ref()
            .map(into_plan)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn put_plan(
        &self,
        tx: &mut dyn Tx,
        p: &BillingPlan,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update billing_plan set name = ?2, currency = ?3, seat_price = ?4, \
             included_units = ?5, overage_per_1000 = ?6, updated_at = ?7 where code = ?1",
        )
        .bind(p.code.as_str())
        .bind(&p.name)
        .bind(&p.currency)
        .bind(money_text(p.seat_price))
        .bind(i64::try_from(p.included_units).unwrap_or(i64::MAX))
        .bind(money_text(p.overage_per_1000))
        .bind(micros(at))
        .execute(conn)
        .await
        .map_err(|e| map_err("updating a plan", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn insert_document(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        d: &Invoice,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into invoice (tenant_id, invoice_id, kind, number, period_start, period_end, \
             plan_code, currency, lines, total, credit_for, reason, issued_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .bind(tenant.as_uuid())
        .bind(d.id.as_uuid())
        .bind(d.kind.as_str())
        .bind(&d.number)
        .bind(micros(d.period_start))
        .bind(micros(d.period_end))
        .bind(d.plan.as_str())
        .bind(&d.currency)
        .bind(lines_json(&d.lines))
        .bind(money_text(d.total))
        .bind(d.credit_for.map(|c| c.as_uuid()))
        .bind(&d.reason)
        .bind(micros(d.issued_at))
        .execute(conn)
        .await
        .map_err(|e| map_err("recording an invoice", e))?;
        Ok(())
    }

    async fn document(&self, tenant: TenantId, id: InvoiceId) -> Result<Invoice, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{DOC} where tenant_id = ?1 and invoice_id = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("reading an invoice", e))?;
        row.map(|r| into_doc(tenant, &r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn period_invoice(
        &self,
        tenant: TenantId,
        start: OffsetDateTime,
    ) -> Result<Option<Invoice>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{DOC} where tenant_id = ?1 and period_start = ?2 and kind = 'invoice'"
        )))
        .bind(tenant.as_uuid())
        .bind(micros(start))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("reading a period's invoice", e))?;
        row.map(|r| into_doc(tenant, &r)).transpose()
    }

    async fn documents(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Invoice>, StoreError> {
        let (limit, offset) = limit_offset(page);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{DOC} where tenant_id = ?1 order by issued_at desc, number desc limit ?2 offset ?3"
        )))
        .bind(tenant.as_uuid())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing invoices", e))?;
        let total: i64 = sqlx::query_scalar("select count(*) from invoice where tenant_id = ?1")
            .bind(tenant.as_uuid())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err("counting invoices", e))?;
        Ok(Page {
            items: rows
                .iter()
                .map(|r| into_doc(tenant, r))
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: page.limit(),
            offset: page.offset(),
        })
    }

    async fn credits(
        &self,
        tenant: TenantId,
        invoice: InvoiceId,
    ) -> Result<Vec<Invoice>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{DOC} where tenant_id = ?1 and credit_for = ?2 order by issued_at, number"
        )))
        .bind(tenant.as_uuid())
        .bind(invoice.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing credit notes", e))?;
        rows.iter().map(|r| into_doc(tenant, r)).collect()
    }
}
