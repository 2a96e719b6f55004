-- Billing. Plans are platform data (prices change without a deploy); each tenant has a
-- plan; invoices and credit notes are closed documents that never change. Times are
-- INTEGER Unix microseconds; money is decimal text.
create table billing_plan (
    code              text primary key,
    position          integer not null,
    name              text not null,
    currency          text not null,
    seat_price        text not null,
    included_units    integer not null,
    overage_per_1000  text not null,
    updated_at        integer not null
);
insert into billing_plan values
    ('free', 0, 'Free', 'USD', '0', 10000, '0', 0),
    ('basic', 1, 'Basic', 'USD', '4', 100000, '0.5', 0),
    ('advanced', 2, 'Advanced', 'USD', '8', 1000000, '0.4', 0),
    ('professional', 3, 'Professional', 'USD', '15', 5000000, '0.3', 0);

create table tenant_billing (
    tenant_id   blob primary key,
    plan_code   text not null references billing_plan (code),
    updated_at  integer not null
);

create table invoice (
    tenant_id     blob not null,
    invoice_id    blob not null,
    kind          text not null check (kind in ('invoice', 'credit_note')),
    number        text not null,
    period_start  integer not null,
    period_end    integer not null,
    plan_code     text not null,
    currency      text not null,
    lines         text not null,
    total         text not null,
    credit_for    blob,
    reason        text,
    issued_at     integer not null,
    primary key (tenant_id, invoice_id),
    constraint invoice_number_key unique (number)
);
create unique index invoice_period_key on invoice (tenant_id, period_start) where kind = 'invoice';
create index invoice_newest_idx on invoice (tenant_id, issued_at desc);
create index invoice_credit_for_idx on invoice (tenant_id, credit_for) where credit_for is not null;

-- Closed is closed: the database itself refuses to change or remove a document.
create trigger invoice_no_update before update on invoice
begin
    select raise(abort, 'invoices are immutable; issue a credit note instead');
end;
create trigger invoice_no_delete before delete on invoice
begin
    select raise(abort, 'invoices are immutable; issue a credit note instead');
end;
