-- Foundation: the tenant registry, custom domains and user accounts.
-- Keep tables and columns identical to the SQLite migration (the parity test checks).

-- The role the application runs as (via SET ROLE). It owns nothing and cannot bypass
-- row-level security, so a query that forgets its tenant filter still sees only the
-- current tenant's rows. Roles are cluster-wide: tolerate a concurrent creator.
do $$
begin
    if not exists (select from pg_roles where rolname = 'nexus_app') then
        create role nexus_app nologin nosuperuser nobypassrls;
    end if;
exception when duplicate_object or unique_violation then null;
end $$;

create table tenant (
    tenant_id   uuid primary key,
    slug        text not null,
    name        text not null,
    status      text not null check (status in ('active', 'suspended')),
    plan        text not null,
    settings    jsonb not null,
    branding    jsonb not null,
    created_at  timestamptz not null,
    updated_at  timestamptz not null,
    constraint tenant_slug_key unique (slug)
);

create table tenant_domain (
    tenant_id   uuid not null,
    domain      text not null,
    created_at  timestamptz not null,
    primary key (tenant_id, domain),
    constraint tenant_domain_domain_key unique (domain),
    constraint tenant_domain_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);

create table app_user (
    tenant_id     uuid not null,
    app_user_id   uuid not null,
    email         text not null,
    display_name  text not null,
    role          text not null check (role in ('admin', 'instructor', 'learner')),
    password_hash text not null,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    primary key (tenant_id, app_user_id),
    constraint app_user_email_key unique (tenant_id, email),
    constraint app_user_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);

-- Tenant-owned tables: visible only inside a transaction that has set
-- nexus.tenant_id (set_config(..., true) scopes it to the transaction). An unset
-- setting yields NULL, which matches no row.
alter table app_user enable row level security;
alter table app_user force row level security;
create policy app_user_tenant_isolation on app_user
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

-- The registry is platform-level (tenant resolution precedes knowing the tenant).
grant select, insert, update on tenant, tenant_domain to nexus_app;
grant delete on tenant_domain to nexus_app;
grant select, insert, update, delete on app_user to nexus_app;
