CREATE TABLE virtual_domains (
  id bigserial primary key,
  name text NOT NULL
);

CREATE TABLE virtual_users (
  id bigserial primary key,
  domain_id bigint NOT NULL references virtual_domains(id),
  password text NOT NULL,
  email text NOT NULL unique
) ;

CREATE TABLE virtual_aliases (
  id bigserial primary key,
  domain_id bigint NOT NULL references virtual_domains(id),
  source text NOT NULL,
  destination text NOT NULL
) ;
