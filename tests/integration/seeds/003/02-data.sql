USE mail;
INSERT INTO domains (domain) VALUES ('mail.viviansj520.cn');
-- ENCRYPT('guessmypassword') replaced by a fixed DES crypt() hash of the same
-- password (users.password is varchar(20): a 13-character DES hash fits).
INSERT INTO users (email, password) VALUES ('demons@mail.viviansj520.cn', 'psn4Mq79JyX/o');
