-- The course catalogue (see the PostgreSQL migration). Times are RFC 3339 text like
-- app_user's.
create table course (
    tenant_id         blob not null references tenant (tenant_id),
    course_id         blob not null,
    title             text not null,
    summary           text not null,
    level             text not null check (level in ('beginner', 'intermediate', 'advanced')),
    estimated_minutes integer not null check (estimated_minutes between 1 and 10000),
    tags              text not null,
    self_enrol        integer not null,
    status            text not null check (status in ('draft', 'published', 'archived')),
    published_version integer not null check (published_version >= 0),
    created_at        text not null,
    updated_at        text not null,
    primary key (tenant_id, course_id)
);
create index course_title_idx on course (tenant_id, title);
