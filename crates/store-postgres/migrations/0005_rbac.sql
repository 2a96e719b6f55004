-- RBAC: custom roles per tenant (built from permissions) and role grants to users.
-- A grant's `role` is a built-in role name (e.g. `auditor`) or `custom:<tenant_role_id>`.
create table tenant_role (
    tenant_id      uuid not null,
    tenant_role_id uuid not null,
    name           text not null,
    description    text not null,
    permissions    text not null,
    created_at     timestamptz not null,
    updated_at     timestamptz not null,
    primary key (tenant_id, tenant_role_id),
    constraint tenant_role_name_key unique (tenant_id, name),
    constraint tenant_role_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);

create table user_role (
    tenant_id   uuid not null,
    app_user_id uuid not null,
    role        text not null,
    granted_at  timestamptz not null,
    primary key (tenant_id, app_user_id, role),
    constraint user_role_user_fkey foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

alter table tenant_role enable row level security;
alter table tenant_role force row level security;
create policy tenant_role_tenant_isolation on tenant_role
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table user_role enable row level security;
alter table user_role force row level security;
create policy user_role_tenant_isolation on user_role
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on tenant_role, user_role to nexus_app;
