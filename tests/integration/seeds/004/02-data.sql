-- What the tutorial's web steps create ("新建域", "新建邮箱（别名）"): domain
-- qq.com, mailboxes tom@qq.com and jerry@qq.com, the alias abuse@qq.com it
-- queries with postmap, and an inactive mailbox (active = '0').
USE postfix_db;
INSERT INTO domain (domain, description, active) VALUES ('qq.com', 'qq', '1'), ('old.qq.com', 'disabled', '0');
INSERT INTO mailbox (username, password, name, maildir, local_part, domain, active) VALUES
  ('tom@qq.com', '$1$postern4$kvir8CzZnd..WqQPuF5cU1', 'Tom', 'qq.com/tom/', 'tom', 'qq.com', '1'),
  ('jerry@qq.com', '$1$postern4$kvir8CzZnd..WqQPuF5cU1', 'Jerry', 'qq.com/jerry/', 'jerry', 'qq.com', '1'),
  ('gone@qq.com', '$1$postern4$kvir8CzZnd..WqQPuF5cU1', 'Gone', 'qq.com/gone/', 'gone', 'qq.com', '0');
INSERT INTO alias (address, goto, domain, active) VALUES
  ('tom@qq.com', 'tom@qq.com', 'qq.com', '1'),
  ('jerry@qq.com', 'jerry@qq.com', 'qq.com', '1'),
  ('abuse@qq.com', 'tom@qq.com', 'qq.com', '1'),
  ('sales@qq.com', 'tom@qq.com,jerry@qq.com', 'qq.com', '1'),
  ('old@qq.com', 'tom@qq.com', 'qq.com', '0');
