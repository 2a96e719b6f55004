-- Learning: the course catalogue. Metadata is the editable draft; `published_version`
-- counts publishes (0: never). Tags are stored as `|a|b|` so one tag matches with LIKE
-- on both backends.
create table course (
    tenant_id         uuid not null,
    course_id         uuid not null,
    title             text not null,
    summary           text not null,
    level             text not null check (level in ('beginner', 'intermediate', 'advanced')),
    estimated_minutes integer not null check (estimated_minutes between 1 and 10000),
    tags              text not null,
    self_enrol        boolean not null,
    status            text not null check (status in ('draft', 'published', 'archived')),
    published_version integer not null check (published_version >= 0),
    created_at        timestamptz not null,
    updated_at        timestamptz not null,
    primary key (tenant_id, course_id),
    constraint course_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);
create index course_title_idx on course (tenant_id, title);

alter table course enable row level security;
alter table course force row level security;
create policy course_tenant_isolation on course
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update on course to nexus_app;
