-- Portfolio simulator (issue 5): paper trading with virtual money. Educational only.
--   sim_settings: a tenant's trading rules and realism preset (defaults when absent).
--   portfolio: one per learner for free practice, and one per learner per competition.
--     Cash, realized P&L and fees are the books' running totals; ledger_entry holds the
--     double-entry postings they are the sums of.
--   position: holdings per portfolio and symbol (signed: negative is short).
--   sim_order: orders with their lifecycle state (qty is the order's quantity; for a
--     notional order, the quantity fixed at submission); client_order_id is unique per
--     portfolio so a retried placement returns the original order.
--   sim_fill: executions with the learner-readable explanation.
--   competition: a class competition for a cohort (who created it is in the audit trail).
--   market_import: OHLCV bars an admin imported from CSV, per tenant and symbol.
--   sim_event: a learner's order updates, numbered for Server-Sent Events resume.
-- Money is numeric, never float.
create table sim_settings (
    tenant_id            uuid primary key references tenant (tenant_id) on delete cascade,
    starting_cash        numeric(20, 2) not null check (starting_cash > 0),
    realism              text not null check (realism in ('frictionless', 'standard', 'realistic')),
    allow_short          boolean not null,
    margin               boolean not null,
    pattern_day_trader   boolean not null,
    allow_extended_hours boolean not null,
    updated_at           timestamptz not null
);

create table competition (
    tenant_id       uuid not null,
    competition_id  uuid not null,
    cohort_id       uuid not null,
    name            text not null,
    starts_at       timestamptz not null,
    ends_at         timestamptz not null,
    starting_cash   numeric(20, 2) not null check (starting_cash > 0),
    allowed_symbols text not null,
    metric          text not null check (metric in ('return', 'sharpe')),
    created_at      timestamptz not null,
    primary key (tenant_id, competition_id),
    constraint competition_window_check check (ends_at > starts_at),
    constraint competition_cohort_fkey foreign key (tenant_id, cohort_id)
        references cohort (tenant_id, cohort_id) on delete cascade
);
create index competition_cohort_idx on competition (tenant_id, cohort_id);

create table portfolio (
    tenant_id      uuid not null,
    portfolio_id   uuid not null,
    app_user_id    uuid not null,
    competition_id uuid,
    cash           numeric(20, 2) not null,
    starting_cash  numeric(20, 2) not null,
    realized_pnl   numeric(20, 2) not null,
    fees_paid      numeric(20, 2) not null,
    created_at     timestamptz not null,
    updated_at     timestamptz not null,
    primary key (tenant_id, portfolio_id),
    constraint portfolio_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade,
    constraint portfolio_competition_fkey foreign key (tenant_id, competition_id)
        references competition (tenant_id, competition_id) on delete cascade
);
create unique index portfolio_practice_key on portfolio (tenant_id, app_user_id)
    where competition_id is null;
create unique index portfolio_competition_key on portfolio (tenant_id, competition_id, app_user_id)
    where competition_id is not null;

create table position (
    tenant_id    uuid not null,
    portfolio_id uuid not null,
    symbol       text not null,
    qty          numeric(24, 6) not null,
    cost_basis   numeric(20, 2) not null,
    updated_at   timestamptz not null,
    primary key (tenant_id, portfolio_id, symbol),
    constraint position_portfolio_fkey foreign key (tenant_id, portfolio_id)
        references portfolio (tenant_id, portfolio_id) on delete cascade
);

create table sim_order (
    tenant_id       uuid not null,
    order_id        uuid not null,
    portfolio_id    uuid not null,
    client_order_id text,
    symbol          text not null,
    side            text not null check (side in ('buy', 'sell')),
    order_type      text not null check (order_type in ('market', 'limit', 'stop', 'stop_limit')),
    limit_price     numeric(20, 4),
    stop_price      numeric(20, 4),
    time_in_force   text not null check (time_in_force in ('day', 'gtc', 'ioc', 'fok')),
    qty             numeric(24, 6) not null,
    notional        numeric(20, 2),
    status          text not null,
    reason          text,
    filled_qty      numeric(24, 6) not null,
    filled_value    numeric(24, 4) not null,
    fees            numeric(20, 2) not null,
    triggered       boolean not null,
    queue_ahead     numeric(24, 6),
    replaces        uuid,
    trading_day     integer not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    primary key (tenant_id, order_id),
    constraint sim_order_client_key unique (tenant_id, portfolio_id, client_order_id),
    constraint sim_order_portfolio_fkey foreign key (tenant_id, portfolio_id)
        references portfolio (tenant_id, portfolio_id) on delete cascade
);
create index sim_order_portfolio_idx on sim_order (tenant_id, portfolio_id, created_at);
create index sim_order_open_idx on sim_order (tenant_id, symbol)
    where status in ('new', 'accepted', 'partially_filled');

