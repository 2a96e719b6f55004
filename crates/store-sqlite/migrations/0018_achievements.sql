-- Gamification and certificates (see the PostgreSQL migration).
create table xp_event (
    tenant_id   blob not null,
    app_user_id blob not null,
    source      text not null check (source in ('lesson', 'quiz', 'streak')),
    reference   text not null,
    amount      integer not null check (amount >= 0),
    detail      integer,
    at          text not null,
    primary key (tenant_id, app_user_id, source, reference),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);
create index xp_event_at_idx on xp_event (tenant_id, app_user_id, at);

create table badge_award (
    tenant_id   blob not null,
    app_user_id blob not null,
    badge_key   text not null,
    awarded_at  text not null,
    primary key (tenant_id, app_user_id, badge_key),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);

create table learner_profile (
    tenant_id          blob not null,
    app_user_id        blob not null,
    leaderboard_opt_in integer not null,
    updated_at         text not null,
    primary key (tenant_id, app_user_id),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);

create table certificate (
    tenant_id      blob not null,
    certificate_id blob not null,
    course_id      blob not null,
    app_user_id    blob not null,
    code           text not null unique,
    holder_name    text not null,
    course_title   text not null,
    issued_at      text not null,
    revoked_at     text,
    revoked_reason text,
    primary key (tenant_id, certificate_id),
    unique (tenant_id, course_id, app_user_id),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);
create index certificate_user_idx on certificate (tenant_id, app_user_id);
