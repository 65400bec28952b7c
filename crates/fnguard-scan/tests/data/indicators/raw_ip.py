C2 = "http://45.133.1.20:8080/beacon"
BACKUP = "https://185.220.101.4/upload"
