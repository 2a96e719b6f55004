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
-- Checks on amounts compare the text as a number (a coarse guard; the exact rules are
-- in the code). Money is stored as decimal text (SQLite has no exact numeric type) and parsed into
-- rust_decimal, never float.
create table sim_settings (
    tenant_id            blob primary key references tenant (tenant_id) on delete cascade,
    starting_cash        text not null check (cast(starting_cash as real) > 0),
    realism              text not null check (realism in ('frictionless', 'standard', 'realistic')),
    allow_short          integer not null,
    margin               integer not null,
    pattern_day_trader   integer not null,
    allow_extended_hours integer not null,
    updated_at           text not null
);

create table competition (
    tenant_id       blob not null,
    competition_id  blob not null,
    cohort_id       blob not null,
    name            text not null,
    starts_at       text not null,
    ends_at         text not null,
    starting_cash   text not null check (cast(starting_cash as real) > 0),
    allowed_symbols text not null,
    metric          text not null check (metric in ('return', 'sharpe')),
    created_at      text not null,
    primary key (tenant_id, competition_id),
    constraint competition_window_check check (ends_at > starts_at),
    constraint competition_cohort_fkey foreign key (tenant_id, cohort_id)
        references cohort (tenant_id, cohort_id) on delete cascade
);
create index competition_cohort_idx on competition (tenant_id, cohort_id);

create table portfolio (
    tenant_id      blob not null,
    portfolio_id   blob not null,
    app_user_id    blob not null,
    competition_id blob,
    cash           text not null,
    starting_cash  text not null,
    realized_pnl   text not null,
    fees_paid      text not null,
    created_at     text not null,
    updated_at     text not null,
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
    tenant_id    blob not null,
    portfolio_id blob not null,
    symbol       text not null,
    qty          text not null,
    cost_basis   text not null,
    updated_at   text not null,
    primary key (tenant_id, portfolio_id, symbol),
    constraint position_portfolio_fkey foreign key (tenant_id, portfolio_id)
        references portfolio (tenant_id, portfolio_id) on delete cascade
);

create table sim_order (
    tenant_id       blob not null,
    order_id        blob not null,
    portfolio_id    blob not null,
    client_order_id text,
    symbol          text not null,
    side            text not null check (side in ('buy', 'sell')),
    order_type      text not null check (order_type in ('market', 'limit', 'stop', 'stop_limit')),
    limit_price     text,
    stop_price      text,
    time_in_force   text not null check (time_in_force in ('day', 'gtc', 'ioc', 'fok')),
    qty             text not null,
    notional        text,
    status          text not null,
    reason          text,
    filled_qty      text not null,
    filled_value    text not null,
    fees            text not null,
    triggered       integer not null,
    queue_ahead     text,
    replaces        blob,
    trading_day     integer not null,
    created_at      text not null,
    updated_at      text not null,
    primary key (tenant_id, order_id),
    constraint sim_order_client_key unique (tenant_id, portfolio_id, client_order_id),
    constraint sim_order_portfolio_fkey foreign key (tenant_id, portfolio_id)
        references portfolio (tenant_id, portfolio_id) on delete cascade
);
create index sim_order_portfolio_idx on sim_order (tenant_id, portfolio_id, created_at);
create index sim_order_open_idx on sim_order (tenant_id, symbol)
    where status in ('new', 'accepted', 'partially_filled');

create table sim_fill (
    tenant_id    blob not null,
    fill_id      blob not null,
    order_id     blob not null,
    portfolio_id blob not null,
    symbol       text not null,
    side         text not null check (side in ('buy', 'sell')),
    qty          text not null check (cast(qty as real) > 0),
    price        text not null,
    gross        text not null,
    fee          text not null,
    spread_cost  text not null,
    slippage     text not null,
    explanation  text not null,
    trading_day  integer not null,
    created_at   text not null,
    primary key (tenant_id, fill_id),
    constraint sim_fill_order_fkey foreign key (tenant_id, order_id)
        references sim_order (tenant_id, order_id) on delete cascade
);
create index sim_fill_portfolio_idx on sim_fill (tenant_id, portfolio_id, created_at);
create index sim_fill_order_idx on sim_fill (tenant_id, order_id);

create table ledger_entry (
    tenant_id       blob not null,
    portfolio_id    blob not null,
    txn_id          blob not null,
    account         text not null,
    amount          text not null,
    order_id        blob,
    created_at      text not null,
    primary key (tenant_id, txn_id, account),
    constraint ledger_entry_portfolio_fkey foreign key (tenant_id, portfolio_id)
        references portfolio (tenant_id, portfolio_id) on delete cascade
);
create index ledger_entry_portfolio_idx on ledger_entry (tenant_id, portfolio_id, created_at);


create table market_import (
    tenant_id   blob not null references tenant (tenant_id) on delete cascade,
    symbol      text not null,
    day         text not null,
    open        text not null,
    high        text not null,
    low         text not null,
    close       text not null,
    volume      integer not null check (volume >= 0),
    imported_at text not null,
    primary key (tenant_id, symbol, day)
);

create table sim_event (
    sim_event_id integer primary key autoincrement,
    tenant_id    blob not null,
    app_user_id  blob not null,
    kind         text not null,
    payload      text not null,
    created_at   text not null,
    constraint sim_event_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index sim_event_user_idx on sim_event (tenant_id, app_user_id, sim_event_id);