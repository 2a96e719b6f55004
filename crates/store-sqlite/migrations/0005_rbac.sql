-- RBAC: custom roles per tenant and role grants to users (see the PostgreSQL migration).
create table tenant_role (
    tenant_id      blob not null references tenant (tenant_id),
    tenant_role_id blob not null,
    name           text not null,
    description    text not null,
    permissions    text not null,
    created_at     text not null,
    updated_at     text not null,
    primary key (tenant_id, tenant_role_id),
    constraint tenant_role_name_key unique (tenant_id, name)
);

create table user_role (
    tenant_id   blob not null,
    app_user_id blob not null,
    role        text not null,
    granted_at  text not null,
    primary key (tenant_id, app_user_id, role),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);
