create database mailserver;
create user mailserver with encrypted password '<password>';
grant all on database mailserver to mailserver;
alter database  mailserver  owner to mailserver;
