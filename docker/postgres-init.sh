#!/bin/bash
# Run once by the postgres image's entrypoint (/docker-entrypoint-initdb.d), on an empty data
# volume only (`docker compose down -v` to start over), as the superuser over the local socket.
#
# One role per service, owner of the service's database, as bin/preflight.py does for `make run`:
# role <service> (LOGIN, password <SERVICE>_DATABASE_PASSWORD, default "<service>-local-only")
# owns database <service> and every object its migrations create there; CONNECT is revoked from
# PUBLIC, so no service's role can reach another's database. psql quotes the values (:"..." for
# names, :'...' for the password), so a password is never spliced into SQL text.
set -eo pipefail  # the entrypoint's own options too, should it source this file

for service in publishing moderation notifications search_indexer; do
    variable="${service^^}_DATABASE_PASSWORD"
    password="${!variable:-${service}-local-only}"
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
        --set=service="$service" --set=password="$password" <<'SQL'
CREATE ROLE :"service" LOGIN PASSWORD :'password';
CREATE DATABASE :"service" OWNER :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
SQL
    echo "postgres-init: role and database $service"
done
