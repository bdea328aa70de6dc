-- Sets the login passwords of the roles migration 0001 created (migrations never set passwords).
-- Run by the one-shot `db-init` service of docker-compose.yml after `migrate up`, as the migration
-- login, with psql variables (kept out of the command line and of this file):
--   psql -v ON_ERROR_STOP=1 -v app_password=… -v auditor_password=… -f set-role-passwords.sql
-- Running it again sets the same passwords again (harmless).
ALTER ROLE orderdesk_app PASSWORD :'app_password';
ALTER ROLE orderdesk_auditor PASSWORD :'auditor_password';
