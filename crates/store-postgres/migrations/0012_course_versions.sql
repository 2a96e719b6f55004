-- Learning: published versions. Publishing freezes the draft outline, with every lesson
-- already rendered to sanitized HTML, as an immutable JSON snapshot; learners read the
-- course's latest version and never the draft.
create table course_version (
    tenant_id    uuid not null,
    course_id    uuid not null,
    version      integer not null check (version >= 1),
    snapshot     text not null,
    published_at timestamptz not null,
    primary key (tenant_id, course_id, version),
    constraint course_version_course_fkey foreign key (tenant_id, course_id) references course (tenant_id, course_id)
);

alter table course_version enable row level security;
alter table course_version force row level security;
create policy course_version_tenant_isolation on course_version
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

-- Versions are immutable: no update or delete for the application.
grant select, insert on course_version to nexus_app;
