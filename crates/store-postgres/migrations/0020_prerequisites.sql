-- Learning: prerequisites between courses (course_id requires requires_course_id). Both
-- ends are this tenant's courses; the application keeps the graph acyclic. Courses are
-- archived, never deleted, so the edges need no cascade.
create table course_prerequisite (
    tenant_id          uuid not null,
    course_id          uuid not null,
    requires_course_id uuid not null,
    primary key (tenant_id, course_id, requires_course_id),
    constraint course_prerequisite_course_fkey foreign key (tenant_id, course_id)
        references course (tenant_id, course_id),
    constraint course_prerequisite_requires_fkey foreign key (tenant_id, requires_course_id)
        references course (tenant_id, course_id)
);

alter table course_prerequisite enable row level security;
alter table course_prerequisite force row level security;
create policy course_prerequisite_tenant_isolation on course_prerequisite
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on course_prerequisite to nexus_app;
