-- One plan per tenant. `tenant.plan` used to be a rate-limit tier (free, standard,
-- enterprise) beside a separate billing plan (`tenant_billing`); now the tenant's plan
-- is the billing plan's code and sets prices, allowance, rate limits and quota alike.
-- A billing plan set explicitly wins; otherwise the old tier maps to the plan with the
-- same rate limit (standard → basic, enterprise → professional). (SQLite cannot add a
-- foreign key to an existing table; the code parses every stored plan.)
update tenant set plan = coalesce(
    (select b.plan_code from tenant_billing b where b.tenant_id = tenant.tenant_id),
    case plan when 'standard' then 'basic' when 'enterprise' then 'professional' else plan end
);
drop table tenant_billing;
