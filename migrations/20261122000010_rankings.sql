-- Monthly ranking snapshots (月度考评): computed once a month is over and kept as they were, so
-- that editing a case later does not change a past month's ranking.
create table rankings (
    district_id bigint not null references districts (id),
    month       date not null,
    computed_at timestamptz not null,
    weights     jsonb not null,
    entries     jsonb not null,
    primary key (district_id, month),
    constraint rankings_month_first_day check (extract(day from month) = 1)
);
