-- Learning: the metadata as of the latest publish, which is what learners see and
-- search; the plain columns are the instructor's draft. Null until first published.
alter table course add column published_title text;
alter table course add column published_summary text;
alter table course add column published_level text;
alter table course add column published_minutes integer;
alter table course add column published_tags text;
