-- Learning: gamification and certificates.
--   xp_event: the XP ledger. One row per award; (user, source, reference) is unique, so
--     a lesson, a quiz's first pass and a streak day each pay once however often the
--     triggering request is retried.
--   badge_award: badges earned (never revoked).
--   learner_profile: per-learner preferences; leaderboards are opt-in.
--   certificate: issued on course completion; `code` is the public verification code.
create table xp_event (
    tenant_id   uuid not null,
    app_user_id uuid not null,
    source      text not null check (source in ('lesson', 'quiz', 'streak')),
    reference   text not null,
    amount      integer not null check (amount >= 0),
    detail      integer,
    at          timestamptz not null,
    primary key (tenant_id, app_user_id, source, reference),
    constraint xp_event_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index xp_event_at_idx on xp_event (tenant_id, app_user_id, at);

create table badge_award (
    tenant_id   uuid not null,
    app_user_id uuid not null,
    badge_key   text not null,
    awarded_at  timestamptz not null,
    primary key (tenant_id, app_user_id, badge_key),
    constraint badge_award_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);

create table learner_profile (
    tenant_id          uuid not null,
    app_user_id        uuid not null,
    leaderboard_opt_in boolean not null,
    updated_at         timestamptz not null,
    primary key (tenant_id, app_user_id),
    constraint learner_profile_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);

create table certificate (
    tenant_id      uuid not null,
    certificate_id uuid not null,
    course_id      uuid not null,
    app_user_id    uuid not null,
    code           text not null,
    holder_name    text not null,
    course_title   text not null,
    issued_at      timestamptz not null,
    revoked_at     timestamptz,
    revoked_reason text,
    primary key (tenant_id, certificate_id),
    constraint certificate_code_key unique (code),
    constraint certificate_course_user_key unique (tenant_id, course_id, app_user_id),
    constraint certificate_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index certificate_user_idx on certificate (tenant_id, app_user_id);

alter table xp_event enable row level security;
alter table xp_event force row level security;
create policy xp_event_tenant_isolation on xp_event
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table badge_award enable row level security;
alter table badge_award force row level security;
create policy badge_award_tenant_isolation on badge_award
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table learner_profile enable row level security;
alter table learner_profile force row level security;
create policy learner_profile_tenant_isolation on learner_profile
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table certificate enable row level security;
alter table certificate force row level security;
create policy certificate_tenant_isolation on certificate
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on xp_event, badge_award, learner_profile, certificate to nexus_app;
