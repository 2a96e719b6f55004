-- Billing. Plans are platform data (prices change without a deploy); each tenant has a
-- plan; invoices and credit notes are closed documents that never change.
create table billing_plan (
    code              text primary key,
    position          smallint not null,
    name              text not null,
    currency          text not null,
    seat_price        text not null,
    included_units    bigint not null,
    overage_per_1000  text not null,
    updated_at        timestamptz not null
);
insert into billing_plan values
    ('free', 0, 'Free', 'USD', '0', 10000, '0', now()),
    ('basic', 1, 'Basic', 'USD', '4', 100000, '0.5', now()),
    ('advanced', 2, 'Advanced', 'USD', '8', 1000000, '0.4', now()),
    ('professional', 3, 'Professional', 'USD', '15', 5000000, '0.3', now());
grant select, insert, update on billing_plan to nexus_app;

create table tenant_billing (
    tenant_id   uuid primary key,
    plan_code   text not null references billing_plan (code),
    updated_at  timestamptz not null
);
alter table tenant_billing enable row level security;
alter table tenant_billing force row level security;
create policy tenant_billing_tenant_isolation on tenant_billing
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update on tenant_billing to nexus_app;

create table invoice (
    tenant_id     uuid not null,
    invoice_id    uuid not null,
    kind          text not null check (kind in ('invoice', 'credit_note')),
    number        text not null,
    period_start  timestamptz not null,
    period_end    timestamptz not null,
    plan_code     text not null,
    currency      text not null,
    lines         text not null,
    total         text not null,
    credit_for    uuid,
    reason        text,
    issued_at     timestamptz not null,
    primary key (tenant_id, invoice_id),
    constraint invoice_number_key unique (number)
);
create unique index invoice_period_key on invoice (tenant_id, period_start) where kind = 'invoice';
create index invoice_newest_idx on invoice (tenant_id, issued_at desc);
create index invoice_credit_for_idx on invoice (tenant_id, credit_for) where credit_for is not null;
alter table invoice enable row level security;
alter table invoice force row level security;
create policy invoice_tenant_isolation on invoice
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert on invoice to nexus_app;

-- Closed is closed: the database itself refuses to change or remove a document.
create function invoice_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'invoices are immutable; issue a credit note instead'
        using errcode = 'P0001';
end $$;
create trigger invoice_no_update before update or delete on invoice
    for each row execute function invoice_immutable();
create trigger invoice_no_truncate before truncate on invoice
    for each statement execute function invoice_immutable();
