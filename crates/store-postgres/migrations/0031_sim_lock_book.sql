-- The order path's first step as one function: lock the portfolio, then read its
-- positions, open orders and recent fill totals. It replaced a simple-protocol batch of
-- the same four statements, which PostgreSQL parsed, analysed and planned on every order
-- (27 % of its CPU in the order benchmark, docs/PERFORMANCE.md); PL/pgSQL keeps each
-- statement's plan for the session. It is volatile, so under read committed every
-- statement takes a fresh snapshot: the reads after the lock see what the lock's previous
-- holder committed (a single statement would read from before the wait).
--
-- The four row shapes share one result: `part` says which (0 portfolio, 1 position,
-- 2 open order, 3 fill total), and columns of the same name mean the same thing in each.
-- Security invoker (the default), so row-level security applies as for any query.
create function sim_lock_book(p_tenant uuid, p_portfolio uuid, p_since_day integer)
returns table (
    part smallint,
    portfolio_id uuid, app_user_id uuid, competition_id uuid, cash numeric,
    starting_cash numeric, realized_pnl numeric, fees_paid numeric,
    created_at timestamptz, updated_at timestamptz,
    symbol text, qty numeric, cost_basis numeric,
    order_id uuid, client_order_id text, side text, order_type text, limit_price numeric,
    stop_price numeric, time_in_force text, notional numeric, status text, reason text,
    filled_qty numeric, filled_value numeric, fees numeric, triggered boolean,
    queue_ahead numeric, replaces uuid, trading_day integer)
language plpgsql volatile
as $$
#variable_conflict use_column
begin
    return query
        select 0::smallint, p.portfolio_id, p.app_user_id, p.competition_id, p.cash,
            p.starting_cash, p.realized_pnl, p.fees_paid, p.created_at, p.updated_at,
            null::text, null::numeric, null::numeric,
            null::uuid, null::text, null::text, null::text, null::numeric,
            null::numeric, null::text, null::numeric, null::text, null::text,
            null::numeric, null::numeric, null::numeric, null::boolean,
            null::numeric, null::uuid, null::integer
        from portfolio p
        where p.tenant_id = p_tenant and p.portfolio_id = p_portfolio
        for update;
    return query
        select 1::smallint, null::uuid, null::uuid, null::uuid, null::numeric,
            null::numeric, null::numeric, null::numeric, null::timestamptz, s.updated_at,
            s.symbol, s.qty::numeric, s.cost_basis::numeric,
            null::uuid, null::text, null::text, null::text, null::numeric,
            null::numeric, null::text, null::numeric, null::text, null::text,
            null::numeric, null::numeric, null::numeric, null::boolean,
            null::numeric, null::uuid, null::integer
        from position s
        where s.tenant_id = p_tenant and s.portfolio_id = p_portfolio
        order by s.symbol;
    return query
        select 2::smallint, o.portfolio_id, null::uuid, null::uuid, null::numeric,
            null::numeric, null::numeric, null::numeric, o.created_at, o.updated_at,
            o.symbol, o.qty::numeric, null::numeric,
            o.order_id, o.client_order_id, o.side, o.order_type, o.limit_price::numeric,
            o.stop_price::numeric, o.time_in_force, o.notional::numeric, o.status, o.reason,
            o.filled_qty::numeric, o.filled_value::numeric, o.fees::numeric, o.triggered,
            o.queue_ahead::numeric, o.replaces, o.trading_day
        from sim_order o
        where o.tenant_id = p_tenant and o.portfolio_id = p_portfolio
            and o.status in ('new', 'accepted', 'partially_filled')
        order by o.created_at, o.order_id;
    return query
        select 3::smallint, null::uuid, null::uuid, null::uuid, null::numeric,
            null::numeric, null::numeric, null::numeric, null::timestamptz, null::timestamptz,
            f.symbol, sum(f.qty)::numeric, null::numeric,
            null::uuid, null::text, f.side, null::text, null::numeric,
            null::numeric, null::text, null::numeric, null::text, null::text,
            null::numeric, null::numeric, null::numeric, null::boolean,
            null::numeric, null::uuid, f.trading_day
        from sim_fill f
        where f.tenant_id = p_tenant and f.portfolio_id = p_portfolio
            and f.trading_day >= p_since_day
        group by f.trading_day, f.symbol, f.side
        order by f.trading_day, f.symbol, f.side;
end
$$;
