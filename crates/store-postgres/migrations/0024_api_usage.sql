-- Metered API usage: hourly counts per caller, route template, status class and
-- latency bucket. Flushed from each node's in-memory meter; writes add to the counts.
create table api_usage (
    tenant_id       uuid not null,
    hour            timestamptz not null,
    caller          text not null,
    route           text not null,
    status_class    smallint not null,
    latency_bucket  text not null,
    requests        bigint not null,
    units           bigint not null,
    primary key (tenant_id, hour, caller, route, status_class, latency_bucket)
);

alter table api_usage enable row level security;
alter table api_usage force row level security;
create policy api_usage_tenant_isolation on api_usage
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update, delete on api_usage to nexus_app;
