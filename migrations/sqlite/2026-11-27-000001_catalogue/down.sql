DROP TABLE service_versions;
DROP TABLE services;
DROP TABLE organisations;