create table sim_fill (
    tenant_id    uuid not null,
    fill_id      uuid not null,
    order_id     uuid not null,
    portfolio_id uuid not null,
    symbol       text not null,
    side         text not null check (side in ('buy', 'sell')),
    qty          numeric(24, 6) not null check (qty > 0),
    price        numeric(20, 4) not null,
    gross        numeric(20, 2) not null,
    fee          numeric(20, 2) not null,
    spread_cost  numeric(20, 2) not null,
    slippage     numeric(20, 2) not null,
    explanation  text not null,
    trading_day  integer not null,
    created_at   timestamptz not null,
    primary key (tenant_id, fill_id),
    constraint sim_fill_order_fkey foreign key (tenant_id, order_id)
        references sim_order (tenant_id, order_id) on delete cascade
);
create index sim_fill_portfolio_idx on sim_fill (tenant_id, portfolio_id, created_at);
create index sim_fill_order_idx on sim_fill (tenant_id, order_id);

create table ledger_entry (
    tenant_id       uuid not null,
    portfolio_id    uuid not null,
    txn_id          uuid not null,
    account         text not null,
    amount          numeric(24, 4) not null,
    order_id        uuid,
    created_at      timestamptz not null,
    primary key (tenant_id, txn_id, account),
    constraint ledger_entry_portfolio_fkey foreign key (tenant_id, portfolio_id)
        references portfolio (tenant_id, portfolio_id) on delete cascade
);
create index ledger_entry_portfolio_idx on ledger_entry (tenant_id, portfolio_id, created_at);


create table market_import (
    tenant_id   uuid not null references tenant (tenant_id) on delete cascade,
    symbol      text not null,
    day         date not null,
    open        numeric(20, 4) not null,
    high        numeric(20, 4) not null,
    low         numeric(20, 4) not null,
    close       numeric(20, 4) not null,
    volume      bigint not null check (volume >= 0),
    imported_at timestamptz not null,
    primary key (tenant_id, symbol, day)
);

create table sim_event (
    sim_event_id bigserial primary key,
    tenant_id    uuid not null,
    app_user_id  uuid not null,
    kind         text not null,
    payload      text not null,
    created_at   timestamptz not null,
    constraint sim_event_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index sim_event_user_idx on sim_event (tenant_id, app_user_id, sim_event_id);

alter table sim_settings enable row level security;
alter table sim_settings force row level security;
create policy sim_settings_tenant_isolation on sim_settings
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table competition enable row level security;
alter table competition force row level security;
create policy competition_tenant_isolation on competition
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table portfolio enable row level security;
alter table portfolio force row level security;
create policy portfolio_tenant_isolation on portfolio
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table position enable row level security;
alter table position force row level security;
create policy position_tenant_isolation on position
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table sim_order enable row level security;
alter table sim_order force row level security;
create policy sim_order_tenant_isolation on sim_order
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table sim_fill enable row level security;
alter table sim_fill force row level security;
create policy sim_fill_tenant_isolation on sim_fill
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table ledger_entry enable row level security;
alter table ledger_entry force row level security;
create policy ledger_entry_tenant_isolation on ledger_entry
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table market_import enable row level security;
alter table market_import force row level security;
create policy market_import_tenant_isolation on market_import
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table sim_event enable row level security;
alter table sim_event force row level security;
create policy sim_event_tenant_isolation on sim_event
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update, delete on sim_settings, competition, portfolio, position, sim_order, sim_fill, ledger_entry, market_import, sim_event to nexus_app;
grant usage on sequence sim_event_sim_event_id_seq to nexus_app;
