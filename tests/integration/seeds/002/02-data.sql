	INSERT INTO `mailserver`.`virtual_domains` (`id` ,`name`) VALUES ('1', 'example.com'), ('2', 'hostname.example.com'), ('3', 'hostname'), ('4', 'localhost.example.com');
	-- ENCRYPT('firstpassword', CONCAT('$6$', SUBSTRING(SHA(RAND()), -16))) and
	-- ENCRYPT('secondpassword', ...) replaced by fixed SHA512-CRYPT hashes of the
	-- same passwords (see README.md: ENCRYPT() is absent from some MariaDB builds).
	INSERT INTO `mailserver`.`virtual_users` (`id`, `domain_id`, `password` , `email`) 
VALUES ('1', '1', '$6$postern0seed002a$AwIRzbHedvRZLTNkoOJXcvfvuBqrgzclvSOPuEr1dZGSdCnxX2xPWk2S3WBO.pFhi62zo9IEyOTIGGiowBQYm1', 'email1@example.com'),
  ('2', '1', '$6$postern0seed002b$b0H1UlLjMfa6UWN6bQIms3Sh27Sv4PSBhQXc2WIlXEnjIBSUp9Zu0VapJL7/1Rmt64NMcHEqvta0zZkU.DuRx.', 'email2@example.com');
	INSERT INTO `mailserver`.`virtual_aliases` (`id`, `domain_id`, `source`, `destination`) VALUES ('1', '1', 'alias@example.com', 'email1@example.com');
