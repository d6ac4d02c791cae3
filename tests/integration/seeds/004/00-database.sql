CREATE DATABASE postfix_db;
CREATE USER 'post_user'@'localhost' IDENTIFIED BY '1234';
GRANT ALL PRIVILEGES ON postfix_db.* TO 'post_user'@'localhost';
FLUSH PRIVILEGES;
