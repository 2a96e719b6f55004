-- Foundation: the tenant registry, custom domains and user accounts.
-- Keep tables and columns identical to the PostgreSQL migration (the parity test checks).
create table tenant (
    tenant_id   blob primary key not null,
    slug        text not null,
    name        text not null,
    status      text not null check (status in ('active', 'suspended')),
    plan        text not null,
    settings    text not null,
    branding    text not null,
    created_at  text not null,
    updated_at  text not null,
    constraint tenant_slug_key unique (slug)
);

create table tenant_domain (
    tenant_id   blob not null references tenant (tenant_id) on delete cascade,
    domain      text not null,
    created_at  text not null,
    primary key (tenant_id, domain),
    constraint tenant_domain_domain_key unique (domain)
);

create table app_user (
    tenant_id     blob not null references tenant (tenant_id),
    app_user_id   blob not null,
    email         text not null,
    display_name  text not null,
    role          text not null check (role in ('admin', 'instructor', 'learner')),
    password_hash text not null,
    created_at    text not null,
    updated_at    text not null,
    primary key (tenant_id, app_user_id),
    constraint app_user_email_key unique (tenant_id, email)
);
