-- One database per service (docs/architecture.md): no service reads another's tables.
-- Run by the postgres image as POSTGRES_USER (orbit) the first time its data volume is
-- empty; `orbit migrate all` (the compose service `migrate`) then creates the tables.
CREATE DATABASE orbit_clients;
CREATE DATABASE orbit_interactions;
CREATE DATABASE orbit_billing;
CREATE DATABASE orbit_notifications;
