-- One plan per tenant. `tenant.plan` used to be a rate-limit tier (free, standard,
-- enterprise) beside a separate billing plan (`tenant_billing`); now the tenant's plan
-- is the billing plan's code and sets prices, allowance, rate limits and quota alike.
-- A billing plan set explicitly wins; otherwise the old tier maps to the plan with the
-- same rate limit (standard → basic, enterprise → professional).
-- The owner runs migrations and is subject to the forced policy: lift it to read all.
alter table tenant_billing no force row level security;
update tenant set plan = coalesce(
    (select b.plan_code from tenant_billing b where b.tenant_id = tenant.tenant_id),
    case plan when 'standard' then 'basic' when 'enterprise' then 'professional' else plan end
);
drop table tenant_billing;
alter table tenant add constraint tenant_plan_fkey foreign key (plan) references billing_plan (code);
