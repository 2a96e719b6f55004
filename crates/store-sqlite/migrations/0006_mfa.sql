-- Second factors (see the PostgreSQL migration). Times are Unix microseconds.
create table mfa_totp (
    tenant_id      blob not null,
    app_user_id    blob not null,
    secret         text not null,
    confirmed_at   integer,
    last_used_step integer,
    created_at     integer not null,
    primary key (tenant_id, app_user_id),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

create table mfa_recovery_code (
    tenant_id   blob not null,
    app_user_id blob not null,
    code_hash   text not null,
    created_at  integer not null,
    used_at     integer,
    primary key (tenant_id, app_user_id, code_hash),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

alter table app_session add column mfa_state text not null default 'none';
