-- Cohorts, enrolments and lesson progress (see the PostgreSQL migration).
create table cohort (
    tenant_id  blob not null,
    cohort_id  blob not null,
    name       text not null,
    created_at text not null,
    primary key (tenant_id, cohort_id),
    foreign key (tenant_id) references tenant (tenant_id)
);
create unique index cohort_name_key on cohort (tenant_id, lower(name));

create table cohort_member (
    tenant_id   blob not null,
    cohort_id   blob not null,
    app_user_id blob not null,
    role        text not null check (role in ('instructor', 'learner')),
    added_at    text not null,
    primary key (tenant_id, cohort_id, app_user_id),
    foreign key (tenant_id, cohort_id) references cohort (tenant_id, cohort_id) on delete cascade,
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);
create index cohort_member_user_idx on cohort_member (tenant_id, app_user_id);

create table enrolment (
    tenant_id   blob not null,
    course_id   blob not null,
    app_user_id blob not null,
    source      text not null check (source in ('self_enrolled', 'assigned', 'cohort')),
    assigned_by blob,
    cohort_id   blob,
    enrolled_at text not null,
    primary key (tenant_id, course_id, app_user_id),
    foreign key (tenant_id, course_id) references course (tenant_id, course_id),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);
create index enrolment_user_idx on enrolment (tenant_id, app_user_id, enrolled_at);

create table lesson_progress (
    tenant_id     blob not null,
    app_user_id   blob not null,
    lesson_id     blob not null,
    course_id     blob not null,
    seconds_spent integer not null check (seconds_spent >= 0),
    first_seen_at text not null,
    last_seen_at  text not null,
    completed_at  text,
    primary key (tenant_id, app_user_id, lesson_id),
    foreign key (tenant_id, course_id, app_user_id)
        references enrolment (tenant_id, course_id, app_user_id) on delete cascade
);
create index lesson_progress_course_idx on lesson_progress (tenant_id, course_id, app_user_id);
