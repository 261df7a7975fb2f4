-- Audit entries carry the communities they concern, so that an administrator reads the entries
-- of their own area (and the ones of no area: sign-ins of unknown names, command-line imports).
alter table audit_log add column communities bigint[] not null default '{}';
create index audit_log_communities_idx on audit_log using gin (communities);
