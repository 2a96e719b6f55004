-- The platform library of shared courses, each kept as a course package (JSON text,
-- checked by the app's package parser before it is stored) that tenants adopt as their
-- own draft copy. Platform-level like `tenant`: no tenant_id, so not under row-level
-- security; title, summary and level are copied out of the package for browsing.
create table library_course (
    library_id   uuid primary key,
    slug         text not null,
    title        text not null,
    summary      text not null,
    level        text not null check (level in ('beginner', 'intermediate', 'advanced')),
    package      text not null,
    published_at timestamptz not null,
    updated_at   timestamptz not null,
    constraint library_course_slug_key unique (slug)
);
create index library_course_title_idx on library_course (title, slug);

grant select, insert, update, delete on library_course to nexus_app;
