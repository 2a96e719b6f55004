-- Metered API usage: hourly counts per caller, route template, status class and
-- latency bucket. `hour` is INTEGER Unix microseconds. Writes add to the counts.
create table api_usage (
    tenant_id       blob not null,
    hour            integer not null,
    caller          text not null,
    route           text not null,
    status_class    integer not null,
    latency_bucket  text not null,
    requests        integer not null,
    units           integer not null,
    primary key (tenant_id, hour, caller, route, status_class, latency_bucket)
);
