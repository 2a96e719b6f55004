-- Learning: cohorts (classes) with their members, and enrolments of learners in
-- courses. Users' rows go with their account (cascade), so erasure needs no extra step.
create table cohort (
    tenant_id  uuid not null,
    cohort_id  uuid not null,
    name       text not null,
    created_at timestamptz not null,
    primary key (tenant_id, cohort_id),
    constraint cohort_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);
create unique index cohort_name_key on cohort (tenant_id, lower(name));

create table cohort_member (
    tenant_id   uuid not null,
    cohort_id   uuid not null,
    app_user_id uuid not null,
    role        text not null check (role in ('instructor', 'learner')),
    added_at    timestamptz not null,
    primary key (tenant_id, cohort_id, app_user_id),
    constraint cohort_member_cohort_fkey foreign key (tenant_id, cohort_id)
        references cohort (tenant_id, cohort_id) on delete cascade,
    constraint cohort_member_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index cohort_member_user_idx on cohort_member (tenant_id, app_user_id);

create table enrolment (
    tenant_id   uuid not null,
    course_id   uuid not null,
    app_user_id uuid not null,
    source      text not null check (source in ('self_enrolled', 'assigned', 'cohort')),
    assigned_by uuid,
    -- No foreign key: deleting a cohort keeps the enrolments it made.
    cohort_id   uuid,
    enrolled_at timestamptz not null,
    primary key (tenant_id, course_id, app_user_id),
    constraint enrolment_course_fkey foreign key (tenant_id, course_id)
        references course (tenant_id, course_id),
    constraint enrolment_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index enrolment_user_idx on enrolment (tenant_id, app_user_id, enrolled_at);

create table lesson_progress (
    tenant_id     uuid not null,
    app_user_id   uuid not null,
    lesson_id     uuid not null,
    course_id     uuid not null,
    seconds_spent bigint not null check (seconds_spent >= 0),
    first_seen_at timestamptz not null,
    last_seen_at  timestamptz not null,
    completed_at  timestamptz,
    primary key (tenant_id, app_user_id, lesson_id),
    constraint lesson_progress_enrolment_fkey foreign key (tenant_id, course_id, app_user_id)
        references enrolment (tenant_id, course_id, app_user_id) on delete cascade
);
create index lesson_progress_course_idx on lesson_progress (tenant_id, course_id, app_user_id);

alter table cohort enable row level security;
alter table cohort force row level security;
create policy cohort_tenant_isolation on cohort
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table cohort_member enable row level security;
alter table cohort_member force row level security;
create policy cohort_member_tenant_isolation on cohort_member
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table enrolment enable row level security;
alter table enrolment force row level security;
create policy enrolment_tenant_isolation on enrolment
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table lesson_progress enable row level security;
alter table lesson_progress force row level security;
create policy lesson_progress_tenant_isolation on lesson_progress
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on cohort, cohort_member, enrolment, lesson_progress to nexus_app;
