-- The order path reads a portfolio's open orders and its recent fills per trading day
-- on every order. The portfolio indexes of 0021 lead by creation time, so both reads
-- walked the portfolio's whole history (found by the order benchmark).
create index sim_order_portfolio_open_idx on sim_order (tenant_id, portfolio_id, created_at)
    where status in ('new', 'accepted', 'partially_filled');
create index sim_fill_portfolio_day_idx on sim_fill (tenant_id, portfolio_id, trading_day)
    include (symbol, side, qty);
