CREATE USER 'mail_admin'@'localhost' IDENTIFIED BY 'guestmypassword';
CREATE DATABASE mail;
GRANT SELECT, INSERT, UPDATE, DELETE ON mail.* TO 'mail_admin'@'localhost' IDENTIFIED BY 'guessmypassword';
GRANT SELECT, INSERT, UPDATE, DELETE ON mail.* TO 'mail_admin'@'localhost.localdomain' IDENTIFIED BY 'guessmypassword';
FLUSH PRIVILEGES;
