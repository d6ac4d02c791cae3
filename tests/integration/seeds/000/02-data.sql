INSERT INTO virtual_domains
  (id ,name)
VALUES
  ('1', 'example.com'),
  ('2', 'hostname.example.com'),
  ('3', 'hostname'),
  ('4', 'localhost.example.com');

INSERT INTO virtual_users
  (id, domain_id, password , email)
VALUES
  ('1', '1', crypt('password',gen_salt('md5')), 'email1@example.com'),
  ('2', '1', crypt('password',gen_salt('md5')), 'email2@example.com');

INSERT INTO virtual_aliases
  (id, domain_id, source, destination)
VALUES
  ('1', '1', 'alias@example.com', 'email1@example.com');
